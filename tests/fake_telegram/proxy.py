"""A reverse proxy that deals requests out to several webhook workers in turn (as nginx's default does)."""

from __future__ import annotations

import itertools

from aiohttp import ClientSession, web

from .harness import free_port


async def round_robin_proxy(targets: list[str]) -> tuple[web.AppRunner, str]:
    """Start the proxy on a free port; returns its runner (clean it up) and its base URL."""
    turns = itertools.cycle(targets)
    session = ClientSession()

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with session.post(next(turns) + request.path, data=body, headers=headers) as resp:
            return web.Response(status=resp.status, body=await resp.read())

    async def close(_app: web.Application) -> None:
        await session.close()

    app = web.Application()
    app.router.add_post("/{path:.*}", forward)
    app.on_cleanup.append(close)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"
