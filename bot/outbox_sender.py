"""The durable-outbox sender: delivers queued messages within Telegram's limits, and never loses one.

Limits (defaults): 28.5 messages a second in total (a margin under Telegram's 30), one a second per private
chat, 20 a minute per group. A 429 pauses every send for `retry_after`; 5xx and network errors are retried
with backoff; a 403 is recorded on the citizen and the message is given up; each message is marked sent
right after Telegram accepted it, so a restarted worker does not send it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from bot.delivery_errors import DeliveryError, Rejected, RetryAfter, Transient, Unreachable
from storage import outbox
from storage.citizens import mark_unreachable
from storage.clock import utcnow
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

Throttle = Callable[[str], Awaitable[None]]
Deliver = Callable[[outbox.OutboxItem, Throttle], Awaitable[None]]


@dataclass
class SendLimits:
    """How fast the sender may go."""

    global_per_second: float = 28.5
    private_interval: float = 1.0
    group_per_minute: int = 20


def is_group_chat(chat_id: str) -> bool:
    """Telegram group and channel ids are negative."""
    return chat_id.startswith("-")


@dataclass
class RateLimiter:
    """Hands out send times: spaced globally, per private chat, and within each group's minute window."""

    limits: SendLimits = field(default_factory=SendLimits)
    clock: Callable[[], float] = time.monotonic
    _next_global: float = 0.0
    _paused_until: float = 0.0
    _next_chat: dict[str, float] = field(default_factory=dict)
    _group_sends: dict[str, deque[float]] = field(default_factory=dict)
    _recent: deque[float] = field(default_factory=deque)

    def _chat_ready(self, chat_id: str, now: float) -> float:
        if not is_group_chat(chat_id):
            return self._next_chat.get(chat_id, now)
        window = self._group_sends.setdefault(chat_id, deque())
        while window and window[0] <= now - 60.0:
            window.popleft()
        if len(window) < self.limits.group_per_minute:
            return now
        return window[-self.limits.group_per_minute] + 61.0  # a second of margin for late sends

    def delay_for(self, chat_id: str) -> float:
        """Seconds until a message to this chat could go out (nothing reserved)."""
        now = self.clock()
        return max(0.0, self._chat_ready(chat_id, now) - now, self._paused_until - now)

    def reserve(self, chat_id: str) -> float:
        """Reserve the next allowed send time for this chat; return the seconds to wait for it."""
        now = self.clock()
        slot = max(now, self._next_global, self._paused_until, self._chat_ready(chat_id, now))
        self._next_global = slot + 1.0 / self.limits.global_per_second
        if is_group_chat(chat_id):
            self._group_sends[chat_id].append(slot)
        else:
            self._next_chat[chat_id] = slot + self.limits.private_interval
        if len(self._next_chat) > 50_000:
            self._next_chat = {k: v for k, v in self._next_chat.items() if v > now}
        return slot - now

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nothing goes out for `seconds`."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def paused_for(self) -> float:
        """Seconds left of a 429 pause."""
        return max(0.0, self._paused_until - self.clock())

    def _window_wait(self) -> float:
        """Seconds until fewer than the per-second limit were actually sent within the last second."""
        now = self.clock()
        recent = self._recent
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        if len(recent) < int(self.limits.global_per_second):
            return 0.0
        return recent[0] + 1.0 - now + 0.01

    async def wait(self, chat_id: str) -> None:
        """Sleep until a message to `chat_id` may be sent, and count it as sent now.

        Slots are spaced evenly; a 429 pause made while waiting means taking a new slot after it (so the
        waiting sends do not all go at once when it ends), and late wake-ups are held back so that no
        second ever sees more than the limit.
        """
        while True:
            await asyncio.sleep(self.reserve(chat_id))
            if self.paused_for() > 0:
                continue
            held = self._window_wait()
            if held <= 0:
                break
            await asyncio.sleep(held)
            if self._window_wait() <= 0 and self.paused_for() <= 0:
                break
        now = self.clock()
        self._recent.append(now)
        if not is_group_chat(chat_id):  # spacing counts from the actual send, even a late one
            self._next_chat[chat_id] = max(self._next_chat.get(chat_id, 0.0), now + self.limits.private_interval)


def release(engine: Engine, item_id: int, delay_seconds: float) -> None:
    """Put a claimed message back unsent, without counting the claim as an attempt."""
    with Session(engine) as session:
        session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == item_id).values(
            status=outbox.PENDING, attempts=OutboxMessage.attempts - 1,
            next_attempt_at=utcnow() + timedelta(seconds=delay_seconds)))
        session.commit()


