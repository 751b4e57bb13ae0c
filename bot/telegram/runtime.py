"""What both runtimes share: raw updates -> library parse (bad ones skipped) -> neutral handling.

A runtime (aiogram or python-telegram-bot) supplies the library-specific parts: raw getUpdates, parsing
one update, feeding a parsed update through the library's own dispatcher, and `api.call`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from bot.batched_calls import BatchedCalls
from bot.delivery_errors import DeliveryError, Fatal
from bot.logs import OncePer
from bot.outbox_sender import SenderHub
from bot.telegram.convert import ALLOWED_UPDATES, chat_key, to_incoming
from bot.telegram.delivery import Delivery, TelegramApi
from bot.telegram.workers import WorkerPool
from messaging.types import Incoming
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

# Dispatcher threads (without worker processes). Few: the threads share one interpreter lock, and a thread's
# share of a batch is one transaction; measured on PostgreSQL, 500 citizens: 2 threads about 1.4 times the
# updates per second of 6. Two, so a slow question does not hold up every other update.
DISPATCH_THREADS = 2


class Runtime(ABC):
    """A Telegram runtime: polling or webhook intake, the neutral dispatcher, and delivery."""

    name = "base"

    def __init__(self, token: str, api_base: str, dispatcher: Any, engine: Engine,
                 max_concurrency: int = 64, hub: SenderHub | None = None) -> None:
        self.token = token
        self.api_base = api_base.rstrip("/")
        self.dispatcher = dispatcher
        self.engine = engine
        self.hub = hub or SenderHub()
        self.delivery = Delivery(self.api, engine)
        self._slots = asyncio.Semaphore(max_concurrency)
        self.on_handled: Callable[[float], None] | None = None
        self.skipped = 0
        self.workers: WorkerPool | None = None
        self._dispatch = (BatchedCalls(self._answer_one, threads=DISPATCH_THREADS, many=self._answer_many)
                          if dispatcher is not None else None)
        self._once = OncePer()

    def _answer_one(self, incoming: Incoming) -> list[OutboxItem]:
        return self.dispatcher.answer(incoming, self.hub.lease)  # type: ignore[no-any-return]

    def _answer_many(self, batch: list[Incoming]) -> list[list[OutboxItem]]:
        return self.dispatcher.answer_many(batch, self.hub.lease)  # type: ignore[no-any-return]

    # -------------------------------------------------------------- library-specific

    @property
    @abstractmethod
    def api(self) -> TelegramApi:
        """The Bot API client."""

    @abstractmethod
    async def start(self) -> None:
        """Open sessions, initialise the library."""

    @abstractmethod
    async def stop(self) -> None:
        """Close sessions."""

    @abstractmethod
    async def fetch_raw_updates(self, offset: int | None, timeout: int) -> list[dict[str, Any]]:
        """getUpdates, returning raw JSON dicts (so one bad update cannot fail the whole batch)."""

    @abstractmethod
    def parse(self, raw: dict[str, Any]) -> Any:
        """Parse one raw update with the library; raise when it cannot."""

    @abstractmethod
    async def feed(self, update: Any) -> None:
        """Run a parsed update through the library's dispatcher, which ends in `handle_update`."""

    # -------------------------------------------------------------- shared

    async def handle_update(self, update: Any) -> None:
        """Answer a button press, hand the update to the neutral dispatcher, deliver the answers."""
        started = time.perf_counter()
        query = getattr(update, "callback_query", None)
        answering = asyncio.create_task(self._answer_callback(query.id)) if query is not None else None
        incoming = to_incoming(update)
        if incoming is not None:
            await self.handle_incoming(incoming)
        if answering is not None:
            await answering
        if self.on_handled is not None:
            self.on_handled(time.perf_counter() - started)

    async def _answer_callback(self, query_id: str) -> None:
        """Stop the button's spinner (while the update is being handled)."""
        try:
            await self.api.call("answerCallbackQuery", {"callback_query_id": query_id})
        except DeliveryError as err:
            log.info("answerCallbackQuery failed: %s", err)

    async def handle_incoming(self, incoming: Incoming) -> None:
        """Dispatch in a worker thread (batched with concurrent updates), then hand the answers to the sender.

        The dispatcher has written the answers to the outbox in the update's transaction and claimed them
        for this process: the sender sends them at once, in the order of each chat's updates, and retries
        them until they are delivered. The update counts as handled once that transaction is committed.
        """
        if self.workers is not None:
            items = await self.workers.handle(incoming, self.hub.lease)
        elif self._dispatch is not None:
            items = await self._dispatch(incoming)
        else:
            return
        if items:
            self.hub.submit(items)

    def parse_or_skip(self, raw: Any) -> Any | None:
        """The parsed update, or None (logged) when the library cannot parse it."""
        if not isinstance(raw, dict):
            log.warning("skipping an update that is not an object: %r", raw)
            self.skipped += 1
            return None
        try:
            return self.parse(raw)
        except Exception as err:  # noqa: BLE001 - any parse failure means: skip this update
            # the library's message would quote the update's fields (a citizen's text): only its kind
            log.warning("skipping update %s the library cannot parse (%s)", raw.get("update_id"), type(err).__name__)
            self.skipped += 1
            return None

    async def process_raw(self, raws: list[Any]) -> None:
        """Handle a batch: chats concurrently, each chat's updates in order; errors are logged."""
        groups: dict[str, list[Any]] = defaultdict(list)
        for raw in raws:
            update = self.parse_or_skip(raw)
            if update is not None:
                groups[chat_key(update)].append(update)
        await asyncio.gather(*(self._run_chat(updates) for updates in groups.values()))

    async def _run_chat(self, updates: list[Any]) -> None:
        async with self._slots:
            for update in updates:
                try:
                    await self.feed(update)
                except Exception:  # noqa: BLE001 - one failing update must not stop the others
                    log.exception("update %s failed", getattr(update, "update_id", "?"))

    async def run_polling(self, stop: asyncio.Event, timeout: int = 25) -> None:
        """Long polling until `stop` is set; an update is confirmed only after it was handled.

        No error of the Bot API stops it (each kind is logged once a minute while it lasts, and retried with
        backoff); only `Fatal` (the token is refused) ends it, with the error.
        """
        await self.retrying(stop, "deleteWebhook", lambda: self.api.call("deleteWebhook",
                                                                          {"drop_pending_updates": False}))
        offset: int | None = None
        backoff = 1.0
        while not stop.is_set():
            fetch = asyncio.ensure_future(self.fetch_raw_updates(offset, timeout))
            stopper = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({fetch, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if fetch not in done:
                fetch.cancel()
                break
            try:
                raws = fetch.result()
                if not isinstance(raws, list):
                    raise DeliveryError(f"getUpdates returned {type(raws).__name__}, not a list")
            except Fatal:
                raise
            except Exception as err:  # noqa: BLE001 - the Bot API failing in any way: wait and try again
                self._log_failure("getUpdates", err, backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            ids = [r["update_id"] for r in raws
                   if isinstance(r, dict) and isinstance(r.get("update_id"), int)]
            if ids:
                offset = max(ids) + 1
            await self.process_raw(raws)

    async def retrying(self, stop: asyncio.Event, what: str, call: Callable[[], Any]) -> None:
        """`call()` until it works (or `stop`); Fatal errors end the runtime."""
        backoff = 1.0
        while not stop.is_set():
            try:
                await call()
                return
            except Fatal:
                raise
            except Exception as err:  # noqa: BLE001 - retried
                self._log_failure(what, err, backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                backoff = min(backoff * 2, 30.0)

    def _log_failure(self, what: str, err: BaseException, backoff: float) -> None:
        count = self._once(f"{what}:{type(err).__name__}")
        if count is None:
            return
        if isinstance(err, DeliveryError):
            log.warning("%s failed (%s: %s); retrying in %.0f s (%d failures in the last minute)", what,
                        type(err).__name__, str(err)[:200], backoff, count)
        else:
            log.error("%s failed unexpectedly; retrying in %.0f s", what, backoff, exc_info=err)

    async def set_webhook(self, url: str, secret: str) -> None:
        """Register the webhook with the secret token and the update kinds the bot handles."""
        await self.api.call("setWebhook", {"url": url, "secret_token": secret,
                                           "allowed_updates": ALLOWED_UPDATES})
