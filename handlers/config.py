"""What handlers read of the configuration: a small protocol, so they depend on no runtime's settings class.

`bot.settings.Settings` satisfies it; a test or another runtime may pass any object with these attributes.
Add an attribute here when a handler needs a new setting.
"""

from __future__ import annotations

from typing import Protocol


class HandlerSettings(Protocol):
    """The settings conversations and staff commands read."""

    office_name: str
    default_language: str
    max_text_length: int
    max_attachments: int
    flood_max_messages: int
    flood_window_seconds: float
    ticket_code_prefix: str
    satisfaction_target_percent: int
    min_description_letters: int
    draft_idle_minutes: float
    ticket_answer_window_hours: float
    reopen_days: int

    @property
    def admins(self) -> set[tuple[str, str]]:
        """Configured admins as (platform, user_id)."""
        ...

    @property
    def staff_chat_address(self) -> tuple[str, str]:
        """(platform, chat_id) of the staff chat, where new tickets are posted."""
        ...
