"""Optional dispatcher worker processes (TELEGRAM_WORKERS > 0).

The dispatcher is synchronous and CPU-bound (ORM, matching): in threads it shares one GIL with the event
loop. With workers, each update is handled in one of N processes, always the same one for a chat, so a
chat's updates stay in order and its flood guard sees all of them.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import zlib
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bot.batched_calls import Outcome, run_together, settle
from handlers.types import Incoming, Outgoing

_app: Any = None


def _init(settings_data: dict[str, Any]) -> None:
    global _app
    from bot.app import build_app
    from bot.settings import Settings

    _app = build_app(Settings(_env_file=None, **settings_data), migrate=False)  # type: ignore[call-arg]


def _handle_many(batch: list[Incoming]) -> list[Outcome]:
    """In a worker: each update's answers, in order (handled together: few transactions)."""
    return run_together(_app.dispatcher.handle_many, batch)


class WorkerPool:
    """N single-process executors; a chat always goes to the same one."""

    def __init__(self, settings: Any, workers: int) -> None:
        context = mp.get_context("spawn")
        data = settings.model_dump()
        self._pools = [ProcessPoolExecutor(1, mp_context=context, initializer=_init, initargs=(data,))
                       for _ in range(workers)]
        self._waiting: list[list[tuple[Incoming, asyncio.Future[list[Outgoing]]]]] = [[] for _ in range(workers)]
        self._flushing: set[int] = set()

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Dispatcher.handle in the chat's worker process.

        The updates that arrive during one turn of the event loop go to a worker together, in one message
        each way: a round trip per update between processes cost more than handling it.
        """
        loop = asyncio.get_running_loop()
        worker = zlib.crc32(incoming.chat_id.encode()) % len(self._pools)
        future: asyncio.Future[list[Outgoing]] = loop.create_future()
        self._waiting[worker].append((incoming, future))
        if worker not in self._flushing:
            self._flushing.add(worker)
            loop.call_soon(self._flush, worker)
        return await future

    def _flush(self, worker: int) -> None:
        self._flushing.discard(worker)
        jobs, self._waiting[worker] = self._waiting[worker], []
        done = asyncio.wrap_future(self._pools[worker].submit(_handle_many, [incoming for incoming, _ in jobs]))
        done.add_done_callback(lambda finished: _settle(jobs, finished))

    async def warm_up(self) -> None:
        """Start every worker (each loads the knowledge base) before the first update arrives."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(pool, _noop) for pool in self._pools))

    def close(self) -> None:
        """Stop the workers."""
        for pool in self._pools:
            pool.shutdown(wait=True, cancel_futures=True)


def _noop() -> None:
    return None


def _settle(jobs: list[tuple[Incoming, asyncio.Future[list[Outgoing]]]], finished: asyncio.Future[Any]) -> None:
    """Give each update of a batch its answers, or the error (of the update, or of the whole batch)."""
    failure = finished.exception() if not finished.cancelled() else asyncio.CancelledError()
    outcomes = finished.result() if failure is None else [(False, failure)] * len(jobs)
    settle([future for _, future in jobs], outcomes)
