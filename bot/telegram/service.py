"""Run Telegram for an `App`: the chosen runtime, commands, intake (polling or webhook) and the outbox sender."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.outbox_sender import OutboxSender, Progress, Throttle
from bot.send_budget import SendLimits
from bot.telegram.commands import register_commands
from bot.telegram.convert import PLATFORM
from bot.telegram.runtime import Runtime
from bot.telegram.webhook import default_secret, start_webhook_server
from bot.telegram.workers import WorkerPool, worker_count
from handlers.categories import staff_chats
from messaging.types import Outgoing
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)


def make_runtime(app: Any) -> Runtime:
    """The runtime named by TELEGRAM_FRAMEWORK (aiogram by default, or ptb)."""
    s = app.settings
    framework = (s.telegram_framework or "aiogram").lower()
    if framework in ("ptb", "python-telegram-bot"):
        from bot.telegram.ptb_runtime import PtbRuntime

        return PtbRuntime(s.telegram_bot_token, s.telegram_api_base, app.dispatcher, app.engine, hub=app.senders)
    if framework != "aiogram":
        raise ValueError(f"TELEGRAM_FRAMEWORK must be aiogram or ptb, not {framework!r}")
    from bot.telegram.aiogram_runtime import AiogramRuntime

    return AiogramRuntime(s.telegram_bot_token, s.telegram_api_base, app.dispatcher, app.engine, hub=app.senders)


def telegram_limits(settings: Any) -> SendLimits:
    """Telegram's limits as configured (defaults: 28.5 a second in all, 1 a second per chat, 20 a minute per group)."""
    return SendLimits(global_per_second=settings.telegram_messages_per_second,
                      group_per_minute=settings.telegram_group_messages_per_minute)


def make_outbox_sender(runtime: Runtime, limits: SendLimits | None = None, **kwargs: Any) -> OutboxSender:
    """The Telegram sender of this process, delivering through the runtime (and registered with its hub)."""

    async def deliver(item: OutboxItem, throttle: Throttle, progress: Progress) -> None:
        await runtime.delivery.send(Outgoing.from_dict(item.payload), item.chat_id, item.thread_id,
                                    throttle=throttle, progress=progress)

    sender = OutboxSender(runtime.engine, PLATFORM, deliver, limits or SendLimits(), **kwargs)
    return runtime.hub.add(sender)


async def run_telegram(app: Any, stop: asyncio.Event, runtime: Runtime | None = None,
                       sender: OutboxSender | None = None, poll_timeout: int = 25) -> None:
    """Serve Telegram until `stop` is set: webhook when TELEGRAM_WEBHOOK_URL is set, else long polling."""
    s = app.settings
    runtime = runtime or make_runtime(app)
    sender = sender or make_outbox_sender(runtime, telegram_limits(s), shared_budget=s.delivery_budget != "memory",
                                          keep_sent_hours=s.outbox_keep_sent_hours)
    await runtime.retrying(stop, "start", runtime.start)
    workers = worker_count(s)
    if workers and runtime.workers is None:
        runtime.workers = WorkerPool(s, workers)
        await runtime.workers.warm_up()
    runner = None
    outbox_task = asyncio.create_task(sender.run(stop), name="telegram-outbox")
    try:
        staff = [chat for platform, chat in staff_chats(s) if platform == "telegram"]
        await runtime.retrying(stop, "setMyCommands", lambda: register_commands(runtime.api, staff))
        if s.telegram_webhook_url:
            secret = s.telegram_webhook_secret or default_secret(s.telegram_bot_token)
            runner = await start_webhook_server(runtime, s.telegram_webhook_host, s.telegram_webhook_port,
                                                s.telegram_webhook_path, secret)
            await runtime.retrying(stop, "setWebhook", lambda: runtime.set_webhook(s.telegram_webhook_url, secret))
            log.warning("Telegram (%s) webhook at %s", runtime.name, s.telegram_webhook_url)
            await stop.wait()
        else:
            log.warning("Telegram (%s) long polling", runtime.name)
            await runtime.run_polling(stop, timeout=poll_timeout)
    finally:
        stop.set()
        if runner is not None:
            await runner.cleanup()
        await outbox_task  # finishes what is on the wire, gives the rest back to the queue
        await runtime.stop()
        if runtime.workers is not None:
            runtime.workers.close()
