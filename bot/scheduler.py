"""The in-process timer (APScheduler 3): follow-ups (reminders, apologies, survey reminders, the digest)."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot.app import App
from jobs.followups import run_followups
from storage.clock import utcnow
from storage.db import session_scope
from storage.files import purge_files

log = logging.getLogger(__name__)
KEEP_FILES_DAYS = 7  # charts and exports are uploaded within minutes; a week covers a long outage


def _run(app: App) -> None:
    try:
        run_followups(app.engine, app.settings)
        with session_scope(app.engine) as session:
            purge_files(session, utcnow() - timedelta(days=KEEP_FILES_DAYS))
    except Exception:  # a failed run is retried at the next interval; the bot keeps serving
        log.exception("Follow-up run failed")


def start_scheduler(app: App) -> BackgroundScheduler:
    """Start the follow-up job in a background thread; call `.shutdown()` to stop it."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(_run, "interval", args=[app], minutes=app.settings.followup_interval_minutes,
                      id="followups", max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
