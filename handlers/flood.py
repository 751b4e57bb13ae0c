"""Flood limit: at most N messages per user in a sliding window (per worker process)."""

from __future__ import annotations

import threading
import time
from collections import deque


class FloodGuard:
    """Counts recent messages per key; says whether a new one is allowed and whether to warn."""

    def __init__(self, max_messages: int, window_seconds: float) -> None:
        self.max_messages = max_messages
        self.window = window_seconds
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._warned: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def check(self, key: tuple[str, str], now: float | None = None) -> str:
        """`ok`, `warn` (first message over the limit) or `drop` (later ones, answered with silence)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._seen.setdefault(key, deque())
            while times and now - times[0] > self.window:
                times.popleft()
            if len(times) < self.max_messages:
                times.append(now)
                self._warned.discard(key)
                return "ok"
            if key in self._warned:
                return "drop"
            self._warned.add(key)
            return "warn"
