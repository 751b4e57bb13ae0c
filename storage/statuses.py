"""Ticket statuses and their transitions: one table (FixMyStreet keeps its states as seeded rows).

Each status says whether the ticket is still open work (lists, deadlines, reminders count it), what its
outcome is for the statistics, who may move a ticket into it, and which catalogue text tells the citizen.
`TRANSITIONS` says where a ticket may go from each status. Change a label in the catalogues
(`status.<id>`), a rule here; ids are stored on tickets, keep them stable.
"""

from __future__ import annotations

from dataclasses import dataclass

STAFF, CITIZEN, SYSTEM = "staff", "citizen", "system"


@dataclass(frozen=True, slots=True)
class Status:
    """One status of a ticket."""

    id: str
    is_open: bool  # still to be handled: counted by lists, deadlines and reminders
    set_by: frozenset[str]  # who may move a ticket here: STAFF, CITIZEN (reopening), SYSTEM
    notify: str  # catalogue key of the message the citizen gets when the ticket enters this status
    outcome: str | None = None  # "resolved" or "rejected": how the statistics count a ticket that ends here
    command: str = "status"  # the staff command that sets it (`/status <id>`, or `/close`)


_STAFF = frozenset({STAFF})

STATUSES: tuple[Status, ...] = (
    Status("received", True, _STAFF, "notify.status"),
    Status("processing", True, frozenset({STAFF, CITIZEN, SYSTEM}), "notify.status"),
    Status("forwarded", True, _STAFF, "notify.status"),
    Status("resolved", False, _STAFF, "notify.status", outcome="resolved"),
    Status("rejected", False, _STAFF, "notify.status", outcome="rejected"),
    Status("closed", False, _STAFF, "notify.closed", command="close"),  # the file is shut (after an outcome)
)
BY_ID: dict[str, Status] = {s.id: s for s in STATUSES}
_ALL = frozenset(BY_ID)

TRANSITIONS: dict[str, frozenset[str]] = {
    "received": _ALL - {"received"},
    "processing": _ALL - {"processing"},
    "forwarded": _ALL - {"forwarded"},
    "resolved": frozenset({"processing", "closed"}),  # reopened (by staff, or the citizen: not solved), closed
    "rejected": frozenset({"processing", "closed"}),
    "closed": frozenset({"processing"}),  # reopened
}

INITIAL = "received"
REOPENED = "processing"  # where a reopened ticket goes
ANSWERED = "processing"  # where a received ticket goes once staff answer the citizen

STATUS_IDS: tuple[str, ...] = tuple(BY_ID)
OPEN_STATUSES: tuple[str, ...] = tuple(s.id for s in STATUSES if s.is_open)
CLOSED_STATUSES: tuple[str, ...] = tuple(s.id for s in STATUSES if not s.is_open)


def status(status_id: str) -> Status:
    """The status with this id (KeyError for an unknown one)."""
    return BY_ID[status_id]


def is_open(status_id: str) -> bool:
    """Whether a ticket in this status is still to be handled."""
    return BY_ID[status_id].is_open


def settable_by(role: str, command: str = "status") -> tuple[str, ...]:
    """The statuses `role` may set with `command`, in table order (staff: what `/status` accepts)."""
    return tuple(s.id for s in STATUSES if role in s.set_by and s.command == command)


def can_move(old: str, new: str) -> bool:
    """Whether a ticket may go from `old` to `new`."""
    return new in TRANSITIONS.get(old, frozenset())


def with_outcome(outcome: str) -> tuple[str, ...]:
    """The statuses a ticket ends in with this outcome ("resolved" or "rejected")."""
    return tuple(s.id for s in STATUSES if s.outcome == outcome)


assert set(TRANSITIONS) == _ALL and all(t <= _ALL for t in TRANSITIONS.values())
assert INITIAL in OPEN_STATUSES and REOPENED in OPEN_STATUSES
