"""A citizen sees their own tickets, and only their own, whatever code they type or button they forge."""

from __future__ import annotations

from tests.chat_driver import Chat


def test_my_tickets_lists_own_tickets_with_status(citizen: Chat) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    citizen.say("/mine")
    assert f"{code} · Đã tiếp nhận" in citizen.labels()


def test_my_tickets_is_empty_for_a_new_citizen(citizen: Chat) -> None:
    citizen.say("/mine")
    assert "chưa gửi phản ánh nào" in citizen.text


def test_citizen_cannot_open_another_citizens_ticket_by_typing_its_code(citizen: Chat, other_citizen: Chat) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket("Chuyện riêng của tôi")
    other_citizen.say(f"tình trạng {code} thế nào?")
    assert "Không tìm thấy phản ánh" in other_citizen.text
    assert "Chuyện riêng" not in other_citizen.text


def test_citizen_cannot_open_another_citizens_ticket_with_forged_button_data(
        citizen: Chat, other_citizen: Chat) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket("Chuyện riêng của tôi")
    other_citizen.send(callback=f"t:{code}")
    assert "Không tìm thấy phản ánh" in other_citizen.text and "Chuyện riêng" not in other_citizen.text


def test_unknown_and_foreign_codes_get_the_same_answer(citizen: Chat, other_citizen: Chat) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    other_citizen.say(code)
    foreign = other_citizen.text.replace(code, "X")
    other_citizen.say("PA-2026-999999")
    assert other_citizen.text.replace("PA-2026-999999", "X") == foreign


def test_typing_own_code_in_lowercase_shows_the_ticket(citizen: Chat) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket("Vỉa hè bị lấn chiếm")
    citizen.say(code.lower())
    assert "Vỉa hè bị lấn chiếm" in citizen.text


def test_a_code_typed_without_its_leading_zeros_shows_the_ticket(citizen: Chat, staff: Chat) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket("Vỉa hè bị lấn chiếm")
    prefix, year, number = code.split("-")
    short = f"{prefix.lower()}-{year}-{int(number)}"
    citizen.say(f"phan anh {short} sao roi")
    assert "Vỉa hè bị lấn chiếm" in citizen.text
    staff.say(f"/reply {short} Đã nhận")
    assert code in staff.text
