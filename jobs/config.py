"""What the follow-up jobs read of the settings (the runtime's `Settings` has all of it)."""

from __future__ import annotations

from typing import Protocol


class FollowupConfig(Protocol):
    """Follow-up settings: languages, where staff and the office lead read, and when to remind."""

    @property
    def default_language(self) -> str:
        """The staff chat's language."""
        ...

    @property
    def office_name(self) -> str:
        """The office, as it signs apologies."""
        ...

    @property
    def reminder_working_days(self) -> list[int]:
        """Remind staff this many working days before a deadline (0: on the day)."""
        ...

    @property
    def reminder_hour(self) -> int:
        """Hour of the day (Vietnam time) when the day's reminders go out."""
        ...

    @property
    def digest_hour(self) -> int | None:
        """Hour of the daily digest on working days (None: no digest)."""
        ...

    @property
    def survey_reminder_days(self) -> float:
        """Days without an answer before a survey is asked again (once)."""
        ...

    @property
    def staff_chat_address(self) -> tuple[str, str]:
        """(platform, chat id) of the staff chat."""
        ...

    @property
    def lead_chat_address(self) -> tuple[str, str] | None:
        """(platform, chat id) of the office lead's chat, None when overdue tickets are not escalated."""
        ...
