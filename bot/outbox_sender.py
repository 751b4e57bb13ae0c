"""The sender: delivers every outgoing message of one platform from the outbox, within the bot's budget.

Messages reach it two ways: the runtime hands over the rows a transaction just wrote and claimed for this
process (direct answers: sent at once, no polling), and a poller claims what is due in the queue (bulk
follow-ups, rows left by a process that died, retries due). Each chat's messages go out one at a time in
the order of their ids; across chats, tokens are granted to answers before other messages and to those
before bulk (`bot.send_budget`). Failures:

- 429: the destination is held back for `retry_after` (the whole bot only when several destinations get
  429 at once), and the message is sent after it;
- 5xx, timeouts, network errors, an HTML error page: retried with backoff, never dropped; while the API
  keeps failing only one message at a time probes it, and the first success sends everything again;
- 403 / chat not found / any other 400: the message is refused for good (`failed`);
- outside the messenger's window (Zalo -230): kept `waiting` until the person writes again.

A message is marked sent right after the messenger accepted it (the marks that come while one batch is
being written form the next); a process killed between the two sends that message again. Leases are renewed
while the process lives, so a live send is never taken over, and a sent mark is never undone. A process
that died on this host (its process id no longer runs) is taken over at start, without waiting out its leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import re
import socket
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.delivery_errors import DeliveryError, OutsideWindow, Rejected, RetryAfter, Unreachable
from bot.logs import OncePer
from bot.send_budget import Ask, Budget, DatabaseBudget, MemoryBudget, SendLimits
from storage import outbox
from storage.citizens import mark_unreachable
from storage.clock import utcnow
from storage.outbox import OutboxItem

__all__ = ["OutboxSender", "Progress", "SendLimits", "SenderHub", "Throttle", "dead_here", "new_owner"]

log = logging.getLogger(__name__)

Throttle = Callable[[str], Awaitable[None]]


@dataclass
class Progress:
    """How many of a message's calls went out already (a retry of the same message resumes after them)."""

    done: int = 0


Deliver = Callable[[OutboxItem, Throttle, Progress], Awaitable[None]]


def _host() -> str:
    return socket.gethostname()[:32]  # an owner name fits its 64-character column


def new_owner() -> str:
    """A name for this process's senders, unique across restarts and machines: host, process id, a nonce."""
    return f"sender-{_host()}:{os.getpid()}-{uuid.uuid4().hex[:12]}"


_OWNER = re.compile(r"sender-(?P<host>.*):(?P<pid>\d+)-[0-9a-f]{12}")


