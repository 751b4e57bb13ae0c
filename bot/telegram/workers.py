"""Dispatcher worker processes (TELEGRAM_WORKERS: a number, or `auto`).

The dispatcher is synchronous and CPU-bound (ORM, matching): in threads it shares one GIL with the event
loop. With workers, each update is handled in one of N processes, always the same one for a chat, so a
chat's updates stay in order and its flood guard sees all of them. `auto` (the default) takes one worker on
PostgreSQL with two or more CPUs, where it pays (about 1.2 times the updates a second, for about 130 MB and
one second more at start), and none on SQLite (one writer: the threads are as fast) or one CPU.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import threading
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bot.batched_calls import Outcome, TurnBatches, run_together
from messaging.types import Incoming
from storage.outbox import Lease, OutboxItem

_app: Any = None


def _init(settings_data: dict[str, Any]) -> None:
    global _app
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True, name="parent-watch").start()
    from bot.app import build_app
    from bot.settings import Settings

    _app = build_app(Settings(_env_file=None, **settings_data), migrate=False)  # type: ignore[call-arg]


def _exit_with_parent(parent: int) -> None:
    """End this worker within half a second of its bot process's death (kill -9 leaves no orphan behind)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _answer_many(batch: list[Incoming], lease: Lease | None) -> list[Outcome]:
    """In a worker: each update's stored answers, claimed for the parent's senders, in order (few transactions)."""
    return run_together(lambda msgs: _app.dispatcher.answer_many(msgs, lease), batch)


def worker_count(settings: Any) -> int:
    """How many worker processes TELEGRAM_WORKERS asks for on this machine and database."""
    wanted = settings.telegram_workers
    if wanted != "auto":
        return int(wanted)
    postgres = settings.effective_database_url.startswith("postgresql")
    return 1 if postgres and (os.cpu_count() or 1) >= 2 else 0


class WorkerPool:
    """N single-process executors; a chat always goes to the same one."""

    def __init__(self, settings: Any, workers: int) -> None:
        context = mp.get_context("spawn")
        data = settings.model_dump()
        self._pools = [ProcessPoolExecutor(1, mp_context=context, initializer=_init, initargs=(data,))
                       for _ in range(workers)]
        self.lease: Lease | None = None
        self._calls: TurnBatches[Incoming, list[OutboxItem]] = TurnBatches(
            workers, lambda worker, batch: self._pools[worker].submit(_answer_many, batch, self.lease),
            route=lambda incoming: zlib.crc32(incoming.chat_id.encode()) % workers)

    async def handle(self, incoming: Incoming, lease: Lease | None) -> list[OutboxItem]:
        """Dispatcher.answer in the chat's worker process (messages claimed with `lease`).

        The updates that arrive during one turn of the event loop go to a worker together, in one message
        each way: a round trip per update between processes cost more than handling it.
        """
        self.lease = lease
        return await self._calls(incoming)

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
