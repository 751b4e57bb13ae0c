"""Staff work (issue 10, problem 6): assigning by any name, agency ids, roles, one answer per command, the
citizen's language, values in the staff's language, routing per category, canned answers.

Every conversation test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.settings import Settings
from handlers.categories import categories
from handlers.dispatcher import Dispatcher
from knowledge import Matcher, load_knowledge_base
from storage.models import Citizen, OutboxMessage, SecurityEvent
from tests.chat_driver import Chat, sent_later


def _filed(citizen: Chat, description: str = "Đèn đường ngõ 5 hỏng cả tuần nay.") -> str:
    citizen.start_and_consent()
    return citizen.file_ticket(description)


@pytest.mark.parametrize("ref", ["@canbo1", "console:canbo1", "canbo1"])
def test_assign_takes_the_at_name_the_platform_id_or_the_bare_id_and_tells_the_assignee(
        citizen: Chat, staff: Chat, engine, ref: str) -> None:
    code = _filed(citizen)
    staff.say("/staff add console:canbo1 Nguyễn Văn Bình")
    staff.say(f"/assign {code} {ref}")
    assert f"Đã giao {code} cho Nguyễn Văn Bình" in staff.text and "đã nhắn báo" in staff.text
    (told,) = sent_later(engine, "canbo1")
    assert code in told.text and "Bạn được giao xử lý" in told.text


def test_assign_to_me_makes_the_ticket_mine(dispatcher: Dispatcher, citizen: Chat, staff: Chat) -> None:
    code = _filed(citizen)
    staff.say(f"/assign {code} me")  # the configured admin, not on the staff list yet
    staff.say("/tickets mine")
    assert code in staff.text


def test_agencies_lists_the_ids_assign_takes(staff: Chat) -> None:
    staff.say("/agencies")
    assert "• mot-cua — Bộ phận Một cửa phường Thử Nghiệm" in staff.text and "• cong-an —" in staff.text


def test_staff_cannot_ban_other_staff_or_admins(dispatcher: Dispatcher, staff: Chat, engine) -> None:
    staff.say("/staff add console:canbo1 Nguyễn Văn Bình")
    staff.say("/staff add console:canbo2 Trần Thị Mai")
    member = Chat(dispatcher, "canbo1", chat_id="staff", is_group=True)
    colleague = Chat(dispatcher, "canbo2")
    colleague.say("/start")
    for target in ("console:canbo2", "console:admin", "canbo2"):
        member.say(f"/ban {target} thử")
        assert "Không khóa được cán bộ hoặc quản trị viên" in member.text
    colleague_code = (colleague.press("đồng ý"), colleague.file_ticket())[1]
    member.say(f"/ban {colleague_code}")
    assert "Không khóa được cán bộ" in member.text
    with Session(engine) as s:
        assert not any(c.banned for c in s.exec(select(Citizen)))
        assert len(list(s.exec(select(SecurityEvent).where(SecurityEvent.kind == "ban_staff_refused")))) == 4


def test_close_and_reopen_in_the_staff_chat_answer_once(citizen: Chat, staff: Chat, engine) -> None:
    code = _filed(citizen)
    for command, kind in ((f"/close {code} Đã thay bóng", "ticket_closed"), (f"/reopen {code}", "ticket_reopened")):
        answers = staff.say(command)
        assert [(m.kind, m.ticket_code) for m in answers] == [(kind, code)]
    assert [m.kind for m in sent_later(engine, "staff")] == ["ticket_new"]


def test_close_from_a_private_chat_is_confirmed_there_and_announced_in_the_staff_chat(
        dispatcher: Dispatcher, citizen: Chat, engine) -> None:
    code = _filed(citizen)
    admin = Chat(dispatcher, "admin")
    admin.say(f"/close {code}")
    assert "Đã đóng" in admin.text
    assert [m.kind for m in sent_later(engine, "staff")] == ["ticket_new", "ticket_closed"]


def test_every_staff_command_answers_once(dispatcher: Dispatcher, citizen: Chat, staff: Chat) -> None:
    from handlers.dispatcher import STAFF_COMMANDS

    code = _filed(citizen)
    for name in sorted(STAFF_COMMANDS):
        for args in ("", code, f"{code} Nội dung thử"):
            answers = staff.say(f"/{name} {args}".strip())
            assert len(answers) == 1, (name, args, [a.text for a in answers])


def test_the_staff_post_says_the_citizen_writes_in_english_and_reads_in_vietnamese(citizen: Chat, engine) -> None:
    citizen.start_and_consent()
    citizen.say("/language")
    citizen.press("English")
    citizen.say("/feedback")
    citizen.press("Staff attitude")
    citizen.press("One-stop desk")
    citizen.say("The clerk refused to take my application without a reason.")
    citizen.press("Skip")
    citizen.press("Skip")
    citizen.press("anonymously")
    citizen.press("Send feedback")
    (post,) = sent_later(engine, "staff")
    assert "Người dân dùng tiếng Anh (English)" in post.text
    assert "Loại: Thái độ, tác phong cán bộ" in post.text and "Người gửi: Ẩn danh" in post.text
    assert "Ảnh/tệp: Không có" in post.text and "Vị trí: Không có" in post.text
    for english in ("Anonymous", "None", "Staff attitude", "One-stop desk"):
        assert english not in post.text


def test_templates_are_kept_by_admins_and_sent_with_reply(
        dispatcher: Dispatcher, citizen: Chat, staff: Chat, engine) -> None:
    code = _filed(citizen)
    staff.say("/templates add da-tiep-nhan Phường đã tiếp nhận và chuyển bộ phận chuyên môn xử lý.")
    assert "Đã lưu câu trả lời mẫu #da-tiep-nhan" in staff.text
    staff.say("/staff add console:canbo1")
    member = Chat(dispatcher, "canbo1", chat_id="staff", is_group=True)
    member.say("/templates add khac Không được")
    assert "chỉ dành cho quản trị viên" in member.text
    member.say("/templates")
    assert "#da-tiep-nhan: Phường đã tiếp nhận" in member.text
    member.say(f"/reply {code} #da-tiep-nhan Dự kiến xong trong tuần.")
    assert "Đã gửi trả lời" in member.text
    answer = sent_later(engine, "citizen-1")[-1].text
    assert "Phường đã tiếp nhận và chuyển bộ phận chuyên môn xử lý.\nDự kiến xong trong tuần." in answer
    member.say(f"/reply {code} #khong-co")
    assert "Không có câu trả lời mẫu #khong-co" in member.text
    staff.say("/templates remove da-tiep-nhan")
    staff.say("/templates")
    assert "Chưa có câu trả lời mẫu" in staff.text


# --- routing as data: suggested agencies and a staff chat per category -------------------------

@pytest.fixture
def shipped(engine, settings: Settings) -> Dispatcher:
    kb = load_knowledge_base()
    return Dispatcher(engine, settings, kb, Matcher(kb, semantic=False))


def test_every_suggested_agency_of_the_shipped_categories_exists() -> None:
    kb = load_knowledge_base()
    assert all(kb.agency(a) is not None for c in categories() for a in c.agencies)


def test_a_broken_street_light_is_offered_the_infrastructure_office_first_and_other_offices_on_request(
        shipped: Dispatcher) -> None:
    citizen = Chat(shipped, "citizen-1")
    citizen.start_and_consent()
    citizen.press("Gửi phản ánh")
    citizen.press("Hạ tầng")
    offered = [d for d in citizen.data() if d.startswith("fb:ag:") and d not in ("fb:ag:*", "fb:ag:-")]
    assert offered == ["fb:ag:ubnd-phuong-ktht", "fb:ag:ubnd-phuong"]
    assert not any("truong-hoc" in d or "cong-chung" in d for d in citizen.data())
    citizen.press("Cơ quan khác")
    assert "fb:ag:truong-hoc" in citizen.data() and len(citizen.data()) > len(offered) + 3


def test_a_category_with_its_own_staff_chat_posts_and_discusses_there(
        own_chat_for_attitude: str, dispatcher: Dispatcher, citizen: Chat, engine) -> None:
    citizen.start_and_consent()
    attitude = citizen.file_ticket("Cán bộ quát mắng người dân.", category="Thái độ")
    street = citizen.file_ticket()
    with Session(engine) as s:
        posts = {(m.chat_id, m.payload["ticket_code"]) for m in s.exec(select(OutboxMessage))
                 if m.payload["kind"] == "ticket_new"}
    assert posts == {(own_chat_for_attitude, attitude), ("staff", street)}
    inspector = Chat(dispatcher, "admin", chat_id=own_chat_for_attitude, is_group=True)
    inspector.say(f"/close {attitude}")  # typed in the category's own chat: answered there, once
    assert [m.kind for m in inspector.last] == ["ticket_closed"]
    assert [m.kind for m in sent_later(engine, own_chat_for_attitude)] == ["ticket_new"]
