"""Time helpers: the database stores aware UTC; people see Vietnam time (UTC+7, no daylight saving)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "ICT")


def _system_now() -> datetime:
    return datetime.now(UTC)


_now: Callable[[], datetime] = _system_now


def utcnow() -> datetime:
    """Current time in UTC (timezone-aware), the form stored in the database."""
    return _now()


@contextmanager
def clock_source(now: Callable[[], datetime]) -> Iterator[None]:
    """Read the time from `now` inside the block (time-travel tests); the system clock again after it."""
    global _now
    before = _now
    _now = now
    try:
        yield
    finally:
        _now = before


def to_local(moment: datetime) -> datetime:
    """A stored time as Vietnam local time (a naive value is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN_TZ)


def format_local(moment: datetime, with_time: bool = True) -> str:
    """`dd/mm/yyyy HH:MM` (or just the date) in Vietnam time."""
    local = to_local(moment)
    return local.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")
