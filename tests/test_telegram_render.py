"""Rendering neutral messages into Bot API calls, and what the fake server accepts of them."""

from __future__ import annotations

from typing import Any

import pytest

from bot.telegram.aiogram_runtime import AiogramRuntime
from bot.telegram.render import inline_keyboard, message_calls, split_text, topic_name
from messaging.types import Attachment, AttachmentKind, Button, Location, Outgoing
from storage.db import create_all, make_engine
from tests.fake_telegram.limits import FloodLimits
from tests.fake_telegram.server import FakeTelegram


def test_long_text_is_split_at_paragraph_boundaries_within_4096() -> None:
    paragraphs = [f"Đoạn {i}: " + "thủ tục hành chính " * 59 + "hết." for i in range(12)]
    chunks = split_text("\n\n".join(paragraphs))
    assert len(chunks) > 1
    assert all(len(c) <= 4096 for c in chunks)
    assert all(c.startswith("Đoạn ") for c in chunks)  # every chunk begins with a whole paragraph
    assert "\n\n".join(chunks) == "\n\n".join(paragraphs)


def test_paragraph_longer_than_limit_is_split_at_lines_then_words() -> None:
    chunks = split_text("từ " * 3000)
    assert all(len(c) <= 4096 for c in chunks) and len(chunks) == 3
    assert all(not c.endswith("t") for c in chunks[:-1])  # never cuts inside a word
    assert split_text("x" * 9000) == ["x" * 4096, "x" * 4096, "x" * 808]


def test_text_limit_counts_utf16_units_like_telegram() -> None:
    chunks = split_text("😀" * 3000)  # 2 UTF-16 units each
    assert all(len(c.encode("utf-16-le")) // 2 <= 4096 for c in chunks)


def test_button_with_callback_data_over_64_bytes_is_dropped_not_sent() -> None:
    ok = Button("Gửi", "fb:send")
    too_long = Button("Dài", "p:" + "đ" * 40)  # 82 bytes in UTF-8
    assert inline_keyboard(((ok, too_long),)) == {
        "inline_keyboard": [[{"text": "Gửi", "callback_data": "fb:send"}]]}
    assert inline_keyboard(((too_long,),)) is None


def test_message_with_buttons_media_and_location_becomes_ordered_calls() -> None:
    out = Outgoing("a\n\n" + "b" * 5000, buttons=((Button("OK", "ok"),),),
                   attachments=(Attachment(AttachmentKind.PHOTO, "P1"),
                                Attachment(AttachmentKind.DOCUMENT, "D1", "don.pdf")),
                   location=Location(21.0, 105.8))
    calls = message_calls(out, "42", thread_id="7")
    assert [c.method for c in calls] == ["sendMessage"] * 3 + ["sendPhoto", "sendDocument", "sendLocation"]
    assert "reply_markup" not in calls[0].params and calls[2].params["reply_markup"]["inline_keyboard"]
    assert all(c.params["message_thread_id"] == 7 and c.params["chat_id"] == 42 for c in calls)


def test_share_contact_request_adds_one_time_reply_keyboard_after_inline_buttons() -> None:
    out = Outgoing("Số điện thoại?", buttons=((Button("Bỏ qua", "fb:skip"),),), request_contact=True)
    first, second = message_calls(out, "42")
    assert "inline_keyboard" in first.params["reply_markup"]
    keyboard = second.params["reply_markup"]
    assert keyboard["keyboard"][0][0]["request_contact"] is True and keyboard["one_time_keyboard"] is True


def test_the_message_that_brings_the_share_location_keyboard_says_what_it_is_for() -> None:
    out = Outgoing("Sự việc ở đâu?", buttons=((Button("Bỏ qua", "fb:skip"),),), request_location=True)
    _, second = message_calls(out, "42")
    assert second.params["text"] == "👇 Hoặc bấm nút «📍 Gửi vị trí» ở cuối màn hình để gửi vị trí."


def test_topic_name_has_code_and_category_within_128_chars() -> None:
    assert topic_name("PA-2026-0001", "Môi trường") == "PA-2026-0001 · Môi trường"
    assert len(topic_name("PA-1", "x" * 300)) == 128


@pytest.mark.parametrize("text", ["", "x" * 4097])
async def test_fake_server_refuses_empty_or_too_long_text_like_telegram(text: str) -> None:
    async with FakeTelegram(limits=FloodLimits(enabled=False)) as tg:
        tg.add_private_chat(5)
        runtime = AiogramRuntime(tg.token, tg.api_base, None, make_engine("sqlite://"))
        from bot.delivery_errors import Rejected

        with pytest.raises(Rejected):
            await runtime.api.call("sendMessage", {"chat_id": 5, "text": text})
        await runtime.stop()
        assert tg.calls[-1].status == 400


async def test_long_answer_reaches_the_chat_split_and_complete() -> None:
    async with FakeTelegram(limits=FloodLimits(enabled=False)) as tg:
        tg.add_private_chat(5)
        engine = make_engine("sqlite://")
        create_all(engine)
        runtime = AiogramRuntime(tg.token, tg.api_base, None, engine)
        body = "\n\n".join(f"Bước {i}. " + "nộp hồ sơ " * 80 + "xong." for i in range(20))
        await runtime.delivery.send(Outgoing(body, buttons=((Button("Menu", "m:menu"),),)), "5")
        await runtime.stop()
        sent: list[Any] = tg.sent_to(5)
        assert len(sent) > 1 and all(len(s.text) <= 4096 for s in sent)
        assert "\n\n".join(s.text for s in sent) == body
        assert sent[-1].callback_data == ["m:menu"] and not sent[0].buttons


def test_a_shared_phone_keyboard_is_removed_by_the_next_message_even_when_it_has_inline_buttons() -> None:
    out = Outgoing("Bạn kiểm tra lại phản ánh:\n• Nội dung: đèn hỏng", buttons=((Button("Gửi", "fb:send"),),))
    calls = message_calls(out, "42", remove_keyboard=True)
    assert [c.params["text"] for c in calls] == ["Bạn kiểm tra lại phản ánh:", "• Nội dung: đèn hỏng"]
    assert calls[0].params["reply_markup"] == {"remove_keyboard": True}
    assert "inline_keyboard" in calls[1].params["reply_markup"]


def test_without_a_keyboard_to_remove_a_message_with_buttons_stays_one_message() -> None:
    out = Outgoing("Bạn kiểm tra lại phản ánh:\n• Nội dung: đèn hỏng", buttons=((Button("Gửi", "fb:send"),),))
    assert len(message_calls(out, "42")) == 1
