"""Running a blocking function for many concurrent callers with few thread hand-offs.

`asyncio.to_thread` costs a hand-off per call: a queue put that wakes a worker thread, and a write to the
event loop's wake-up pipe when the result is ready. On a busy bot those system calls cost more than the
dispatcher's own work. Here the calls made during one turn of the event loop are shared out among a few
threads in one hand-off each, and each thread reports all its results in one wake-up.

Each caller still awaits its own result; a caller that needs order (one chat's updates) awaits one call
before making the next, so order is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

class BatchedCalls(Generic[In, Out]):
    """`await calls(x)` runs `function(x)` in one of `threads` threads, batched with concurrent calls.

    With `many`, a thread's share of calls is handed to `many` at once (it returns the results in order;
    an exception it raises reaches every caller of that share).
    """

    def __init__(self, function: Callable[[In], Out], threads: int = 6, name: str = "dispatch", *,
                 many: Callable[[list[In]], list[Out]] | None = None) -> None:
        self.function = function
        self.many = many
        self.threads = threads
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix=name)
        self._waiting: list[tuple[In, asyncio.Future[Out]]] = []
        self._flush_scheduled = False

    async def __call__(self, argument: In) -> Out:
        """The function's result for `argument` (its exception is raised here)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Out] = loop.create_future()
        self._waiting.append((argument, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush, loop)
        return await future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        """Share the calls made so far among the threads: one hand-off per thread."""
        self._flush_scheduled = False
        jobs, self._waiting = self._waiting, []
        for share in (jobs[i :: self.threads] for i in range(min(self.threads, len(jobs)))):
            self._executor.submit(self._run, loop, share)

    def _run(self, loop: asyncio.AbstractEventLoop, jobs: list[tuple[In, asyncio.Future[Out]]]) -> None:
        """In a worker thread: run every job, then hand all the results back in one wake-up."""
        arguments = [argument for argument, _ in jobs]
        outcomes = run_together(self.many, arguments) if self.many else run_each(self.function, arguments)
        with contextlib.suppress(RuntimeError):  # a loop closed meanwhile: nobody is waiting any more
            loop.call_soon_threadsafe(settle, [future for _, future in jobs], outcomes)

    def close(self) -> None:
        """Stop the threads (after the calls already handed over)."""
        self._executor.shutdown(wait=True)


Outcome = tuple[bool, Any]  # (True, the result) or (False, the exception raised)


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


def settle(futures: list[asyncio.Future[Any]], outcomes: list[Outcome]) -> None:
    """In the event loop: give each waiting caller its outcome."""
    for future, (ok, value) in zip(futures, outcomes, strict=True):
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
