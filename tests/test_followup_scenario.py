"""One office month on SQLite and on PostgreSQL: filed, overdue, a new date, resolved, rated, reopened from the
survey, resolved again and rated again; the statistics count it all once."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.settings import Settings
from handlers.dispatcher import Dispatcher
from jobs.followups import run_followups
from tests.chat_driver import Chat
from tests.followup_helpers import queued, show_latest, ticket
from tests.timetravel import Clock


def test_a_ticket_from_filing_to_its_second_rating(any_engine: Engine, settings: Settings, core_kb,
                                                   clock: Clock) -> None:
    settings = settings.model_copy(update={"lead_chat": "console:lead"})
    dispatcher = Dispatcher(any_engine, settings, core_kb)
    citizen = Chat(dispatcher, "citizen-1", user_name="Lan")
    staff = Chat(dispatcher, "admin", chat_id="staff", is_group=True)
    citizen.start_and_consent()
    code = citizen.file_ticket()
    clock.set_local("2026-12-04 08:30")
    assert run_followups(any_engine, settings).reminders == 1
    clock.set_local("2026-12-09 09:00")
    assert run_followups(any_engine, settings).apologies == 1
    assert run_followups(any_engine, settings).apologies == 0
    staff.say(f"/extend {code} 15/12/2026 Chờ điện lực")
    assert "hạn mới 15/12/2026" in staff.text
    clock.set_local("2026-12-11 10:00")
    staff.say(f"/status {code} resolved Đã thay cáp")
    assert "Đã giải quyết" in staff.text, staff.text
    show_latest(any_engine, citizen)
    citizen.press("Chưa")
    citizen.press("Rất không hài lòng")
    citizen.press("Đề nghị xem xét lại")
    assert ticket(any_engine, code).status == "processing"
    staff.say(f"/status {code} resolved Đã thay cả cột đèn")
    show_latest(any_engine, citizen)
    citizen.press("Rồi")
    citizen.press("Rất hài lòng")
    citizen.press("Bỏ qua")
    assert len(queued(any_engine, citizen.chat_id, "survey")) == 2
    assert len(queued(any_engine, "lead", "escalation")) == 1
    clock.set_local("2026-12-31 10:00")
    staff.say("/stats 2026-12")
    assert "Đã giải quyết: 1 · Không thụ lý: 0 · Đang quá hạn: 0" in staff.text
    assert "Đúng hạn: 0/1 (0.0%)" in staff.text  # resolved after its first deadline, though within the new date
    assert "Chỉ số hài lòng: 100.0% (1/1 lượt đánh giá)" in staff.text  # the latest answer counts
