"""Real Telegram updates (nutgram fixtures in ../shared/external/telegram-updates) through both libraries."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.types import Update as AiogramUpdate
from telegram import Bot as PtbBot
from telegram import Update as PtbUpdate

from bot.telegram.convert import to_incoming
from tests.fake_telegram.harness import BotHarness, database_url, sqlite_app, telegram_settings
from tests.fake_telegram.limits import FloodLimits
from tests.fake_telegram.server import FakeTelegram

UPDATES_DIR = Path(__file__).resolve().parents[2] / "shared" / "external" / "telegram-updates"
FILES = sorted(UPDATES_DIR.glob("*.json")) if UPDATES_DIR.is_dir() else []
needs_shared = pytest.mark.skipif(not FILES, reason=f"{UPDATES_DIR} is absent (shared test data)")

# Update kinds the bot answers in the chat they came from; everything else is ignored.
ANSWERED = {"animation", "audio", "command", "command_with_parameters", "contact", "dice", "document",
            "entities", "location", "message", "message_forward_origin", "sticker", "text", "video",
            "callback_query_inaccessible_message"}


def load(path: Path) -> dict[str, Any]:
    """One fixture update."""
    return json.loads(path.read_text(encoding="utf-8"))


AIOGRAM_BOT = Bot("1:A")
PTB_BOT = PtbBot("1:A")


def parse_both(raw: dict[str, Any]) -> tuple[Any, Any]:
    """The update as aiogram and as python-telegram-bot parse it."""
    a = AiogramUpdate.model_validate(raw, context={"bot": AIOGRAM_BOT})
    p = PtbUpdate.de_json(raw, PTB_BOT)
    return a, p


# Kept at an older Bot API on purpose (see the shared README): neither library parses it any more.
UNPARSEABLE = {"poll"}


@needs_shared
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fixture_update_converts_the_same_with_both_libraries(path: Path) -> None:
    if path.stem in UNPARSEABLE:
        with pytest.raises((ValueError, TypeError)):
            parse_both(load(path))
        return
    a, p = parse_both(load(path))
    assert to_incoming(a) == to_incoming(p)


@needs_shared
def test_fixture_updates_convert_to_what_the_dispatcher_expects() -> None:
    converted = {p.stem: to_incoming(parse_both(load(p))[0]) for p in FILES if p.stem not in UNPARSEABLE}
    assert converted["sticker"] is not None and converted["sticker"].unsupported == "sticker"
    assert converted["channel_post"] is None
    assert converted["message_reaction"] is None and converted["inline_query"] is None
    assert converted["new_chat_members"] is None and converted["forum_topic_closed"] is None
    topic = converted["message_topic"]
    assert topic is not None and topic.is_group and topic.thread_id == "33" and topic.reply_to is None
    reply = converted["message_different_topic_reply"]
    assert reply is not None and reply.thread_id == "33" and reply.reply_to == "70"
    general = converted["message_general_topic"]
    assert general is not None and general.thread_id is None
    contact = converted["contact"]
    assert contact is not None and contact.contact_phone == "911"
    document = converted["document"]
    assert document is not None and document.attachments[0].file_id == "a1b2c34d5e6f7g8h9i"
    location = converted["location"]
    assert location is not None and location.location is not None
    button = converted["callback_query_inaccessible_message"]
    assert button is not None and button.callback == "thedata" and button.update_id == "2"


@needs_shared
@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_every_fixture_update_through_the_webhook_gets_no_5xx_and_polite_handling(
        tmp_path: Any, core_kb: Any, framework: str) -> None:
    async with FakeTelegram(limits=FloodLimits(enabled=False), strict_chats=False) as tg:
        app = sqlite_app(telegram_settings(tg, database_url(tmp_path), framework, webhook=True,
                                           staff_chat_id=None), core_kb)
        async with BotHarness(tg, app) as bot:
            for n, path in enumerate(FILES):
                raw = load(path)
                raw["update_id"] = 10_000 + n  # several fixtures share an id; Telegram's never repeat
                before = len(tg.sent)
                status = await bot.post_webhook(raw)
                assert status == 200, path.name
                if path.stem in ANSWERED:  # several fixtures share a chat: its answers are paced 1 a second
                    await tg.wait_for(lambda before=before: len(tg.sent) > before, 5, what=path.name)
                else:
                    await asyncio.sleep(0.2)
                    assert len(tg.sent) == before, path.name
            assert all(c.status < 500 for c in tg.calls)
            assert bot.runtime is not None and bot.runtime.skipped == len(UNPARSEABLE)
