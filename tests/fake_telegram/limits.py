"""Flood limits of the fake Bot API server, modelled on Telegram's documented limits."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class FloodLimits:
    """Configurable limits; `enabled=False` turns all of them off."""

    enabled: bool = True
    global_per_second: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20


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

    def check(self, chat_id: int, is_group: bool, now: float | None = None) -> int | None:
        """Record a send and return None, or return the seconds to wait (nothing recorded)."""
        lim = self.limits
        if not lim.enabled:
            return None
        now = time.monotonic() if now is None else now
        waits: list[float] = []
        g = self._global
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
        g.append(now)
        if is_group:
            self._groups[chat_id].append(now)
        else:
            self._private[chat_id].tokens -= 1.0
        return None
