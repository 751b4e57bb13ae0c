"""Answer deadlines in working days: weekends, Vietnamese public holidays and office closures do not count.

Office closures (`OFFICE_CLOSURES`, days the office announced it is closed) are set once at start-up with
`set_office_closures`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from handlers.categories import category
from storage.clock import VN_TZ, to_local
from storage.models import Ticket

DEFAULT_ANSWER_DAYS = 10  # working days to answer a ticket whose category is no longer in the table


@lru_cache(maxsize=8)
def _vn_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=[year, year + 1])


def load_holidays() -> None:
    """Load this year's holidays now (the first lookup imports the country's calendar: about 0.4 s)."""
    _vn_holidays(datetime.now(VN_TZ).year)


_closures: frozenset[date] = frozenset()


def set_office_closures(days: Iterable[date]) -> None:
    """The days the office is closed besides weekends and public holidays."""
    global _closures
    _closures = frozenset(days)


def parse_closures(text: str) -> list[date]:
    """Days from `2026-12-31, 2027-02-15..2027-02-19` (ISO dates and inclusive ranges); ValueError if bad."""
    days: list[date] = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        first, _, last = part.partition("..")
        start, end = date.fromisoformat(first.strip()), date.fromisoformat((last or first).strip())
        if end < start:
            raise ValueError(f"office closure range ends before it starts: {part}")
        days.extend(start + timedelta(days=i) for i in range((end - start).days + 1))
    return days


def is_working_day(day: date) -> bool:
    """Monday to Friday, not a public holiday and not an office closure."""
    return day.weekday() < 5 and day not in _vn_holidays(day.year) and day not in _closures


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start`."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_before(day: date, days: int) -> date:
    """The working day `days` working days before `day` (`day` itself, or the working day before it, for 0)."""
    current = day
    while not is_working_day(current):
        current -= timedelta(days=1)
    remaining = days
    while remaining > 0:
        current -= timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 for the same day, negative when `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def end_of_day(day: date) -> datetime:
    """23:59 Vietnam time on `day`, in UTC (how deadlines are stored)."""
    return datetime.combine(day, time(23, 59), tzinfo=VN_TZ).astimezone(UTC)


def due_at(received: datetime, working_days: int) -> datetime:
    """The end (23:59 Vietnam time) of the last working day allowed, in UTC."""
    local_day = to_local(received).date()
    return end_of_day(add_working_days(local_day, working_days))


def restart_clock(ticket: Ticket, now: datetime) -> None:
    """A reopened ticket gets its category's time to answer again, counted from `now` (reminders and the
    apology for lateness then follow the new date)."""
    found = category(ticket.category)
    ticket.due_at = due_at(now, found.answer_days if found else DEFAULT_ANSWER_DAYS)
