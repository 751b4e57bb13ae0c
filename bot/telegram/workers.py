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

from bot.batched_calls import Outcome, TurnBatches, run_together
from messaging.types import Incoming, Outgoing

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
        self._calls: TurnBatches[Incoming, list[Outgoing]] = TurnBatches(
            workers, lambda worker, batch: self._pools[worker].submit(_handle_many, batch),
            route=lambda incoming: zlib.crc32(incoming.chat_id.encode()) % workers)

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Dispatcher.handle in the chat's worker process.

        The updates that arrive during one turn of the event loop go to a worker together, in one message
        each way: a round trip per update between processes cost more than handling it.
        """
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
