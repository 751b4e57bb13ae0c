"""Time helpers: the database stores naive UTC; people see Vietnam time (UTC+7, no daylight saving)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "ICT")


def utcnow() -> datetime:
    """Current time as naive UTC, the form stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    """A stored naive-UTC time as Vietnam local time."""
    return moment.replace(tzinfo=UTC).astimezone(VN_TZ)


def format_local(moment: datetime, with_time: bool = True) -> str:
    """`dd/mm/yyyy HH:MM` (or just the date) in Vietnam time."""
    local = to_local(moment)
    return local.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")
