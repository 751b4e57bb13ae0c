"""Bad input at the Telegram webhook: malformed bodies get 400 (never 500), forged requests a quiet log."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp import ClientSession

from bot.telegram.webhook import SECRET_HEADER
from tests.fake_telegram.harness import BotHarness, database_url, sqlite_app, telegram_settings
from tests.fake_telegram.server import FakeTelegram

BODIES = [
    (b'{"update_id": 1, "message": {"text": "\xff\xfe\xfd"}}', "not UTF-8"),
    (b"<html><body>hello</body></html>", "not JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
    (b'{"update_id": 5, "message": ' + b'{"a": ' * 100 + b"1" + b"}" * 101, "nested too deep"),
    (b"[1, 2, 3]", "not a JSON object"),
]


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_malformed_bodies_with_the_right_secret_get_400(tmp_path: Any, core_kb: Any, framework: str) -> None:
    async with FakeTelegram() as tg:
        tg.add_private_chat(1001)
        app = sqlite_app(telegram_settings(tg, database_url(tmp_path), framework, webhook=True, staff_chat_id=None),
                         core_kb)
        async with BotHarness(tg, app) as bot:
            headers = {SECRET_HEADER: app.settings.telegram_webhook_secret or ""}
            async with ClientSession() as http:
                for body, why in BODIES:
                    async with http.post(str(app.settings.telegram_webhook_url), data=body, headers=headers) as resp:
                        assert resp.status == 400, why
                        assert (await resp.text()) == why
            update = {"update_id": 9, "message": {"message_id": 1, "date": 0, "text": "/help",
                                                  "chat": {"id": 1001, "type": "private"},
                                                  "from": {"id": 1001, "is_bot": False, "first_name": "Lan"}}}
            assert await bot.post_webhook(update) == 200  # and the bot goes on
            await tg.wait_sent(1001, 1)


async def test_a_flood_of_forged_requests_writes_one_log_line(tmp_path: Any, core_kb: Any,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with FakeTelegram() as tg:
        app = sqlite_app(telegram_settings(tg, database_url(tmp_path), webhook=True, staff_chat_id=None), core_kb)
        async with BotHarness(tg, app) as bot:
            for i in range(50):
                assert await bot.post_webhook({"update_id": i}, secret=f"forged-{i}") == 401
    forged = [r for r in caplog.records if "wrong or missing secret" in r.getMessage()]
    assert len(forged) == 1
