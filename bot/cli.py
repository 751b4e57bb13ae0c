"""The `feedback-bot` command: chat, run, db, kb."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.settings import get_settings


def _chat(args: argparse.Namespace) -> int:
    from bot.app import build_app
    from bot.console import ConsoleChat

    app = build_app(get_settings())
    ConsoleChat(app, as_staff=args.as_staff, user_id=args.user, user_name=args.name).loop()
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.telegram_bot_token:
        print("Chưa cấu hình TELEGRAM_BOT_TOKEN: mở chat trên console. "
              "(No messenger configured: starting the console chat.)", file=sys.stderr)
        return _chat(argparse.Namespace(as_staff=False, user=None, name=None))
    from bot.run import main as run_messengers

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
    sub.add_parser("kb", help="knowledge base: search, import, export, validate, eval")
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
