"""`bot.run`: every configured messenger starts, and stops cleanly."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.run import configured_services, serve
from bot.settings import Settings
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
