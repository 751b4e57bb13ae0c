"""A controllable clock for time-travel tests: every `storage.clock.utcnow()` reads it while it is in use."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.clock import VN_TZ


class Clock:
    """The time, set and moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set_local(self, text: str) -> datetime:
        """Move to `YYYY-MM-DD HH:MM` Vietnam time."""
        self.now = datetime.fromisoformat(text).replace(tzinfo=VN_TZ)
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by `timedelta(**delta)`."""
        self.now += timedelta(**delta)
        return self.now
