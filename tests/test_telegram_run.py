"""`bot.run`: every configured messenger starts, and stops cleanly."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from bot.run import configured_services, serve
from bot.settings import Settings
from bot.telegram.workers import worker_count
from tests.fake_telegram.harness import database_url, sqlite_app, telegram_settings
from tests.fake_telegram.limits import FloodLimits
from tests.fake_telegram.server import FakeTelegram


def test_only_messengers_with_credentials_are_started() -> None:
    bare = Settings(_env_file=None)  # type: ignore[call-arg]
    assert configured_services(bare) == []
    telegram = Settings(_env_file=None, telegram_bot_token="1:A")  # type: ignore[call-arg]
    assert [name for name, _ in configured_services(telegram)] == ["telegram"]


async def test_serve_runs_telegram_polling_and_stops_on_request(tmp_path: Any, core_kb: Any) -> None:
    async with FakeTelegram(limits=FloodLimits(enabled=False)) as tg:
        tg.add_private_chat(1001)
        app = sqlite_app(telegram_settings(tg, database_url(tmp_path), staff_chat_id=None), core_kb)
        stop = asyncio.Event()
        task = asyncio.create_task(serve(app, stop))
        tg.send_text(1001, "/help")
        await tg.wait_sent(1001, 1)
        stop.set()
        await asyncio.wait_for(task, 30)
        assert tg.calls_of("deleteWebhook") and tg.calls_of("setMyCommands")


def test_workers_auto_takes_one_process_on_postgresql_with_two_cpus(monkeypatch: Any) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    pg = Settings(_env_file=None, database_url="postgresql+psycopg://u@h/db")  # type: ignore[call-arg]
    assert pg.telegram_workers == "auto" and worker_count(pg) == 1


def test_workers_auto_takes_none_on_sqlite_or_one_cpu(monkeypatch: Any) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert worker_count(Settings(_env_file=None, database_url="sqlite:///x.db")) == 0  # type: ignore[call-arg]
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert worker_count(Settings(_env_file=None, database_url="postgresql+psycopg://u@h/db")) == 0  # type: ignore[call-arg]


def test_workers_set_as_a_number_are_taken_as_they_are(monkeypatch: Any) -> None:
    monkeypatch.setenv("TELEGRAM_WORKERS", "3")
    assert worker_count(Settings(_env_file=None)) == 3  # type: ignore[call-arg]
    monkeypatch.setenv("TELEGRAM_WORKERS", "0")
    assert worker_count(Settings(_env_file=None, database_url="postgresql+psycopg://u@h/db")) == 0  # type: ignore[call-arg]
