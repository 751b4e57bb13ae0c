"""The `feedback-bot` command: chat, run, serve, db, followup, stats, report, export, kb."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.settings import get_settings


def _chat(args: argparse.Namespace) -> int:
    from bot.app import build_app
    from bot.console import ConsoleChat
    from bot.logs import setup_logging
    from bot.scheduler import start_scheduler

    settings = get_settings()
    setup_logging(settings.log_level if settings.log_level.upper() != "INFO" else "WARNING", settings.secrets)
    app = build_app(settings)
    scheduler = start_scheduler(app)
    try:
        ConsoleChat(app, as_staff=args.as_staff, user_id=args.user, user_name=args.name).loop()
    finally:
        scheduler.shutdown(wait=False)
    return 0


def _followup(args: argparse.Namespace) -> int:
    from bot.app import build_app
    from jobs.followups import run_followups

    app = build_app(get_settings())
    done = run_followups(app.engine, app.settings)
    print(f"Reminders queued: {done.reminders}; apologies queued: {done.apologies}; "
          f"survey reminders queued: {done.survey_reminders}; digests queued: {done.digests}.")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from bot.app import build_app
    from handlers.staff_reports import agency_names
    from reports.periods import parse_period
    from reports.stats import stats_text
    from storage.clock import utcnow

    settings = get_settings()
    now = utcnow()
    period = parse_period(args.period, now)
    if period is None:
        print(f"Kỳ báo cáo không hợp lệ: {args.period!r} (month, quarter, year, 2026-11, 2026-Q4, 2026).",
              file=sys.stderr)
        return 2
    app = build_app(settings)
    with Session(app.engine) as session:
        print(stats_text(session, settings, args.lang or settings.default_language, period, now,
                         agency_names(app.kb)))
    return 0


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sqlmodel import Session

    from bot.app import build_app
    from reports.chart import report_png
    from storage.clock import utcnow

    if not args.png:
        return _stats(argparse.Namespace(period="month", lang=args.lang))
    if not 1 <= args.months <= 24:
        print("--months: từ 1 đến 24 (1 to 24).", file=sys.stderr)
        return 2
    settings = get_settings()
    app = build_app(settings)
    with Session(app.engine) as session:
        png = report_png(session, settings, args.lang or settings.default_language, utcnow(), args.months)
    Path(args.png).write_bytes(png)
    print(f"Đã ghi biểu đồ (chart written): {args.png} ({len(png)} bytes).")
    return 0


def _export(args: argparse.Namespace) -> int:
    from datetime import date, datetime, time
    from pathlib import Path

    from sqlmodel import Session

    from bot.app import build_app
    from handlers.staff_reports import agency_names
    from reports.export import export_bytes
    from reports.facts import load_facts
    from storage.clock import VN_TZ

    since = None
    if args.since:
        try:
            since = datetime.combine(date.fromisoformat(args.since), time(0), tzinfo=VN_TZ)
        except ValueError:
            print(f"--since: ngày dạng YYYY-MM-DD (a date as YYYY-MM-DD), not {args.since!r}.", file=sys.stderr)
            return 2
    settings = get_settings()
    app = build_app(settings)
    with Session(app.engine) as session:
        facts = [f for f in load_facts(session, since=since) if since is None or f.created_at >= since]
        content = export_bytes(facts, args.format, args.lang or settings.default_language, agency_names(app.kb))
    Path(args.out).write_bytes(content)
    print(f"Đã xuất {len(facts)} phản ánh (exported {len(facts)} tickets): {args.out}.")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from bot.run import main as run_services

    settings = get_settings()
    update = {"open311_enabled": True}
    if args.host:
        update["open311_host"] = args.host
    if args.port is not None:
        update["open311_port"] = args.port
    return run_services(settings.model_copy(update=update), http_only=True)


def _run(args: argparse.Namespace) -> int:
    from bot.run import configured_services
    from bot.run import main as run_messengers

    settings = get_settings()
    if not configured_services(settings):
        print("Chưa cấu hình Telegram hay Zalo: mở chat trên console. "
              "(No messenger configured: starting the console chat.)", file=sys.stderr)
        return _chat(argparse.Namespace(as_staff=False, user=None, name=None))

    return run_messengers(settings)


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
    followup = sub.add_parser("followup", help="queue due reminders, apologies, survey reminders, digest (cron)")
    followup.set_defaults(func=_followup)
    stats = sub.add_parser("stats", help="statistics and satisfaction index of a month, quarter or year")
    stats.add_argument("period", nargs="?", default="month",
                       help="month, quarter, year (current), or 2026-11, 2026-Q4, 2026")
    stats.add_argument("--lang", choices=["vi", "en"])
    stats.set_defaults(func=_stats)
    rep = sub.add_parser("report", help="the report chart as a PNG file (without --png: this month's statistics)")
    rep.add_argument("--png", metavar="FILE", help="write the chart to FILE")
    rep.add_argument("--months", type=int, default=6, help="months shown (1-24, default 6)")
    rep.add_argument("--lang", choices=["vi", "en"])
    rep.set_defaults(func=_report)
    export = sub.add_parser("export", help="tickets as CSV or XLSX, one row each, without personal data")
    export.add_argument("--format", choices=["csv", "xlsx"], required=True)
    export.add_argument("--out", metavar="FILE", required=True)
    export.add_argument("--since", metavar="YYYY-MM-DD", help="tickets filed on or after this day")
    export.add_argument("--lang", choices=["vi", "en"])
    export.set_defaults(func=_export)
    serve = sub.add_parser("serve", help="the HTTP server alone: Open311 open data and the configured webhooks")
    serve.add_argument("--host", help="Open311 host (default OPEN311_HOST)")
    serve.add_argument("--port", type=int, help="Open311 port (default OPEN311_PORT)")
    serve.set_defaults(func=_serve)
    sub.add_parser("kb", help="knowledge base: search, import, export, validate, eval")
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
