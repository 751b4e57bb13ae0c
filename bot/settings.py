"""Settings read from the environment and `.env` (every variable is listed in `.env.example`)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("feedback_bot.db")


def _split_ids(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    return [str(v).strip() for v in value]  # type: ignore[union-attr]


IdList = Annotated[list[str], NoDecode]
IntList = Annotated[list[int], NoDecode]


class Settings(BaseSettings):
    """All configuration of the bot; field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str | None = None
    office_name: str = "UBND phường Thanh Xuân"
    default_language: str = "vi"
    admin_ids: IdList = Field(default_factory=lambda: ["console:admin"])
    staff_chat: str | None = None
    knowledge_dir: str | None = None

    max_text_length: int = 4096  # Telegram's own limit: no message a citizen can send there is refused
    max_attachments: int = 10
    flood_max_messages: int = 20
    flood_window_seconds: float = 60.0
    ticket_code_prefix: str = "PA"
    followup_interval_minutes: float = 10.0
    satisfaction_target_percent: int = 90

    # --- follow-ups, reports and open data (jobs/, reports/, open311/) ---
    reminder_working_days: IntList = Field(default_factory=lambda: [2, 0])
    reminder_hour: int = Field(default=8, ge=0, le=23)
    digest_hour: int | None = Field(default=7, ge=0, le=23)
    lead_chat: str | None = None
    office_closures: str = ""
    survey_reminder_days: float = 3.0
    report_files_dir: str = "report-files"
    open311_enabled: bool = True
    open311_host: str = "0.0.0.0"
    open311_port: int = 8082
    open311_rate_per_minute: int = 60
    open311_jurisdiction: str | None = None

    # --- feedback drafts and two-way tickets (issue 10) ---
    min_description_letters: int = 5
    draft_idle_minutes: float = 60.0
    ticket_answer_window_hours: float = 72.0
    reopen_days: int = 30

    telegram_bot_token: str | None = None
    telegram_framework: str = "aiogram"
    telegram_api_base: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_webhook_host: str = "0.0.0.0"
    telegram_webhook_port: int = 8080
    telegram_webhook_path: str = "/telegram/webhook"
    telegram_staff_chat_id: str | None = None
    telegram_admin_ids: IdList = Field(default_factory=list)
    telegram_workers: Annotated[int, Field(ge=0)] | Literal["auto"] = "auto"

    zalo_access_token: str | None = None
    zalo_app_id: str | None = None
    zalo_app_secret: str | None = None
    zalo_refresh_token: str | None = None
    zalo_oa_secret_key: str | None = None
    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    zalo_webhook_host: str = "0.0.0.0"
    zalo_webhook_port: int = 8081
    zalo_webhook_path: str = "/zalo/webhook"

    # delivery, logs and personal data (issue 11)
    delivery_budget: str = "database"
    telegram_messages_per_second: float = 28.5
    telegram_group_messages_per_minute: float = 20.0
    zalo_messages_per_second: float = 15.0
    outbox_keep_sent_hours: float = 24.0
    outbox_lease_seconds: float = 15.0
    log_level: str = "INFO"

    @field_validator("admin_ids", "telegram_admin_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> list[str]:
        return _split_ids(value)

    @field_validator("reminder_working_days", mode="before")
    @classmethod
    def _parse_days(cls, value: object) -> list[int]:
        days = sorted({int(v) for v in _split_ids(value)}, reverse=True)
        if any(d < 0 for d in days):
            raise ValueError("REMINDER_WORKING_DAYS are working days before the deadline: 0 or more")
        return days

    @field_validator("digest_hour", "lead_chat", "open311_jurisdiction", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("office_closures")
    @classmethod
    def _check_closures(cls, value: str) -> str:
        from handlers.deadlines import parse_closures

        parse_closures(value)
        return value

    @property
    def closure_days(self) -> list[date]:
        """The days of OFFICE_CLOSURES."""
        from handlers.deadlines import parse_closures

        return parse_closures(self.office_closures)

    @property
    def lead_chat_address(self) -> tuple[str, str] | None:
        """Where overdue tickets are escalated (`LEAD_CHAT` as platform:chat_id), None when unset."""
        if not self.lead_chat:
            return None
        platform, _, chat = self.lead_chat.partition(":")
        return (platform, chat) if chat else ("telegram", platform)

    @property
    def effective_database_url(self) -> str:
        """`DATABASE_URL`, or a SQLite file in the working directory when it is unset."""
        return self.database_url or f"sqlite:///{DEFAULT_SQLITE_PATH}"

    @property
    def admins(self) -> set[tuple[str, str]]:
        """Configured admins as (platform, user_id); bare ids in TELEGRAM_ADMIN_IDS are Telegram's."""
        out: set[tuple[str, str]] = set()
        for item in self.admin_ids:
            platform, _, user = item.partition(":")
            if user:
                out.add((platform, user))
        out.update(("telegram", i) for i in self.telegram_admin_ids)
        return out

    @property
    def secrets(self) -> list[str]:
        """Values that must never reach a log line."""
        return [v for v in (self.telegram_bot_token, self.telegram_webhook_secret, self.zalo_access_token,
                            self.zalo_app_secret, self.zalo_refresh_token, self.zalo_oa_secret_key) if v]

    @property
    def staff_chat_address(self) -> tuple[str, str]:
        """Where new tickets are posted: `STAFF_CHAT`, else the Telegram staff group, else the console."""
        if self.staff_chat:
            platform, _, chat = self.staff_chat.partition(":")
            return platform, chat
        if self.telegram_staff_chat_id:
            return "telegram", self.telegram_staff_chat_id
        return "console", "staff"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
