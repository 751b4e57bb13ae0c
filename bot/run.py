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


def configured_services(settings: Settings, *, http_only: bool = False) -> list[tuple[str, Service]]:
    """The messengers with credentials configured, and Open311 whenever an HTTP server runs.

    `http_only` (`feedback-bot serve`): Open311 always, and the messengers only when they take webhooks.
    """
    services: list[tuple[str, Service]] = []
    if http_only and settings.telegram_bot_token and not settings.telegram_webhook_url:
        log.warning("TELEGRAM_WEBHOOK_URL is not set: `serve` does not poll Telegram (use `feedback-bot run`)")
    elif settings.telegram_bot_token:
        from bot.telegram.service import run_telegram

        services.append(("telegram", run_telegram))
    if zalo_configured(settings):
        from bot.zalo.service import run_zalo

        services.append(("zalo", run_zalo))
    webhook = bool(settings.telegram_bot_token and settings.telegram_webhook_url)
    if settings.open311_enabled and (http_only or webhook or zalo_configured(settings)):
        from open311.server import run_open311

        services.append(("open311", run_open311))
    return services


def zalo_configured(settings: Settings) -> bool:
    """A Zalo OA access token, or the app id, secret and refresh token to get one."""
    s = settings
    return bool(s.zalo_access_token or (s.zalo_refresh_token and s.zalo_app_id and s.zalo_app_secret))


async def serve(app: Any, stop: asyncio.Event | None = None, *, http_only: bool = False) -> list[str]:
    """Run all configured services until `stop` is set (or a signal arrives); returns those that failed.

    A service that cannot go on (a messenger's token refused, a bug) stops all of them, so that the process
    exits non-zero and its supervisor restarts it or someone looks.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    services = configured_services(app.settings, http_only=http_only)
    if not services:
        raise SystemExit("No messenger configured (set TELEGRAM_BOT_TOKEN or ZALO_ACCESS_TOKEN).")
    tasks = [asyncio.create_task(run(app, stop), name=name) for name, run in services]
    failed: list[str] = []
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        if any(task.exception() is not None for task in done):
            stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in tasks:
            err = task.exception() if not task.cancelled() else None
            if err is not None:
                failed.append(task.get_name())
                log.error("%s stopped: %s: %s", task.get_name(), type(err).__name__, str(err)[:300])
    finally:
        stop.set()
    return failed


def main(settings: Settings, *, http_only: bool = False) -> int:
    """Build the app and serve every configured service (`http_only`: the HTTP server alone, for `serve`);
    the exit status (1 when one failed)."""
    from bot.app import build_app
    from bot.logs import setup_logging
    from bot.scheduler import start_scheduler

    setup_logging(settings.log_level, settings.secrets)
    app = build_app(settings)
    scheduler = start_scheduler(app)
    try:
        failed = asyncio.run(serve(app, http_only=http_only))
    finally:
        scheduler.shutdown(wait=False)
    return 1 if failed else 0
