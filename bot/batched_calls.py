"""Running a blocking function for many concurrent callers with few hand-offs (to threads or processes).

`asyncio.to_thread` costs a hand-off per call: a queue put that wakes a worker thread, and a write to the
event loop's wake-up pipe when the result is ready; a process costs a message each way. On a busy bot those
system calls cost more than the dispatcher's own work. Here the calls made during one turn of the event loop
are shared out among a few lanes (threads, or worker processes) in one hand-off each, and each lane reports
all its results in one wake-up.

Each caller still awaits its own result; a caller that needs order (one chat's updates) awaits one call
before making the next, so order is kept.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")
Outcome = tuple[bool, Any]  # (True, the result) or (False, the exception raised)
HandOver = Callable[[int, list[In]], "Future[list[Outcome]]"]


class TurnBatches(Generic[In, Out]):
    """`await calls(x)` hands x over with the other calls of this event-loop turn: one hand-off per lane.

    `hand_over(lane, arguments)` starts the lane's share and returns a future of its outcomes, in order.
    `route` picks a call's lane (the same lane for calls that belong together); without it the calls are
    dealt out evenly.
    """

    def __init__(self, lanes: int, hand_over: HandOver[In], route: Callable[[In], int] | None = None) -> None:
        self.lanes = lanes
        self._hand_over = hand_over
        self._route = route
        self._waiting: list[tuple[In, asyncio.Future[Out]]] = []
        self._flush_scheduled = False

    async def __call__(self, argument: In) -> Out:
        """The result for `argument` (the exception its call raised is raised here)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Out] = loop.create_future()
        self._waiting.append((argument, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        """Hand over the calls made so far: one share per lane."""
        self._flush_scheduled = False
        jobs, self._waiting = self._waiting, []
        shares: list[tuple[int, list[tuple[In, asyncio.Future[Out]]]]]
        if self._route is None:
            shares = [(lane, jobs[lane :: self.lanes]) for lane in range(min(self.lanes, len(jobs)))]
        else:
            by_lane: dict[int, list[tuple[In, asyncio.Future[Out]]]] = {}
            for job in jobs:
                by_lane.setdefault(self._route(job[0]), []).append(job)
            shares = list(by_lane.items())
        for lane, share in shares:
            done = asyncio.wrap_future(self._hand_over(lane, [argument for argument, _ in share]))
            done.add_done_callback(functools.partial(_settle_share, [future for _, future in share]))


class BatchedCalls(TurnBatches[In, Out]):
    """`await calls(x)` runs `function(x)` in one of `threads` threads, batched with concurrent calls.

    With `many`, a thread's share of calls is handed to `many` at once (it returns the results in order;
    an exception it raises reaches every caller of that share).
    """

    def __init__(self, function: Callable[[In], Out], threads: int = 6, name: str = "dispatch", *,
                 many: Callable[[list[In]], list[Out]] | None = None) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix=name)
        run = functools.partial(run_together, many) if many else functools.partial(run_each, function)
        super().__init__(threads, lambda _lane, arguments: self._executor.submit(run, arguments))

    def close(self) -> None:
        """Stop the threads (after the calls already handed over)."""
        self._executor.shutdown(wait=True)


def run_each(function: Callable[[In], Out], arguments: list[In]) -> list[Outcome]:
    """`function` applied to each argument in turn; an exception is kept as that call's outcome."""
    outcomes: list[Outcome] = []
    for argument in arguments:
        try:
            outcomes.append((True, function(argument)))
        except BaseException as err:  # noqa: BLE001 - handed to the caller (else it would wait forever)
            outcomes.append((False, err))
    return outcomes


def run_together(many: Callable[[list[In]], list[Out]], arguments: list[In]) -> list[Outcome]:
    """`many` applied to all the arguments at once; an exception it raises is every call's outcome."""
    try:
        return [(True, result) for result in many(arguments)]
    except BaseException as err:  # noqa: BLE001 - handed to the callers (else they would wait forever)
        return [(False, err)] * len(arguments)


def _settle_share(futures: list[asyncio.Future[Any]], done: asyncio.Future[list[Outcome]]) -> None:
    """In the event loop: give each caller of a share its outcome (or the share's own failure)."""
    failure = done.exception() if not done.cancelled() else asyncio.CancelledError()
    outcomes = done.result() if failure is None else [(False, failure)] * len(futures)
    for future, (ok, value) in zip(futures, outcomes, strict=True):
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
