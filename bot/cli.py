"""The `feedback-bot` command: chat, run, db, kb."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.settings import get_settings


def _chat(args: argparse.Namespace) -> int:
    from bot.app import build_app
    from bot.console import ConsoleChat
    from bot.scheduler import start_scheduler

    app = build_app(get_settings())
    scheduler = start_scheduler(app)
    try:
        ConsoleChat(app, as_staff=args.as_staff, user_id=args.user, user_name=args.name).loop()
    finally:
        scheduler.shutdown(wait=False)
    return 0


def _followup(args: argparse.Namespace) -> int:
    from bot.app import build_app
    from handlers.followup import run_followups

    app = build_app(get_settings())
    done = run_followups(app.engine, app.settings)
    print(f"Reminders queued: {done.reminders}; apologies queued: {done.apologies}.")
    return 0


def _report(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from bot.app import build_app
    from handlers.reports import report_text

    settings = get_settings()
    app = build_app(settings)
    with Session(app.engine) as session:
        print(report_text(session, settings, args.lang or settings.default_language, args.days))
    return 0


def _run(args: argparse.Namespace) -> int:
    from bot.run import configured_services
    from bot.run import main as run_messengers

    settings = get_settings()
    if not configured_services(settings):
        print("Chưa cấu hình Telegram hay Zalo: mở chat trên console. "
              "(No messenger configured: starting the console chat.)", file=sys.stderr)
        return _chat(argparse.Namespace(as_staff=False, user=None, name=None))

    run_messengers(settings)
    return 0


def _db(args: argparse.Namespace) -> int:
    from storage.db import upgrade

    settings = get_settings()
    upgrade(settings.effective_database_url)
    print(f"Database is up to date ({settings.effective_database_url.split('@')[-1]}).")
    return 0


def _revision(args: argparse.Namespace) -> int:
    from alembic import command

    from storage.db import alembic_config

    command.revision(alembic_config(get_settings().effective_database_url), args.message, autogenerate=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `feedback-bot` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if argv and argv[0] == "kb":
        from knowledge.cli import main as kb_main

        return kb_main(argv[1:])
    parser = argparse.ArgumentParser(prog="feedback-bot", description="Citizen feedback bot")
    sub = parser.add_subparsers(dest="command", required=True)
    chat = sub.add_parser("chat", help="chat with the bot in this terminal (stdin may be a pipe)")
    chat.add_argument("--as-staff", action="store_true", help="act as staff in the staff chat")
    chat.add_argument("--user", help="console user id (default: citizen, or admin with --as-staff)")
    chat.add_argument("--name", help="display name")
    chat.set_defaults(func=_chat)
    run = sub.add_parser("run", help="start every configured messenger (the console when none is)")
    run.set_defaults(func=_run)
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(func=_db)
    revision = db_sub.add_parser("revision", help="write a migration from the model changes (developers)")
    revision.add_argument("message")
    revision.set_defaults(func=_revision)
    followup = sub.add_parser("followup", help="queue due reminders and apologies once (for cron)")
    followup.set_defaults(func=_followup)
    rep = sub.add_parser("report", help="tickets and satisfaction index for the last N days")
    rep.add_argument("--days", type=int, default=30)
    rep.add_argument("--lang", choices=["vi", "en"])
    rep.set_defaults(func=_report)
    sub.add_parser("kb", help="knowledge base: search, import, export, validate, eval")
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
