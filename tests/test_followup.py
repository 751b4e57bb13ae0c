"""Follow-up: the satisfaction survey, deadline reminders, apologies for overdue tickets, the report."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.settings import Settings
from handlers.followup import run_followups
from storage.clock import utcnow
from storage.models import OutboxMessage, SurveyAnswer, Ticket, TicketEvent
from tests.chat_driver import Chat


def _outbox(engine, chat_id: str) -> list[OutboxMessage]:
    with Session(engine) as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)))


def _resolved(citizen: Chat, staff: Chat) -> str:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/status {code} resolved Đã thay bóng đèn")
    return code


def _survey_buttons(engine, citizen: Chat) -> None:
    """Show the citizen the survey that was queued for them, as the messenger would."""
    citizen.last = [m for m in (_payload(o) for o in _outbox(engine, citizen.chat_id)) if m.kind == "survey"]


def _payload(row: OutboxMessage):
    from messaging.types import Outgoing

    return Outgoing.from_dict(row.payload)


def _due_in(engine, code: str, delta: timedelta) -> None:
    with Session(engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.code == code)).one()
        ticket.due_at = utcnow() + delta
        s.add(ticket)
        s.commit()


def test_resolving_a_ticket_sends_the_survey_once(citizen: Chat, staff: Chat, sqlite_engine) -> None:
    code = _resolved(citizen, staff)
    staff.say(f"/close {code}")
    surveys = [o for o in _outbox(sqlite_engine, "citizen-1") if o.payload["kind"] == "survey"]
    assert len(surveys) == 1 and code in surveys[0].payload["text"]


def test_rejected_then_closed_ticket_gets_no_survey(citizen: Chat, staff: Chat, sqlite_engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/status {code} rejected Không thuộc thẩm quyền")
    staff.say(f"/close {code}")
    assert not [o for o in _outbox(sqlite_engine, "citizen-1") if o.payload["kind"] == "survey"]


def test_citizen_rating_is_stored_once(citizen: Chat, staff: Chat, sqlite_engine) -> None:
    _resolved(citizen, staff)
    _survey_buttons(sqlite_engine, citizen)
    survey = citizen.last
    citizen.press("Rất hài lòng")
    assert "Cảm ơn bạn đã đánh giá" in citizen.text
    citizen.last = survey
    citizen.press("Chưa hài lòng")
    assert "đã đánh giá phản ánh này rồi" in citizen.text
    with Session(sqlite_engine) as s:
        assert [a.score for a in s.exec(select(SurveyAnswer))] == [3]


def test_another_citizen_cannot_rate_someone_elses_ticket(citizen: Chat, other_citizen: Chat, staff: Chat,
                                                          sqlite_engine) -> None:
    code = _resolved(citizen, staff)
    other_citizen.send(callback=f"sv:{code}:1")
    assert "không còn hiệu lực" in other_citizen.text
    with Session(sqlite_engine) as s:
        assert s.exec(select(SurveyAnswer)).first() is None


def test_unsatisfied_citizen_comment_reaches_the_staff_chat(citizen: Chat, staff: Chat, sqlite_engine) -> None:
    code = _resolved(citizen, staff)
    _survey_buttons(sqlite_engine, citizen)
    citizen.press("Chưa hài lòng")
    citizen.say("Đèn đã thay nhưng hai hôm sau lại hỏng.")
    assert "chuyển tới lãnh đạo" in citizen.text
    assert any("lại hỏng" in o.payload["text"] and code in o.payload["text"] for o in _outbox(sqlite_engine, "staff"))
    with Session(sqlite_engine) as s:
        assert s.exec(select(SurveyAnswer)).one().comment == "Đèn đã thay nhưng hai hôm sau lại hỏng."


def test_reminder_goes_to_staff_once_before_the_deadline(citizen: Chat, settings: Settings, sqlite_engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    _due_in(sqlite_engine, code, timedelta(hours=12))
    assert run_followups(sqlite_engine, settings).reminders == 1
    assert run_followups(sqlite_engine, settings).reminders == 0
    assert sum("Sắp đến hạn" in o.payload["text"] for o in _outbox(sqlite_engine, "staff")) == 1


def test_no_reminder_while_the_deadline_is_far(citizen: Chat, settings: Settings, sqlite_engine) -> None:
    citizen.start_and_consent()
    citizen.file_ticket()
    assert run_followups(sqlite_engine, settings) == run_followups(sqlite_engine, settings)
    assert run_followups(sqlite_engine, settings).reminders == 0


def test_overdue_ticket_gets_one_apology_to_the_citizen_and_a_notice_to_staff(
        citizen: Chat, settings: Settings, sqlite_engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    _due_in(sqlite_engine, code, -timedelta(hours=1))
    assert run_followups(sqlite_engine, settings).apologies == 1
    assert run_followups(sqlite_engine, settings).apologies == 0
    apologies = [o for o in _outbox(sqlite_engine, "citizen-1") if "xin lỗi" in o.payload["text"]]
    assert len(apologies) == 1 and code in apologies[0].payload["text"]
    assert any("Quá hạn" in o.payload["text"] for o in _outbox(sqlite_engine, "staff"))
    with Session(sqlite_engine) as s:
        assert "overdue" in [e.kind for e in s.exec(select(TicketEvent))]


def test_closed_tickets_get_no_follow_up(citizen: Chat, staff: Chat, settings: Settings, sqlite_engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/close {code}")
    _due_in(sqlite_engine, code, -timedelta(hours=1))
    assert run_followups(sqlite_engine, settings).apologies == 0


def test_report_shows_the_satisfaction_index_against_the_target(citizen: Chat, other_citizen: Chat, staff: Chat,
                                                                sqlite_engine) -> None:
    staff.say("/report")
    assert "chưa có đánh giá" in staff.text
    _resolved(citizen, staff)
    _survey_buttons(sqlite_engine, citizen)
    citizen.press("Rất hài lòng")
    _resolved(other_citizen, staff)
    _survey_buttons(sqlite_engine, other_citizen)
    other_citizen.press("Chưa hài lòng")
    staff.say("/report 7")
    assert "Tỷ lệ hài lòng: 50.0% (mục tiêu: 90%)" in staff.text
    assert "Đã giải quyết, đóng: 2 (đúng hạn: 2)" in staff.text
    assert "Phản ánh tiếp nhận: 2" in staff.text and "Rất hài lòng 1 · Hài lòng 0 · Chưa hài lòng 1" in staff.text


def test_report_rejects_a_bad_period(staff: Chat) -> None:
    staff.say("/report abc")
    assert "Cách dùng: /report" in staff.text
