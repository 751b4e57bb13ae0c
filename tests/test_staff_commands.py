"""Staff work through commands; citizens see answers, never internal notes; non-staff are refused."""

from __future__ import annotations

from sqlmodel import Session, select

from handlers.dispatcher import Dispatcher
from storage.models import OutboxMessage, SecurityEvent, Ticket, TicketEvent
from storage.outbox import claim_due
from tests.chat_driver import Chat


def _filed(citizen: Chat) -> str:
    citizen.start_and_consent()
    return citizen.file_ticket()


def _to_chat(engine, chat_id: str) -> list[str]:
    with Session(engine) as s:
        return [m.payload["text"] for m in s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == chat_id))]


def test_staff_reply_reaches_the_citizen_through_the_outbox(citizen: Chat, staff: Chat, sqlite_engine) -> None:
    code = _filed(citizen)
    staff.say(f"/reply {code} Phường đã cử đội duy tu thay bóng đèn trong tuần này.")
    assert "Đã gửi trả lời" in staff.text
    delivered = [i for i in claim_due(sqlite_engine, "console") if i.chat_id == "citizen-1"]
    assert len(delivered) == 1
    assert "thay bóng đèn" in delivered[0].payload["text"] and code in delivered[0].payload["text"]


def test_staff_reply_shows_in_the_citizens_ticket_history(citizen: Chat, staff: Chat) -> None:
    code = _filed(citizen)
    staff.say(f"/reply {code} Đã tiếp nhận, đang kiểm tra.")
    citizen.say("/mine")
    citizen.press(code)
    assert "Cơ quan trả lời: Đã tiếp nhận, đang kiểm tra." in citizen.text
    assert "Đang xử lý" in citizen.text


def test_internal_note_is_never_shown_to_the_citizen(citizen: Chat, staff: Chat, sqlite_engine) -> None:
    code = _filed(citizen)
    staff.say(f"/note {code} Người này gửi nhiều lần, cần xác minh")
    citizen.say(code)
    assert "xác minh" not in citizen.text
    assert all("xác minh" not in text for text in _to_chat(sqlite_engine, "citizen-1"))
    staff.say(f"/ticket {code}")
    assert "Ghi chú nội bộ: Người này gửi nhiều lần, cần xác minh" in staff.text


def test_non_staff_user_is_refused_and_the_attempt_is_logged(citizen: Chat, sqlite_engine) -> None:
    code = _filed(citizen)
    citizen.say(f"/close {code} tự đóng")
    assert "chỉ dành cho cán bộ" in citizen.text
    with Session(sqlite_engine) as s:
        assert s.exec(select(Ticket)).one().status == "received"
        logged = s.exec(select(SecurityEvent)).one()
        assert (logged.user_id, logged.kind) == ("citizen-1", "staff_command_refused")


def test_group_membership_alone_does_not_make_someone_staff(dispatcher: Dispatcher, citizen: Chat) -> None:
    code = _filed(citizen)
    stranger = Chat(dispatcher, "stranger", chat_id="staff", is_group=True)
    stranger.say(f"/reply {code} giả mạo")
    assert "chỉ dành cho cán bộ" in stranger.text


def test_status_change_notifies_the_citizen_with_the_reason(citizen: Chat, staff: Chat, sqlite_engine) -> None:
    code = _filed(citizen)
    staff.say(f"/status {code} forwarded Chuyển Công an phường xử lý")
    assert "Đã chuyển cơ quan có thẩm quyền" in staff.text
    texts = _to_chat(sqlite_engine, "citizen-1")
    assert any("Đã chuyển cơ quan có thẩm quyền" in t and "Chuyển Công an phường" in t for t in texts)


def test_setting_the_status_a_ticket_already_has_says_so_without_pointing_to_reopen(citizen: Chat,
                                                                                   staff: Chat) -> None:
    code = _filed(citizen)
    staff.say(f"/reply {code} Chúng tôi đang kiểm tra")  # the ticket moves to processing
    staff.say(f"/status {code} processing")
    assert "đã ở trạng thái «Đang xử lý»" in staff.text and "/reopen" not in staff.text


def test_unknown_status_is_refused(citizen: Chat, staff: Chat) -> None:
    code = _filed(citizen)
    staff.say(f"/status {code} done")
    assert "Trạng thái không hợp lệ" in staff.text


def test_close_and_reopen_are_recorded_and_announced(citizen: Chat, staff: Chat, sqlite_engine) -> None:
    code = _filed(citizen)
    staff.say(f"/close {code} Đã thay bóng đèn")
    staff.say(f"/close {code}")
    assert "đã đóng" in staff.text
    staff.say(f"/reopen {code}")
    with Session(sqlite_engine) as s:
        kinds = [e.kind for e in s.exec(select(TicketEvent).order_by(TicketEvent.id))]
        assert kinds == ["created", "closed", "reopened"]
        staff_chat = [m.payload["kind"] for m in s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == "staff"))]
        assert staff_chat == ["ticket_new"]  # typed in the staff chat: each confirmed once, as the direct answer
    assert [(m.kind, m.ticket_code) for m in staff.last] == [("ticket_reopened", code)]
    assert any("đã được đóng" in t and "Đã thay bóng đèn" in t for t in _to_chat(sqlite_engine, "citizen-1"))


