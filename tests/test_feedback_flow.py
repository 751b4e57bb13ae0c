"""Filing feedback through the dispatcher, step by step, as a citizen would."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from storage.clock import utcnow
from storage.models import Conversation, OutboxMessage, Ticket, TicketAttachment, TicketEvent
from tests.chat_driver import Chat, ticket_code_in


def test_start_shows_privacy_notice_and_consent_button_before_the_menu(citizen: Chat) -> None:
    citizen.say("/start")
    assert "dữ liệu cá nhân" in citizen.text
    assert "✅ Tôi đồng ý" in citizen.labels()
    assert "📝 Gửi phản ánh, kiến nghị" not in citizen.labels()


def test_greeting_and_privacy_notice_arrive_as_one_message(citizen: Chat) -> None:
    citizen.say("/start")
    assert len(citizen.last) == 1 and citizen.last[0].text.startswith("Xin chào Lan!")


def test_thanks_for_consent_and_the_menu_arrive_as_one_message(citizen: Chat) -> None:
    citizen.start_and_consent()
    assert len(citizen.last) == 1 and citizen.last[0].text.startswith("Cảm ơn bạn đã đồng ý.")


def test_consent_leads_to_the_main_menu(citizen: Chat) -> None:
    citizen.start_and_consent()
    assert citizen.labels() == ["📝 Gửi phản ánh, kiến nghị", "📚 Tra cứu thủ tục", "📂 Phản ánh của tôi",
                                "☎️ Liên hệ cơ quan", "🌐 Tiếng Việt / English"]


def test_feedback_without_consent_asks_for_consent_and_opens_no_ticket(citizen: Chat, sqlite_engine) -> None:
    citizen.say("/start")
    citizen.press("Không đồng ý")
    citizen.press("Gửi phản ánh")
    assert "Bạn có đồng ý không?" in citizen.text
    citizen.press("Không đồng ý")
    with Session(sqlite_engine) as s:
        assert s.exec(select(Ticket)).first() is None


def test_declining_consent_forgets_the_complaint_typed_before(citizen: Chat, sqlite_engine) -> None:
    citizen.say("can bo phuong thai do hach dich, toi muon phan anh")
    citizen.press("Gửi phản ánh")
    citizen.press("Không đồng ý")
    with Session(sqlite_engine) as s:
        stored = " ".join(str(c.data) for c in s.exec(select(Conversation)))
    assert "hach dich" not in stored


def test_consenting_from_the_feedback_prompt_continues_into_the_flow(citizen: Chat) -> None:
    citizen.say("/feedback")
    citizen.press("Tôi đồng ý")
    assert "Bước 1/6" in citizen.text


def test_filing_a_ticket_with_photo_and_location_stores_everything_and_notifies_staff(
        citizen: Chat, sqlite_engine) -> None:
    citizen.begin_feedback("Nhũng nhiễu")
    citizen.say("Cán bộ đòi 200.000đ 'phí làm nhanh' khi tôi nộp hồ sơ khai sinh ngày 20/11.")
    citizen.photo("photo-file-1")
    assert "Đã nhận 1 ảnh/tệp" in citizen.text
    citizen.press("Xong")
    citizen.location(20.9967, 105.8106)
    citizen.say("0912 345 678")
    assert "1 ảnh/tệp" in citizen.text and "20.99670" in citizen.text and "0912345678" in citizen.text
    citizen.press("Gửi phản ánh")
    code = ticket_code_in(citizen.text)
    assert "Hạn trả lời" in citizen.text

    with Session(sqlite_engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.code == code)).one()
        assert (ticket.category, ticket.agency_id, ticket.phone) == ("harassment", "mot-cua", "0912345678")
        assert (ticket.latitude, ticket.longitude) == (20.9967, 105.8106)
        assert [a.file_id for a in s.exec(select(TicketAttachment))] == ["photo-file-1"]
        assert [e.kind for e in s.exec(select(TicketEvent))] == ["created"]
        posted = s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == "staff")).one()
        assert posted.payload["kind"] == "ticket_new" and code in posted.payload["text"]
        assert posted.payload["attachments"][0]["file_id"] == "photo-file-1"


def test_ticket_code_has_the_office_format(citizen: Chat) -> None:
    citizen.start_and_consent()
    first, second = citizen.file_ticket(), citizen.file_ticket()
    year = utcnow().year
    assert (first, second) == (f"PA-{year}-000001", f"PA-{year}-000002")


def test_cancel_midway_leaves_the_flow_and_files_nothing(citizen: Chat, sqlite_engine) -> None:
    citizen.begin_feedback(agency="Hủy")
    assert "Đã hủy" in citizen.text
    citizen.say("Đèn đường hỏng")  # no longer a description: goes to the procedure guide
    with Session(sqlite_engine) as s:
        assert s.exec(select(Ticket)).first() is None


def test_cancel_command_works_at_any_step(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say("/cancel")
    assert "Đã hủy" in citizen.text
    citizen.say("/cancel")
    assert "Không có thao tác nào cần hủy" in citizen.text


def test_button_words_typed_instead_of_pressed_act_as_the_buttons(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say("Nước thải chảy ra đường ngõ 7 từ sáng nay")
    assert "Bước 4/6" in citizen.text
    citizen.say("bo qua")  # no photo
    assert "Bước 5/6" in citizen.text
    citizen.say("Bỏ qua")  # no place: not an address "Bỏ qua"
    assert "Bước 6/6" in citizen.text
    citizen.say("an danh")
    summary = citizen.text
    assert "Ẩn danh" in summary and "Vị trí: Không có" in summary
    assert "Nội dung: Nước thải chảy ra đường ngõ 7 từ sáng nay\n" in summary  # nothing typed was added to it
    citizen.say("huy")
    assert "bỏ phản ánh đang soạn" in citizen.text


def test_a_description_or_address_of_several_words_is_never_taken_for_a_button(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say("Xong việc rồi mà cống vẫn tắc, bỏ qua không được")
    assert "Bước 4/6" in citizen.text


def test_editing_a_field_from_the_summary_returns_to_the_summary(citizen: Chat, sqlite_engine) -> None:
    citizen.begin_feedback()
    citizen.say("Rác tồn đọng đầu ngõ 12.")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.press("Sửa nội dung")
    assert "Bước 3/6" in citizen.text
    citizen.say("Rác tồn đọng đầu ngõ 12 Khương Trung đã 3 ngày.")
    assert "Bạn kiểm tra lại phản ánh" in citizen.text and "đã 3 ngày" in citizen.text
    citizen.press("Sửa cơ quan")
    citizen.press("Công an")
    assert "Cơ quan: Công an phường Thử Nghiệm" in citizen.text
    code = (citizen.press("Gửi phản ánh"), ticket_code_in(citizen.text))[1]
    with Session(sqlite_engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.code == code)).one()
        assert ticket.description.endswith("đã 3 ngày.") and ticket.agency_id == "cong-an"


def test_empty_description_is_asked_again(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say("   ")
    assert "Tin nhắn trống" in citizen.text


def test_description_longer_than_one_message_is_refused_stating_the_limit(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say("a" * 4097)
    assert "4097" in citizen.text and "4096" in citizen.text
    assert "hai, ba tin nhắn" in citizen.text
    citizen.say("a" * 4096)  # the most Telegram lets one message hold
    assert "Bước 4/6" in citizen.text


def test_a_long_description_sent_as_two_messages_is_kept_whole(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say("Phần một. " + "a" * 4000)
    citizen.say("Phần hai: đèn vẫn hỏng.")  # the next message, at the photo step
    assert "Đã ghi phần bạn vừa gõ vào nội dung" in citizen.text


def test_anonymous_ticket_hides_identity_and_phone_from_staff(citizen: Chat, sqlite_engine) -> None:
    citizen.begin_feedback("Thái độ")
    citizen.say("Cán bộ trực không có mặt giờ hành chính.")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.press("ẩn danh")
    citizen.press("Gửi phản ánh")
    with Session(sqlite_engine) as s:
        posted = s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == "staff")).one()
        assert "Ẩn danh" in posted.payload["text"] and "citizen-1" not in posted.payload["text"]
        assert s.exec(select(Ticket)).one().phone is None


def test_invalid_phone_number_is_asked_again(citizen: Chat) -> None:
    citizen.begin_feedback("Thái độ")
    citizen.say("Nội dung")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.say("không nhớ số")
    assert "Số điện thoại chưa đúng" in citizen.text


@pytest.mark.parametrize("typed", ["sdt cua toi 0912.345.678", "dt 0912 345 678"])
def test_a_phone_number_typed_in_a_sentence_is_accepted(citizen: Chat, typed: str) -> None:
    citizen.begin_feedback("Thái độ")
    citizen.say("Nội dung")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.say(typed)
    assert "0912345678" in citizen.text and "Số điện thoại chưa đúng" not in citizen.text


def test_shared_contact_is_accepted_as_phone(citizen: Chat) -> None:
    citizen.begin_feedback("Thái độ")
    citizen.say("Nội dung")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.send(contact_phone="+84912345678")
    assert "+84912345678" in citizen.text


def test_photo_with_caption_at_description_step_keeps_both(citizen: Chat, sqlite_engine) -> None:
    citizen.begin_feedback()
    citizen.photo("pic-9", caption="Ống nước vỡ trước nhà số 8")
    assert "Bước 4/6" in citizen.text
    citizen.press("Xong")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    assert "1 ảnh/tệp" in citizen.text


def test_typed_address_is_kept_as_location(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say("Nắp cống bị vỡ")
    citizen.press("Bỏ qua")
    citizen.say("Trước số 25 ngõ 102 Trường Chinh")
    citizen.press("Bỏ qua")
    assert "Vị trí: Trước số 25 ngõ 102 Trường Chinh" in citizen.text


def test_english_citizen_gets_the_flow_in_english(citizen: Chat) -> None:
    citizen.start_and_consent()
    citizen.press("English")
    citizen.press("English")
    assert "Switched to English" in citizen.text
    citizen.press("Send feedback")
    assert "Step 1/6" in citizen.text


def test_answers_carry_the_readers_language_for_the_messenger(citizen: Chat) -> None:
    citizen.say("/language")
    citizen.press("English")
    citizen.say("/feedback")
    assert {m.meta.get("lang") for m in citizen.last} == {"en"}


def _to_summary_with_a_point(citizen: Chat, contact: str = "Bỏ qua") -> None:
    citizen.begin_feedback("Hạ tầng")
    citizen.say("Ổ gà lớn trước số 12 đường Láng.")
    citizen.press("Bỏ qua")
    citizen.location(21.0012345, 105.8165432)
    citizen.press(contact)


def test_a_shared_point_stays_unpublished_unless_the_citizen_agrees(citizen: Chat, sqlite_engine) -> None:
    _to_summary_with_a_point(citizen)
    assert "không công khai" in citizen.text
    citizen.press("Gửi phản ánh")
    assert ticket_code_in(citizen.text)
    with Session(sqlite_engine) as s:
        assert s.exec(select(Ticket)).one().publish_location is False


def test_the_citizen_can_publish_a_shared_point_from_the_summary(citizen: Chat, sqlite_engine) -> None:
    _to_summary_with_a_point(citizen)
    citizen.press("Cho công khai vị trí")
    assert "công khai, làm tròn khoảng 100 m" in citizen.text
    assert any("Không công khai vị trí" in label for label in citizen.labels())
    citizen.press("Gửi phản ánh")
    with Session(sqlite_engine) as s:
        assert s.exec(select(Ticket)).one().publish_location is True


def test_an_anonymous_ticket_is_never_asked_to_publish_its_place(citizen: Chat) -> None:
    _to_summary_with_a_point(citizen, contact="ẩn danh")
    assert "dữ liệu mở" not in citizen.text
    assert not any("công khai" in label for label in citizen.labels())


def test_a_category_typed_instead_of_pressed_is_chosen(citizen: Chat) -> None:
    citizen.start_and_consent()
    citizen.press("Gửi phản ánh")
    citizen.say("ha tang")
    assert "Bước 2/6" in citizen.text
    citizen.press("Quay lại")
    citizen.say("Thái độ cán bộ")
    assert "Bước 2/6" in citizen.text


def test_text_that_names_no_single_button_is_kept_as_the_description(citizen: Chat) -> None:
    citizen.start_and_consent()
    citizen.press("Gửi phản ánh")
    citizen.say("Đèn đường ngõ 5 hỏng cả tuần")
    assert "Đã ghi phần bạn vừa gõ" in citizen.text and "Bước 1/6" in citizen.text


def test_saying_one_wants_to_report_after_the_complaint_starts_the_form_with_the_complaint(citizen: Chat) -> None:
    citizen.start_and_consent()
    citizen.say("den duong ngo 5 hong ca tuan nay roi")
    citizen.say("e muon phan anh viec nay")
    assert "Nội dung đã ghi: den duong ngo 5 hong" in citizen.text and "Bước 1/6" in citizen.text


def test_asking_for_anonymity_in_a_sentence_at_the_phone_step_sends_anonymously(citizen: Chat) -> None:
    citizen.begin_feedback("Thái độ")
    citizen.say("Nội dung")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.say("thoi cho e gui an danh, so bi tra thu")
    assert "Số điện thoại chưa đúng" not in citizen.text and "Ẩn danh" in citizen.text
