"""What reports read of the settings (the runtime's `Settings` has all of it)."""

from __future__ import annotations

from typing import Protocol


class ReportConfig(Protocol):
    """Report settings."""

    @property
    def office_name(self) -> str:
        """The office, named in titles."""
        ...

    @property
    def satisfaction_target_percent(self) -> int:
        """The office's target share of satisfied citizens (the plan says 90%)."""
        ...
