"""The in-process timer (APScheduler 3): follow-up reminders and apologies every few minutes."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot.app import App
from handlers.followup import run_followups

log = logging.getLogger(__name__)


def _run(app: App) -> None:
    try:
        run_followups(app.engine, app.settings)
    except Exception:  # a failed run is retried at the next interval; the bot keeps serving
        log.exception("Follow-up run failed")


def start_scheduler(app: App) -> BackgroundScheduler:
    """Start the follow-up job in a background thread; call `.shutdown()` to stop it."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(_run, "interval", args=[app], minutes=app.settings.followup_interval_minutes,
                      id="followups", max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
