"""A fake Zalo OA API server (aiohttp) that checks requests like Zalo does and records what the bot sent.

- `/v3.0/oa/message/cs`: the access token must be the current one (-216 otherwise), the user must follow the
  OA (-213) and have written within the window (-230 for users in `outside_window`); texts and buttons are
  checked against Zalo's limits; `fail_next` makes the next calls answer 500/502 (an HTML page) or hang;
  with `per_second` set, sends beyond that rate get -32 (rate limit), as Zalo answers; like the fake Bot API,
  the limit is a token bucket holding one second's worth, refilled at `per_second`.
- `/v4/oa/access_token`: refresh tokens are single-use: each refresh returns a new pair and the old refresh
  token is refused from then on (-14014), as Zalo does; every use is recorded in `refresh_uses`.
- Webhook events are signed here with Zalo's documented formula, written out independently of the bot:
  `X-ZEvent-Signature: mac=sha256(app_id + raw body + timestamp + OA secret key)`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

MAX_TEXT = 2000
MAX_BUTTONS = 5


def zalo_signature(app_id: str, raw_body: str, timestamp: str, oa_secret_key: str) -> str:
    """X-ZEvent-Signature as Zalo computes it (its documentation's formula, not the bot's code)."""
    digest = hashlib.sha256((app_id + raw_body + timestamp + oa_secret_key).encode("utf-8")).hexdigest()
    return f"mac={digest}"


@dataclass
class Sent:
    """One message the bot posted."""

    user_id: str
    message: dict[str, Any]

    @property
    def text(self) -> str:
        """The text, or the button template's text."""
        if "text" in self.message:
            return self.message["text"]
        return self.message.get("attachment", {}).get("payload", {}).get("text", "")

    @property
    def buttons(self) -> list[str]:
        """The payloads of the buttons."""
        payload = self.message.get("attachment", {}).get("payload", {})
        return [b["payload"] for b in payload.get("buttons", [])]


@dataclass
class FakeZalo:
    """The OA API: `/v3.0/oa/message/cs` and `/v4/oa/access_token`."""

    app_id: str = "app-1"
    app_secret: str = "app-secret"
    oa_secret_key: str = "oa-secret"
    access_token: str = "token-1"
    refresh_token: str = "refresh-1"
    followers: set[str] = field(default_factory=set)
    outside_window: set[str] = field(default_factory=set)
    sent: list[Sent] = field(default_factory=list)
    refreshes: int = 0
    refresh_uses: list[tuple[str, bool]] = field(default_factory=list)  # (refresh token, accepted)
    refused_sends: int = 0
    per_second: int | None = None  # sends allowed in any one second (None: no limit)
    rate_limited: int = 0  # sends answered -32

    def __post_init__(self) -> None:
        self._tokens, self._stamp = float(self.per_second or 0), time.monotonic()
        web_app = web.Application()
        web_app.router.add_post("/v3.0/oa/message/cs", self._send)
        web_app.router.add_post("/v4/oa/access_token", self._token)
        self.server = TestServer(web_app)
        self._failures: list[str] = []

    async def __aenter__(self) -> FakeZalo:
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.close()

    @property
    def base_url(self) -> str:
        """Where the fake listens."""
        return str(self.server.make_url("")).rstrip("/")

    def expire_token(self) -> None:
        """Invalidate the current access token, as after 25 hours."""
        self.access_token = "expired-" + secrets.token_hex(4) + "-" + self.access_token

    def fail_next(self, kind: str, times: int = 1) -> None:
        """The next `times` sends fail: "500", "502" (an HTML page, as from a proxy) or "hang"."""
        self._failures.extend([kind] * times)

    async def _send(self, request: web.Request) -> web.Response:
        if self._failures:
            kind = self._failures.pop(0)
            if kind == "hang":
                await asyncio.sleep(3600)
            if kind == "502":
                return web.Response(status=502, text="<html><body><h1>502 Bad Gateway</h1></body></html>",
                                    content_type="text/html")
            return web.json_response({"error": -1, "message": "Internal error"}, status=500)
        if request.headers.get("access_token") != self.access_token:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        if self._over_rate():
            self.rate_limited += 1
            return web.json_response({"error": -32, "message": "The request rate of the application is exceeded"})
        body = await request.json()
        user = str(body.get("recipient", {}).get("user_id", ""))
        message = body.get("message") or {}
        if user not in self.followers:
            return web.json_response({"error": -213, "message": "User has not followed OA"})
        if user in self.outside_window:
            self.refused_sends += 1
            return web.json_response({"error": -230, "message": "User has not interacted with the OA recently"})
        sent = Sent(user, message)
        payload = message.get("attachment", {}).get("payload", {})
        if not sent.text and payload.get("template_type") != "media":
            return web.json_response({"error": -201, "message": "message is empty"})
        if len(sent.text) > MAX_TEXT or len(payload.get("buttons", [])) > MAX_BUTTONS:
            return web.json_response({"error": -201, "message": "Parameters are invalid"})
        self.sent.append(sent)
        return web.json_response({"error": 0, "message": "Success", "data": {"message_id": secrets.token_hex(8)}})

    def _over_rate(self) -> bool:
        """Whether one more send now goes past `per_second` (else it takes a token)."""
        if self.per_second is None:
            return False
        now = time.monotonic()
        self._tokens = min(float(self.per_second), self._tokens + (now - self._stamp) * self.per_second)
        self._stamp = now
        if self._tokens < 1.0:
            return True
        self._tokens -= 1.0
        return False

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        given = str(form.get("refresh_token", ""))
        ok = (request.headers.get("secret_key") == self.app_secret and form.get("app_id") == self.app_id
              and form.get("grant_type") == "refresh_token" and given == self.refresh_token)
        self.refresh_uses.append((given, ok))
        if not ok:
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token",
                                      "error_description": "refresh token is invalid or was used"})
        self.refreshes += 1
        self.access_token = f"token-{self.refreshes + 1}"
        self.refresh_token = f"refresh-{self.refreshes + 1}"  # the old one is spent
        return web.json_response({"access_token": self.access_token, "refresh_token": self.refresh_token,
                                  "expires_in": "90000"})

    def to(self, user_id: str) -> list[Sent]:
        """What the bot sent to one user."""
        return [s for s in self.sent if s.user_id == user_id]

    def event(self, user_id: str, event_name: str, message: dict[str, Any], timestamp: str = "1700000000000") -> dict:
        """A webhook event as Zalo sends it."""
        if event_name == "follow":
            return {"app_id": self.app_id, "oa_id": "oa-1", "follower": {"id": user_id}, "event_name": "follow",
                    "timestamp": timestamp}
        return {"app_id": self.app_id, "sender": {"id": user_id}, "recipient": {"id": "oa-1"},
                "event_name": event_name, "message": message, "timestamp": timestamp}

    async def post_event(self, webhook_url: str, event: dict, *, secret: str | None = None) -> int:
        """POST an event to the bot's webhook, signed like Zalo (or with another secret); returns the status."""
        raw = json.dumps(event, ensure_ascii=False)
        mac = zalo_signature(self.app_id, raw, str(event.get("timestamp", "")),
                             self.oa_secret_key if secret is None else secret)
        return await self.post_raw(webhook_url, raw.encode(), mac)

    async def post_raw(self, webhook_url: str, body: bytes, signature: str | None = None) -> int:
        """POST any body to the bot's webhook; returns the status."""
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-ZEvent-Signature"] = signature
        async with aiohttp.ClientSession() as session, session.post(webhook_url, data=body, headers=headers) as resp:
            return resp.status
