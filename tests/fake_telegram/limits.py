"""Flood limits of the fake Bot API server, modelled on Telegram's documented limits."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class FloodLimits:
    """Configurable limits; `enabled=False` turns all of them off.

    The total and per-group limits are token buckets holding one period's worth (30 sends, refilled at 30
    a second; 20 per group, refilled at 20 a minute): a sustained rate above the limit gets 429s, a short
    stall that bunches evenly paced sends does not. `strict_window=True` counts sends in a sliding window
    instead (no burst at all).
    """

    enabled: bool = True
    global_per_second: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20
    strict_window: bool = False


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class FloodControl:
    """Decides whether a send may pass now; returns a retry_after in whole seconds when it may not."""

    limits: FloodLimits = field(default_factory=FloodLimits)
    _global: deque[float] = field(default_factory=deque)
    _private: dict[int, _Bucket] = field(default_factory=dict)
    _groups: dict[int, deque[float]] = field(default_factory=dict)
    _global_bucket: _Bucket | None = None
    _group_buckets: dict[int, _Bucket] = field(default_factory=dict)

    @staticmethod
    def _take(bucket: _Bucket, capacity: float, rate: float, now: float) -> float:
        """Refill; return the seconds until a token is there (0 means one is)."""
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / rate

    def _check_buckets(self, chat_id: int, is_group: bool, now: float) -> list[float]:
        lim = self.limits
        if self._global_bucket is None:
            self._global_bucket = _Bucket(float(lim.global_per_second), now)
        waits = [self._take(self._global_bucket, lim.global_per_second, lim.global_per_second, now)]
        if is_group:
            bucket = self._group_buckets.setdefault(chat_id, _Bucket(float(lim.group_per_minute), now))
            waits.append(self._take(bucket, lim.group_per_minute, lim.group_per_minute / 60.0, now))
        return [w for w in waits if w > 0]

    def check(self, chat_id: int, is_group: bool, now: float | None = None) -> int | None:
        """Record a send and return None, or return the seconds to wait (nothing recorded)."""
        lim = self.limits
        if not lim.enabled:
            return None
        now = time.monotonic() if now is None else now
        waits: list[float] = []
        g = self._global
        if lim.strict_window:
            while g and now - g[0] >= 1.0:
                g.popleft()
            if len(g) >= lim.global_per_second:
                waits.append(1.0 - (now - g[0]))
            if is_group:
                window = self._groups.setdefault(chat_id, deque())
                while window and now - window[0] >= 60.0:
                    window.popleft()
                if len(window) >= lim.group_per_minute:
                    waits.append(60.0 - (now - window[0]))
        else:
            waits.extend(self._check_buckets(chat_id, is_group, now))
        if not is_group:
            bucket = self._private.get(chat_id)
            if bucket is None:
                bucket = self._private[chat_id] = _Bucket(float(lim.private_burst), now)
            bucket.tokens = min(float(lim.private_burst),
                                bucket.tokens + (now - bucket.stamp) * lim.private_per_second)
            bucket.stamp = now
            if bucket.tokens < 1.0:
                waits.append((1.0 - bucket.tokens) / lim.private_per_second)
        if waits:
            return max(1, math.ceil(max(waits)))
        if lim.strict_window:
            g.append(now)
            if is_group:
                self._groups[chat_id].append(now)
        else:
            assert self._global_bucket is not None
            self._global_bucket.tokens -= 1.0
            if is_group:
                self._group_buckets[chat_id].tokens -= 1.0
        if not is_group:
            self._private[chat_id].tokens -= 1.0
        return None
