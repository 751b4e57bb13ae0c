"""The delivery budget of one bot: token buckets for the whole bot, each private chat and each group.

A send needs a token from the bot's bucket and one from its destination's. Bulk messages (follow-ups) take
a bot-wide token only while more than `bulk_reserve` are left, so an answer never waits behind them. A 429
holds back its destination for `retry_after`; `hold(None, ...)` holds back the whole bot.

`MemoryBudget` keeps the buckets in this process; `DatabaseBudget` keeps them in the database, so several
sender processes (webhook workers) share one budget. Both apply the same rules (`BudgetState`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import budget as rows


@dataclass(frozen=True)
class SendLimits:
    """How fast a bot may send. Bursts are below the messenger's so that late requests still fit."""

    enabled: bool = True
    global_per_second: float = 28.5
    global_burst: float = 20.0
    private_per_second: float = 1.0
    private_burst: float = 2.0
    group_per_minute: float = 20.0
    group_burst: float = 18.0
    bulk_reserve: float = 5.0

    @classmethod
    def unlimited(cls) -> SendLimits:
        """No budget at all (benchmarks against a server without limits)."""
        return cls(enabled=False)

    def rate(self, kind: str) -> tuple[float, float]:
        """(capacity, tokens per second) of a bucket kind: `*` (the bot), `private` or `group`."""
        if kind == "*":
            return self.global_burst, self.global_per_second
        if kind == "group":
            return self.group_burst, self.group_per_minute / 60.0
        return self.private_burst, self.private_per_second


@dataclass(frozen=True, slots=True)
class Ask:
    """One send that needs a token: its destination, whether that is a group, whether it is bulk."""

    dest: str
    group: bool = False
    bulk: bool = False


@dataclass
class Bucket:
    """Tokens, when they were last counted, and a hold (epoch seconds)."""

    tokens: float
    stamp: float
    hold_until: float = 0.0

    def refill(self, capacity: float, rate: float, now: float) -> None:
        """Add what accrued since `stamp`."""
        self.tokens = min(capacity, self.tokens + max(0.0, now - self.stamp) * rate)
        self.stamp = max(self.stamp, now)


@dataclass
class BudgetState:
    """The buckets of one bot (keys: `*` for the bot, else the destination) and the rules that spend them."""

    limits: SendLimits
    buckets: dict[str, Bucket] = field(default_factory=dict)

    def bucket(self, key: str, kind: str, now: float) -> Bucket:
        """The refilled bucket of `key` (a full one when unknown)."""
        capacity, rate = self.limits.rate(kind)
        found = self.buckets.get(key)
        if found is None:
            found = self.buckets[key] = Bucket(capacity, now)
        found.refill(capacity, rate, now)
        return found

    def decide(self, asks: list[Ask], now: float) -> list[float]:
        """Spend tokens for `asks`, in order; 0 for each granted, else the seconds until it could be."""
        waits = [0.0] * len(asks)
        bot = self.bucket("*", "*", now)
        bot_capacity, bot_rate = self.limits.rate("*")
        reserve = min(self.limits.bulk_reserve, bot_capacity / 4)  # a small bucket still lets bulk through
        for i, ask in enumerate(asks):
            if bot.hold_until > now:
                waits[i:] = [bot.hold_until - now] * (len(asks) - i)
                break
            kind = "group" if ask.group else "private"
            dest = self.bucket(ask.dest, kind, now)
            if dest.hold_until > now:
                waits[i] = dest.hold_until - now
                continue
            if dest.tokens < 1.0:
                waits[i] = (1.0 - dest.tokens) / self.limits.rate(kind)[1]
                continue
            need = 1.0 + (reserve if ask.bulk else 0.0)
            if bot.tokens < need:
                for j in range(i, len(asks)):  # the rest wait for the bot's bucket too
                    extra = reserve if asks[j].bulk else 0.0
                    waits[j] = max(waits[j], (1.0 + extra - bot.tokens) / bot_rate)
                break
            bot.tokens -= 1.0
            dest.tokens -= 1.0
        return waits

    def hold(self, dest: str | None, seconds: float, now: float, group: bool = False) -> None:
        """Nothing to `dest` (None: nothing at all) for `seconds`."""
        bucket = self.bucket("*", "*", now) if dest is None else self.bucket(dest, "group" if group else "private",
                                                                           now)
        bucket.hold_until = max(bucket.hold_until, now + seconds)


class Budget(Protocol):
    """What a sender asks of a budget."""

    async def grant(self, asks: list[Ask]) -> list[float]:
        """Spend tokens for `asks` in order: 0 for each granted, else seconds until it might be."""
        ...

    async def hold(self, dest: str | None, seconds: float, group: bool = False) -> None:
        """A 429: nothing to `dest` (None: the whole bot) for `seconds`."""
        ...


class MemoryBudget:
    """The budget in this process only (one sender process per bot)."""

    def __init__(self, limits: SendLimits, clock: Callable[[], float] = time.time) -> None:
        self.state = BudgetState(limits)
        self.clock = clock

    async def grant(self, asks: list[Ask]) -> list[float]:
        """See `Budget.grant`."""
        return self.state.decide(asks, self.clock())

    async def hold(self, dest: str | None, seconds: float, group: bool = False) -> None:
        """See `Budget.hold`."""
        self.state.hold(dest, seconds, self.clock(), group)


class DatabaseBudget:
    """The budget in the database, shared by every sender of the bot (one row per bucket).

    Each grant is one short transaction that locks the bot's row first; a few of them a second (the
    bot's rate), so its cost is small beside the sends themselves.
    """

    def __init__(self, engine: Engine, platform: str, limits: SendLimits,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.platform = platform
        self.limits = limits
        self.clock = clock
        self._pruned = 0.0

    def _key(self, dest: str) -> str:
        return f"{self.platform}:{dest}"

    def _transact(self, change: Callable[[BudgetState, float], list[float]], dests: list[str]) -> list[float]:
        now = self.clock()
        bot_key = self._key("*")
        with Session(self.engine) as session:
            rows.lock(session, bot_key, self.limits.global_burst, now)
            keys = [bot_key, *(self._key(d) for d in dict.fromkeys(dests))]
            state = BudgetState(self.limits)
            for key, (tokens, stamp, hold) in rows.read(session, keys).items():
                state.buckets["*" if key == bot_key else key.removeprefix(f"{self.platform}:")] = Bucket(
                    tokens, stamp, hold)
            result = change(state, now)
            rows.write(session, {bot_key if name == "*" else self._key(name): (b.tokens, b.stamp, b.hold_until)
                                 for name, b in state.buckets.items()})
            session.commit()
        if now - self._pruned > 600:
            self._pruned = now
            rows.prune(self.engine, now - 600)
        return result

    async def grant(self, asks: list[Ask]) -> list[float]:
        """See `Budget.grant`."""
        return await asyncio.to_thread(self._transact, lambda state, now: state.decide(asks, now),
                                       [ask.dest for ask in asks])

    async def hold(self, dest: str | None, seconds: float, group: bool = False) -> None:
        """See `Budget.hold`."""
        def change(state: BudgetState, now: float) -> list[float]:
            state.hold(dest, seconds, now, group)
            return []

        await asyncio.to_thread(self._transact, change, [] if dest is None else [dest])
