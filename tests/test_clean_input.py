"""Text is cleaned once at the door: control characters, odd Unicode and invisible-only text never get in."""

from __future__ import annotations

import unicodedata

from sqlmodel import Session, select

from handlers.dispatcher import Dispatcher
from messaging.clean import MAX_MARKS, clean_incoming, clean_text
from messaging.types import Incoming
from storage.models import Citizen, Ticket
from tests.chat_driver import Chat


def test_nul_and_control_characters_are_removed_tabs_and_newlines_kept() -> None:
    assert clean_text("Cống\x00 tắc\x07\tngõ 5\r\nđã lâu\x1b") == "Cống tắc\tngõ 5\nđã lâu"


def test_text_is_normalized_so_decomposed_vietnamese_matches() -> None:
    decomposed = unicodedata.normalize("NFD", "Đăng ký khai sinh ở đâu")
    assert decomposed != "Đăng ký khai sinh ở đâu"
    assert clean_text(decomposed) == "Đăng ký khai sinh ở đâu"


def test_runs_of_combining_marks_are_capped() -> None:
    zalgo = "a" + "\u0301\u0300\u0323" * 1333  # 3,999 marks on one letter
    cleaned = clean_text(zalgo)
    assert cleaned is not None and len(cleaned) == 1 + MAX_MARKS
    assert clean_text("\u0301" * 3999) == ""  # marks on nothing: nothing visible


def test_invisible_only_text_becomes_empty() -> None:
    for invisible in ("\u200b\u200b", "\u3164", " \ufeff ", "\u2800\u200d", "\u202e\u202c"):
        assert clean_text(invisible) == "", repr(invisible)
    assert clean_text("👍\u200d") == "👍\u200d"  # a joiner inside visible text stays


def test_names_and_file_names_are_cleaned_too() -> None:
    msg = clean_incoming(Incoming("telegram", "1", "1", text="hi", user_name="Lan\x00\u200b", username="\u3164"))
    assert (msg.user_name, msg.username) == ("Lan", None)


def test_a_nul_in_a_description_does_not_stop_the_ticket(any_engine, settings, core_kb) -> None:
    citizen = Chat(Dispatcher(any_engine, settings, core_kb), "nul-1")
    citizen.begin_feedback()
    citizen.say("Nước\x00 tràn ra đường")  # on PostgreSQL a NUL made every retry of this update fail
    assert "Hệ thống đang bận" not in citizen.text and "Bước 4/6" in citizen.text


def test_a_nul_in_a_display_name_does_not_make_the_citizen_busy(any_engine, settings, core_kb) -> None:
    citizen = Chat(Dispatcher(any_engine, settings, core_kb), "nul-2", user_name="Lan\x00")
    citizen.say("/start")
    citizen.say("/help")
    assert "Hệ thống đang bận" not in citizen.text
    with Session(any_engine) as s:
        assert s.exec(select(Citizen).where(Citizen.user_id == "nul-2")).one().display_name == "Lan"


def test_a_display_name_longer_than_the_database_keeps_does_not_make_the_citizen_busy(any_engine, settings,
                                                                                     core_kb) -> None:
    citizen = Chat(Dispatcher(any_engine, settings, core_kb), "long-name", user_name="Nguyễn " * 100)
    citizen.say("/start")  # on PostgreSQL a 700-character name made every update of this citizen fail
    assert "Hệ thống đang bận" not in citizen.text and "Tôi đồng ý" in citizen.labels()[0]
    with Session(any_engine) as s:
        assert len(s.exec(select(Citizen).where(Citizen.user_id == "long-name")).one().display_name or "") <= 255


def test_a_description_of_zero_width_characters_is_refused_as_empty(citizen: Chat, sqlite_engine) -> None:
    citizen.begin_feedback()
    citizen.say("\u200b\u200b\u200b\u3164")
    assert "Tin nhắn trống" in citizen.text
    with Session(sqlite_engine) as s:
        assert s.exec(select(Ticket)).first() is None


def test_a_flood_of_combining_marks_reaches_the_guide_capped(dispatcher: Dispatcher) -> None:
    seen: list[str] = []
    original = dispatcher.matcher.search

    def spy(text: str, *args, **kwargs):  # noqa: ANN002, ANN003
        seen.append(text)
        return original(text, *args, **kwargs)

    dispatcher.matcher.search = spy  # type: ignore[method-assign]
    Chat(dispatcher, "zalgo").say("khai sinh" + "\u0301" * 3990)
    assert seen and all(len(text) < 40 for text in seen)
