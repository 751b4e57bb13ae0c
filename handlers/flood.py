"""Flood limit: what floods is counted, in a sliding window per user (per worker process).

Typed messages and uploads count; button presses do not (they only answer the bot), and an album of photos
sent at once counts as one message. Past the limit the first refused message gets a warning saying how long
to wait; the count of refused messages is kept, so the next answer can say that they were not handled.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

Key = tuple[str, str]
MAX_KEYS = 50_000  # users remembered before idle ones are forgotten


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a message may be handled; for a refused one, whether to warn and how long to wait."""

    allowed: bool
    warn: bool = False  # the first refusal: tell the citizen when they may continue
    wait_seconds: float = 0.0
    missed: int = 0  # allowed: how many messages were refused since the last one allowed


class FloodGuard:
    """Counts recent messages per key; says whether a new one is allowed."""

    def __init__(self, max_messages: int, window_seconds: float) -> None:
        self.max_messages = max_messages
        self.window = window_seconds
        self._seen: dict[Key, deque[float]] = {}
        self._albums: dict[Key, dict[str, float]] = {}
        self._warned: set[Key] = set()
        self._missed: dict[Key, int] = {}
        self._lock = threading.Lock()

    def check(self, key: Key, *, counted: bool = True, album: str | None = None,
              now: float | None = None) -> Verdict:
        """The verdict on one message: `counted` False for button presses, `album` the id of a photo album."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._seen) > MAX_KEYS:
                self._forget_idle(now)
            times = self._seen.setdefault(key, deque())
            while times and now - times[0] > self.window:
                times.popleft()
            albums = self._albums.get(key, {})
            if album is not None and album in albums:
                counted = False  # a later photo of an album already counted
            if counted and len(times) >= self.max_messages:
                self._missed[key] = self._missed.get(key, 0) + 1
                wait = max(self.window - (now - times[0]), 1.0)
                if key in self._warned:
                    return Verdict(False, wait_seconds=wait)
                self._warned.add(key)
                return Verdict(False, warn=True, wait_seconds=wait)
            if counted:
                times.append(now)
            if album is not None:
                self._albums[key] = {a: t for a, t in albums.items() if now - t <= self.window} | {album: now}
            self._warned.discard(key)
            return Verdict(True, missed=self._missed.pop(key, 0))

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, times in self._seen.items() if not times or now - times[-1] > self.window]:
            self._seen.pop(key, None)
            self._albums.pop(key, None)
            if key not in self._missed:
                self._warned.discard(key)
