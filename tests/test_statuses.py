"""Ticket statuses are one table: open or closed, who may set them, where a ticket may go next."""

from __future__ import annotations

from storage import statuses
from tests.chat_driver import Chat


def test_open_statuses_are_the_ones_still_to_be_handled() -> None:
    assert statuses.OPEN_STATUSES == ("received", "processing", "forwarded")
    assert set(statuses.CLOSED_STATUSES) == {"resolved", "rejected", "closed"}


def test_staff_set_outcomes_with_status_and_shut_the_file_with_close() -> None:
    assert "closed" not in statuses.settable_by(statuses.STAFF)
    assert statuses.settable_by(statuses.STAFF, command="close") == ("closed",)


def test_a_closed_ticket_can_only_be_reopened() -> None:
    assert statuses.TRANSITIONS["closed"] == {statuses.REOPENED}
    assert not statuses.can_move("closed", "resolved")
    assert statuses.can_move("resolved", "processing")


def test_rejected_tickets_do_not_count_as_resolved() -> None:
    assert statuses.with_outcome("resolved") == ("resolved",)
    assert statuses.with_outcome("rejected") == ("rejected",)


def test_staff_moving_a_closed_ticket_are_told_why_and_how_to_reopen(citizen: Chat, staff: Chat) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/close {code} Đã xử lý xong")
    staff.say(f"/status {code} resolved")
    assert "không chuyển sang" in staff.text and f"/reopen {code}" in staff.text


def test_status_usage_lists_the_statuses_of_the_table(citizen: Chat, staff: Chat) -> None:
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/status {code} done")
    assert "received, processing, forwarded, resolved, rejected" in staff.text
