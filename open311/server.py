"""The Open311 HTTP endpoints (aiohttp), read-only and rate limited per client address.

    GET /open311/v2/discovery.json
    GET /open311/v2/services.json
    GET /open311/v2/services/{service_code}.json
    GET /open311/v2/requests.json?service_request_id=&service_code=&start_date=&end_date=&status=
    GET /open311/v2/requests/{service_request_id}.json

Errors use the spec's format, `[{"code": 400, "description": "..."}]`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session

from open311 import views

log = logging.getLogger(__name__)
PREFIX = "/open311/v2"
MAX_CLIENTS = 10_000  # addresses remembered by the rate limiter


class Open311Config(Protocol):
    """What the Open311 server reads of the settings."""

    @property
    def office_name(self) -> str:
        """Named as the contact in discovery."""
        ...

    @property
    def open311_rate_per_minute(self) -> int:
        """Requests a client address may make per minute."""
        ...

    @property
    def open311_jurisdiction(self) -> str | None:
        """The jurisdiction id clients may pass (None: any)."""
        ...


@dataclass
class RateLimit:
    """A token bucket per client address: `per_minute` requests a minute, in bursts of as many."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)

    def allow(self, client: str) -> float:
        """0 when the request may go ahead (and counts it), else the seconds to wait."""
        now = self.clock()
        tokens, last = self._buckets.pop(client, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - last) * self.per_minute / 60.0)
        wait = 0.0 if tokens >= 1 else (1 - tokens) * 60.0 / self.per_minute
        self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
        while len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)
        return wait


def _json(data: Any, status: int = 200, **headers: str) -> web.Response:
    return web.json_response(data, status=status, headers={"Access-Control-Allow-Origin": "*", **headers},
                             dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def open311_app(engine: Engine, config: Open311Config, agency_names: dict[str, str],
                rate: RateLimit | None = None) -> web.Application:
    """The aiohttp application serving Open311 under /open311/v2."""
    limiter = rate or RateLimit(config.open311_rate_per_minute)

    @web.middleware
    async def guard(request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        wait = limiter.allow(request.remote or "?")
        if wait > 0:
            return _json(views.error(429, "Too many requests: slow down"), 429, **{"Retry-After": str(int(wait) + 1)})
        wanted = config.open311_jurisdiction
        given = request.query.get("jurisdiction_id")
        if wanted and given and given != wanted:
            return _json(views.error(404, f"jurisdiction_id {given!r} is not served here"), 404)
        try:
            return await handler(request)
        except views.BadRequest as err:
            return _json(views.error(400, str(err)), 400)
        except web.HTTPException as err:
            if err.status == 404:
                return _json(views.error(404, "Not found: see /open311/v2/discovery.json"), 404)
            if err.status == 405:
                return _json(views.error(405, "Read-only: only GET is served"), 405)
            raise

    def query(work: Callable[[Session], Any]) -> Any:
        with Session(engine) as session:
            return work(session)

    async def discovery(request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}{PREFIX}"
        return _json(views.discovery(base, config.office_name))

    async def services(request: web.Request) -> web.Response:
        return _json(views.services())

    async def service(request: web.Request) -> web.Response:
        definition = views.service_definition(request.match_info["code"])
        if definition is None:
            return _json(views.error(404, "No such service_code"), 404)
        return _json(definition)

    async def requests(request: web.Request) -> web.Response:
        parsed = views.parse_query(dict(request.query))
        found = await asyncio.to_thread(query, lambda s: views.requests(s, parsed, agency_names))
        return _json(found)

    async def one_request(request: web.Request) -> web.Response:
        code = request.match_info["code"]
        found = await asyncio.to_thread(query, lambda s: views.requests(
            s, views.RequestQuery([code], None, views.utcnow(), views.utcnow(), None), agency_names))
        if not found:
            return _json(views.error(404, f"No public service request {code!r}"), 404)
        return _json(found)

    app = web.Application(middlewares=[guard])
    app.router.add_get(f"{PREFIX}/discovery.json", discovery)
    app.router.add_get(f"{PREFIX}/services.json", services)
    app.router.add_get(PREFIX + "/services/{code}.json", service)
    app.router.add_get(f"{PREFIX}/requests.json", requests)
    app.router.add_get(PREFIX + "/requests/{code}.json", one_request)
    return app


async def start_open311(engine: Engine, config: Open311Config, agency_names: dict[str, str], host: str,
                        port: int) -> web.AppRunner:
    """Start serving Open311 on host:port; the caller cleans the returned runner up."""
    runner = web.AppRunner(open311_app(engine, config, agency_names), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def run_open311(app: Any, stop: asyncio.Event) -> None:
    """Serve Open311 for an `App` until `stop` is set (a service of `feedback-bot run` and `serve`)."""
    s = app.settings
    names = {a.id: a.name for a in app.kb.agencies}
    runner = await start_open311(app.engine, s, names, s.open311_host, s.open311_port)
    log.warning("Open311 listening on %s:%s%s", s.open311_host, s.open311_port, PREFIX)
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await runner.cleanup()
