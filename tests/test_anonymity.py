"""Anonymous is anonymous (issue 10, problem 1): no staff-visible output names the citizen of an anonymous
ticket, whatever staff command is used, and staff can still answer and block abuse by ticket.

The walk takes the dispatcher's staff command table as it is, so commands added later are covered too.
Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from handlers.dispatcher import STAFF_COMMANDS, Dispatcher
from storage.files import load_file, stored_id
from storage.models import OutboxMessage, Ticket, TicketEvent
from tests.chat_driver import Chat, sent_later, ticket_code_in

NAME, USERNAME, USER_ID, PHONE = "Phạm Văn Cường", "phamvancuong", "u7391dan", "0987654321"
IDENTITY = (NAME, "Pham Van Cuong", USERNAME, USER_ID, PHONE, "+84987654321", "0987 654 321")
ARGUMENTS = (  # what staff may type after a command; `{code}` is the anonymous ticket's code
    "", "{code}", "{code} Cảm ơn bạn, chúng tôi đang kiểm tra.", "{code} processing Đang kiểm tra",
    "{code} resolved Đã xử lý", "{code} me", "{code} cong-an", "{code} #khong-co", "{code} 31/12/2099 Chờ vật tư",
    "open", "mine", "overdue", "all", "list", "30", "month", "quarter", "year", "csv", "xlsx",
)


def _complainer(dispatcher: Dispatcher) -> Chat:
    return Chat(dispatcher, USER_ID, user_name=NAME, username=USERNAME)


def _file_anonymously(citizen: Chat) -> str:
    citizen.say("/feedback")
    citizen.press("Thái độ")
    citizen.press("Một cửa")
    citizen.say("Cán bộ tiếp dân quát mắng, không nhận hồ sơ của tôi sáng thứ Hai.")
    citizen.photo("pic-evidence")
    citizen.press("Xong")
    citizen.press("Bỏ qua")
    citizen.press("ẩn danh")
    assert "cán bộ không thấy tên, số điện thoại" in citizen.text
    return ticket_code_in(citizen.press("Gửi phản ánh")[0].text)


def _file_with_phone(citizen: Chat) -> str:
    citizen.say("/feedback")
    citizen.press("Hạ tầng")
    citizen.press("Một cửa")
    citizen.say("Đèn đường ngõ 5 hỏng cả tuần nay.")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.say(PHONE)
    return ticket_code_in(citizen.press("Gửi phản ánh")[0].text)


def _leaks(text: str) -> list[str]:
    return [part for part in IDENTITY if part.lower() in text.lower()]


def _file_text(engine, file_id: str) -> str:
    """What a document the bot made says (an export: CSV, or every cell of an XLSX)."""
    found = load_file(engine, file_id) if stored_id(file_id) is not None else None
    if found is None or found.name.endswith(".png"):
        return ""
    if found.name.endswith(".xlsx"):
        book = load_workbook(io.BytesIO(found.content), read_only=True)
        return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)
    return found.content.decode("utf-8-sig", errors="replace")


def _staff_visible_outbox(engine) -> list[str]:
    """Every message queued for anyone but the citizen, with the documents it carries."""
    with Session(engine) as s:
        rows = list(s.exec(select(OutboxMessage).where(OutboxMessage.chat_id != USER_ID)))
    return [json.dumps(r.payload, ensure_ascii=False)
            + "".join(_file_text(engine, a["file_id"]) for a in r.payload.get("attachments", [])) for r in rows]


def test_no_staff_visible_output_of_any_staff_command_names_the_citizen_of_an_anonymous_ticket(
        dispatcher: Dispatcher, staff: Chat, engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    citizen = _complainer(dispatcher)
    citizen.start_and_consent()
    _file_with_phone(citizen)  # the same person, known by name and phone on another ticket
    code = _file_anonymously(citizen)
    staff.say(f"/reply {code} Bạn cho biết tên cán bộ hoặc số quầy được không?")
    citizen.say("Quầy số 2, khoảng 9 giờ sáng")  # the citizen's answer joins the anonymous ticket
    staff.say(f"/status {code} resolved Đã nhắc nhở cán bộ")
    citizen.say(code)
    citizen.press("Vẫn chưa được giải quyết")
    citizen.say("Hôm nay tôi quay lại vẫn bị như vậy.")

    staff.say("/staff add console:canbo1 Trần Thị Mai")
    member = Chat(dispatcher, "canbo1", chat_id="staff", is_group=True, user_name="Trần Thị Mai")
    admin_in_private = Chat(dispatcher, "admin", user_name="Cán bộ Hà")
    seen: dict[str, str] = {}
    for name in sorted(STAFF_COMMANDS):
        for args in ARGUMENTS:
            line = f"/{name} {args.format(code=code)}".strip()
            for who in (staff, member, admin_in_private):
                seen[f"{who.user_id}@{who.chat_id}: {line}"] = "\n".join(
                    m.text + "".join(_file_text(engine, a.file_id) for a in m.attachments) for m in who.say(line))
    assert len(seen) == len(STAFF_COMMANDS) * len(ARGUMENTS) * 3
    assert any(code in text for text in seen.values())  # the walk did reach the ticket
    leaks = {line: _leaks(text) for line, text in seen.items() if _leaks(text)}
    leaks |= {f"outbox {i}": _leaks(text) for i, text in enumerate(_staff_visible_outbox(engine)) if _leaks(text)}
    leaks |= {f"log {r.name}": _leaks(r.getMessage()) for r in caplog.records
              if r.levelno >= logging.INFO and _leaks(r.getMessage())}
    assert leaks == {}


def test_ticket_history_of_an_anonymous_ticket_names_nobody_for_the_citizen(
        dispatcher: Dispatcher, staff: Chat, engine) -> None:
    citizen = _complainer(dispatcher)
    citizen.start_and_consent()
    code = _file_anonymously(citizen)
    staff.say(f"/reply {code} Bạn cho biết thêm được không?")
    citizen.say("Quầy số 2")
    staff.say(f"/ticket {code}")
    assert "Người gửi: Ẩn danh" in staff.text and "Tiếp nhận phản ánh\n" in staff.text + "\n"
    assert _leaks(staff.text) == []
    with Session(engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.code == code)).one()
        events = s.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                  TicketEvent.actor_kind == "citizen"))
        assert [(e.kind, e.actor) for e in events] == [("created", None), ("citizen_message", None)]


def test_staff_block_an_anonymous_sender_by_ticket_without_learning_who_it_is(
        dispatcher: Dispatcher, staff: Chat) -> None:
    citizen = _complainer(dispatcher)
    citizen.start_and_consent()
    code = _file_anonymously(citizen)
    staff.say(f"/ban {code} gửi tin quấy rối")
    assert f"Đã khóa người gửi phản ánh {code}" in staff.text and _leaks(staff.text) == []
    citizen.say("xin chào")
    assert "tạm khóa" in citizen.text
    staff.say(f"/unban {code}")
    citizen.say("/menu")
    assert "Bạn cần giúp gì" in citizen.text


def test_staff_answer_an_anonymous_citizen_through_the_bot(dispatcher: Dispatcher, staff: Chat, engine) -> None:
    citizen = _complainer(dispatcher)
    citizen.start_and_consent()
    code = _file_anonymously(citizen)
    staff.say(f"/contact {code}")
    assert "ẩn danh" in staff.text and _leaks(staff.text) == []
    staff.say(f"/reply {code} Chúng tôi đã tiếp nhận và sẽ xác minh.")
    assert any("sẽ xác minh" in m.text for m in sent_later(engine, USER_ID))


def test_a_phone_number_typed_in_an_anonymous_description_is_masked_for_staff_and_in_the_summary(
        dispatcher: Dispatcher, engine) -> None:
    citizen = _complainer(dispatcher)
    citizen.start_and_consent()
    citizen.say("/feedback")
    citizen.press("Thái độ")
    citizen.press("Một cửa")
    citizen.say("Cán bộ quát mắng tôi, đòi 200000 đồng. Cần thì gọi tôi 0987 654 321 hoặc pcuong@gmail.com")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    summary = citizen.press("ẩn danh")[0].text
    assert "654 321" not in summary and "[SĐT]" in summary and "[email]" in summary
    code = ticket_code_in(citizen.press("Gửi phản ánh")[0].text)
    assert code
    for text in _staff_visible_outbox(engine):
        assert not _leaks(text) and "pcuong@" not in text
    with Session(engine) as s:
        stored = s.exec(select(Ticket).where(Ticket.code == code)).one()
    assert "đòi 200000 đồng" in stored.description and "654" not in stored.description  # amounts stay

