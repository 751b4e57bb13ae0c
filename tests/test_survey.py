"""The satisfaction survey: after each resolution, "was it solved?", SIPAS's five levels, a comment, a reopen."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.settings import Settings
from handlers.dispatcher import Dispatcher
from jobs.followups import run_followups
from reports.facts import load_facts
from storage.models import Survey, TicketEvent
from tests.chat_driver import Chat
from tests.followup_helpers import queued, resolved_ticket, show_latest, ticket
from tests.timetravel import Clock


@pytest.fixture
def engine(any_engine: Engine) -> Engine:
    """Each test on SQLite and on PostgreSQL."""
    return any_engine


@pytest.fixture
def dispatcher(engine: Engine, settings: Settings, core_kb) -> Dispatcher:
    """The real dispatcher on that database."""
    return Dispatcher(engine, settings, core_kb)



def _surveys(engine) -> list[Survey]:
    with Session(engine) as s:
        return list(s.exec(select(Survey).order_by(col(Survey.id))))


def test_resolving_a_ticket_asks_its_citizen_whether_the_problem_was_solved(citizen: Chat, staff: Chat,
                                                                              engine) -> None:
    code = resolved_ticket(citizen, staff)
    survey = show_latest(engine, citizen)
    assert code in survey.text and "đã được giải quyết chưa" in survey.text
    assert citizen.labels() == ["✅ Rồi", "🟡 Mới một phần", "❌ Chưa"]


def test_a_solved_problem_is_rated_on_five_levels_then_a_comment_reaches_staff(citizen: Chat, staff: Chat,
                                                                                 engine) -> None:
    code = resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.press("Rồi")
    assert citizen.labels() == ["😊 Rất hài lòng", "🙂 Hài lòng", "😐 Bình thường", "🙁 Không hài lòng",
                                "😠 Rất không hài lòng", "↩️ Sửa câu trả lời trước"]
    citizen.press("Rất hài lòng")
    assert "góp ý thêm" in citizen.text and citizen.labels() == ["Bỏ qua"]
    citizen.say("Cán bộ làm nhanh, cảm ơn.")
    assert "Cảm ơn bạn" in citizen.text
    [answer] = _surveys(engine)
    assert (answer.resolved, answer.score, answer.comment) == ("yes", 5, "Cán bộ làm nhanh, cảm ơn.")
    assert any("Cán bộ làm nhanh" in m.text and code in m.text for m in queued(engine, "staff"))


def test_skipping_the_comment_keeps_the_rating(citizen: Chat, staff: Chat, engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.press("Một phần")
    citizen.press("Bình thường")
    citizen.press("Bỏ qua")
    assert "Cảm ơn bạn đã đánh giá" in citizen.text
    [answer] = _surveys(engine)
    assert (answer.resolved, answer.score, answer.comment) == ("partly", 3, None)


def test_a_problem_not_solved_can_be_reopened_by_the_citizen(citizen: Chat, staff: Chat, engine) -> None:
    code = resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.press("Chưa")
    citizen.press("Không hài lòng")
    assert "đề nghị cơ quan xem xét lại" in citizen.text
    citizen.press("Đề nghị xem xét lại")
    assert f"Đã mở lại phản ánh {code}" in citizen.text
    citizen.say("Đèn lại tắt từ tối qua.")
    assert ticket(engine, code).status == "processing"
    staff_texts = [m.text for m in queued(engine, "staff")]
    assert any("chưa hài lòng" in t and "Không hài lòng (chưa giải quyết)" in t for t in staff_texts)
    assert any("đề nghị xem xét lại" in t for t in staff_texts)
    assert any("Đèn lại tắt" in t for t in staff_texts)
    with Session(engine) as s:
        reopened = s.exec(select(TicketEvent).where(TicketEvent.kind == "reopened")).one()
    assert (reopened.actor_kind, reopened.status_to) == ("citizen", "processing")


def test_answers_typed_instead_of_pressed_are_recorded(citizen: Chat, staff: Chat, engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.say("roi a")
    assert "Rất hài lòng" in " ".join(citizen.labels())
    citizen.say("Hài lòng")
    assert "góp ý thêm" in citizen.text
    assert [(a.resolved, a.score) for a in _surveys(engine)] == [("yes", 4)]


def test_a_typed_mot_phan_answers_partly_solved(citizen: Chat, staff: Chat, engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.say("một phần thôi")
    citizen.say("Bình thường")
    assert [(a.resolved, a.score) for a in _surveys(engine)] == [("partly", 3)]


def test_a_level_typed_while_asked_whether_it_was_solved_is_recorded(citizen: Chat, staff: Chat, engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.say("rat hai long")
    assert [(a.resolved, a.score) for a in _surveys(engine)] == [(None, 5)]


def test_everyday_answers_to_was_it_solved_are_recorded(citizen: Chat, staff: Chat, engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.say("vẫn còn rác ở đầu ngõ, chưa ai đến dọn")
    assert [a.resolved for a in _surveys(engine)] == ["no"]


def test_hai_long_without_a_survey_waiting_is_not_a_survey_answer(citizen: Chat, staff: Chat, engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.say("hai long")
    citizen.say("hai long")  # answered already: a question for the guide again, not "rated twice"
    assert "đã đánh giá" not in citizen.text
    assert [(a.resolved, a.score) for a in _surveys(engine)] == [(None, 4)]


def test_a_survey_not_answered_can_be_answered_from_the_tickets_detail(citizen: Chat, staff: Chat, engine) -> None:
    code = resolved_ticket(citizen, staff)
    citizen.say(code)  # the survey message was missed: the ticket's detail offers to rate
    citizen.press("Đánh giá mức hài lòng")
    assert "đã được giải quyết chưa" in citizen.text
    citizen.press("Rồi")
    citizen.press("🙂 Hài lòng")
    citizen.say(code)
    assert "Đánh giá mức hài lòng" not in " ".join(citizen.labels())
    assert [(a.resolved, a.score) for a in _surveys(engine)] == [("yes", 4)]


def test_another_citizen_cannot_answer_someone_elses_survey(citizen: Chat, other_citizen: Chat, staff: Chat,
                                                            engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    other_citizen.start_and_consent()
    other_citizen.last = citizen.last
    other_citizen.press("Rồi")
    assert "không còn hiệu lực" in other_citizen.text
    assert _surveys(engine)[0].resolved is None


def test_a_resolution_is_rated_once(citizen: Chat, staff: Chat, engine) -> None:
    resolved_ticket(citizen, staff)
    survey = show_latest(engine, citizen)
    citizen.press("Rồi")
    scores = citizen.last
    citizen.press("🙂 Hài lòng")
    citizen.last = scores
    citizen.press("Rất không hài lòng")
    assert "đã đánh giá lần giải quyết này rồi" in citizen.text
    citizen.last = [survey]
    citizen.press("Chưa")
    assert "đã đánh giá" in citizen.text
    assert [(a.resolved, a.score) for a in _surveys(engine)] == [("yes", 4)]


def test_resolved_then_closed_is_one_resolution_and_one_survey(citizen: Chat, staff: Chat, engine) -> None:
    code = resolved_ticket(citizen, staff)
    staff.say(f"/close {code}")
    assert len(queued(engine, citizen.chat_id, "survey")) == 1


def test_a_rejected_ticket_gets_no_survey_even_when_closed(citizen: Chat, staff: Chat, engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/status {code} rejected Không thuộc thẩm quyền")
    staff.say(f"/close {code}")
    assert queued(engine, citizen.chat_id, "survey") == []


def test_a_ticket_reopened_and_resolved_again_is_asked_again_and_its_latest_answer_counts(
        citizen: Chat, staff: Chat, engine) -> None:
    code = resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    first = citizen.last
    citizen.press("Chưa")
    citizen.press("Rất không hài lòng")
    citizen.press("Bỏ qua")
    staff.say(f"/reopen {code}")
    staff.say(f"/status {code} resolved Đã sửa lại đường dây")
    assert len(queued(engine, citizen.chat_id, "survey")) == 2
    citizen.last = first
    citizen.press("Rồi")
    assert "không còn hiệu lực" in citizen.text  # the first resolution's buttons are stale now
    show_latest(engine, citizen)
    citizen.press("Rồi")
    citizen.press("Rất hài lòng")
    assert [(a.round, a.score) for a in _surveys(engine)] == [(1, 1), (2, 5)]
    with Session(engine) as s:
        [facts] = load_facts(s)
    assert facts.answer is not None and facts.answer.score == 5


def test_an_unanswered_survey_is_asked_again_once_after_three_days(citizen: Chat, staff: Chat, settings: Settings,
                                                                   engine, clock: Clock) -> None:
    resolved_ticket(citizen, staff)
    clock.advance(days=2, hours=23)
    assert run_followups(engine, settings).survey_reminders == 0
    clock.advance(hours=2)
    assert run_followups(engine, settings).survey_reminders == 1
    reminder = show_latest(engine, citizen)
    assert reminder.text.startswith("🔔 Nhắc lại") and "✅ Rồi" in citizen.labels()
    clock.advance(days=10)
    assert run_followups(engine, settings).survey_reminders == 0
    assert len(queued(engine, citizen.chat_id, "survey")) == 2


def test_the_reminder_asks_the_question_still_unanswered(citizen: Chat, staff: Chat, settings: Settings,
                                                         engine, clock: Clock) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.press("Một phần")
    clock.advance(days=4)
    run_followups(engine, settings)
    show_latest(engine, citizen)
    assert "hài lòng thế nào" in citizen.text and "😊 Rất hài lòng" in citizen.labels()


def test_an_answered_survey_is_not_reminded(citizen: Chat, staff: Chat, settings: Settings, engine,
                                            clock: Clock) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.press("Rồi")
    citizen.press("🙂 Hài lòng")
    clock.advance(days=5)
    assert run_followups(engine, settings).survey_reminders == 0


def test_a_reopened_ticket_gets_no_survey_reminder(citizen: Chat, staff: Chat, settings: Settings, engine,
                                                   clock: Clock) -> None:
    code = resolved_ticket(citizen, staff)
    staff.say(f"/reopen {code}")
    clock.advance(days=5)
    assert run_followups(engine, settings).survey_reminders == 0


def test_a_button_of_the_old_three_level_survey_still_records_on_five_levels(citizen: Chat, staff: Chat,
                                                                             engine) -> None:
    code = resolved_ticket(citizen, staff)
    citizen.send(callback=f"sv:{code}:2")  # "Hài lòng" of the old survey
    assert "góp ý thêm" in citizen.text
    assert [a.score for a in _surveys(engine)] == [4]


def test_a_mis_tapped_answer_to_was_it_solved_can_be_changed_before_the_level(citizen: Chat, staff: Chat,
                                                                              engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.press("Rồi")
    citizen.press("Sửa câu trả lời trước")
    assert "đã được giải quyết chưa" in citizen.text
    citizen.press("Chưa")
    citizen.press("Không hài lòng")
    assert [(a.resolved, a.score) for a in _surveys(engine)] == [("no", 2)]


def test_a_typed_chua_after_a_mis_tapped_roi_corrects_it(citizen: Chat, staff: Chat, engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.press("Rồi")
    citizen.say("chua")
    assert "Đã sửa câu trả lời: chưa giải quyết" in citizen.text and "hài lòng thế nào" in citizen.text
    assert [(a.resolved, a.score) for a in _surveys(engine)] == [("no", None)]


@pytest.mark.parametrize(("typed", "level"), [("tot", 4), ("5 sao", 5), ("cung duoc", 3), ("khong hai long lam", 2),
                                              ("qua te", 1), ("không ạ", 2),
                                              ("ko hai long lam", 2)])
def test_everyday_ratings_typed_at_the_level_question_are_recorded(citizen: Chat, staff: Chat, engine, typed: str,
                                                                    level: int) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.press("Rồi")
    citizen.say(typed)
    assert "góp ý thêm" in citizen.text
    assert [(a.resolved, a.score) for a in _surveys(engine)] == [("yes", level)]


def test_a_long_solved_answer_is_recorded_but_asking_whether_it_was_handled_is_not(citizen: Chat, staff: Chat,
                                                                                    engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.say("đã xử lý xong chưa vậy?")
    assert [a.resolved for a in _surveys(engine)] == [None]
    citizen.say("da sua xong roi, cam on can bo nhieu")
    assert [a.resolved for a in _surveys(engine)] == ["yes"]


def test_no_comment_typed_at_the_comment_prompt_ends_the_survey_without_a_comment(citizen: Chat, staff: Chat,
                                                                                   engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.press("Rồi")
    citizen.press("🙂 Hài lòng")
    citizen.say("ko co gi a")
    assert "Cảm ơn bạn đã đánh giá" in citizen.text
    assert [(a.score, a.comment) for a in _surveys(engine)] == [(4, None)]


def test_a_procedure_question_at_the_comment_prompt_is_answered_not_sent_to_staff(citizen: Chat, staff: Chat,
                                                                                   engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.press("Rồi")
    citizen.press("🙂 Hài lòng")
    out = citizen.say("đăng ký khai sinh cần giấy tờ gì?")
    assert any("Đăng ký khai sinh" in m.text for m in out)
    assert [(a.score, a.comment) for a in _surveys(engine)] == [(4, None)]


def test_a_comment_mentioning_a_procedure_is_still_a_comment(citizen: Chat, staff: Chat, engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.press("Rồi")
    citizen.press("🙂 Hài lòng")
    citizen.say("Cán bộ hướng dẫn đăng ký khai sinh rất nhiệt tình")
    assert [a.comment for a in _surveys(engine)] == ["Cán bộ hướng dẫn đăng ký khai sinh rất nhiệt tình"]


def test_a_survey_answer_typed_after_a_staff_reply_and_the_resolution_goes_to_the_survey(
        citizen: Chat, staff: Chat, engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/reply {code} Chúng tôi đã cử người kiểm tra")
    staff.say(f"/status {code} resolved Đã thay bóng đèn")
    show_latest(engine, citizen)
    citizen.say("da thay roi, cam on")
    assert "hài lòng thế nào" in citizen.text and "Đã chuyển tới cán bộ" not in citizen.text
    citizen.say("5 sao")
    assert [(a.resolved, a.score) for a in _surveys(engine)] == [("yes", 5)]


def test_a_long_answer_saying_it_is_still_not_done_is_not_taken_for_solved(citizen: Chat, staff: Chat,
                                                                            engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.say("da duoc 2 tuan roi ma den van chua sang")
    assert [a.resolved for a in _surveys(engine)] != ["yes"]


def test_an_answer_that_opens_with_no_and_goes_on_is_recorded_and_what_it_adds_reaches_staff(
        citizen: Chat, staff: Chat, engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/reply {code} Chúng tôi đã nhắc nhở hộ gia đình")
    staff.say(f"/status {code} resolved Đã nhắc nhở")
    show_latest(engine, citizen)
    citizen.say("chua, toi qua van hat den 12h")
    assert "hài lòng thế nào" in citizen.text and "Đã chuyển tới cán bộ" not in citizen.text
    assert [(a.resolved, a.comment) for a in _surveys(engine)] == [("no", "toi qua van hat den 12h")]
    assert any("toi qua van hat" in m.text and code in m.text for m in queued(engine, "staff"))


@pytest.mark.parametrize(("typed", "resolved"), [("roi cam on", "yes"),
                                                 ("van on nhu cu, dem qua van go den 11h", "no")])
def test_an_answer_typed_after_joining_the_tickets_thread_still_goes_to_the_survey(
        citizen: Chat, staff: Chat, engine, typed: str, resolved: str) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/reply {code} Chúng tôi đã nhắc nhở")
    citizen.say("cam on, toi se theo doi them")  # joins the ticket's thread
    staff.say(f"/status {code} resolved Đã nhắc nhở")
    show_latest(engine, citizen)
    citizen.say(typed)
    assert "Đã chuyển tới cán bộ" not in citizen.text
    assert [a.resolved for a in _surveys(engine)] == [resolved]


def test_a_rating_with_thanks_in_it_is_recorded(citizen: Chat, staff: Chat, engine) -> None:
    resolved_ticket(citizen, staff)
    show_latest(engine, citizen)
    citizen.press("Rồi")
    citizen.say("hai long lam, cam on cac anh chi")
    assert [(a.resolved, a.score) for a in _surveys(engine)] == [("yes", 5)]
