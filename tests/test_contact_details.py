"""Contact details only where needed (issue 10, problem 2): the staff chat sees no phone or name; the staff
member handling a ticket asks for them with `/contact`, which is recorded; `/unmatched` masks numbers and
keeps nothing of citizens who did not consent.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from sqlmodel import Session, select

from handlers.dispatcher import Dispatcher
from storage.models import SecurityEvent, TicketEvent
from tests.chat_driver import Chat, sent_later, ticket_code_in

PHONE = "0912345678"


def _filed_with_phone(citizen: Chat) -> str:
    citizen.begin_feedback("Nhũng nhiễu", "Công an")
    citizen.say("Cán bộ đòi 500.000đ để làm nhanh hồ sơ tạm trú.")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.say(PHONE)
    return ticket_code_in(citizen.press("Gửi phản ánh")[0].text)


def test_the_new_ticket_post_shows_neither_the_phone_nor_the_name(citizen: Chat, engine) -> None:
    code = _filed_with_phone(citizen)
    (post,) = sent_later(engine, "staff")
    assert post.ticket_code == code and "Lan" not in post.text and PHONE not in post.text
    assert "có để lại số điện thoại" in post.text and f"/contact {code}" in post.text


def test_ticket_details_show_neither_the_phone_nor_the_name(citizen: Chat, staff: Chat) -> None:
    code = _filed_with_phone(citizen)
    staff.say(f"/ticket {code}")
    assert code in staff.text and PHONE not in staff.text and "Lan" not in staff.text


def test_the_assigned_staff_member_sees_the_contact_privately_and_it_is_recorded(
        dispatcher: Dispatcher, citizen: Chat, staff: Chat, engine) -> None:
    code = _filed_with_phone(citizen)
    staff.say("/staff add console:canbo1 Trần Thị Mai")
    member = Chat(dispatcher, "canbo1", chat_id="staff", is_group=True)
    member.say(f"/contact {code}")
    assert "Chỉ cán bộ được giao xử lý" in member.text and PHONE not in member.text
    member.say(f"/assign {code} me")
    member.say(f"/contact {code}")
    assert "tin nhắn riêng" in member.text and PHONE not in member.text  # not to the whole staff group
    (card,) = [m for m in sent_later(engine, "canbo1") if PHONE in m.text]
    assert "Lan" in card.text and "console:citizen-1" in card.text
    with Session(engine) as s:
        viewed = s.exec(select(TicketEvent).where(TicketEvent.kind == "contact_viewed")).one()
        assert viewed.actor.startswith("console:canbo1") and not viewed.public
        assert s.exec(select(SecurityEvent).where(SecurityEvent.kind == "contact_refused")).one().user_id == "canbo1"
    staff.say(f"/ticket {code}")
    assert "Xem thông tin liên hệ người gửi — console:canbo1" in staff.text


def test_contact_in_a_private_chat_with_the_bot_is_answered_there(dispatcher: Dispatcher, citizen: Chat) -> None:
    code = _filed_with_phone(citizen)
    admin = Chat(dispatcher, "admin")
    admin.say(f"/contact {code}")
    assert PHONE in admin.text


def test_citizens_still_get_the_office_directory_from_contact(citizen: Chat) -> None:
    citizen.say("/contact")
    assert "Thông tin liên hệ các cơ quan" in citizen.text


def test_unmatched_questions_mask_phone_numbers_and_ids(citizen: Chat, staff: Chat) -> None:
    citizen.start_and_consent()
    citizen.say("giá vàng hôm nay 0912 345 678 và 001203004567")
    staff.say("/unmatched")
    assert "0912" not in staff.text and "001203004567" not in staff.text
    assert "[SĐT]" in staff.text and "giá vàng" in staff.text


def test_unmatched_keeps_nothing_of_citizens_without_consent(citizen: Chat, other_citizen: Chat, staff: Chat) -> None:
    citizen.say("/start")
    citizen.press("Không đồng ý")
    citizen.say("giá vàng hôm nay bao nhiêu")
    other_citizen.start_and_consent()
    other_citizen.say("thời tiết ngày mai thế nào")
    staff.say("/unmatched")
    assert "thời tiết" in staff.text and "giá vàng" not in staff.text
