"""Report periods in Vietnam time: a month, a quarter or a year, the current one or a named one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from storage.clock import VN_TZ, to_local

KINDS = ("month", "quarter", "year")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$|^(\d{1,2})/(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?q([1-4])$|^q([1-4])[/-](\d{4})$", re.IGNORECASE)
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC-aware times, with its kind and first day (for labels)."""

    kind: str
    first_day: date
    start: datetime
    end: datetime

    def label(self) -> str:
        """`11/2026`, `Q4/2026` or `2026`."""
        if self.kind == "month":
            return self.first_day.strftime("%m/%Y")
        if self.kind == "quarter":
            return f"Q{(self.first_day.month - 1) // 3 + 1}/{self.first_day.year}"
        return str(self.first_day.year)


def _local_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=VN_TZ)


def month_start(day: date, months_later: int = 0) -> date:
    """The first day of the month `months_later` months after `day`'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months_later
    return date(index // 12, index % 12 + 1, 1)


def period_of(kind: str, first_day: date) -> Period:
    """The month, quarter or year that starts on `first_day`."""
    length = {"month": 1, "quarter": 3, "year": 12}[kind]
    return Period(kind, first_day, _local_start(first_day), _local_start(month_start(first_day, length)))


def current(kind: str, now: datetime) -> Period:
    """The month, quarter or year that `now` falls in."""
    today = to_local(now).date()
    if kind == "month":
        return period_of(kind, today.replace(day=1))
    if kind == "quarter":
        return period_of(kind, date(today.year, (today.month - 1) // 3 * 3 + 1, 1))
    return period_of(kind, date(today.year, 1, 1))


def parse_period(text: str, now: datetime) -> Period | None:
    """`month`, `quarter`, `year` (current), `2026-11` or `11/2026`, `2026-Q4` or `Q4/2026`, `2026`; None if bad.

    Vietnamese words work too: tháng, quý, năm.
    """
    word = text.strip().lower() or "month"
    word = {"thang": "month", "tháng": "month", "quy": "quarter", "quý": "quarter", "nam": "year",
            "năm": "year"}.get(word, word)
    if word in KINDS:
        return current(word, now)
    try:
        if m := _MONTH.match(word):
            year, month = (int(m[1]), int(m[2])) if m[1] else (int(m[4]), int(m[3]))
            return period_of("month", date(year, month, 1))
        if m := _QUARTER.match(word):
            year, quarter = (int(m[1]), int(m[2])) if m[1] else (int(m[4]), int(m[3]))
            return period_of("quarter", date(year, (quarter - 1) * 3 + 1, 1))
        if _YEAR.match(word):
            return period_of("year", date(int(word), 1, 1))
    except ValueError:
        return None
    return None