def dead_here(owner: str) -> bool:
    """True when `owner` names a process of this host that no longer runs (killed, crashed).

    A restarted bot then takes its messages over at once instead of waiting out their leases. Anything
    uncertain (another host, a process id in use again, an older name) counts as alive: the lease decides.
    """
    found = _OWNER.fullmatch(owner)
    if found is None or found["host"] != _host() or int(found["pid"]) == os.getpid():
        return False
    try:
        os.kill(int(found["pid"]), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive under another user, or cannot tell
        return False
    return False


@dataclass
class _Entry:
    item: OutboxItem
    progress: Progress = field(default_factory=Progress)
    not_before: float = 0.0
    failures: int = 0
    polled: bool = False


@dataclass(order=True)
class _Ask:
    priority: int
    order: int
    not_before: float = field(compare=False, default=0.0)
    ask: Ask = field(compare=False, default=Ask(""))
    future: asyncio.Future[None] | None = field(compare=False, default=None)


class OutboxSender:
    """Delivers the outbox messages of one platform with `deliver(item, throttle, progress)`."""

    def __init__(self, engine: Engine, platform: str, deliver: Deliver, limits: SendLimits | None = None, *,
                 budget: Budget | None = None, shared_budget: bool = True, owner: str | None = None,
                 lease_seconds: float = 15.0, poll_interval: float = 0.25, claim_window: int = 200,
                 max_backoff: float = 30.0, keep_sent_hours: float = 24.0,
                 is_group: Callable[[str], bool] = lambda chat: chat.startswith("-"),
                 on_waiting: Callable[[OutboxItem, str], None] | None = None) -> None:
        self.engine = engine
        self.platform = platform
        self.deliver = deliver
        self.limits = limits or SendLimits()
        if budget is None and self.limits.enabled:
            budget = (DatabaseBudget(engine, platform, self.limits) if shared_budget
                      else MemoryBudget(self.limits))
        self.budget = budget
        self._fallback = MemoryBudget(replace(self.limits, global_per_second=self.limits.global_per_second / 2,
                                              global_burst=max(1.0, self.limits.global_burst / 2)))
        self.owner = owner or new_owner()
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.claim_window = claim_window
        self.max_backoff = max_backoff
        self.keep_sent = timedelta(hours=keep_sent_hours)
        self.is_group = is_group
        self.on_waiting = on_waiting
        self.sent = 0
        self.failed = 0
        self.rate_limited = 0
        self._queues: dict[str, deque[_Entry]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._polled = 0  # entries held that the poller claimed (its window)
        self._asks: list[_Ask] = []
        self._ask_event = asyncio.Event()
        self._bot_wait_until = 0.0
        self._poll_event = asyncio.Event()
        self._marks: list[tuple[str, tuple[Any, ...]]] = []
        self._sent_ids: list[int] = []
        self._mark_event = asyncio.Event()
        self._renewed = time.monotonic()
        self._expect_claims_until = 0.0
        self._recent_429: deque[tuple[float, str]] = deque()
        self._outage = False
        self._fail_streak = 0
        self._recovered = asyncio.Event()
        self._probe = asyncio.Lock()
        self._in_call: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self._background: list[asyncio.Task[None]] = []
        self._once = OncePer()

    # ------------------------------------------------------------------ intake

    def submit(self, items: Iterable[OutboxItem]) -> None:
        """Take over messages a transaction of this process just wrote (and claimed, unless told otherwise)."""
        poll = False
        for item in items:
            if not item.claimed:
                poll = True
                continue
            self._add(item)
        if poll:  # rows that wait behind older ones of their chat: look for them as those get sent
            self._expect_claims_until = time.monotonic() + 30.0
            self._poll_event.set()

    def _add(self, item: OutboxItem, polled: bool = False) -> None:
        queue = self._queues.setdefault(item.chat_id, deque())
        entry = _Entry(item, polled=polled)
        if polled:
            self._polled += 1
        if item.id is not None and queue and queue[-1].item.id is not None and item.id < queue[-1].item.id:
            index = next(i for i, e in enumerate(queue) if e.item.id is None or e.item.id > item.id)
            queue.insert(max(index, 1 if self._tasks.get(item.chat_id) else 0), entry)
        else:
            queue.append(entry)
        if item.chat_id not in self._tasks and not self._stopping:
            task = asyncio.get_running_loop().create_task(self._run_chat(item.chat_id))
            self._tasks[item.chat_id] = task

    @property
    def held(self) -> int:
        """Messages this sender holds in memory (being sent or waiting for their turn)."""
        return sum(len(q) for q in self._queues.values())

    # ------------------------------------------------------------------ running

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; then finish what is on the wire and give the rest back."""
        self.start()
        try:
            await stop.wait()
        finally:
            await self.shutdown()

    def start(self) -> None:
        """Start the background loops (poller, token granter, marks, leases)."""
        if self._background:
            return
        loop = asyncio.get_running_loop()
        self._background = [loop.create_task(coro) for coro in
                            (self._poll_loop(), self._grant_loop(), self._mark_loop(), self._lease_loop())]

    async def drain(self, timeout: float = 60.0) -> None:
        """Send until nothing is due or held (tests and benchmarks)."""
        self.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._queues and not self._sent_ids and not self._marks:
                if await asyncio.to_thread(outbox.pending_count, self.engine, self.platform) == 0:
                    return
                self._poll_event.set()
            await asyncio.sleep(0.05)
        raise TimeoutError(f"outbox not drained in time ({self.held} held)")

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until this sender holds nothing and has recorded every delivery (tests)."""
        deadline = time.monotonic() + timeout
        while self._queues or self._sent_ids or self._marks:
            if time.monotonic() > deadline:
                raise TimeoutError(f"sender not idle in time ({self.held} held)")
            await asyncio.sleep(0.01)

    async def shutdown(self, grace: float = 5.0) -> None:
        """Stop: calls on the wire get `grace` seconds; everything not sent goes back to the queue."""
        self._stopping = True
        waiting = [t for t in self._tasks.values() if t not in self._in_call]
        for task in waiting:
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks.values()), timeout=grace)
        await _cancel(list(self._tasks.values()))
        unsent = [e.item.id for q in self._queues.values() for e in q if e.item.id is not None]
        self._queues.clear()
        await _cancel(self._background)
        self._background = []
        try:
            await asyncio.to_thread(self._flush_marks)
            await asyncio.to_thread(outbox.release, self.engine, unsent, self.owner)
        except SQLAlchemyError as err:  # the leases run out and another process sends them
            log.warning("outbox %s: could not give %d messages back at shutdown (%s)", self.platform,
                        len(unsent), type(err).__name__)

    # ------------------------------------------------------------------ one chat

    async def _run_chat(self, chat: str) -> None:
        """Send a chat's messages in order, one at a time, until it has none."""
        me = asyncio.current_task()
        try:
            while True:
                queue = self._queues.get(chat)
                if not queue:
                    return
                entry = queue[0]
                wait = entry.not_before - time.monotonic()
                if wait > 0:
                    with contextlib.suppress(TimeoutError):  # woken early when the messenger is back
                        await asyncio.wait_for(self._recovered.wait(), wait)
                    continue
                stale = self._renewed < time.monotonic() - self.lease_seconds and entry.item.id is not None
                if stale and not await self._still_mine(entry):
                    self._pop(chat, entry)
                    continue
                try:
                    done = await self._attempt(entry, me)
                except asyncio.CancelledError:
                    raise
                except Exception as err:  # noqa: BLE001 - a bug here must not strand the chat's messages
                    log.error("outbox %s: %s while handling a send; retrying", self.platform, type(err).__name__,
                              exc_info=err)
                    entry.not_before = time.monotonic() + 5.0
                    continue
                if done:
                    self._pop(chat, entry)
        finally:
            if self._tasks.get(chat) is me:
                del self._tasks[chat]
            if self._queues.get(chat) and not self._stopping:  # a message arrived while finishing
                self._tasks[chat] = asyncio.get_running_loop().create_task(self._run_chat(chat))
            elif chat in self._queues and not self._queues[chat]:
                del self._queues[chat]

    def _pop(self, chat: str, entry: _Entry) -> None:
        queue = self._queues.get(chat)
        if queue and entry in queue:
            queue.remove(entry)
            if entry.polled:
                self._polled -= 1

    async def _still_mine(self, entry: _Entry) -> bool:
        """After the database was away longer than a lease: whether this process still holds the message."""
        try:
            held = await asyncio.to_thread(outbox.still_held, self.engine, [entry.item.id], self.owner,
                                           self.lease_seconds)
        except SQLAlchemyError:
            entry.not_before = time.monotonic() + 1.0
            return True
        self._renewed = time.monotonic()
        return entry.item.id in held

    async def _attempt(self, entry: _Entry, me: asyncio.Task[Any] | None) -> bool:
        """One try; True when the message is done with (sent or refused for good)."""
        item = entry.item

        async def throttle(dest: str) -> None:
            await self._acquire(dest, item.priority, item.id or 0)
            if me is not None:
                self._in_call.add(me)

        try:
            if self._outage:
                async with self._probe:
                    await self.deliver(item, throttle, entry.progress)
            else:
                await self.deliver(item, throttle, entry.progress)
        except RetryAfter as err:
            await self._on_429(entry, err.seconds)
            return False
        except Unreachable as err:
            log.info("outbox %s: %s chat unreachable (%s)", item.id, self.platform, err)
            await self._guard(mark_unreachable, self.engine, self.platform, item.chat_id)
            self._refused(item, f"unreachable: {err}")
            return True
        except OutsideWindow as err:
            self._queue_mark("waiting", (item.id, str(err)))
            if self.on_waiting is not None:
                await self._guard(self.on_waiting, item, str(err))
            return True
        except Rejected as err:
            log.error("outbox %s refused by %s: %s", item.id, self.platform, err)
            self._refused(item, f"rejected: {err}")
            return True
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - 5xx, network, a bug: retried, never lost
            self._on_transient(entry, err)
            return False
        finally:
            if me is not None:
                self._in_call.discard(me)
        self._delivered(item)
        return True

    def _delivered(self, item: OutboxItem) -> None:
        self.sent += 1
        self._fail_streak = 0
        if self._outage:
            self._outage = False
            log.warning("outbox %s: the messenger answers again; sending everything that waited", self.platform)
            now = time.monotonic()
            for queue in self._queues.values():
                if queue and queue[0].failures:
                    queue[0].not_before = min(queue[0].not_before, now)
                    queue[0].failures = 0
            recovered, self._recovered = self._recovered, asyncio.Event()
            recovered.set()
        if item.id is not None:
            self._sent_ids.append(item.id)
            self._mark_event.set()

    def _refused(self, item: OutboxItem, error: str) -> None:
        self.failed += 1
        if item.id is not None:
            self._queue_mark("failed", (item.id, error))

    async def _on_429(self, entry: _Entry, seconds: float) -> None:
        self.rate_limited += 1
        chat = entry.item.chat_id
        now = time.monotonic()
        entry.not_before = now + seconds
        recent = self._recent_429
        while recent and recent[0][0] < now - 1.0:
            recent.popleft()
        bot_wide = any(dest != chat for _, dest in recent)
        recent.append((now, chat))
        if self.budget is not None:
            with contextlib.suppress(SQLAlchemyError):
                await self.budget.hold(None if bot_wide else chat, seconds, self.is_group(chat))
        if bot_wide:
            self._bot_wait_until = max(self._bot_wait_until, now + seconds)
        key = "429-bot" if bot_wide else "429"
        count = self._once(key)
        if count:
            log.warning("outbox %s: 429, waiting %.0f s for %s (%d such answers in the last minute)",
                        self.platform, seconds, "every chat" if bot_wide else "one chat", count)

    def _on_transient(self, entry: _Entry, err: BaseException) -> None:
        entry.failures += 1
        self._fail_streak += 1
        self._outage = self._outage or self._fail_streak >= 3
        delay = min(self.max_backoff, 0.5 * 2 ** entry.failures) * random.uniform(0.8, 1.2)
        entry.not_before = time.monotonic() + delay
        kind = type(err).__name__
        count = self._once(f"transient:{kind}")
        if count:
            if isinstance(err, DeliveryError):
                log.warning("outbox %s: %s (%s); retrying (%d failed attempts in the last minute)",
                            self.platform, kind, str(err)[:200], count)
            else:
                log.error("outbox %s: unexpected %s while sending; retrying", self.platform, kind, exc_info=err)
        if entry.item.id is not None and entry.failures in (1, 5, 20):
            self._queue_mark("error", (entry.item.id, f"{kind}: {str(err)[:300]}"))

    async def _guard(self, func: Callable[..., Any], *args: Any) -> None:
        try:
            await asyncio.to_thread(func, *args)
        except Exception as err:  # noqa: BLE001 - a side record; the message itself is handled
            log.warning("outbox %s: %s failed (%s)", self.platform, getattr(func, "__name__", func),
                        type(err).__name__)

    # ------------------------------------------------------------------ tokens

    async def _acquire(self, dest: str, priority: int, order: int) -> None:
        """Wait for a token of the budget for one call to `dest`."""
        if self.budget is None:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ask = _Ask(priority, order, 0.0, Ask(dest, self.is_group(dest), priority >= outbox.BULK), future)
        self._asks.append(ask)
        self._ask_event.set()
        try:
            await future
        except asyncio.CancelledError:
            with contextlib.suppress(ValueError):
                self._asks.remove(ask)
            raise

    async def _grant_loop(self) -> None:
        """Grant tokens to the waiting calls, most urgent first, one budget transaction per round."""
        while not self._stopping:
            if not self._asks:
                self._ask_event.clear()
                await self._ask_event.wait()
                continue
            now = time.monotonic()
            self._asks = [a for a in self._asks if a.future is not None and not a.future.done()]
            ready = sorted(a for a in self._asks if a.not_before <= now)
            if not ready or self._bot_wait_until > now:
                soonest = min([a.not_before for a in self._asks] + [now + 1.0])
                wait = max(soonest, self._bot_wait_until) - now
                self._ask_event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._ask_event.wait(), max(0.005, wait))
                continue
            batch = ready[:16]
            try:
                assert self.budget is not None
                waits = await self.budget.grant([a.ask for a in batch])
            except SQLAlchemyError as err:  # the database is away: a budget of this process's own, at half pace
                count = self._once("budget")
                if count:
                    log.warning("outbox %s: cannot read the shared delivery budget (%s); sending at half pace",
                                self.platform, type(err).__name__)
                waits = await self._fallback.grant([a.ask for a in batch])
            now = time.monotonic()
            for ask, wait in zip(batch, waits, strict=True):
                if wait <= 0:
                    self._asks.remove(ask)
                    if ask.future is not None and not ask.future.done():
                        ask.future.set_result(None)
                else:
                    ask.not_before = now + wait

    # ------------------------------------------------------------------ the queue

    async def _poll_loop(self) -> None:
        """Claim what is due in the queue (bulk, retries, messages of a process that died)."""
        failing = False
        with contextlib.suppress(SQLAlchemyError):
            await asyncio.to_thread(self._take_over_dead)
        while not self._stopping:
            self._poll_event.clear()
            room = self.claim_window - self._polled
            if room > 0 and not self._stopping:
                try:
                    items = await asyncio.to_thread(outbox.claim_due, self.engine, self.platform, room,
                                                    self.lease_seconds, owner=self.owner)
                    if failing:
                        log.warning("outbox %s: the queue can be read again", self.platform)
                    failing = False
                    for item in items:
                        self._add(item, polled=True)
                except SQLAlchemyError as err:
                    if not failing:
                        log.warning("outbox %s: cannot read the queue (%s); retrying", self.platform,
                                    type(err).__name__)
                    failing = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poll_event.wait(), self.poll_interval)

    def _take_over_dead(self) -> None:
        """Give back at once what processes of this host that died (kill -9, a crash) still hold."""
        for owner in outbox.holding_owners(self.engine):
            if dead_here(owner):
                count = outbox.release_owner(self.engine, owner)
                if count:
                    log.warning("outbox %s: %d messages of a process that died are sent now", self.platform,
                                count)

    def _queue_mark(self, kind: str, args: tuple[Any, ...]) -> None:
        self._marks.append((kind, args))
        self._mark_event.set()

    async def _mark_loop(self) -> None:
        """Write the marks in batches; kept and retried while the database is away."""
        last_prune = 0.0
        while not self._stopping:
            await self._mark_event.wait()
            # written at once: the marks that come while one batch is being written form the next batch (a group
            # commit), so a busy sender writes few statements and a kill finds few sends unmarked
            self._mark_event.clear()
            try:
                await asyncio.to_thread(self._flush_marks)
            except SQLAlchemyError as err:
                count = self._once("marks")
                if count:
                    log.warning("outbox %s: cannot record deliveries yet (%s); retrying", self.platform,
                                type(err).__name__)
                await asyncio.sleep(1.0)
                self._mark_event.set()
                continue
            if time.monotonic() < self._expect_claims_until:
                self._poll_event.set()  # a chat's next message may be claimable now
            if time.monotonic() - last_prune > 600:
                last_prune = time.monotonic()
                with contextlib.suppress(SQLAlchemyError):
                    await asyncio.to_thread(outbox.prune_sent, self.engine, utcnow() - self.keep_sent)

    def _flush_marks(self) -> None:
        sent, self._sent_ids = self._sent_ids, []
        try:
            outbox.mark_sent(self.engine, sent)
        except BaseException:
            self._sent_ids[:0] = sent
            raise
        while self._marks:
            kind, args = self._marks[0]
            if kind == "failed":
                outbox.mark_failed(self.engine, args[0], self.owner, args[1])
            elif kind == "waiting":
                outbox.mark_waiting(self.engine, args[0], self.owner, args[1])
            elif kind == "error":
                outbox.note_error(self.engine, args[0], args[1])
            self._marks.pop(0)

    async def _lease_loop(self) -> None:
        """Renew the leases of what this process holds, well before they run out."""
        while not self._stopping:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                await asyncio.to_thread(outbox.renew, self.engine, self.owner, self.lease_seconds)
                self._renewed = time.monotonic()
            except SQLAlchemyError:
                pass


