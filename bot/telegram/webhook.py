"""The webhook endpoint: an aiohttp server that checks Telegram's secret token before anything else."""

from __future__ import annotations

import hashlib
import hmac
import logging

from aiohttp import web

from bot.logs import OncePer
from bot.telegram.runtime import Runtime
from bot.webhook_body import BadBody, read_json_object

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def default_secret(token: str) -> str:
    """A stable secret derived from the bot token, used when TELEGRAM_WEBHOOK_SECRET is not set."""
    return hashlib.sha256(f"webhook:{token}".encode()).hexdigest()


def webhook_app(runtime: Runtime, path: str, secret: str) -> web.Application:
    """An aiohttp application accepting updates at `path` (401 without the right secret)."""

    refused = OncePer(60.0)

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            count = refused("secret")  # a flood of forged requests writes one line a minute
            if count:
                log.warning("webhook: %d request(s) with a wrong or missing secret in the last minute (last from %s)",
                            count, request.remote)
            return web.Response(status=401, text="unauthorized")
        try:
            update = read_json_object(await request.read())
        except BadBody as err:
            return web.Response(status=400, text=str(err))
        await runtime.process_raw([update])
        return web.Response(text="ok")

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", health)
    return app


async def start_webhook_server(runtime: Runtime, host: str, port: int, path: str,
                               secret: str) -> web.AppRunner:
    """Start serving the webhook; the caller cleans the returned runner up."""
    runner = web.AppRunner(webhook_app(runtime, path, secret), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
