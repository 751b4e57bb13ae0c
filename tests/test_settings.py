"""Settings: every variable is documented in `.env.example`, and lists parse from plain text."""

from __future__ import annotations

import re

from bot.settings import Settings
from tests.conftest import ROOT


def test_every_setting_is_listed_in_env_example() -> None:
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert {name.upper() for name in Settings.model_fields} <= listed


def test_env_example_names_only_real_settings() -> None:
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert listed <= {name.upper() for name in Settings.model_fields}


def test_admin_ids_parse_from_a_comma_separated_list(monkeypatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "console:admin, telegram:5")
    monkeypatch.setenv("TELEGRAM_ADMIN_IDS", "7;8")
    assert Settings(_env_file=None).admins == {  # type: ignore[call-arg]
        ("console", "admin"), ("telegram", "5"), ("telegram", "7"), ("telegram", "8")}


def test_staff_chat_defaults_to_the_telegram_group_then_the_console(monkeypatch) -> None:
    assert Settings(_env_file=None).staff_chat_address == ("console", "staff")  # type: ignore[call-arg]
    monkeypatch.setenv("TELEGRAM_STAFF_CHAT_ID", "-1001")
    assert Settings(_env_file=None).staff_chat_address == ("telegram", "-1001")  # type: ignore[call-arg]
