"""Drafts are never lost (issue 10, problem 4): menus, commands, restarts, stray input, and the summary.

Every test runs on SQLite and on PostgreSQL (the `citizen` fixture's dispatcher).
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.settings import Settings
from handlers.dispatcher import Dispatcher
from knowledge import KnowledgeBase
from storage.clock import utcnow
from storage.db import make_engine
from storage.models import Conversation, Ticket, TicketAttachment
from tests.chat_driver import Chat, ticket_code_in

DESCRIPTION = "Đèn đường ngõ 5 hỏng cả tuần nay, tối đi lại rất nguy hiểm."


def _tickets(engine) -> list[Ticket]:
    with Session(engine) as s:
        return list(s.exec(select(Ticket)))


def _to_summary(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say(DESCRIPTION)
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    assert "Bạn kiểm tra lại phản ánh" in citizen.text


def test_menu_in_the_middle_of_the_form_keeps_the_draft_and_says_so(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say(DESCRIPTION)
    citizen.say("/menu")
    assert "đã được lưu lại" in citizen.text and "Bạn cần giúp gì" in citizen.text


def test_coming_back_to_the_form_asks_whether_to_continue_and_continues_where_the_citizen_was(
        citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say(DESCRIPTION)
    citizen.say("/mine")
    citizen.say("/menu")
    citizen.press("Gửi phản ánh")
    assert "đang soạn dở" in citizen.text and "Đèn đường ngõ 5" in citizen.text
    citizen.press("Tiếp tục phản ánh đang soạn")
    assert "Bước 4/6" in citizen.text


def test_starting_afresh_drops_the_old_draft_only_when_the_citizen_says_so(citizen: Chat, engine) -> None:
    citizen.begin_feedback()
    citizen.say(DESCRIPTION)
    citizen.say("/start")
    citizen.press("Gửi phản ánh")
    citizen.press("soạn phản ánh mới")
    assert "Bước 1/6" in citizen.text and "Đèn đường" not in citizen.text
    assert _tickets(engine) == []


def test_a_draft_survives_a_restart_and_is_offered_after_it(
        settings: Settings, engine, core_kb: KnowledgeBase) -> None:
    before = Chat(Dispatcher(engine, settings, core_kb), "citizen-1")
    before.begin_feedback()
    before.say(DESCRIPTION)
    before.photo("pic-1")
    before.say("/menu")
    engine.dispose()

    after = Chat(Dispatcher(make_engine(settings.effective_database_url), settings, core_kb), "citizen-1")
    after.say("/feedback")
    after.press("Tiếp tục")
    assert "Bước 4/6" in after.text and "1 ảnh/tệp" in " ".join(after.labels())


def test_cancel_at_the_summary_asks_before_dropping_the_draft(citizen: Chat, engine) -> None:
    _to_summary(citizen)
    citizen.press("Hủy")
    assert "Bạn muốn bỏ phản ánh đang soạn" in citizen.text
    citizen.press("soạn tiếp")
    assert "Bạn kiểm tra lại phản ánh" in citizen.text and DESCRIPTION in citizen.text
    citizen.say("/cancel")
    citizen.press("Bỏ phản ánh này")
    assert "Đã bỏ phản ánh" in citizen.text
    citizen.press("Gửi phản ánh")
    assert "Bước 1/6" in citizen.text and _tickets(engine) == []


def test_the_moving_on_button_is_first_and_cancel_last_at_every_step(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say(DESCRIPTION)
    for step in ("Bước 4/6", "Bước 5/6", "Bước 6/6"):
        assert step in citizen.text
        assert citizen.data()[0] == "fb:next" and citizen.data()[-2:] == ["fb:back", "cancel"]
        citizen.press("Bỏ qua")
    assert citizen.data()[0] == "fb:send" and citizen.data()[-1] == "cancel"


def test_skip_after_uploading_photos_keeps_them(citizen: Chat, engine) -> None:
    citizen.begin_feedback()
    citizen.say(DESCRIPTION)
    for name in ("a", "b", "c"):
        citizen.photo(f"photo-{name}")
    assert citizen.data()[0] == "fb:next" and "3 ảnh/tệp" in citizen.labels()[0]
    citizen.send(callback="fb:skip")  # the "Bỏ qua" of a message sent before the upgrade
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    assert "Ảnh/tệp: 3 ảnh/tệp" in citizen.text
    ticket_code_in(citizen.press("Gửi phản ánh")[0].text)
    with Session(engine) as s:
        assert len(list(s.exec(select(TicketAttachment)))) == 3


def test_uploads_go_only_when_removed(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say(DESCRIPTION)
    citizen.photo("photo-a")
    citizen.press("Xóa ảnh/tệp")
    assert "Đã xóa" in citizen.text and citizen.labels()[0] == "Bỏ qua"


def test_a_second_message_at_the_photo_step_is_added_to_the_description(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say("Đèn đường ngõ 5 hỏng.")
    citizen.say("Đã một tuần rồi mà chưa ai sửa.")
    assert "Đã ghi phần bạn vừa gõ" in citizen.text and citizen.data()[0] == "fb:next"  # still the photo step
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    assert "Đèn đường ngõ 5 hỏng.\nĐã một tuần rồi mà chưa ai sửa." in citizen.text


def test_a_question_typed_at_the_location_step_is_asked_about_not_taken_as_the_address(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say(DESCRIPTION)
    citizen.press("Bỏ qua")
    citizen.say("Có cần ghi số nhà không?")
    assert "là địa chỉ nơi xảy ra sự việc, hay là nội dung thêm" in citizen.text
    citizen.press("Thêm vào nội dung")
    assert "Bước 5/6" in citizen.text
    citizen.say("Trước số 25 ngõ 102 Trường Chinh")
    citizen.press("Bỏ qua")
    assert "Vị trí: Trước số 25 ngõ 102 Trường Chinh" in citizen.text
    assert "Có cần ghi số nhà không?" in citizen.text.split("• Nội dung:")[1].split("• Ảnh")[0]


def test_a_typed_address_is_still_taken_at_once(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say(DESCRIPTION)
    citizen.press("Bỏ qua")
    citizen.say("Trước số 25 ngõ 102 Trường Chinh")
    assert "Bước 6/6" in citizen.text


def test_text_typed_where_a_category_is_expected_becomes_the_description(citizen: Chat) -> None:
    citizen.start_and_consent()
    citizen.press("Gửi phản ánh")
    citizen.say(DESCRIPTION)
    assert "Đã ghi phần bạn vừa gõ" in citizen.text and "Bước 1/6" in citizen.text
    citizen.press("Hạ tầng")
    citizen.press("Một cửa")
    assert "Nội dung đã ghi" in citizen.text and DESCRIPTION in citizen.text
    citizen.press("Tiếp tục")
    assert "Bước 4/6" in citizen.text


def test_a_complaint_typed_at_the_menu_starts_the_form_with_it(citizen: Chat) -> None:
    citizen.start_and_consent()
    citizen.say("đèn đường ngõ 5 hỏng cả tuần nay")
    citizen.press("phản ánh")
    assert "Nội dung đã ghi: đèn đường ngõ 5 hỏng cả tuần nay" in citizen.text and "Bước 1/6" in citizen.text
    citizen.press("Hạ tầng")
    citizen.press("Một cửa")
    citizen.press("Tiếp tục")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    assert "• Nội dung: đèn đường ngõ 5 hỏng cả tuần nay" in citizen.text


def test_a_complaint_typed_before_consent_is_kept_through_the_consent(citizen: Chat) -> None:
    citizen.say("đèn đường ngõ 5 hỏng cả tuần nay")
    citizen.press("phản ánh")
    citizen.press("Tôi đồng ý")
    assert "Bước 1/6" in citizen.text and "đèn đường ngõ 5 hỏng" in citizen.text


def test_a_stray_number_is_not_a_description(citizen: Chat, engine) -> None:
    citizen.begin_feedback()
    citizen.say("2")
    assert "Nội dung ngắn quá" in citizen.text and "Bước 3/6" in citizen.text
    assert _tickets(engine) == []


def test_nothing_is_filed_without_the_summarys_confirmation(citizen: Chat, engine) -> None:
    _to_summary(citizen)
    citizen.say("Tôi muốn thêm: đèn ở cột số 3.")
    assert "Đã ghi phần bạn vừa gõ" in citizen.text and "Bạn kiểm tra lại phản ánh" in citizen.text
    citizen.photo("pic-late")
    assert "1 ảnh/tệp" in citizen.text
    assert _tickets(engine) == []
    citizen.press("Gửi phản ánh")
    assert len(_tickets(engine)) == 1


def test_a_question_passed_to_staff_is_summarised_before_it_is_sent(citizen: Chat, engine) -> None:
    citizen.start_and_consent()
    citizen.say("xin giấy phép nuôi chim yến ở đâu")
    citizen.press("cán bộ")
    assert "Bạn kiểm tra lại phản ánh" in citizen.text and _tickets(engine) == []
    citizen.press("Sửa liên hệ")
    citizen.press("ẩn danh")
    citizen.press("Gửi phản ánh")
    (ticket,) = _tickets(engine)
    assert ticket.anonymous and ticket.category == "other"


def _age_draft(engine, minutes: float) -> None:
    with Session(engine) as s:
        conv = s.get(Conversation, ("console", "citizen-1"))
        data = dict(conv.data)
        data["draft"] = {**data["draft"], "at": (utcnow() - timedelta(minutes=minutes)).isoformat()}
        conv.data = data
        s.add(conv)
        s.commit()


def test_a_message_long_after_the_form_was_left_open_asks_whether_it_continues_the_draft(
        citizen: Chat, engine) -> None:
    citizen.begin_feedback()
    citizen.say(DESCRIPTION)
    _age_draft(engine, 600)
    citizen.say("đăng ký tạm trú cần giấy tờ gì")
    assert "Tin nhắn vừa gửi là để tiếp tục phản ánh này" in citizen.text
    citizen.press("tôi hỏi việc khác")
    assert "tạm trú" in citizen.text.lower()  # answered by the procedure guide
    citizen.say("/menu")
    citizen.press("Gửi phản ánh")
    citizen.press("Tiếp tục")
    assert "Bước 4/6" in citizen.text


def test_the_held_message_continues_the_draft_when_the_citizen_says_so(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say(DESCRIPTION)
    citizen.press("Bỏ qua")
    _age_draft(citizen.dispatcher.engine, 600)
    citizen.say("Trước số 25 ngõ 102 Trường Chinh")
    citizen.press("Tiếp tục phản ánh")
    assert "Bước 6/6" in citizen.text
    citizen.press("Bỏ qua")
    assert "Vị trí: Trước số 25 ngõ 102 Trường Chinh" in citizen.text


def test_back_returns_to_the_previous_step(citizen: Chat) -> None:
    citizen.begin_feedback()
    citizen.say(DESCRIPTION)
    citizen.press("Quay lại")
    assert "Nội dung đã ghi" in citizen.text and "Bước 3/6" in citizen.text


def test_a_photo_sent_outside_the_form_is_kept_for_new_feedback(citizen: Chat) -> None:
    citizen.start_and_consent()
    citizen.photo("pic-outside")
    assert "Bạn muốn gửi ảnh/tệp/vị trí này vào đâu" in citizen.text
    citizen.press("Gửi phản ánh mới kèm theo")
    citizen.press("Hạ tầng")
    citizen.press("Một cửa")
    citizen.say(DESCRIPTION)
    assert "1 ảnh/tệp" in " ".join(citizen.labels())


def test_a_form_begun_before_drafts_existed_goes_on_with_its_fields(citizen: Chat, engine) -> None:
    citizen.start_and_consent()
    with Session(engine) as s:  # what the form stored before this version: its fields at the top level
        conv = s.get(Conversation, ("console", "citizen-1"))
        conv.state, conv.data = "fb.files", {"category": "infrastructure", "agency": "mot-cua",
                                             "description": DESCRIPTION, "files": []}
        s.add(conv)
        s.commit()
    citizen.send(callback="fb:done")
    citizen.press("Bỏ qua")
    citizen.press("Bỏ qua")
    assert "Loại: Hạ tầng" in citizen.text and DESCRIPTION in citizen.text
    citizen.press("Gửi phản ánh")
    assert len(_tickets(engine)) == 1
