"""How follow-ups and reports read a ticket's statuses (from the table in `storage.statuses`): open, handled
(resolved, or closed without a rejection), or rejected.

A rejected ticket is never counted as resolved, even once it is closed: its outcome is the last outcome in
its history ("closed" alone, with no outcome before it, counts as handled).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from storage.statuses import CLOSED_STATUSES, OPEN_STATUSES, status, with_outcome

HANDLED, REJECTED = "handled", "rejected"
REJECTED_STATUSES = with_outcome("rejected")
HANDLED_STATUSES = tuple(s for s in CLOSED_STATUSES if s not in REJECTED_STATUSES)


def is_open(status_id: str) -> bool:
    """Whether a ticket in this status still waits for the office (an unknown status counts as open)."""
    return status_id in OPEN_STATUSES or status_id not in CLOSED_STATUSES


def starts_resolution(status_from: str | None, status_to: str | None) -> bool:
    """Whether a status change resolves the ticket anew (an open ticket becomes resolved or closed)."""
    return status_to in HANDLED_STATUSES and (status_from is None or is_open(status_from))


def outcome(changes: Iterable[tuple[datetime, str | None]]) -> tuple[str | None, datetime | None]:
    """(outcome, when) from a ticket's status changes (at, new status) in order; (None, None) while open.

    `when` is the last time the ticket left the open statuses; a later outcome among the closed statuses
    changes the outcome but not the time, and a status without an outcome ("closed") keeps the one before.
    """
    result: str | None = None
    when: datetime | None = None
    for at, status_id in changes:
        if status_id is None:
            continue
        if is_open(status_id):
            result, when = None, None
            continue
        if when is None:
            when = at
        found = status(status_id).outcome
        if found == "rejected":
            result = REJECTED
        elif found is not None or result is None:
            result = HANDLED
    return result, when
