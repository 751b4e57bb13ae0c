"""Answer deadlines count working days: weekends and Vietnamese public holidays do not count."""

from __future__ import annotations

from datetime import UTC, date, datetime

from handlers.deadlines import add_working_days, due_at, is_working_day
from storage.clock import to_local


def test_weekends_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 11, 28)) and not is_working_day(date(2026, 11, 29))
    assert is_working_day(date(2026, 11, 27))


def test_national_day_is_not_a_working_day() -> None:
    assert not is_working_day(date(2026, 9, 2))


def test_five_working_days_from_a_friday_end_the_next_friday() -> None:
    assert add_working_days(date(2026, 11, 27), 5) == date(2026, 12, 4)


def test_deadline_skips_the_lunar_new_year_holiday() -> None:
    before_tet = date(2027, 2, 3)
    assert (add_working_days(before_tet, 5) - before_tet).days > 7


def test_deadline_is_the_end_of_the_day_in_vietnam_time() -> None:
    due = due_at(datetime(2026, 11, 27, 2, 0, tzinfo=UTC), 5)
    local = to_local(due)
    assert (local.date(), local.hour, local.minute) == (date(2026, 12, 4), 23, 59)
