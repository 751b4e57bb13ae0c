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

from handlers.types import Incoming, Outgoing

_app: Any = None


def _init(settings_data: dict[str, Any]) -> None:
    global _app
    from bot.app import build_app
    from bot.settings import Settings

    _app = build_app(Settings(_env_file=None, **settings_data), migrate=False)  # type: ignore[call-arg]


def _handle(incoming: Incoming) -> list[Outgoing]:
    return _app.dispatcher.handle(incoming)  # type: ignore[no-any-return]


class WorkerPool:
    """N single-process executors; a chat always goes to the same one."""

    def __init__(self, settings: Any, workers: int) -> None:
        context = mp.get_context("spawn")
        data = settings.model_dump()
        self._pools = [ProcessPoolExecutor(1, mp_context=context, initializer=_init, initargs=(data,))
                       for _ in range(workers)]

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Dispatcher.handle in the chat's worker process."""
        pool = self._pools[zlib.crc32(incoming.chat_id.encode()) % len(self._pools)]
        return await asyncio.get_running_loop().run_in_executor(pool, _handle, incoming)

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
