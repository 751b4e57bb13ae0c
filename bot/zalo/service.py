"""Run Zalo for an `App`: the webhook server (signature checked) and the outbox sender."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
from aiohttp import web

from bot.outbox_sender import OutboxSender, SendLimits, Throttle
from bot.zalo.client import ZaloClient, ZaloTokens
from bot.zalo.convert import PLATFORM, event_to_incoming
from bot.zalo.render import render
from bot.zalo.signature import is_valid
from messaging.types import Outgoing
from storage.outbox import OutboxItem, enqueue

log = logging.getLogger(__name__)
ZALO_LIMITS = SendLimits(global_per_second=15.0, private_interval=0.3, group_per_minute=20)
REFRESH_EVERY_SECONDS = 20 * 3600


async def send_outgoing(client: ZaloClient, user_id: str, message: Outgoing, throttle: Throttle | None = None) -> None:
    """Send every Zalo message a neutral message renders to."""
    for body in render(message):
        await client.send(user_id, body, throttle)


def webhook_app(app: Any, client: ZaloClient) -> web.Application:
    """The aiohttp application that receives Zalo events."""
    s = app.settings

    async def receive(request: web.Request) -> web.Response:
        raw = await request.text()
        try:
            event = json.loads(raw)
        except ValueError:
            return web.Response(status=400, text="bad json")
        if not isinstance(event, dict) or not is_valid(request.headers.get("X-ZEvent-Signature"),
                                                         str(event.get("app_id", s.zalo_app_id or "")), raw,
                                                         str(event.get("timestamp", "")), s.zalo_oa_secret_key or ""):
            log.warning("Zalo webhook with a missing or wrong signature refused")
            return web.Response(status=401, text="bad signature")
        incoming = event_to_incoming(event)
        if incoming is None:
            return web.json_response({"ok": True})
        answers = await asyncio.to_thread(app.dispatcher.handle, incoming)
        for answer in answers:
            target = answer.chat_id or incoming.chat_id
            platform = answer.platform or PLATFORM
            try:
                await send_outgoing(client, target, answer)
            except Exception as err:  # noqa: BLE001 - keep the answer: the outbox retries it
                log.warning("Zalo direct answer failed (%s); queued in the outbox", err)
                await asyncio.to_thread(_queue, app.engine, platform, target, answer)
        return web.json_response({"ok": True})

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post(s.zalo_webhook_path, receive)
    return web_app


def _queue(engine: Any, platform: str, chat_id: str, message: Outgoing) -> None:
    from storage.db import session_scope

    with session_scope(engine) as session:
        enqueue(session, platform, chat_id, message.to_dict())


async def _keep_token_fresh(tokens: ZaloTokens, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
    while not stop.is_set():
        if tokens.can_refresh:
            await tokens.refresh(session)
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

        async def deliver(item: OutboxItem, throttle: Throttle) -> None:
            await send_outgoing(client, item.chat_id, Outgoing.from_dict(item.payload), throttle)

        sender = OutboxSender(app.engine, PLATFORM, deliver, ZALO_LIMITS)
        runner = web.AppRunner(webhook_app(app, client))
        await runner.setup()
        await web.TCPSite(runner, s.zalo_webhook_host, s.zalo_webhook_port).start()
        log.warning("Zalo webhook listening on %s:%s%s", s.zalo_webhook_host, s.zalo_webhook_port,
                    s.zalo_webhook_path)
        tasks = [asyncio.create_task(sender.run(stop), name="zalo-outbox"),
                 asyncio.create_task(_keep_token_fresh(tokens, session, stop), name="zalo-token")]
        try:
            await stop.wait()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await runner.cleanup()
