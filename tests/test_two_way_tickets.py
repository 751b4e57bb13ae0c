"""The citizen can answer the office (issue 10, problem 3): answers, photos and locations join the ticket,
reach its staff chat and the audit trail; "Phản ánh của tôi" adds information or reopens a resolved ticket.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from storage.clock import format_local, utcnow
from storage.models import Ticket, TicketAttachment, TicketEvent
from storage.threads import link_thread
from tests.chat_driver import Chat, sent_later

QUESTION = "Bạn cho biết đèn hỏng ở cột nào, có ảnh không?"


def _filed_and_asked(citizen: Chat, staff: Chat) -> str:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/reply {code} {QUESTION}")
    return code


def _events(engine, code: str) -> list[TicketEvent]:
    with Session(engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.code == code)).one()
        return list(s.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)))


def test_every_office_message_about_a_ticket_carries_a_reply_button(citizen: Chat, staff: Chat, engine) -> None:
    code = _filed_and_asked(citizen, staff)
    staff.say(f"/status {code} forwarded Chuyển Công an phường")
    staff.say(f"/close {code} Đã thay bóng")
    office = [m for m in sent_later(engine, "citizen-1") if m.kind == "message"]
    assert len(office) == 3
    assert all(f"tk:re:{code}" in [b.data for row in m.buttons for b in row] for m in office)


def test_a_typed_answer_after_an_office_question_joins_the_ticket_not_the_procedure_guide(
        citizen: Chat, staff: Chat, engine) -> None:
    code = _filed_and_asked(citizen, staff)
    citizen.say("Cột số 3 đầu ngõ, tôi gửi ảnh ngay")
    assert f"Đã chuyển tới cán bộ xử lý phản ánh {code}" in citizen.text
    assert "chưa tìm thấy" not in citizen.text
    last = _events(engine, code)[-1]
    assert (last.kind, last.actor_kind) == ("citizen_message", "citizen")
    assert last.text == "Cột số 3 đầu ngõ, tôi gửi ảnh ngay"
    to_staff = sent_later(engine, "staff")[-1]
    assert to_staff.ticket_code == code and "Cột số 3 đầu ngõ" in to_staff.text


def test_a_photo_after_the_answer_joins_the_ticket_and_reaches_staff(citizen: Chat, staff: Chat, engine) -> None:
    code = _filed_and_asked(citizen, staff)
    citizen.say("Cột số 3 đầu ngõ")
    citizen.photo("pic-pole-3")
    assert "Đã chuyển tới cán bộ" in citizen.text
    with Session(engine) as s:
        (attachment,) = s.exec(select(TicketAttachment))
        assert attachment.file_id == "pic-pole-3" and attachment.event_id == _events(engine, code)[-1].id
    assert sent_later(engine, "staff")[-1].attachments[0].file_id == "pic-pole-3"


def test_a_location_joins_the_ticket(citizen: Chat, staff: Chat, engine) -> None:
    code = _filed_and_asked(citizen, staff)
    citizen.location(20.99, 105.81)
    assert "20.99000" in (_events(engine, code)[-1].text or "")
    assert sent_later(engine, "staff")[-1].location is not None


def test_the_reply_button_takes_an_answer_whatever_came_before(citizen: Chat, staff: Chat) -> None:
    code = _filed_and_asked(citizen, staff)
    citizen.send(callback=f"tk:re:{code}")
    assert f"trả lời cho phản ánh {code}" in citizen.text
    citizen.say("Cột số 3")
    assert "Đã chuyển tới cán bộ" in citizen.text
    citizen.press("Xong")
    citizen.say("đăng ký tạm trú cần giấy tờ gì")  # once done, questions go to the procedure guide again
    assert "Đã chuyển tới cán bộ" not in citizen.text


def test_an_answer_taken_by_mistake_can_be_looked_up_as_a_procedure_question(citizen: Chat, staff: Chat) -> None:
    _filed_and_asked(citizen, staff)
    citizen.say("đăng ký tạm trú cần giấy tờ gì")
    citizen.press("tôi hỏi thủ tục")
    assert "tạm trú" in citizen.text.lower() and "Đã chuyển tới cán bộ" not in citizen.text


def test_without_an_office_question_a_text_goes_to_the_procedure_guide(citizen: Chat) -> None:
    citizen.start_and_consent()
    citizen.file_ticket()
    citizen.say("đăng ký tạm trú cần giấy tờ gì")
    assert "Đã chuyển tới cán bộ" not in citizen.text


def test_a_telegram_style_reply_to_an_office_message_joins_its_ticket(citizen: Chat, staff: Chat, engine) -> None:
    citizen.start_and_consent()
    first, second = citizen.file_ticket(), citizen.file_ticket("Rác tồn đọng đầu ngõ 12 ba ngày nay.")
    staff.say(f"/reply {first} {QUESTION}")
    staff.say(f"/reply {second} Đội vệ sinh sẽ đến chiều nay.")
    with Session(engine) as s:  # what delivery records when it sends the office message into the chat
        link_thread(s, first, "console", "citizen-1", message_id="m-501")
        s.commit()
    citizen.say("Cột số 3, đã hỏng từ thứ Hai", reply_to="m-501")
    assert f"phản ánh {first}" in citizen.text
    assert _events(engine, first)[-1].text == "Cột số 3, đã hỏng từ thứ Hai"
    assert _events(engine, second)[-1].kind != "citizen_message"


def test_a_reply_to_another_citizens_ticket_message_is_not_joined(
        citizen: Chat, other_citizen: Chat, staff: Chat, engine) -> None:
    code = _filed_and_asked(citizen, staff)
    with Session(engine) as s:
        link_thread(s, code, "console", "citizen-2", message_id="m-9")
        s.commit()
    other_citizen.say("Tôi chen vào phản ánh này", reply_to="m-9")
    assert all(e.text != "Tôi chen vào phản ánh này" for e in _events(engine, code))


def test_staff_and_citizen_messages_read_as_one_thread_in_the_ticket(citizen: Chat, staff: Chat) -> None:
    code = _filed_and_asked(citizen, staff)
    citizen.say("Cột số 3 đầu ngõ")
    citizen.photo("pic-pole-3")
    staff.say(f"/reply {code} Cảm ơn, tổ điện sẽ thay trong hôm nay.")
    staff.say(f"/ticket {code}")
    thread = staff.text.split("Diễn biến và trao đổi:")[1]
    order = [thread.index(part) for part in (f"Cơ quan trả lời: {QUESTION}", "Người dân: Cột số 3 đầu ngõ",
                                             "Người dân gửi 1 ảnh/tệp", "Cơ quan trả lời: Cảm ơn")]
    assert order == sorted(order)
    citizen.say("/mine")
    citizen.press(code)
    assert "Bạn: Cột số 3 đầu ngõ" in citizen.text


def test_my_tickets_offers_to_add_information_to_an_open_ticket(citizen: Chat, engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    citizen.say("/mine")
    citizen.press(code)
    citizen.press("Bổ sung thông tin")
    citizen.photo("pic-more")
    citizen.say("Thêm: dây điện cũng bị đứt.")
    citizen.press("Xong")
    kinds = [(e.kind, e.text) for e in _events(engine, code)]
    assert kinds[-2:] == [("citizen_message", None), ("citizen_message", "Thêm: dây điện cũng bị đứt.")]


def test_a_resolved_ticket_can_be_reported_still_unsolved_and_reopens_with_the_reason(
        citizen: Chat, staff: Chat, engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/status {code} resolved Đã thay bóng đèn")
    citizen.say(code)
    citizen.press("Vẫn chưa được giải quyết")
    citizen.say("Đèn sáng được một hôm rồi lại tắt.")
    assert f"Đã mở lại phản ánh {code}" in citizen.text
    with Session(engine) as s:
        assert s.exec(select(Ticket).where(Ticket.code == code)).one().status == "processing"
    last = _events(engine, code)[-1]
    assert (last.kind, last.actor_kind, last.status_to, last.text) == (
        "reopened", "citizen", "processing", "Đèn sáng được một hôm rồi lại tắt.")
    notice = sent_later(engine, "staff")[-1]
    assert notice.kind == "ticket_reopened" and "lại tắt" in notice.text


def test_a_reopened_ticket_gets_a_new_answer_date_and_the_citizen_is_told_it(citizen: Chat, staff: Chat,
                                                                             engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/status {code} resolved Đã thay bóng đèn")
    with Session(engine) as s:  # the first answer date has long passed
        ticket = s.exec(select(Ticket).where(Ticket.code == code)).one()
        ticket.due_at = utcnow() - timedelta(days=40)
        s.add(ticket)
        s.commit()
    citizen.say(code)
    citizen.press("Vẫn chưa được giải quyết")
    citizen.say("Đèn lại tắt.")
    with Session(engine) as s:
        due = s.exec(select(Ticket).where(Ticket.code == code)).one().due_at
    assert due.replace(tzinfo=None) > utcnow().replace(tzinfo=None)
    assert f"chậm nhất ngày {format_local(due, with_time=False)}" in citizen.text


def test_the_resolution_notice_itself_offers_still_unsolved(citizen: Chat, staff: Chat, engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/status {code} resolved")
    notice = [m for m in sent_later(engine, "citizen-1") if m.kind == "message"][-1]
    assert f"tk:no:{code}" in [b.data for row in notice.buttons for b in row]


def test_a_ticket_closed_without_rejection_can_be_reported_still_unsolved(citizen: Chat, staff: Chat, engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/close {code} Đã thay bóng")
    closed = [m for m in sent_later(engine, "citizen-1") if m.kind == "message"][-1]
    citizen.send(callback=next(b.data for row in closed.buttons for b in row if b.data.startswith("tk:no:")))
    citizen.say("Vẫn tối om.")
    assert f"Đã mở lại phản ánh {code}" in citizen.text


def test_a_rejected_or_long_resolved_ticket_cannot_be_reopened_by_the_citizen(
        citizen: Chat, staff: Chat, engine, settings) -> None:
    citizen.start_and_consent()
    rejected, old = citizen.file_ticket(), citizen.file_ticket("Rác tồn đọng đầu ngõ 12 ba ngày nay.")
    staff.say(f"/status {rejected} rejected Không thuộc thẩm quyền")
    staff.say(f"/status {old} resolved")
    with Session(engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.code == old)).one()
        ticket.closed_at = utcnow() - timedelta(days=settings.reopen_days + 1)
        s.add(ticket)
        s.commit()
    for code in (rejected, old):
        citizen.say(code)
        assert "Vẫn chưa được giải quyết" not in " ".join(citizen.labels())
        citizen.send(callback=f"tk:no:{code}")
        assert "không mở lại được" in citizen.text
    with Session(engine) as s:
        assert {t.status for t in s.exec(select(Ticket))} == {"rejected", "resolved"}


def test_another_citizen_cannot_answer_or_reopen_a_ticket_with_forged_buttons(
        citizen: Chat, other_citizen: Chat, staff: Chat, engine) -> None:
    code = _filed_and_asked(citizen, staff)
    for data in (f"tk:re:{code}", f"tk:add:{code}", f"tk:no:{code}"):
        other_citizen.send(callback=data)
        assert "Không tìm thấy phản ánh" in other_citizen.text
    other_citizen.say("chen ngang")
    assert all(e.text != "chen ngang" for e in _events(engine, code))


def test_an_addition_typed_right_after_filing_is_offered_to_the_new_ticket(citizen: Chat, staff: Chat,
                                                                            engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    citizen.say("thêm: đã có người ngã xe ở đây")
    assert f"vào phản ánh {code}" in citizen.text
    citizen.press("Thêm vào phản ánh")
    assert f"Đã chuyển tới cán bộ xử lý phản ánh {code}" in citizen.text
    assert _events(engine, code)[-1].text == "thêm: đã có người ngã xe ở đây"


def test_an_addition_offered_may_be_a_question_of_its_own(citizen: Chat, staff: Chat, engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    citizen.say("thêm tên con vào hộ khẩu cần gì")
    citizen.press("đây là câu hỏi khác")
    assert f"Đã chuyển tới cán bộ xử lý phản ánh {code}" not in citizen.text
    assert all(e.kind != "citizen_message" for e in _events(engine, code))


def test_a_stray_digit_after_an_office_question_does_not_join_the_ticket(citizen: Chat, staff: Chat, engine) -> None:
    code = _filed_and_asked(citizen, staff)
    citizen.say("1")
    assert f"Đã chuyển tới cán bộ xử lý phản ánh {code}" not in citizen.text
    assert all(e.kind != "citizen_message" for e in _events(engine, code))


def test_a_one_word_answer_to_an_office_question_joins_the_ticket(citizen: Chat, staff: Chat, engine) -> None:
    code = _filed_and_asked(citizen, staff)
    citizen.say("có")
    assert f"Đã chuyển tới cán bộ xử lý phản ánh {code}" in citizen.text


def test_toi_muon_bo_sung_right_after_filing_is_offered_to_the_new_ticket(citizen: Chat, staff: Chat) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    citizen.say("toi muon bo sung la den hong ca cot ben canh")
    assert f"vào phản ánh {code}" in citizen.text


def test_a_plain_procedure_question_after_the_answer_is_answered_and_offered_to_the_ticket(
        citizen: Chat, staff: Chat, engine) -> None:
    code = _filed_and_asked(citizen, staff)
    citizen.say("Cột số 3 đầu ngõ")
    joined = len(_events(engine, code))
    out = citizen.say("đăng ký khai sinh cần giấy tờ gì")
    assert "Đăng ký khai sinh" in out[0].text and "Đã chuyển tới cán bộ" not in citizen.text
    assert f"chưa chuyển cho cán bộ xử lý phản ánh {code}" in out[-1].text
    assert len(_events(engine, code)) == joined
    citizen.press(f"Thêm vào phản ánh {code}")
    assert _events(engine, code)[-1].text == "đăng ký khai sinh cần giấy tờ gì"


def test_more_of_the_answer_after_its_first_message_still_joins_the_ticket(citizen: Chat, staff: Chat, engine) -> None:
    code = _filed_and_asked(citizen, staff)
    citizen.say("Cột số 3 đầu ngõ")
    citizen.say("đèn tắt từ thứ Hai, tối qua có người ngã xe")
    assert f"Đã chuyển tới cán bộ xử lý phản ánh {code}" in citizen.text
    assert _events(engine, code)[-1].text == "đèn tắt từ thứ Hai, tối qua có người ngã xe"


def test_an_addition_offered_and_left_unanswered_is_said_not_added(citizen: Chat, staff: Chat, engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    citizen.say("thêm: đèn nhấp nháy cả đêm")
    citizen.say("dang ky khai sinh can giay to gi")
    assert f"chưa được thêm vào phản ánh {code}" in citizen.text and "đèn nhấp nháy" in citizen.text
    assert all("nhấp nháy" not in (e.text or "") for e in _events(engine, code))


def test_two_additions_in_a_row_are_offered_together(citizen: Chat, staff: Chat, engine) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    citizen.say("thêm: đèn nhấp nháy cả đêm")
    citizen.say("thêm: cột số 3")
    citizen.press(f"Thêm vào phản ánh {code}")
    assert _events(engine, code)[-1].text == "thêm: đèn nhấp nháy cả đêm\nthêm: cột số 3"
