"""Data rights: consent with its time and notice version, /mydata, /forget (tickets stay, anonymous)."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, select

from handlers.i18n import catalogue
from handlers.privacy import NOTICE_VERSION
from storage.clock import utcnow
from storage.models import Citizen, ConsentRecord, Survey, Ticket, TicketAttachment, TicketEvent
from tests.chat_driver import Chat


def _file_ticket_with_photo(citizen: Chat, description: str = "Cống thoát nước trước nhà số 12 ngõ 7 bị tắc") -> str:
    citizen.start_and_consent()
    citizen.press("Gửi phản ánh")
    citizen.press("Hạ tầng")
    citizen.press("Một cửa")
    citizen.say(description)
    citizen.photo("AgACphoto-cong")
    citizen.press("Xong")
    citizen.say("Số 12 ngõ 7 phố Khương Trung")
    citizen.say("0912 345 678")
    citizen.press("Gửi phản ánh")
    return citizen.text.split("Mã phản ánh: ")[1].split()[0] if "Mã phản ánh: " in citizen.text else ""


def test_consent_is_recorded_with_its_time_and_the_notice_version(citizen: Chat, sqlite_engine) -> None:
    citizen.start_and_consent()
    citizen.say("/privacy")
    citizen.press("Rút lại")
    with Session(sqlite_engine) as s:
        records = list(s.exec(select(ConsentRecord).order_by(ConsentRecord.id)))
        assert [(r.given, r.notice_version) for r in records] == [(True, NOTICE_VERSION), (False, NOTICE_VERSION)]
        assert records[0].at <= records[1].at
        assert s.exec(select(Citizen)).one().consent_at is None


def test_the_notice_version_changes_with_the_notice() -> None:
    notice = "\n".join(catalogue(lang)["start.privacy"] for lang in ("vi", "en"))
    digest = hashlib.sha256(notice.encode()).hexdigest()[:16]
    assert (NOTICE_VERSION, digest) == ("2", "abb313d1b283ee12"), (
        f"the privacy notice changed: give handlers.privacy.NOTICE_VERSION a new number and put {digest} here")


def test_mydata_shows_what_is_stored(citizen: Chat) -> None:
    code = _file_ticket_with_photo(citizen)
    citizen.say("/mydata")
    shown = citizen.text
    assert code and code in shown and "Cống thoát nước trước nhà số 12" in shown
    assert "0912345678" in shown and f"phiên bản {NOTICE_VERSION}" in shown and "Ảnh, tệp đính kèm: 1" in shown


def test_forget_erases_names_contacts_and_texts_but_keeps_the_ticket_anonymous(citizen: Chat, sqlite_engine) -> None:
    code = _file_ticket_with_photo(citizen)
    citizen.say("/forget")
    assert "Không thể hoàn tác" in citizen.text
    citizen.press("Xóa dữ liệu")
    assert "Đã xóa dữ liệu cá nhân" in citizen.text and "ẩn danh" in citizen.text
    with Session(sqlite_engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.code == code)).one()
        assert ticket.description == "[đã xóa theo yêu cầu của người dân]" and ticket.anonymous
        assert (ticket.phone, ticket.address, ticket.latitude) == (None, None, None)
        assert ticket.category and ticket.status and ticket.due_at  # kept for the statistics
        assert s.exec(select(TicketAttachment)).all() == []
        events = s.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all()
        assert all("Cống thoát nước" not in (e.text or "") and "Lan" not in (e.actor or "") for e in events)
        owner = s.get(Citizen, ticket.citizen_id)
        assert owner is not None and owner.user_id.startswith("forgotten-")
        assert (owner.display_name, owner.phone, owner.consent_at) == (None, None, None)
    citizen.say("/mydata")  # writing again: a new, empty record
    assert "Phản ánh đã gửi: 0" in citizen.text and "Lan" in citizen.text


def test_staff_are_told_an_answer_cannot_reach_a_citizen_who_erased_their_data(citizen: Chat, staff: Chat,
                                                                               sqlite_engine) -> None:
    code = _file_ticket_with_photo(citizen)
    citizen.say("/forget")
    citizen.press("Xóa dữ liệu")
    staff.say(f"/reply {code} Chúng tôi đã cử người kiểm tra.")
    assert "không gửi được tới người dân" in staff.text and "Đã gửi trả lời" not in staff.text
    with Session(sqlite_engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.code == code)).one()
        replies = s.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "reply"))
        assert [e.text for e in replies] == ["Chúng tôi đã cử người kiểm tra."]
    staff.say(f"/ticket {code}")
    assert "yêu cầu xóa dữ liệu cá nhân" in staff.text and "citizen:forget" not in staff.text


def test_forget_can_be_declined(citizen: Chat, sqlite_engine) -> None:
    _file_ticket_with_photo(citizen)
    citizen.say("/forget")
    citizen.press("Không xóa")
    with Session(sqlite_engine) as s:
        assert "Cống thoát nước" in s.exec(select(Ticket)).one().description


def test_a_banned_citizen_who_forgets_keeps_the_ban(citizen: Chat, staff: Chat, sqlite_engine) -> None:
    code = _file_ticket_with_photo(citizen)
    staff.say(f"/ban {code} spam")
    with Session(sqlite_engine) as s:
        banned = s.exec(select(Citizen).where(Citizen.user_id == "citizen-1")).one()
        banned_id = banned.id
    citizen.say("/mydata")  # a ban does not take away the right to see or erase one's data
    assert code in citizen.text
    citizen.send(callback="privacy:forget:yes")
    assert "mã tài khoản được giữ lại" in citizen.text
    with Session(sqlite_engine) as s:
        kept = s.get(Citizen, banned_id)
        assert kept.banned and kept.user_id == "citizen-1" and kept.phone is None
        assert s.exec(select(Ticket)).one().description.startswith("[đã xóa")
    citizen.say("/feedback")
    assert "bị chặn" in citizen.text or "khóa" in citizen.text


def test_survey_comments_are_erased_and_scores_kept(citizen: Chat, sqlite_engine) -> None:
    _file_ticket_with_photo(citizen)
    with Session(sqlite_engine) as s:
        ticket = s.exec(select(Ticket)).one()
        s.add(Survey(ticket_id=ticket.id, citizen_id=ticket.citizen_id, score=1, comment="Cán bộ Bình thô lỗ",
                     answered_at=utcnow()))
        s.commit()
    citizen.send(callback="privacy:forget:yes")
    with Session(sqlite_engine) as s:
        answer = s.exec(select(Survey)).one()
        assert (answer.score, answer.comment) == (1, None)
