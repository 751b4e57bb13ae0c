"""Follow-ups in time: staff reminders before deadlines (working days, Tết, closures), the overdue apology and
escalation, a new date with /extend, the daily digest; each queued once."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.settings import Settings
from handlers.deadlines import due_at, end_of_day, set_office_closures
from handlers.dispatcher import Dispatcher
from jobs.followups import run_followups
from storage.clock import VN_TZ, to_local
from storage.models import Ticket
from tests.chat_driver import Chat
from tests.followup_helpers import queued, ticket
from tests.timetravel import Clock


@pytest.fixture
def engine(any_engine: Engine) -> Engine:
    """Each test on SQLite and on PostgreSQL."""
    return any_engine


@pytest.fixture
def dispatcher(engine: Engine, settings: Settings, core_kb) -> Dispatcher:
    """The real dispatcher on that database."""
    return Dispatcher(engine, settings, core_kb)



@pytest.fixture
def escalating(settings: Settings) -> Settings:
    """Settings with the office lead's chat configured."""
    return settings.model_copy(update={"lead_chat": "console:lead"})


def _filed(citizen: Chat) -> str:
    citizen.start_and_consent()
    return citizen.file_ticket()  # "Hạ tầng": 10 working days


def _due_on(engine, code: str, day: date) -> None:
    with Session(engine) as s:
        row = s.get(Ticket, ticket(engine, code).id)
        assert row is not None
        row.due_at = end_of_day(day)
        s.add(row)
        s.commit()


def _staff_texts(engine, kind: str | None = None) -> list[str]:
    return [m.text for m in queued(engine, "staff", kind)]


def test_a_deadline_counts_working_days_only(citizen: Chat, engine, clock: Clock) -> None:
    code = _filed(citizen)  # Monday 23/11/2026 + ten working days: two weekends and 24/11 (a holiday) skipped
    assert to_local(ticket(engine, code).due_at).date() == date(2026, 12, 8)


def test_a_deadline_skips_tet_and_office_closures() -> None:
    before_tet = datetime(2027, 2, 3, 9, 0, tzinfo=VN_TZ)
    assert to_local(due_at(before_tet, 1)).date() == date(2027, 2, 11)  # 4-10 February 2027 are Tết holidays
    set_office_closures([date(2027, 2, 11), date(2027, 2, 12)])
    try:
        assert to_local(due_at(before_tet, 1)).date() == date(2027, 2, 15)
    finally:
        set_office_closures(())


def test_staff_are_reminded_two_working_days_before_and_on_the_day(citizen: Chat, settings: Settings,
                                                                    engine, clock: Clock) -> None:
    code = _filed(citizen)  # due Tuesday 8/12
    clock.set_local("2026-12-03 20:00")
    assert run_followups(engine, settings).reminders == 0
    clock.set_local("2026-12-04 08:05")  # Friday: two working days before Tuesday, over the weekend
    assert run_followups(engine, settings).reminders == 1
    assert run_followups(engine, settings).reminders == 0
    clock.set_local("2026-12-07 09:00")
    assert run_followups(engine, settings).reminders == 0
    clock.set_local("2026-12-08 08:01")
    assert run_followups(engine, settings).reminders == 1
    first, today = _staff_texts(engine, "reminder")
    assert code in first and "08/12/2026" in first and "còn 2 ngày làm việc" in first
    assert "Hôm nay là hạn trả lời" in today and code in today


def test_the_reminder_before_tet_goes_out_before_the_holiday(citizen: Chat, settings: Settings, engine,
                                                              clock: Clock) -> None:
    code = _filed(citizen)
    _due_on(engine, code, date(2027, 2, 11))
    clock.set_local("2027-02-01 09:00")
    assert run_followups(engine, settings).reminders == 0
    clock.set_local("2027-02-02 08:30")  # two working days before 11/2: 3/2, then Tết, then the 11th
    assert run_followups(engine, settings).reminders == 1
    assert "còn 2 ngày làm việc" in _staff_texts(engine, "reminder")[0]


