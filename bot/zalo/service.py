"""Run Zalo for an `App`: the webhook server (signature checked), the sender and the token keeper."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from aiohttp import web

from bot.logs import OncePer
from bot.outbox_sender import OutboxSender, Progress, Throttle
from bot.send_budget import SendLimits
from bot.webhook_body import BadBody, read_json_object
from bot.zalo.client import ZaloClient, ZaloTokens
from bot.zalo.convert import PLATFORM, event_to_incoming
from bot.zalo.render import render
from bot.zalo.signature import is_valid
from handlers.i18n import translate
from messaging.types import Outgoing
from storage import outbox
from storage.db import session_scope
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)
REFRESH_EVERY_SECONDS = 20 * 3600


def zalo_limits(settings: Any) -> SendLimits:
    """Zalo's pace: ZALO_MESSAGES_PER_SECOND in all (15), about 3 a second to one person; no groups."""
    rate = float(getattr(settings, "zalo_messages_per_second", 15.0))
    return SendLimits(global_per_second=rate, global_burst=max(1.0, rate * 0.7), private_per_second=3.0,
                      private_burst=3.0)


async def send_outgoing(client: ZaloClient, user_id: str, message: Outgoing, throttle: Throttle | None = None,
                        progress: Progress | None = None) -> None:
    """Send the Zalo messages a neutral message renders to, from the first not sent yet."""
    progress = progress if progress is not None else Progress()
    for body in render(message)[progress.done:]:
        await client.send(user_id, body, throttle)
        progress.done += 1


def make_zalo_sender(app: Any, client: ZaloClient, limits: SendLimits | None = None, **kwargs: Any) -> OutboxSender:
    """The Zalo sender of this process (registered with the app's hub)."""

    async def deliver(item: OutboxItem, throttle: Throttle, progress: Progress) -> None:
        await send_outgoing(client, item.chat_id, Outgoing.from_dict(item.payload), throttle, progress)

    def waiting(item: OutboxItem, error: str) -> None:
        tell_staff_outside_window(app, item)

    s = app.settings
    kwargs.setdefault("shared_budget", getattr(s, "delivery_budget", "database") != "memory")
    kwargs.setdefault("keep_sent_hours", getattr(s, "outbox_keep_sent_hours", 24.0))
    sender = OutboxSender(app.engine, PLATFORM, deliver, limits or zalo_limits(s), is_group=lambda _chat: False,
                          on_waiting=waiting, **kwargs)
    return app.senders.add(sender)  # type: ignore[no-any-return]


def tell_staff_outside_window(app: Any, item: OutboxItem) -> None:
    """Staff learn that a message about a ticket waits until the citizen writes to the OA again."""
    code = item.payload.get("ticket_code")
    if not code:
        return
    platform, chat = app.settings.staff_chat_address
    text = translate(app.settings.default_language, "delivery.zalo_outside_window", code=code)
    with session_scope(app.engine) as session:
        outbox.enqueue(session, platform, chat, Outgoing(text=text, ticket_code=code).to_dict(), outbox.NOTICE)


def webhook_app(app: Any, client: ZaloClient | None = None) -> web.Application:
    """The aiohttp application that receives Zalo events: 400 for a malformed body, 401 for a bad signature."""
    s = app.settings
    refused = OncePer(60.0)

    async def receive(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            event = read_json_object(raw)
        except BadBody as err:
            return web.Response(status=400, text=str(err))
        app_id = s.zalo_app_id or str(event.get("app_id", ""))
        if not is_valid(request.headers.get("X-ZEvent-Signature"), app_id, raw.decode("utf-8"),
                        str(event.get("timestamp", "")), s.zalo_oa_secret_key or ""):
            count = refused("signature")
            if count:
                log.warning("Zalo webhook: %d request(s) with a missing or wrong signature refused in the last minute",
                            count)
            return web.Response(status=401, text="bad signature")
        incoming = event_to_incoming(event)
        if incoming is None:
            return web.json_response({"ok": True})
        # the person wrote: what waited for them (outside Zalo's window) may go now, before the answers
        await asyncio.to_thread(_wake, app.engine, incoming.chat_id)
        items = await asyncio.to_thread(app.dispatcher.answer, incoming, app.senders.lease)
        app.senders.submit(items)
        return web.json_response({"ok": True})

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post(s.zalo_webhook_path, receive)
    return web_app


def _wake(engine: Any, chat_id: str) -> None:
    try:
        outbox.wake_waiting(engine, PLATFORM, chat_id)
    except Exception as err:  # noqa: BLE001 - the dispatcher answers "busy" if the database is away
        log.info("Zalo: could not wake waiting messages (%s)", type(err).__name__)


async def _keep_token_fresh(tokens: ZaloTokens, stop: asyncio.Event) -> None:
    while not stop.is_set():
        if tokens.can_refresh:
            try:
                await tokens.refresh()
            except Exception as err:  # noqa: BLE001 - tried again at the next interval, or when a send needs it
                log.warning("Zalo token refresh failed (%s)", type(err).__name__)
        try:
            await asyncio.wait_for(stop.wait(), REFRESH_EVERY_SECONDS)
        except TimeoutError:
            continue


async def run_zalo(app: Any, stop: asyncio.Event) -> None:
    """Serve Zalo until `stop` is set."""
    s = app.settings
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        tokens = ZaloTokens(app.engine, s.zalo_oauth_base, s.zalo_app_id, s.zalo_app_secret,
                            s.zalo_access_token, s.zalo_refresh_token)
        await tokens.load()
        client = ZaloClient(s.zalo_api_base, tokens, session)
        sender = make_zalo_sender(app, client)
        runner = web.AppRunner(webhook_app(app, client), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, s.zalo_webhook_host, s.zalo_webhook_port).start()
        log.warning("Zalo webhook listening on %s:%s%s", s.zalo_webhook_host, s.zalo_webhook_port,
                    s.zalo_webhook_path)
        tasks = [asyncio.create_task(sender.run(stop), name="zalo-outbox"),
                 asyncio.create_task(_keep_token_fresh(tokens, stop), name="zalo-token")]
        try:
            await stop.wait()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await runner.cleanup()