@dataclass
class OutboxSender:
    """Claims due messages of one platform and delivers them with `deliver(item, throttle)`."""

    engine: Engine
    platform: str
    deliver: Deliver
    limits: SendLimits = field(default_factory=SendLimits)
    lease_seconds: float = 60.0
    max_attempts: int = 8
    max_backoff: float = 600.0
    poll_interval: float = 0.5
    window: int = 64
    defer_after: float = 5.0
    sent: int = 0
    failed: int = 0

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.limits)
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy: set[str] = set()
        self._handed: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; then finish what is being sent and give the rest back."""
        try:
            while not stop.is_set():
                try:
                    started = await self.fill()
                except SQLAlchemyError as err:  # the database is down or restarting: keep polling
                    log.warning("outbox %s: cannot read the queue (%s); retrying", self.platform, err)
                    started = 0
                if not started:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.poll_interval)
                else:
                    await self._wait_for_room(stop)
        finally:
            await self.shutdown()

    async def _wait_for_room(self, stop: asyncio.Event) -> None:
        while len(self._tasks) >= self.window and not stop.is_set():
            await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)

    async def fill(self) -> int:
        """Claim as many due messages as the window has room for and start sending them."""
        room = self.window - len(self._tasks)
        if room <= 0:
            return 0
        items = await asyncio.to_thread(outbox.claim_due, self.engine, self.platform, room, self.lease_seconds)
        for item in items:
            delay = self.limiter.delay_for(item.chat_id)
            if item.chat_id in self._busy or delay > self.defer_after:
                await asyncio.to_thread(release, self.engine, item.id, max(delay, 1.0))
                continue
            self._busy.add(item.chat_id)
            task = asyncio.create_task(self._send(item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(items)

    async def drain(self, timeout: float = 60.0) -> None:
        """Send until nothing is due (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            started = await self.fill()
            if self._tasks:
                await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)
            elif not started:
                if await asyncio.to_thread(outbox.pending_count, self.engine, self.platform) == 0:
                    return
                await asyncio.sleep(self.poll_interval)
        raise TimeoutError("outbox not drained in time")

    async def shutdown(self, grace: float = 15.0) -> None:
        """Stop: finish messages being sent; those not yet handed over go back to the queue at once."""
        for task in list(self._tasks):
            if task not in self._handed:
                task.cancel()
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _send(self, item: outbox.OutboxItem) -> None:
        handed_over = False
        me = asyncio.current_task()

        async def throttle(chat_id: str) -> None:
            nonlocal handed_over
            await self.limiter.wait(chat_id)
            handed_over = True
            if me is not None:
                self._handed.add(me)

        try:
            await self.deliver(item, throttle)
        except asyncio.CancelledError:
            if handed_over:  # maybe sent: let the lease decide rather than risk a duplicate now
                log.warning("outbox %s interrupted while sending", item.id)
            else:
                await asyncio.shield(asyncio.to_thread(release, self.engine, item.id, 0.0))
            raise
        except RetryAfter as err:
            self.limiter.pause(err.seconds)
            await self._mark(outbox.mark_retry, item.id, str(err), err.seconds)
        except Unreachable as err:
            log.info("outbox %s: %s:%s unreachable (%s)", item.id, self.platform, item.chat_id, err)
            await asyncio.to_thread(mark_unreachable, self.engine, self.platform, item.chat_id)
            await self._failed(item, f"unreachable: {err}")
        except Rejected as err:
            log.error("outbox %s rejected by %s: %s", item.id, self.platform, err)
            await self._failed(item, f"rejected: {err}")
        except (Transient, DeliveryError, Exception) as err:  # noqa: BLE001 - retry, never lose it
            await self._transient(item, err)
        else:
            await self._mark(outbox.mark_sent, item.id)
            self.sent += 1
        finally:
            self._busy.discard(item.chat_id)
            self._handed.discard(me)  # type: ignore[arg-type]

    async def _transient(self, item: outbox.OutboxItem, err: BaseException) -> None:
        if not isinstance(err, DeliveryError):
            log.exception("outbox %s: unexpected error", item.id, exc_info=err)
        if item.attempts >= self.max_attempts:
            await self._failed(item, f"gave up after {item.attempts} attempts: {err}")
            return
        delay = min(self.max_backoff, 2.0 ** item.attempts) * random.uniform(0.8, 1.2)
        await self._mark(outbox.mark_retry, item.id, f"{type(err).__name__}: {err}", delay)

    async def _failed(self, item: outbox.OutboxItem, error: str) -> None:
        self.failed += 1
        await self._mark(outbox.mark_failed, item.id, error)

    async def _mark(self, func: Callable[..., None], *args: object) -> None:
        await asyncio.shield(asyncio.to_thread(func, self.engine, *args))