def test_reminder_days_are_configurable(citizen: Chat, settings: Settings, engine, clock: Clock) -> None:
    _filed(citizen)
    only_three = settings.model_copy(update={"reminder_working_days": [3]})
    clock.set_local("2026-12-03 08:30")  # three working days before Tuesday 8/12
    assert run_followups(engine, only_three).reminders == 1
    clock.set_local("2026-12-08 08:30")
    assert run_followups(engine, only_three).reminders == 0


def test_an_overdue_ticket_gets_one_apology_a_staff_notice_and_an_escalation(
        citizen: Chat, escalating: Settings, engine, clock: Clock) -> None:
    code = _filed(citizen)
    clock.set_local("2026-12-08 23:00")
    assert run_followups(engine, escalating).apologies == 0
    clock.set_local("2026-12-09 00:10")
    assert run_followups(engine, escalating).apologies == 1
    assert run_followups(engine, escalating).apologies == 0
    [apology] = queued(engine, citizen.chat_id, "apology")
    assert "thành thật xin lỗi" in apology.text and code in apology.text and "08/12/2026" in apology.text
    [notice] = _staff_texts(engine, "overdue")
    assert code in notice and f"/extend {code}" in notice
    [escalation] = [m.text for m in queued(engine, "lead", "escalation")]
    assert "lãnh đạo" in escalation and code in escalation


def test_a_closed_ticket_gets_no_follow_up(citizen: Chat, staff: Chat, escalating: Settings, engine,
                                           clock: Clock) -> None:
    code = _filed(citizen)
    staff.say(f"/close {code}")
    clock.set_local("2026-12-20 09:00")
    run = run_followups(engine, escalating)
    assert (run.reminders, run.apologies) == (0, 0)


def test_extend_sends_an_apology_with_the_new_date_and_the_reason(citizen: Chat, staff: Chat, settings: Settings,
                                                                  engine, clock: Clock) -> None:
    code = _filed(citizen)
    clock.set_local("2026-12-09 09:00")
    run_followups(engine, settings)
    staff.say(f"/extend {code} 15/12/2026 Chờ điện lực thay cáp")
    assert "hạn mới 15/12/2026" in staff.text
    assert to_local(ticket(engine, code).due_at).date() == date(2026, 12, 15)
    apology = queued(engine, citizen.chat_id, "apology")[-1]
    assert "15/12/2026" in apology.text and "Chờ điện lực thay cáp" in apology.text and "xin lỗi" in apology.text
    citizen.say("/mine")
    citizen.say(code)
    assert "Chờ điện lực thay cáp" in citizen.text  # in the history the citizen sees


def test_a_new_date_gets_its_own_reminders_and_apology(citizen: Chat, staff: Chat, settings: Settings,
                                                       engine, clock: Clock) -> None:
    code = _filed(citizen)
    clock.set_local("2026-12-09 09:00")
    assert run_followups(engine, settings).apologies == 1
    staff.say(f"/extend {code} 15/12/2026 Chờ vật tư")
    clock.set_local("2026-12-15 08:30")
    assert run_followups(engine, settings).reminders == 1
    clock.set_local("2026-12-16 08:30")
    assert run_followups(engine, settings).apologies == 1
    assert len(queued(engine, citizen.chat_id, "apology")) == 3  # overdue, the new date, overdue again


@pytest.mark.parametrize(("args", "answer"), [
    ("{code} 31/02/2027 lý do", "không hợp lệ"),
    ("{code} 01/12/2026 lý do", "phải sau hôm nay"),
    ("{code} 12/12/2026 lý do", "không phải ngày làm việc. Ngày làm việc gần nhất sau đó: 14/12/2026"),
    ("{code} 15/12/2026", "Cách dùng: /extend"),
    ("PA-2026-999999 15/12/2026 lý do", "PA-2026-999999"),
])
def test_extend_refuses_what_it_cannot_use(citizen: Chat, staff: Chat, engine, clock: Clock, args: str,
                                           answer: str) -> None:
    code = _filed(citizen)
    staff.say(f"/extend {args.format(code=code)}")
    assert answer in staff.text
    assert to_local(ticket(engine, code).due_at).date() == date(2026, 12, 8)


