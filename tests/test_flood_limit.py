"""The flood limit counts what floods (issue 10, problem 5): typed messages and uploads, not button presses
or the photos of one album; past it the citizen is told once how long to wait, and later that the messages
sent meanwhile were not handled.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

import handlers.flood as flood_module
from bot.settings import Settings
from handlers.dispatcher import Dispatcher
from handlers.flood import FloodGuard
from knowledge import KnowledgeBase
from messaging.types import Attachment, AttachmentKind
from storage.models import TicketAttachment
from tests.chat_driver import Chat


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def flood_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(flood_module.time, "monotonic", fake)
    return fake


@pytest.fixture
def strict(engine, settings: Settings, core_kb: KnowledgeBase) -> Chat:
    limited = settings.model_copy(update={"flood_max_messages": 5, "flood_window_seconds": 60})
    return Chat(Dispatcher(engine, limited, core_kb), "citizen-1")


def _album(chat: Chat, count: int, group: str) -> None:
    for i in range(count):
        answers = chat.send(attachments=(Attachment(AttachmentKind.PHOTO, f"{group}-{i}"),), media_group_id=group)
        assert "gửi hơi nhanh" not in "\n".join(a.text for a in answers)


def test_filing_with_an_album_of_photos_never_hits_the_limit(strict: Chat, flood_clock: Clock, engine) -> None:
    strict.start_and_consent()  # one typed message, one press
    strict.press("Gửi phản ánh")
    strict.press("Hạ tầng")
    strict.press("Một cửa")
    strict.say("Cống thoát nước ngõ 7 bị vỡ, nước tràn ra đường.")
    _album(strict, 8, "album-1")
    strict.press("Xong")
    strict.press("Bỏ qua")
    strict.press("Bỏ qua")
    strict.press("Gửi phản ánh")
    assert "PA-" in strict.text
    with Session(engine) as s:
        assert len(list(s.exec(select(TicketAttachment)))) == 8


def test_button_presses_are_not_counted(strict: Chat, flood_clock: Clock) -> None:
    strict.say("/start")
    for _ in range(30):
        strict.send(callback="m:menu")
        assert "Bạn cần giúp gì" in strict.text


def test_past_the_limit_the_citizen_is_told_once_how_long_to_wait(strict: Chat, flood_clock: Clock) -> None:
    for _ in range(5):
        strict.say("/help")
        flood_clock.now += 1
    assert "chờ khoảng 55 giây" in strict.say("/help")[0].text
    assert strict.say("/help") == []
    assert strict.say("/help") == []


def test_after_the_wait_the_citizen_learns_which_messages_were_not_handled(strict: Chat, flood_clock: Clock) -> None:
    for _ in range(8):
        strict.say("/help")
    flood_clock.now += 61
    answers = strict.say("/menu")
    assert answers[0].text.startswith("(3 tin nhắn bạn gửi lúc nãy chưa được xử lý")
    assert "Bạn cần giúp gì" in answers[0].text
    assert not strict.say("/menu")[0].text.startswith("(")


def test_buttons_still_work_while_typing_is_held_back(strict: Chat, flood_clock: Clock) -> None:
    for _ in range(6):
        strict.say("/start")
    strict.send(callback="m:menu")
    assert "chưa được xử lý" in strict.text and "Bạn cần giúp gì" in strict.text


def test_separate_albums_count_once_each() -> None:
    guard = FloodGuard(max_messages=2, window_seconds=60)
    key = ("telegram", "1")
    assert all(guard.check(key, album="a", now=0).allowed for _ in range(10))
    assert guard.check(key, album="b", now=1).allowed
    assert not guard.check(key, album="c", now=2).allowed
