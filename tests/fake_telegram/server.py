"""A fake Telegram Bot API server on aiohttp: validates like Telegram, enforces flood limits, records calls.

Usage::

    async with FakeTelegram() as tg:
        tg.add_private_chat(1001)
        bot_base = tg.api_base          # point TELEGRAM_API_BASE here
        tg.send_text(1001, "/start")    # inject an update
        await tg.wait_sent(1001, 1)     # wait until the bot answered
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from .limits import FloodControl, FloodLimits

log = logging.getLogger(__name__)

TEXT_KEYS = frozenset({
    "text", "caption", "name", "url", "secret_token", "callback_query_id", "description",
    "short_description", "language_code", "title", "file_id", "photo", "document", "ip_address",
    "icon_custom_emoji_id", "parse_mode", "business_connection_id", "message_effect_id",
})
SEND_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendLocation", "copyMessage", "sendMediaGroup",
})
UPDATE_KINDS = (
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "message_reaction",
    "message_reaction_count", "inline_query", "chosen_inline_result", "callback_query",
    "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
    "my_chat_member", "chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
)
DEFAULT_ALLOWED = frozenset(UPDATE_KINDS) - {"chat_member", "message_reaction", "message_reaction_count"}
ANY = object()


class ApiError(Exception):
    """A Bot API error response."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        out: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            out["parameters"] = self.parameters
        return out


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    error: str | None = None


@dataclass
class Sent:
    """A message the bot sent (or copied) into a chat."""

    chat_id: int
    message_id: int
    method: str
    text: str | None
    params: dict[str, Any]
    thread_id: int | None = None
    at: float = 0.0  # time.monotonic() when the server accepted it

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """Inline keyboard rows of the message, if any."""
        markup = self.params.get("reply_markup") or {}
        return markup.get("inline_keyboard") or []

    @property
    def callback_data(self) -> list[str]:
        """All callback_data of the inline keyboard, in order."""
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]

    def button(self, label_part: str) -> str:
        """The callback_data of the first button whose label contains `label_part`."""
        for row in self.buttons:
            for b in row:
                if label_part.lower() in b.get("text", "").lower() and "callback_data" in b:
                    return b["callback_data"]
        raise KeyError(f"no button like {label_part!r} in {self.buttons}")

    @property
    def keyboard(self) -> list[list[dict[str, Any]]]:
        """Reply keyboard rows (share contact / location buttons), if any."""
        markup = self.params.get("reply_markup") or {}
        return markup.get("keyboard") or []


@dataclass
class Chat:
    """A chat the fake server knows."""

    id: int
    type: str = "private"
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"
    is_forum: bool = False
    blocked: bool = False

    def as_chat(self) -> dict[str, Any]:
        """The Chat object."""
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            out["first_name"] = self.first_name or f"User{self.id}"
            if self.username:
                out["username"] = self.username
        else:
            out["title"] = self.title or f"Group {self.id}"
            if self.is_forum:
                out["is_forum"] = True
        return out


@dataclass
class Topic:
    """A forum topic."""

    thread_id: int
    name: str
    closed: bool = False


@dataclass
class _Webhook:
    url: str
    secret: str | None
    max_connections: int
    task: asyncio.Task[None] | None = None


