"""Deliver one `Outgoing` through a Bot API client: plain messages, forum topics for tickets, topic state."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from bot.delivery_errors import Rejected
from bot.outbox_sender import Progress, Throttle
from bot.telegram.render import ApiCall, Upload, message_calls, topic_name
from messaging.types import Outgoing
from storage.db import session_scope
from storage.files import load_file, stored_id
from storage.threads import link_thread, thread_for_ticket

log = logging.getLogger(__name__)
PLATFORM = "telegram"
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendLocation", "copyMessage"})
FILE_PARAMS = {"sendPhoto": "photo", "sendDocument": "document"}
LINKED_KINDS = frozenset({"ticket_new", "ticket_update"})  # ticket messages in groups a staff reply answers


def result_field(result: Any, name: str) -> Any:
    """A field of a call's result, whether the runtime returns plain JSON or the library's objects."""
    return result.get(name) if isinstance(result, dict) else getattr(result, name, None)


def _linked(out: Outgoing, chat_id: str) -> bool:
    """Whether a reply to this message should reach its ticket: every ticket message in a private chat
    (the citizen answering the office), a ticket's post or a citizen's message in a group (staff answering)."""
    return bool(out.ticket_code) and (out.kind in LINKED_KINDS or not chat_id.startswith("-"))


class TelegramApi(Protocol):
    """What a runtime offers: one Bot API call, raising `bot.delivery_errors` exceptions."""

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """Call `method`; return the library's result object."""
        ...


class Delivery:
    """Sends one outbox message through the Bot API; knows the forum topics of tickets.

    Every call is made once: a 429, a server error or a timeout is raised to the sender, which decides when
    to try again. `throttle(chat_id)` is awaited before every message call (the sender's budget);
    `progress` counts the message's calls already made, so a retry does not repeat its first parts.
    """

    def __init__(self, api: TelegramApi, engine: Engine) -> None:
        self.api = api
        self.engine = engine
        self._forum: dict[str, bool] = {}
        self._reply_keyboard: set[str] = set()

    async def is_forum(self, chat_id: str) -> bool:
        """Whether a group chat is a forum (asked once per chat with getChat)."""
        if not chat_id.startswith("-"):
            return False
        if chat_id not in self._forum:
            chat = await self.api.call("getChat", {"chat_id": int(chat_id)})
            self._forum[chat_id] = bool(result_field(chat, "is_forum"))
        return self._forum[chat_id]

    async def send(self, out: Outgoing, chat_id: str, thread_id: str | None = None,
                   throttle: Throttle | None = None, progress: Progress | None = None) -> list[int]:
        """Deliver `out` to `chat_id` (in `thread_id`); return the ids of the messages sent."""
        progress = progress if progress is not None else Progress()
        if out.kind == "ticket_new" and out.ticket_code and await self.is_forum(chat_id):
            return await self._new_ticket_topic(out, chat_id, throttle, progress)
        if out.ticket_code and thread_id is None and await self.is_forum(chat_id):
            thread_id = await asyncio.to_thread(self._thread_of, out.ticket_code, chat_id)
        link = out.ticket_code if _linked(out, chat_id) else None
        ids = await self._plain(out, chat_id, thread_id, throttle, progress, link=link)
        if out.kind in ("ticket_closed", "ticket_reopened") and thread_id is not None:
            await self._topic_state(chat_id, thread_id, closed=out.kind == "ticket_closed")
        return ids

    async def _plain(self, out: Outgoing, chat_id: str, thread_id: str | None, throttle: Throttle | None,
                     progress: Progress, link: str | None = None) -> list[int]:
        """Send the message's parts not sent yet; with `link`, each part is linked to that ticket once sent."""
        remove = chat_id in self._reply_keyboard and not (out.request_contact or out.request_location)
        calls = message_calls(out, chat_id, thread_id, remove_keyboard=remove)
        ids: list[int] = []
        for call in [await self._with_upload(c) for c in calls[progress.done:]]:
            result = await self.call(call, throttle=throttle)
            progress.done += 1
            mid = result_field(result, "message_id")
            if mid is not None:
                ids.append(int(mid))
                if link:
                    await asyncio.to_thread(self._link_messages, link, chat_id, [int(mid)])
        if out.request_contact or out.request_location:
            if len(self._reply_keyboard) > 100_000:
                self._reply_keyboard.clear()
            self._reply_keyboard.add(chat_id)
        elif remove:
            self._reply_keyboard.discard(chat_id)
        return ids

    async def _with_upload(self, call: ApiCall) -> ApiCall:
        """The call with a file the bot made (`stored:<id>`) put in as an upload."""
        name = FILE_PARAMS.get(call.method)
        ref = call.params.get(name) if name else None
        if not isinstance(ref, str) or stored_id(ref) is None:
            return call
        found = await asyncio.to_thread(load_file, self.engine, ref)
        if found is None:
            raise Rejected(f"{ref} is no longer stored")
        return ApiCall(call.method, {**call.params, name: Upload(found.name, found.mime_type, found.content)})

    async def call(self, call: ApiCall, throttle: Throttle | None = None) -> Any:
        """One Bot API call, after the budget's token when it sends a message; errors are raised."""
        if throttle is not None and call.method in SEND_METHODS:
            await throttle(str(call.params["chat_id"]))
        return await self.api.call(call.method, call.params)

    async def _new_ticket_topic(self, out: Outgoing, chat_id: str, throttle: Throttle | None,
                                progress: Progress) -> list[int]:
        code = out.ticket_code or ""
        thread = await asyncio.to_thread(self._thread_of, code, chat_id)
        if thread is None:
            category = out.meta.get("category_label") or out.meta.get("category")
            try:
                topic = await self.call(ApiCall("createForumTopic", {
                    "chat_id": int(chat_id), "name": topic_name(code, category)}))
            except Rejected as err:  # e.g. the bot may not manage topics: post into the group instead
                log.error("cannot create a topic for %s in %s (%s); posting without one", code, chat_id, err)
                return await self._plain(out, chat_id, None, throttle, progress, link=code)
            thread = str(result_field(topic, "message_thread_id"))
            await asyncio.to_thread(self._link, code, chat_id, thread, None)
        return await self._plain(out, chat_id, thread, throttle, progress, link=code)

    async def _topic_state(self, chat_id: str, thread_id: str, closed: bool) -> None:
        method = "closeForumTopic" if closed else "reopenForumTopic"
        try:
            await self.call(ApiCall(method, {"chat_id": int(chat_id), "message_thread_id": int(thread_id)}))
        except Rejected as err:  # already closed / open, or no right to manage topics
            log.info("%s %s/%s: %s", method, chat_id, thread_id, err)

    def _thread_of(self, code: str, chat_id: str) -> str | None:
        with session_scope(self.engine) as session:
            return thread_for_ticket(session, code, PLATFORM, chat_id)

    def _link(self, code: str, chat_id: str, thread_id: str | None, message_id: str | None) -> None:
        with session_scope(self.engine) as session:
            link_thread(session, code, PLATFORM, chat_id, thread_id=thread_id, message_id=message_id)

    def _link_messages(self, code: str, chat_id: str, ids: list[int]) -> None:
        with session_scope(self.engine) as session:
            for mid in ids:
                link_thread(session, code, PLATFORM, chat_id, message_id=str(mid))
