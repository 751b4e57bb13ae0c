"""Bad input gets a clear, polite answer, and nothing is lost or half-written."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.settings import Settings
from handlers.dispatcher import Dispatcher
from knowledge import KnowledgeBase
from messaging.types import Incoming
from storage.db import make_engine
from storage.models import Conversation, OutboxMessage, Ticket, TicketEvent
from tests.chat_driver import Chat


def test_empty_message_is_answered_politely(citizen: Chat) -> None:
    citizen.say("")
    assert "Tin nhắn trống" in citizen.text


def test_hundred_thousand_character_message_is_refused_stating_the_limit(citizen: Chat) -> None:
    citizen.say("x" * 100_000)
    assert "100000" in citizen.text and "4096" in citizen.text


def test_unsupported_media_is_answered_politely(citizen: Chat) -> None:
    citizen.send(unsupported="sticker")
    assert "chưa xử lý được nhãn dán (sticker)" in citizen.text


def test_unsupported_media_is_named_in_the_citizens_words(citizen: Chat) -> None:
    citizen.send(unsupported="voice")
    assert "chưa xử lý được tin nhắn thoại" in citizen.text
    citizen.send(unsupported="dice")
    assert "chưa xử lý được loại tin nhắn này." in citizen.text


def test_unsupported_media_in_the_middle_of_a_flow_keeps_the_flow(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.send(unsupported="voice")
    citizen.say("Nước thải tràn ra đường")
    assert "Bước 4/6" in citizen.text


def test_unsupported_media_in_the_form_is_followed_by_the_step_with_its_buttons(citizen: Chat) -> None:
    citizen.start_and_consent()
    citizen.press("Gửi phản ánh")
    citizen.send(unsupported="sticker")
    assert "(sticker)" in citizen.last[0].text and "Bước 1/6" in citizen.text
    citizen.press("Hạ tầng")
    assert "Bước 2/6" in citizen.text


def test_unknown_command_points_to_help(citizen: Chat) -> None:
    citizen.say("/xyz")
    assert "/xyz" in citizen.text and "/help" in citizen.text


def test_malformed_button_data_gets_a_polite_answer(citizen: Chat) -> None:
    citizen.send(callback="\x00garbage::::")
    assert "không còn hiệu lực" in citizen.text


def test_stale_feedback_button_outside_the_flow_is_refused(citizen: Chat) -> None:
    citizen.send(callback="fb:send")
    assert "không còn hiệu lực" in citizen.text


def test_button_from_another_step_is_refused_and_the_step_asked_again(citizen: Chat) -> None:
    citizen.start_and_consent()
    citizen.press("Gửi phản ánh")
    citizen.send(callback="fb:ag:mot-cua")
    assert "không còn hiệu lực" in citizen.text and "Bước 1/6" in citizen.text


def test_unknown_category_in_button_data_is_refused(citizen: Chat) -> None:
    citizen.start_and_consent()
    citizen.press("Gửi phản ánh")
    citizen.send(callback="fb:cat:does-not-exist")
    assert "không còn hiệu lực" in citizen.text


def test_same_update_delivered_twice_is_handled_once(citizen: Chat, sqlite_engine) -> None:
    citizen.begin_feedback()
    citizen.say("Mô tả", update_id="dup-1")
    assert citizen.say("Mô tả", update_id="dup-1") == []


def test_database_down_answers_busy_and_the_bot_keeps_running(settings: Settings, core_kb: KnowledgeBase) -> None:
    dead = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    answers = Dispatcher(dead, settings, core_kb).handle(Incoming("console", "u1", "u1", text="/start"))
    assert [a.text for a in answers] == ["Hệ thống đang bận, vui lòng thử lại sau."]


def test_database_failure_midway_writes_nothing(citizen: Chat, sqlite_engine, monkeypatch) -> None:
    citizen.begin_feedback()
    citizen.say("Mô tả sự việc")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")

    import handlers.ticket_views as views

    def broken(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("connection lost"))

    monkeypatch.setattr(views, "staff_card", broken)  # fails after the ticket row was inserted
    citizen.press("Gửi phản ánh")
    assert citizen.text == "Hệ thống đang bận, vui lòng thử lại sau."
    with Session(sqlite_engine) as s:
        assert s.exec(select(Ticket)).first() is None
        assert s.exec(select(TicketEvent)).first() is None
        assert s.exec(select(OutboxMessage)).first() is None
        assert s.get(Conversation, ("console", "citizen-1")).state == "fb.confirm"

    monkeypatch.undo()
    citizen.send(callback="fb:send")  # nothing was lost: the same button works once the database is back
    assert "PA-" in citizen.text


def test_flooding_gets_one_warning_then_silence(sqlite_engine, core_kb: KnowledgeBase, tmp_path) -> None:
    settings = Settings(_env_file=None, flood_max_messages=3, flood_window_seconds=60)  # type: ignore[call-arg]
    chat = Chat(Dispatcher(sqlite_engine, settings, core_kb), "flooder")
    for _ in range(3):
        assert "gửi hơi nhanh" not in chat.say("/help")[0].text
    assert "gửi hơi nhanh" in chat.say("/help")[0].text
    assert chat.say("/help") == []


@pytest.mark.parametrize("text", ["/start@SomeBot", "/START"])
def test_command_variants_are_understood(citizen: Chat, text: str) -> None:
    citizen.say(text)
    assert "Xin chào" in citizen.text


def test_database_connections_cut_between_messages_are_replaced_without_troubling_the_citizen(
        pg_url: str, settings: Settings, core_kb: KnowledgeBase) -> None:
    engine = make_engine(pg_url, pool_size=2, connect_args={"application_name": "feedback-cut-test"})
    chat = Chat(Dispatcher(engine, settings, core_kb), "u-cut")
    chat.say("/start")
    with make_engine(pg_url).begin() as admin:  # as when PostgreSQL restarts or a proxy drops idle connections
        cut = admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE application_name = 'feedback-cut-test'")).all()
    assert cut
    chat.press("đồng ý")
    assert "Hệ thống đang bận" not in chat.text and chat.labels()
    engine.dispose()