@dataclass
class FakeTelegram:
    """The fake server. Start with `await start()` or `async with`."""

    token: str = "123456:TEST-TOKEN"
    limits: FloodLimits = field(default_factory=FloodLimits)
    host: str = "127.0.0.1"
    port: int = 0
    strict_chats: bool = True
    bot_id: int = 123456
    bot_username: str = "ward_feedback_bot"
    webhook_retry_delay: float = 0.2
    webhook_max_attempts: int = 3

    calls: list[Call] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    chats: dict[int, Chat] = field(default_factory=dict)
    topics: dict[int, dict[int, Topic]] = field(default_factory=dict)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    webhook_responses: list[tuple[int, int]] = field(default_factory=list)
    callback_answers: list[dict[str, Any]] = field(default_factory=list)
    rate_limited: int = 0
    revoked: bool = False

    def __post_init__(self) -> None:
        self.flood = FloodControl(self.limits)
        self._pending: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._msg_ids: dict[int, itertools.count[int]] = {}
        self._allowed: frozenset[str] = DEFAULT_ALLOWED
        self._webhook: _Webhook | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self._by_chat: dict[int, list[Sent]] = {}
        self._chat_waiters: dict[int, list[asyncio.Future[None]]] = {}
        self._failures: dict[str, list[int]] = {}
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._in_flight: set[int] = set()
        self._outage: tuple[float, str, int, bool] | None = None
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._get_me, "getUpdates": self._get_updates, "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook, "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message, "editMessageText": self._edit_text,
            "editMessageReplyMarkup": self._edit_markup, "answerCallbackQuery": self._answer_callback,
            "sendPhoto": self._send_photo, "sendDocument": self._send_document,
            "sendLocation": self._send_location, "copyMessage": self._copy_message,
            "createForumTopic": self._create_topic, "closeForumTopic": self._close_topic,
            "reopenForumTopic": self._reopen_topic, "setMyCommands": self._set_commands,
            "deleteMyCommands": self._delete_commands, "getMyCommands": self._get_commands,
            "getChat": self._get_chat, "close": lambda p: True, "logOut": lambda p: True,
            "deleteMessage": lambda p: True, "sendChatAction": lambda p: True,
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> FakeTelegram:
        """Start listening on host:port (port 0 picks a free one)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = ClientSession(timeout=ClientTimeout(total=30))
        return self

    async def stop(self) -> None:
        """Stop the webhook sender and the server."""
        await self._stop_webhook()
        if self._session:
            await self._session.close()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_base(self) -> str:
        """The value for TELEGRAM_API_BASE."""
        return f"http://{self.host}:{self.port}"

    # ---------------------------------------------------------------- chats

    def add_private_chat(self, user_id: int, first_name: str | None = None, username: str | None = None,
                         language_code: str | None = "vi", blocked: bool = False) -> Chat:
        """Register a citizen's private chat."""
        chat = Chat(user_id, "private", first_name=first_name or f"Citizen{user_id}",
                    username=username, language_code=language_code, blocked=blocked)
        self.chats[user_id] = chat
        return chat

    def add_group(self, chat_id: int, title: str = "Staff", is_forum: bool = False) -> Chat:
        """Register a supergroup (a forum when `is_forum`)."""
        chat = Chat(chat_id, "supergroup", title=title, is_forum=is_forum)
        self.chats[chat_id] = chat
        self.topics.setdefault(chat_id, {})
        return chat

    def block(self, chat_id: int, blocked: bool = True) -> None:
        """Make the user block (or unblock) the bot."""
        self.chats[chat_id].blocked = blocked

    def fail_next(self, method: str, status: int = 502, times: int = 1, html: bool = False) -> None:
        """Make the next `times` calls of `method` fail with `status` (e.g. 500/502; `html`: a proxy's page)."""
        self._failures.setdefault(method, []).extend([-status if html else status] * times)

    def fail_for(self, seconds: float, mode: str, retry_after: int = 5, updates: bool = True) -> None:
        """Make every call fail for `seconds` (getUpdates too, unless `updates` is False).

        `mode`: "500" (Telegram's JSON error), "502" (an HTML page from a proxy), "hang" (no answer until the
        time is up, then 504 and nothing done) or "429" (Too Many Requests with `retry_after`).
        """
        self._outage = (time.monotonic() + seconds, mode, retry_after, updates)

    async def _outage_answer(self, method: str) -> web.Response | None:
        if self._outage is None:
            return None
        until, mode, retry_after, updates = self._outage
        now = time.monotonic()
        if now >= until:
            self._outage = None
            return None
        if method == "getUpdates" and not updates:
            return None
        if mode == "hang":
            await asyncio.sleep(until - now)
            return _html(504, "Gateway Time-out")
        if mode == "502":
            return _html(502, "Bad Gateway")
        if mode == "429":
            if method in SEND_METHODS:
                self.rate_limited += 1
            return web.json_response(ApiError(429, f"Too Many Requests: retry after {retry_after}",
                                              {"retry_after": retry_after}).body(), status=429)
        return web.json_response(ApiError(500, "Internal Server Error").body(), status=500)

    def _chat(self, chat_id: Any) -> Chat:
        try:
            cid = int(chat_id)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        chat = self.chats.get(cid)
        if chat is None:
            if self.strict_chats:
                raise ApiError(400, "Bad Request: chat not found")
            chat = self.add_private_chat(cid) if cid > 0 else self.add_group(cid)
        return chat

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._msg_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    # ---------------------------------------------------------------- injecting updates

    def inject(self, update: dict[str, Any], keep_id: bool = False) -> dict[str, Any]:
        """Queue a raw Update dict for the bot; its update_id is assigned unless `keep_id`."""
        update = copy.deepcopy(update)
        if not keep_id or "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        kind = next((k for k in update if k != "update_id"), None)
        if kind is not None and kind not in self._allowed:
            return update
        self._pending.append(update)
        self._notify()
        return update

    def _user(self, user_id: int) -> dict[str, Any]:
        chat = self.chats.get(user_id) or self.add_private_chat(user_id)
        out: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": chat.first_name or "U"}
        if chat.username:
            out["username"] = chat.username
        if chat.language_code:
            out["language_code"] = chat.language_code
        return out

    def _message(self, user_id: int, chat_id: int | None = None, thread_id: int | None = None,
                 reply_to: int | None = None, **content: Any) -> dict[str, Any]:
        sender = self._user(user_id)
        chat = self._chat(chat_id if chat_id is not None else user_id)
        msg: dict[str, Any] = {"message_id": self._next_message_id(chat.id), "from": sender,
                               "chat": chat.as_chat(), "date": int(time.time())}
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
            msg["reply_to_message"] = {"message_id": thread_id, "chat": chat.as_chat(), "date": 0,
                                       "message_thread_id": thread_id, "is_topic_message": True,
                                       "forum_topic_created": {"name": "topic", "icon_color": 7322096}}
        if reply_to is not None:
            original = next((s for s in self._by_chat.get(chat.id, []) if s.message_id == reply_to),
                            None)
            replied: dict[str, Any] = {"message_id": reply_to, "chat": chat.as_chat(), "date": 0}
            if original is not None:
                replied["from"] = self._bot_user()
                if original.text:
                    replied["text"] = original.text
            if thread_id is not None:
                replied["message_thread_id"] = thread_id
            msg["reply_to_message"] = replied
        msg.update(content)
        return msg

    def send_text(self, user_id: int, text: str, chat_id: int | None = None, thread_id: int | None = None,
                  reply_to: int | None = None) -> dict[str, Any]:
        """A user writes `text` (commands get a bot_command entity)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        return self.inject({"message": self._message(user_id, chat_id, thread_id, reply_to, **content)})

    def press(self, user_id: int, data: str, message_id: int | None = None,
              chat_id: int | None = None) -> dict[str, Any]:
        """A user presses an inline button with `data` (on the bot's last message in the chat)."""
        cid = chat_id if chat_id is not None else user_id
        chat = self._chat(cid)
        if message_id is None:
            mine = self._by_chat.get(cid, [])
            with_data = [s for s in mine if data in s.callback_data]
            last = with_data or [s for s in mine if s.buttons] or mine
            message_id = last[-1].message_id if last else 1
        original = next((s for s in self._by_chat.get(cid, []) if s.message_id == message_id), None)
        message: dict[str, Any] = {"message_id": message_id, "from": self._bot_user(),
                                   "chat": chat.as_chat(), "date": int(time.time()),
                                   "text": (original.text if original and original.text else "…")}
        if original is not None and original.buttons:
            message["reply_markup"] = {"inline_keyboard": original.buttons}
        query = {"id": str(self._next_update_id * 1000 + 7), "from": self._user(user_id),
                 "message": message, "chat_instance": str(cid), "data": data}
        return self.inject({"callback_query": query})

    def send_contact(self, user_id: int, phone: str) -> dict[str, Any]:
        """A user shares their phone number with the share-contact button."""
        contact = {"phone_number": phone, "first_name": "Citizen", "user_id": user_id}
        return self.inject({"message": self._message(user_id, contact=contact)})

    def send_location(self, user_id: int, latitude: float, longitude: float) -> dict[str, Any]:
        """A user shares a location."""
        return self.inject({"message": self._message(
            user_id, location={"latitude": latitude, "longitude": longitude})})

    def send_photo(self, user_id: int, file_id: str = "AgACPHOTO", caption: str | None = None,
                   chat_id: int | None = None, thread_id: int | None = None) -> dict[str, Any]:
        """A user sends a photo (three sizes; the largest carries `file_id`)."""
        sizes = [{"file_id": f"{file_id}-s{i}", "file_unique_id": f"u{file_id}{i}", "width": w,
                  "height": w, "file_size": w * 100} for i, w in enumerate((90, 320))]
        sizes.append({"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 1280, "height": 960,
                      "file_size": 200000})
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return self.inject({"message": self._message(user_id, chat_id, thread_id, **content)})

    def send_document(self, user_id: int, file_id: str = "BQACDOC", file_name: str = "don.pdf",
                      mime_type: str = "application/pdf") -> dict[str, Any]:
        """A user sends a file."""
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": file_name,
                    "mime_type": mime_type, "file_size": 12345}
        return self.inject({"message": self._message(user_id, document=document)})

    def send_sticker(self, user_id: int) -> dict[str, Any]:
        """A user sends a sticker."""
        sticker = {"file_id": "CAACSTICKER", "file_unique_id": "ustk", "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False, "emoji": "🙂"}
        return self.inject({"message": self._message(user_id, sticker=sticker)})

    # ---------------------------------------------------------------- assertions

    def calls_of(self, method: str) -> list[Call]:
        """Every call of `method`, in order."""
        return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int, thread_id: Any = ANY) -> list[Sent]:
        """Messages the bot sent to a chat (optionally to one forum topic; None = outside topics)."""
        return [s for s in self._by_chat.get(int(chat_id), [])
                if thread_id is ANY or s.thread_id == thread_id]

    def sent_count(self, chat_id: int) -> int:
        """How many messages the bot sent to a chat (cheap)."""
        return len(self._by_chat.get(int(chat_id), ()))

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 10.0,
                        thread_id: Any = ANY) -> list[Sent]:
        """Wait until at least `count` messages were sent to the chat (or topic); return them all."""
        if thread_id is ANY:
            deadline = time.monotonic() + timeout
            while self.sent_count(chat_id) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._chat_waiters.setdefault(int(chat_id), []).append(fut)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(fut, left)
            if self.sent_count(chat_id) >= count:
                return self.sent_to(chat_id)
        return await self.wait_for(lambda: len(self.sent_to(chat_id, thread_id)) >= count,
                                   timeout, lambda: self.sent_to(chat_id, thread_id),
                                   f"{count} messages to {chat_id}/{thread_id}")

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0,
                       result: Callable[[], Any] = lambda: None, what: str = "condition") -> Any:
        """Wait until `predicate()` holds; raise TimeoutError with the recent calls otherwise."""
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                recent = [(c.method, c.params.get("chat_id"), c.status) for c in self.calls[-15:]]
                raise TimeoutError(f"timed out waiting for {what}; recent calls: {recent}")
            await self._changed(min(left, 0.5))
        return result()

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot."""
        return len(self._pending)

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def _changed(self, timeout: float) -> None:
        """Wait until something changes (a call, an update) or `timeout` passes."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(fut, timeout)

    # ---------------------------------------------------------------- HTTP

    async def _file(self, request: web.Request) -> web.Response:
        return web.Response(body=b"fake-file-content")

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        outage = await self._outage_answer(method)
        if outage is not None:
            call.status, call.error = outage.status, "outage"
            self._notify()
            return outage
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized: invalid token" if self.revoked else "Unauthorized")
            failures = self._failures.get(method)
            if failures:
                status = failures.pop(0)
                if status < 0:
                    call.status, call.error = -status, "html"
                    return _html(-status, "Bad Gateway")
                raise ApiError(status, "Internal Server Error" if status == 500 else "Bad Gateway")
            handler = self.handlers.get(method)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as err:
            call.status, call.error = err.code, err.description
            if err.code == 429:
                self.rate_limited += 1
            self._notify()
            return web.json_response(err.body(), status=err.code)
        self._notify()
        return web.json_response({"ok": True, "result": result})

    # ---------------------------------------------------------------- methods

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Ward bot", "username": self.bot_username}

    def _get_me(self, p: dict[str, Any]) -> dict[str, Any]:
        return {**self._bot_user(), "can_join_groups": True, "can_read_all_group_messages": True,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    async def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        if p.get("allowed_updates") is not None:
            self._set_allowed(p["allowed_updates"])
        offset = int(p.get("offset") or 0)
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        limit = int(p.get("limit") or 100)
        timeout = float(p.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while not self._pending and time.monotonic() < deadline:
            await self._changed(deadline - time.monotonic())
        return copy.deepcopy(self._pending[:limit])

    def _set_allowed(self, allowed: list[str]) -> None:
        self._allowed = frozenset(allowed) if allowed else DEFAULT_ALLOWED
        self._pending = [u for u in self._pending
                         if next((k for k in u if k != "update_id"), "") in self._allowed]

    async def _set_webhook(self, p: dict[str, Any]) -> bool:
        url = p.get("url") or ""
        if not url:
            await self._stop_webhook()
            return True
        secret = p.get("secret_token")
        if secret is not None and not (1 <= len(secret) <= 256 and all(
                c.isalnum() or c in "_-" for c in secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if p.get("allowed_updates") is not None:
            self._set_allowed(p["allowed_updates"])
        if p.get("drop_pending_updates"):
            self._pending.clear()
        await self._stop_webhook()
        self._webhook = _Webhook(url, secret, int(p.get("max_connections") or 40))
        self._webhook.task = asyncio.get_running_loop().create_task(self._deliver_webhook())
        return True

    async def _stop_webhook(self) -> None:
        hook, self._webhook = self._webhook, None
        if hook and hook.task:
            hook.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hook.task

    async def _delete_webhook(self, p: dict[str, Any]) -> bool:
        await self._stop_webhook()
        if p.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _get_webhook_info(self, p: dict[str, Any]) -> dict[str, Any]:
        hook = self._webhook
        info: dict[str, Any] = {"url": hook.url if hook else "", "has_custom_certificate": False,
                                "pending_update_count": len(self._pending)}
        if hook:
            info["max_connections"] = hook.max_connections
            info["allowed_updates"] = sorted(self._allowed)
        return info

    async def _deliver_webhook(self) -> None:
        hook = self._webhook
        assert hook is not None
        attempts: dict[int, int] = {}
        workers: set[asyncio.Task[None]] = set()
        try:
            while True:
                picked = None
                if len(workers) < hook.max_connections:
                    picked = next((u for u in self._pending if not u.get("_delivering")
                                   and _update_chat(u) not in self._in_flight), None)
                if picked is None:
                    await self._changed(0.05)
                    continue
                picked["_delivering"] = True
                key = _update_chat(picked)
                self._in_flight.add(key)
                task = asyncio.get_running_loop().create_task(self._post_update(hook, picked, key, attempts))
                workers.add(task)
                task.add_done_callback(workers.discard)
        finally:
            for t in workers:
                t.cancel()

    async def _post_update(self, hook: _Webhook, update: dict[str, Any], key: int,
                           attempts: dict[int, int]) -> None:
        assert self._session is not None
        body = {k: v for k, v in update.items() if k != "_delivering"}
        headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret} if hook.secret else {}
        uid = update["update_id"]
        try:
            try:
                async with self._session.post(hook.url, json=body, headers=headers) as resp:
                    status = resp.status
                    await resp.read()
            except Exception as exc:  # noqa: BLE001 - a network error is a failed delivery
                log.debug("webhook delivery failed: %s", exc)
                status = 599
            self.webhook_responses.append((uid, status))
            if 200 <= status < 300:
                self._pending = [u for u in self._pending if u is not update]
            else:
                attempts[uid] = attempts.get(uid, 0) + 1
                if attempts[uid] >= self.webhook_max_attempts:
                    self._pending = [u for u in self._pending if u is not update]
                else:
                    await asyncio.sleep(self.webhook_retry_delay)
        finally:
            update.pop("_delivering", None)
            self._in_flight.discard(key)
            self._notify()

    # sending

    def _check_send(self, chat: Chat, method: str) -> None:
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        retry = self.flood.check(chat.id, chat.type != "private")
        if retry is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

    def _thread(self, chat: Chat, p: dict[str, Any]) -> int | None:
        thread = p.get("message_thread_id")
        if thread in (None, ""):
            return None
        thread = int(thread)
        if chat.is_forum and thread not in self.topics.get(chat.id, {}):
            raise ApiError(400, "Bad Request: message thread not found")
        return thread

    def _record(self, chat: Chat, method: str, p: dict[str, Any], text: str | None,
                thread: int | None, **extra: Any) -> dict[str, Any]:
        mid = self._next_message_id(chat.id)
        sent = Sent(chat.id, mid, method, text, p, thread, time.monotonic())
        self.sent.append(sent)
        self._by_chat.setdefault(chat.id, []).append(sent)
        for fut in self._chat_waiters.pop(chat.id, []):
            if not fut.done():
                fut.set_result(None)
        msg: dict[str, Any] = {"message_id": mid, "from": self._bot_user(), "chat": chat.as_chat(),
                               "date": int(time.time())}
        if thread is not None:
            msg["message_thread_id"] = thread
            msg["is_topic_message"] = True
        if text is not None and method == "sendMessage":
            msg["text"] = text
        elif text is not None:
            msg["caption"] = text
        if isinstance(p.get("reply_markup"), dict) and "inline_keyboard" in p["reply_markup"]:
            msg["reply_markup"] = p["reply_markup"]
        msg.update(extra)
        return msg

    def _send_message(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p.get("chat_id"))
        text = _validate_text(p.get("text"))
        _validate_markup(p.get("reply_markup"))
        thread = self._thread(chat, p)
        self._check_send(chat, "sendMessage")
        return self._record(chat, "sendMessage", p, text, thread)

    def _send_photo(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p.get("chat_id"))
        photo = p.get("photo")
        if not photo or not isinstance(photo, str):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        caption = _validate_caption(p.get("caption"))
        _validate_markup(p.get("reply_markup"))
        thread = self._thread(chat, p)
        self._check_send(chat, "sendPhoto")
        size = {"file_id": photo, "file_unique_id": f"u{photo}", "width": 1280, "height": 960}
        return self._record(chat, "sendPhoto", p, caption, thread, photo=[size])

    def _send_document(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p.get("chat_id"))
        doc = p.get("document")
        if not doc or not isinstance(doc, str):
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption = _validate_caption(p.get("caption"))
        _validate_markup(p.get("reply_markup"))
        thread = self._thread(chat, p)
        self._check_send(chat, "sendDocument")
        return self._record(chat, "sendDocument", p, caption, thread,
                            document={"file_id": doc, "file_unique_id": f"u{doc}"})

    def _send_location(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p.get("chat_id"))
        try:
            lat, lon = float(p["latitude"]), float(p["longitude"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: wrong latitude or longitude") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ApiError(400, "Bad Request: wrong latitude or longitude")
        thread = self._thread(chat, p)
        self._check_send(chat, "sendLocation")
        return self._record(chat, "sendLocation", p, None, thread,
                            location={"latitude": lat, "longitude": lon})

    def _copy_message(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p.get("chat_id"))
        self._chat(p.get("from_chat_id"))
        if not p.get("message_id"):
            raise ApiError(400, "Bad Request: message to copy not found")
        thread = self._thread(chat, p)
        self._check_send(chat, "copyMessage")
        msg = self._record(chat, "copyMessage", p, p.get("caption"), thread)
        return {"message_id": msg["message_id"]}

    def _find_sent(self, p: dict[str, Any]) -> tuple[Chat, Sent]:
        chat = self._chat(p.get("chat_id"))
        mid = int(p.get("message_id") or 0)
        for s in self.sent:
            if s.chat_id == chat.id and s.message_id == mid:
                return chat, s
        raise ApiError(400, "Bad Request: message to edit not found")

    def _edit_text(self, p: dict[str, Any]) -> dict[str, Any]:
        text = _validate_text(p.get("text"))
        _validate_markup(p.get("reply_markup"))
        chat, sent = self._find_sent(p)
        if sent.text == text and sent.params.get("reply_markup") == p.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        sent.text = text
        sent.params = {**sent.params, "text": text, "reply_markup": p.get("reply_markup")}
        out = {"message_id": sent.message_id, "from": self._bot_user(), "chat": chat.as_chat(),
               "date": int(time.time()), "edit_date": int(time.time()), "text": text}
        if p.get("reply_markup"):
            out["reply_markup"] = p["reply_markup"]
        return out

    def _edit_markup(self, p: dict[str, Any]) -> dict[str, Any]:
        _validate_markup(p.get("reply_markup"))
        chat, sent = self._find_sent(p)
        sent.params = {**sent.params, "reply_markup": p.get("reply_markup")}
        out = {"message_id": sent.message_id, "from": self._bot_user(), "chat": chat.as_chat(),
               "date": int(time.time()), "edit_date": int(time.time())}
        if sent.text:
            out["text"] = sent.text
        if p.get("reply_markup"):
            out["reply_markup"] = p["reply_markup"]
        return out

    def _answer_callback(self, p: dict[str, Any]) -> bool:
        if not p.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID "
                                "is invalid")
        self.callback_answers.append(p)
        return True

    # forum topics

    def _forum(self, p: dict[str, Any]) -> Chat:
        chat = self._chat(p.get("chat_id"))
        if not chat.is_forum:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        return chat

    def _create_topic(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._forum(p)
        name = p.get("name") or ""
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_NAME_INVALID" if name else
                           "Bad Request: topic name is empty")
        thread = self._next_message_id(chat.id)
        self.topics[chat.id][thread] = Topic(thread, name)
        return {"message_thread_id": thread, "name": name, "icon_color": int(p.get("icon_color") or 7322096)}

    def _topic(self, p: dict[str, Any]) -> Topic:
        chat = self._forum(p)
        topic = self.topics[chat.id].get(int(p.get("message_thread_id") or 0))
        if topic is None:
            raise ApiError(400, "Bad Request: message thread not found")
        return topic

    def _close_topic(self, p: dict[str, Any]) -> bool:
        topic = self._topic(p)
        if topic.closed:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic.closed = True
        return True

    def _reopen_topic(self, p: dict[str, Any]) -> bool:
        topic = self._topic(p)
        if not topic.closed:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic.closed = False
        return True

    # commands and chats

    @staticmethod
    def _commands_key(p: dict[str, Any]) -> str:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps([scope, p.get("language_code") or ""], sort_keys=True)

    def _set_commands(self, p: dict[str, Any]) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list")
        for c in commands:
            cmd, desc = c.get("command", ""), c.get("description", "")
            if not (1 <= len(cmd) <= 32 and cmd.islower() is not False and
                    all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in cmd)):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(desc) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(p)] = commands
        return True

    def _delete_commands(self, p: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(p), None)
        return True

    def _get_commands(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(p), [])

    def commands_for(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[str]:
        """Command names registered for a scope and language."""
        key = self._commands_key({"scope": scope, "language_code": language_code})
        return [c["command"] for c in self.commands.get(key, [])]

    def _get_chat(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p.get("chat_id"))
        return {**chat.as_chat(), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}


# -------------------------------------------------------------------- helpers


def _html(status: int, title: str) -> web.Response:
    """An error page as nginx or a load balancer sends it, not a Bot API answer."""
    body = f"<html>\r\n<head><title>{status} {title}</title></head>\r\n<body>\r\n<center><h1>{status} {title}" \
           f"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    return web.Response(status=status, text=body, content_type="text/html")


def _update_chat(update: dict[str, Any]) -> int:
    for kind in ("message", "edited_message", "channel_post", "callback_query", "business_message"):
        obj = update.get(kind)
        if isinstance(obj, dict):
            msg = obj.get("message", obj) if kind == "callback_query" else obj
            chat = msg.get("chat") if isinstance(msg, dict) else None
            if isinstance(chat, dict) and "id" in chat:
                return int(chat["id"])
    return -int(update.get("update_id", 0)) - 10**15


def _validate_text(text: Any) -> str:
    if text is None or not str(text).strip():
        raise ApiError(400, "Bad Request: message text is empty")
    text = str(text)
    if len(text) > 4096:
        raise ApiError(400, "Bad Request: message is too long")
    return text


def _validate_caption(caption: Any) -> str | None:
    if caption is None:
        return None
    if len(str(caption)) > 1024:
        raise ApiError(400, "Bad Request: message caption is too long")
    return str(caption)


def _validate_markup(markup: Any) -> None:
    if markup in (None, ""):
        return
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list):
            raise ApiError(400, "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup "
                                "should be an Array of Arrays")
        for row in rows:
            for button in row:
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: BUTTON_TEXT_EMPTY")
                if "callback_data" in button:
                    data = str(button["callback_data"]).encode()
                    if not 1 <= len(data) <= 64:
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    elif "keyboard" in markup:
        for row in markup["keyboard"]:
            for button in row:
                label = button if isinstance(button, str) else button.get("text")
                if not label:
                    raise ApiError(400, "Bad Request: BUTTON_TEXT_EMPTY")


def _coerce(key: str, value: str) -> Any:
    if key in TEXT_KEYS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    ctype = request.content_type
    if request.method != "POST" or not request.can_read_body:
        return {k: _coerce(k, v) for k, v in params.items()}
    if ctype == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params
    if ctype.startswith("multipart/"):
        reader = await request.multipart()
        uploads: dict[str, tuple[str, bytes]] = {}
        async for part in reader:
            if part.name is None:
                continue
            if part.filename:  # type: ignore[union-attr]
                uploads[part.name] = (part.filename, bytes(await part.read()))  # type: ignore[union-attr]
                params[part.name] = f"uploaded:{part.filename}"  # type: ignore[union-attr]
            else:
                params[part.name] = _coerce(part.name, await part.text())  # type: ignore[union-attr]
        for key, value in list(params.items()):  # a file sent as "attach://<part>", as Telegram resolves it
            if isinstance(value, str) and value.startswith("attach://") and value[9:] in uploads:
                params[key] = f"uploaded:{uploads[value[9:]][0]}"
                uploads[key] = uploads.pop(value[9:])
                params.pop(value[9:], None)
        if uploads:
            params["_uploads"] = uploads  # what tests read: {parameter: (file name, bytes)}
        return params
    form = await request.post()
    for k, v in form.items():
        params[k] = _coerce(k, v) if isinstance(v, str) else f"uploaded:{v.filename}"
    return params
