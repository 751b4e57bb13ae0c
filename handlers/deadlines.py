"""Answer deadlines in working days: weekends and Vietnamese public holidays do not count."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from storage.clock import VN_TZ, to_local


@lru_cache(maxsize=8)
def _vn_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=[year, year + 1])


def load_holidays() -> None:
    """Load this year's holidays now (the first lookup imports the country's calendar: about 0.4 s)."""
    _vn_holidays(datetime.now(VN_TZ).year)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in _vn_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start`."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def due_at(received: datetime, working_days: int) -> datetime:
    """The end (23:59 Vietnam time) of the last working day allowed, in UTC."""
    local_day = to_local(received).date()
    last = add_working_days(local_day, working_days)
    local_end = datetime.combine(last, time(23, 59), tzinfo=VN_TZ)
    return local_end.astimezone(UTC)