def test_extend_refuses_a_closed_ticket(citizen: Chat, staff: Chat, clock: Clock) -> None:
    code = _filed(citizen)
    staff.say(f"/close {code}")
    staff.say(f"/extend {code} 15/12/2026 lý do")
    assert "đã đóng" in staff.text


def test_the_daily_digest_goes_once_at_its_hour_on_working_days(citizen: Chat, other_citizen: Chat, staff: Chat,
                                                                 settings: Settings, engine,
                                                                 clock: Clock) -> None:
    late = _filed(citizen)
    other_citizen.start_and_consent()
    today = other_citizen.file_ticket()
    _due_on(engine, late, date(2026, 11, 20))
    _due_on(engine, today, date(2026, 11, 25))
    clock.set_local("2026-11-25 06:59")
    assert run_followups(engine, settings).digests == 0
    clock.set_local("2026-11-25 07:00")
    assert run_followups(engine, settings).digests == 1
    assert run_followups(engine, settings).digests == 0
    [digest] = _staff_texts(engine, "digest")
    assert "25/11/2026" in digest and "Đang xử lý: 2" in digest
    assert f"Đến hạn hôm nay: 1 ({today})" in digest and f"Quá hạn: 1 ({late})" in digest
    clock.set_local("2026-11-28 09:00")  # a Saturday
    assert run_followups(engine, settings).digests == 0


def test_the_digest_counts_surveys_not_answered(citizen: Chat, staff: Chat, settings: Settings, engine,
                                                clock: Clock) -> None:
    code = _filed(citizen)
    staff.say(f"/status {code} resolved Đã xử lý")
    clock.set_local("2026-11-25 07:30")
    run_followups(engine, settings)
    assert "Khảo sát chưa được trả lời (30 ngày qua): 1" in _staff_texts(engine, "digest")[0]


def test_no_digest_when_its_hour_is_unset(settings: Settings, engine, clock: Clock) -> None:
    clock.set_local("2026-11-24 10:00")
    assert run_followups(engine, settings.model_copy(update={"digest_hour": None})).digests == 0


def test_many_notices_at_once_reach_staff_as_one_list(dispatcher, escalating: Settings, engine,
                                                      clock: Clock) -> None:
    codes = []
    for i in range(8):
        chat = Chat(dispatcher, f"citizen-{i + 10}")
        chat.start_and_consent()
        codes.append(chat.file_ticket())
    clock.set_local("2026-12-09 09:00")
    assert run_followups(engine, escalating).apologies == 8
    [notice] = _staff_texts(engine, "overdue")
    assert notice.startswith("⚠️ 8 phản ánh quá hạn") and all(c in notice for c in codes)
    assert len(queued(engine, "lead", "escalation")) == 1
    assert sum(len(queued(engine, f"citizen-{i + 10}", "apology")) for i in range(8)) == 8


def test_reminders_and_overdue_notices_go_to_the_staff_chat_of_the_ticket_category(
        own_chat_for_attitude: str, citizen: Chat, settings: Settings, engine, clock: Clock) -> None:
    citizen.start_and_consent()
    attitude = citizen.file_ticket("Cán bộ quát mắng người dân.", category="Thái độ")
    street = citizen.file_ticket()
    for code in (attitude, street):
        _due_on(engine, code, date(2026, 12, 8))
    clock.set_local("2026-12-08 08:30")
    assert run_followups(engine, settings).reminders == 2
    assert [m.ticket_code for m in queued(engine, own_chat_for_attitude, "reminder")] == [attitude]
    assert [m.ticket_code for m in queued(engine, "staff", "reminder")] == [street]
    clock.set_local("2026-12-09 08:30")
    run_followups(engine, settings)
    assert [m.ticket_code for m in queued(engine, own_chat_for_attitude, "overdue")] == [attitude]
    assert [m.ticket_code for m in queued(engine, "staff", "overdue")] == [street]
