"""The Zalo OA message API (`POST /v3.0/oa/message/cs`) and access-token refresh, over aiohttp.

Access tokens live about 25 hours; refresh tokens are single-use and rotate, so the newest pair is kept in
the database (`credential` table) and survives restarts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from sqlalchemy.engine import Engine

from bot.delivery_errors import Rejected, RetryAfter, Transient, Unreachable
from storage.credentials import load_credential, save_credential

log = logging.getLogger(__name__)

ACCESS, REFRESH = "zalo_access_token", "zalo_refresh_token"
TOKEN_INVALID = -216
NOT_REACHABLE = {-213, -227, -230}  # not following the OA / blocked / outside the 7-day window
RATE_LIMITED = {-32, -240}


class ZaloTokens:
    """The current access token; refreshes it with the stored (or configured) refresh token."""

    def __init__(self, engine: Engine, oauth_base: str, app_id: str | None, app_secret: str | None,
                 access_token: str | None, refresh_token: str | None) -> None:
        self.engine = engine
        self.oauth_base = oauth_base.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self._access = access_token
        self._refresh = refresh_token
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        """Prefer the newest tokens stored by an earlier refresh over the configured ones."""
        stored_access = await asyncio.to_thread(load_credential, self.engine, ACCESS)
        stored_refresh = await asyncio.to_thread(load_credential, self.engine, REFRESH)
        self._access = stored_access or self._access
        self._refresh = stored_refresh or self._refresh

    @property
    def access(self) -> str:
        """The access token to send."""
        return self._access or ""

    @property
    def can_refresh(self) -> bool:
        """Whether an app id, app secret and refresh token are available."""
        return bool(self.app_id and self.app_secret and self._refresh)

    async def refresh(self, session: aiohttp.ClientSession, stale: str | None = None) -> bool:
        """Get a new token pair (once, even when many senders found the old token invalid)."""
        async with self._lock:
            if stale is not None and self._access != stale:
                return True  # another sender refreshed it meanwhile
            if not self.can_refresh:
                return False
            data = {"refresh_token": self._refresh or "", "app_id": self.app_id or "", "grant_type": "refresh_token"}
            async with session.post(f"{self.oauth_base}/v4/oa/access_token", data=data,
                                    headers={"secret_key": self.app_secret or ""}) as resp:
                body = await resp.json(content_type=None)
            if not body.get("access_token"):
                log.error("Zalo token refresh failed: %s", body)
                return False
            self._access = body["access_token"]
            self._refresh = body.get("refresh_token") or self._refresh
            await asyncio.to_thread(save_credential, self.engine, ACCESS, self._access)
            await asyncio.to_thread(save_credential, self.engine, REFRESH, self._refresh or "")
            log.info("Zalo access token refreshed")
            return True


class ZaloClient:
    """Sends messages to a user through the OA consultation-message API."""

    def __init__(self, api_base: str, tokens: ZaloTokens, session: aiohttp.ClientSession) -> None:
        self.url = f"{api_base.rstrip('/')}/v3.0/oa/message/cs"
        self.tokens = tokens
        self.session = session

    async def send(self, user_id: str, message: dict[str, Any],
                   throttle: Callable[[str], Awaitable[None]] | None = None) -> str:
        """Post one message; returns Zalo's message id or raises a delivery error."""
        for attempt in (1, 2):
            token = self.tokens.access
            if throttle is not None:
                await throttle(user_id)
            try:
                async with self.session.post(self.url, json={"recipient": {"user_id": user_id}, "message": message},
                                             headers={"access_token": token}) as resp:
                    if resp.status == 429:
                        raise RetryAfter(1.0, "HTTP 429")
                    if resp.status >= 500:
                        raise Transient(f"HTTP {resp.status}")
                    body = await resp.json(content_type=None)
            except (TimeoutError, aiohttp.ClientError) as err:
                raise Transient(f"network: {err}") from err
            error = int(body.get("error", 0) or 0)
            if error == 0:
                return str((body.get("data") or {}).get("message_id", ""))
            if error == TOKEN_INVALID and attempt == 1 and await self.tokens.refresh(self.session, stale=token):
                continue
            if error in NOT_REACHABLE:
                raise Unreachable(f"{error} {body.get('message')}")
            if error in RATE_LIMITED:
                raise RetryAfter(1.0, f"{error} {body.get('message')}")
            raise Rejected(f"{error} {body.get('message')}")
        raise Rejected("access token invalid and could not be refreshed")
