"""Run Telegram for an `App`: the chosen runtime, commands, intake (polling or webhook) and the outbox sender."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.outbox_sender import OutboxSender, SendLimits, Throttle
from bot.telegram.commands import register_commands
from bot.telegram.convert import PLATFORM
from bot.telegram.runtime import Runtime
from bot.telegram.webhook import default_secret, start_webhook_server
from bot.telegram.workers import WorkerPool
from messaging.types import Outgoing
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)


def make_runtime(app: Any) -> Runtime:
    """The runtime named by TELEGRAM_FRAMEWORK (aiogram by default, or ptb)."""
    s = app.settings
    framework = (s.telegram_framework or "aiogram").lower()
    if framework in ("ptb", "python-telegram-bot"):
        from bot.telegram.ptb_runtime import PtbRuntime

        return PtbRuntime(s.telegram_bot_token, s.telegram_api_base, app.dispatcher, app.engine)
    if framework != "aiogram":
        raise ValueError(f"TELEGRAM_FRAMEWORK must be aiogram or ptb, not {framework!r}")
    from bot.telegram.aiogram_runtime import AiogramRuntime

    return AiogramRuntime(s.telegram_bot_token, s.telegram_api_base, app.dispatcher, app.engine)


def make_outbox_sender(runtime: Runtime, limits: SendLimits | None = None, **kwargs: Any) -> OutboxSender:
    """An outbox sender delivering Telegram messages through the runtime."""

    async def deliver(item: OutboxItem, throttle: Throttle) -> None:
        await runtime.delivery.send(Outgoing.from_dict(item.payload), item.chat_id, throttle=throttle)

    sender = OutboxSender(runtime.engine, PLATFORM, deliver, limits or SendLimits(), **kwargs)
    runtime.delivery.on_flood = sender.limiter.pause
    return sender


async def run_telegram(app: Any, stop: asyncio.Event, runtime: Runtime | None = None,
                       sender: OutboxSender | None = None, poll_timeout: int = 25) -> None:
    """Serve Telegram until `stop` is set: webhook when TELEGRAM_WEBHOOK_URL is set, else long polling."""
    s = app.settings
    runtime = runtime or make_runtime(app)
    sender = sender or make_outbox_sender(runtime)
    await runtime.start()
    workers = s.telegram_workers
    if workers and runtime.workers is None:
        runtime.workers = WorkerPool(s, workers)
        await runtime.workers.warm_up()
    runner = None
    try:
        await register_commands(runtime.api, s.telegram_staff_chat_id)
        outbox_task = asyncio.create_task(sender.run(stop), name="telegram-outbox")
        if s.telegram_webhook_url:
            secret = s.telegram_webhook_secret or default_secret(s.telegram_bot_token)
            runner = await start_webhook_server(runtime, s.telegram_webhook_host, s.telegram_webhook_port,
                                                s.telegram_webhook_path, secret)
            await runtime.set_webhook(s.telegram_webhook_url, secret)
            log.warning("Telegram (%s) webhook at %s", runtime.name, s.telegram_webhook_url)
            await stop.wait()
        else:
            log.warning("Telegram (%s) long polling", runtime.name)
            await runtime.run_polling(stop, timeout=poll_timeout)
        await outbox_task
    finally:
        if runner is not None:
            await runner.cleanup()
        await runtime.finish_answers()
        await runtime.stop()
        if runtime.workers is not None:
            runtime.workers.close()