async def _cancel(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel tasks and wait for them (again, should one swallow its cancellation in a race)."""
    while tasks := [t for t in tasks if not t.done()]:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=1.0)


class SenderHub:
    """The senders of this process, one per platform, and the lease its transactions claim answers with."""

    def __init__(self, owner: str | None = None, lease_seconds: float = 15.0) -> None:
        self.owner = owner or new_owner()
        self.lease_seconds = lease_seconds
        self.senders: dict[str, OutboxSender] = {}

    def add(self, sender: OutboxSender) -> OutboxSender:
        """Register a platform's sender (it takes this process's owner name)."""
        sender.owner = self.owner
        sender.lease_seconds = self.lease_seconds
        self.senders[sender.platform] = sender
        return sender

    @property
    def lease(self) -> outbox.Lease | None:
        """What a transaction claims its messages with: this process, for the platforms it sends to."""
        if not self.senders:
            return None
        return outbox.Lease(self.owner, self.lease_seconds, frozenset(self.senders))

    def submit(self, items: Iterable[OutboxItem]) -> None:
        """Hand each message to its platform's sender (messages for other platforms stay queued)."""
        by_platform: dict[str, list[OutboxItem]] = {}
        for item in items:
            by_platform.setdefault(item.platform, []).append(item)
        for platform, mine in by_platform.items():
            sender = self.senders.get(platform)
            if sender is not None:
                sender.submit(mine)
