"""Conversation state lives in the database: a restart (or another worker) continues the conversation."""

from __future__ import annotations

from bot.settings import Settings
from handlers.dispatcher import Dispatcher
from knowledge import KnowledgeBase
from storage.db import make_engine
from tests.chat_driver import Chat


def test_restart_mid_conversation_continues_where_the_citizen_was(
        settings: Settings, sqlite_engine, core_kb: KnowledgeBase) -> None:
    before = Chat(Dispatcher(sqlite_engine, settings, core_kb), "citizen-1")
    before.start_and_consent()
    before.press("Gửi phản ánh")
    before.press("Hạ tầng")
    before.press("Một cửa")
    sqlite_engine.dispose()

    engine = make_engine(settings.effective_database_url)  # a new process: new engine, new dispatcher
    after = Chat(Dispatcher(engine, settings, core_kb), "citizen-1")
    after.say("Cây đổ chắn ngang ngõ 3 sau bão.")
    assert "Bước 4/6" in after.text
    after.press("Bỏ qua")
    after.press("Bỏ qua")
    after.press("Bỏ qua")
    assert "Cây đổ chắn ngang ngõ 3" in after.text
    after.press("Gửi phản ánh")
    assert "PA-" in after.text


def test_buttons_from_before_a_restart_still_work(settings: Settings, sqlite_engine, core_kb: KnowledgeBase) -> None:
    before = Chat(Dispatcher(sqlite_engine, settings, core_kb), "citizen-1")
    before.start_and_consent()
    before.press("Gửi phản ánh")
    old_buttons = before.last
    after = Chat(Dispatcher(make_engine(settings.effective_database_url), settings, core_kb), "citizen-1")
    after.last = old_buttons
    after.press("Thái độ")
    assert "Bước 2/6" in after.text
