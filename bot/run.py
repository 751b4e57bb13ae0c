"""`feedback-bot run`: start every configured messenger in one process until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from bot.settings import Settings

log = logging.getLogger(__name__)

Service = Callable[[Any, asyncio.Event], Awaitable[None]]


def configured_services(settings: Settings) -> list[tuple[str, Service]]:
    """The messengers with credentials configured."""
    services: list[tuple[str, Service]] = []
    if settings.telegram_bot_token:
        from bot.telegram.service import run_telegram

        services.append(("telegram", run_telegram))
    if zalo_configured(settings):
        from bot.zalo.service import run_zalo

        services.append(("zalo", run_zalo))
    return services


def zalo_configured(settings: Settings) -> bool:
    """A Zalo OA access token, or the app id, secret and refresh token to get one."""
    s = settings
    return bool(s.zalo_access_token or (s.zalo_refresh_token and s.zalo_app_id and s.zalo_app_secret))


async def serve(app: Any, stop: asyncio.Event | None = None) -> None:
    """Run all configured messengers until `stop` is set (or a signal arrives)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    services = configured_services(app.settings)
    if not services:
        raise SystemExit("No messenger configured (set TELEGRAM_BOT_TOKEN or ZALO_ACCESS_TOKEN).")
    tasks = [asyncio.create_task(run(app, stop), name=name) for name, run in services]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                log.error("%s stopped: %r", task.get_name(), task.exception())
                stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        stop.set()


def main(settings: Settings) -> None:
    """Build the app and serve every configured messenger."""
    from bot.app import build_app
    from bot.scheduler import start_scheduler

    logging.getLogger("bot").setLevel(logging.INFO)
    app = build_app(settings)
    scheduler = start_scheduler(app)
    try:
        asyncio.run(serve(app))
    finally:
        scheduler.shutdown(wait=False)