def test_assign_to_an_agency_and_to_a_staff_member(citizen: Chat, staff: Chat, dispatcher: Dispatcher) -> None:
    code = _filed(citizen)
    staff.say(f"/assign {code} cong-an")
    assert "Đã giao" in staff.text and "Công an phường Thử Nghiệm" in staff.text
    staff.say("/staff add 42 Nguyễn Văn Bình")
    staff.say(f"/assign {code} 42")
    assert "Nguyễn Văn Bình" in staff.text
    colleague = Chat(dispatcher, "42", chat_id="staff", is_group=True)
    colleague.say("/tickets mine")
    assert code in colleague.text


def test_assign_to_unknown_target_lists_agency_ids(citizen: Chat, staff: Chat) -> None:
    code = _filed(citizen)
    staff.say(f"/assign {code} so-xay-dung")
    assert "mot-cua" in staff.text and "cong-an" in staff.text


def test_ticket_lists_filter_open_overdue_and_all(citizen: Chat, staff: Chat, sqlite_engine) -> None:
    first = _filed(citizen)
    second = citizen.file_ticket()
    with Session(sqlite_engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.code == first)).one()
        ticket.due_at = ticket.created_at.replace(year=ticket.created_at.year - 1)
        s.add(ticket)
        s.commit()
    staff.say("/tickets overdue")
    assert first in staff.text and second not in staff.text and "quá hạn" in staff.text
    staff.say(f"/close {second}")
    staff.say("/tickets")
    assert first in staff.text and second not in staff.text
    staff.say("/tickets all")
    assert first in staff.text and second in staff.text


def test_unknown_ticket_code_is_reported(staff: Chat) -> None:
    staff.say("/ticket PA-2026-999999")
    assert "Không có phản ánh mã PA-2026-999999" in staff.text


def test_staff_command_without_arguments_shows_usage(staff: Chat) -> None:
    staff.say("/reply")
    assert "Cách dùng: /reply CODE text" in staff.text


def test_only_admins_manage_the_staff_list(dispatcher: Dispatcher, staff: Chat) -> None:
    staff.say("/staff add 77 Trần Thị Mai")
    assert "Đã thêm cán bộ Trần Thị Mai (console:77)" in staff.text
    member = Chat(dispatcher, "77", chat_id="staff", is_group=True)
    member.say("/staff add 78")
    assert "chỉ dành cho quản trị viên" in member.text
    member.say("/staff list")
    assert "console:77 Trần Thị Mai" in member.text
    staff.say("/staff remove 77")
    member.say("/tickets")
    assert "chỉ dành cho cán bộ" in member.text


def test_staff_list_shows_a_member_without_a_name_without_a_gap(staff: Chat) -> None:
    staff.say("/staff add 79")
    assert "Đã thêm cán bộ console:79." in staff.text
    staff.say("/staff list")
    assert "• console:79\n" in staff.text + "\n"


def test_banned_citizen_is_told_politely_and_unban_restores_access(citizen: Chat, staff: Chat) -> None:
    code = _filed(citizen)
    staff.say(f"/ban {code} gửi tin quấy rối")
    citizen.say("xin chào")
    assert "tạm khóa" in citizen.text
    staff.say("/unban console:citizen-1")
    citizen.say("/menu")
    assert "Bạn cần giúp gì" in citizen.text


def test_staff_message_in_a_tickets_topic_reaches_the_citizen(citizen: Chat, staff: Chat, sqlite_engine) -> None:
    from storage.threads import link_thread

    code = _filed(citizen)
    with Session(sqlite_engine) as s:
        link_thread(s, code, "console", "staff", thread_id="77")
        s.commit()
    staff.say("# ghi chú: gọi lại sau", thread_id="77")
    assert staff.last == []
    staff.say("Chúng tôi đã kiểm tra hiện trường.", thread_id="77")
    assert code in staff.text
    assert any("đã kiểm tra hiện trường" in t for t in _to_chat(sqlite_engine, "citizen-1"))


def test_plain_chatter_in_the_staff_group_is_ignored(staff: Chat) -> None:
    assert staff.say("Mọi người ơi họp lúc 2h nhé") == []


def test_every_change_is_an_event_with_who_and_when(citizen: Chat, staff: Chat, sqlite_engine) -> None:
    code = _filed(citizen)
    staff.say(f"/status {code} processing")
    staff.say(f"/note {code} ghi chú")
    with Session(sqlite_engine) as s:
        events = list(s.exec(select(TicketEvent).order_by(TicketEvent.id)))
    assert [(e.kind, e.actor_kind) for e in events] == [("created", "citizen"), ("status", "staff"), ("note", "staff")]
    assert all(e.at is not None and e.actor for e in events)
    assert events[1].actor.startswith("console:admin")
