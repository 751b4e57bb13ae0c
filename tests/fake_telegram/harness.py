"""Run the real bot (either runtime, polling or webhook) against a `FakeTelegram`, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import App, build_app
from bot.outbox_sender import OutboxSender, SendLimits
from bot.settings import Settings
from bot.telegram.runtime import Runtime
from bot.telegram.service import make_outbox_sender, make_runtime, run_telegram
from bot.telegram.webhook import SECRET_HEADER
from storage.db import create_all, make_engine

from .server import FakeTelegram


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def telegram_settings(tg: FakeTelegram, database_url: str, framework: str = "aiogram",
                      webhook: bool = False, staff_chat_id: str | None = "-1001000",
                      admin_ids: tuple[str, ...] = ("9001",), **extra: Any) -> Settings:
    """Settings pointing a runtime at the fake server."""
    values: dict[str, Any] = dict(
        database_url=database_url, telegram_bot_token=tg.token, telegram_api_base=tg.api_base,
        telegram_framework=framework, telegram_staff_chat_id=staff_chat_id,
        telegram_admin_ids=list(admin_ids), admin_ids=[], flood_max_messages=10_000,
        telegram_workers=0,  # in-process unless a test asks for workers (time travel patches this process)
    )
    if webhook:
        port = free_port()
        values.update(telegram_webhook_url=f"http://127.0.0.1:{port}/tg/hook", telegram_webhook_host="127.0.0.1",
                      telegram_webhook_port=port, telegram_webhook_path="/tg/hook",
                      telegram_webhook_secret="s3cret-Token_1")
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def sqlite_app(settings: Settings, kb: Any = None, engine: Any = None) -> App:
    """An App on the settings' database, tables created directly."""
    engine = engine or make_engine(settings.effective_database_url)
    create_all(engine)
    return build_app(settings, engine=engine, migrate=False, kb=kb)


@dataclass
class BotHarness:
    """A running bot: `async with BotHarness(tg, app) as bot: ...`."""

    tg: FakeTelegram
    app: App
    sender_limits: SendLimits = field(default_factory=SendLimits)
    poll_timeout: int = 1
    runtime: Runtime | None = None
    sender: OutboxSender | None = None

    async def __aenter__(self) -> BotHarness:
        self.stop = asyncio.Event()
        self.runtime = make_runtime(self.app)
        self.sender = make_outbox_sender(self.runtime, self.sender_limits, poll_interval=0.05)
        self.task = asyncio.create_task(run_telegram(self.app, self.stop, self.runtime, self.sender,
                                                     poll_timeout=self.poll_timeout))
        if self.webhook:
            await self.tg.wait_for(lambda: bool(self.tg.calls_of("setWebhook")) or self.task.done(), 10,
                                   what="setWebhook")
        else:
            await self.tg.wait_for(lambda: bool(self.tg.calls_of("getUpdates")) or self.task.done(), 10,
                                   what="first getUpdates")
        if self.task.done():
            self.task.result()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 20)

    @property
    def webhook(self) -> bool:
        """Whether the bot runs in webhook mode."""
        return bool(self.app.settings.telegram_webhook_url)

    async def post_webhook(self, update: dict[str, Any], secret: str | None = None) -> int:
        """POST an update to the bot's webhook like Telegram does; return the HTTP status."""
        from aiohttp import ClientSession

        s = self.app.settings
        secret = s.telegram_webhook_secret if secret is None else secret
        headers = {SECRET_HEADER: secret} if secret else {}
        async with ClientSession() as http, http.post(str(s.telegram_webhook_url), json=update,
                                                      headers=headers) as resp:
            return resp.status


def database_url(tmp_path: Path) -> str:
    """A fresh SQLite file for one test."""
    return f"sqlite:///{tmp_path / 'bot.db'}"
