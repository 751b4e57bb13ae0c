"""The Zalo OA message API (`POST /v3.0/oa/message/cs`) and access-token refresh.

Access tokens live about 25 hours; refresh tokens are single-use and rotate with each refresh. So:

- the newest pair is kept in the database (credential `zalo_tokens`) and wins over the environment once it
  exists; the environment wins again only when its refresh token changes (someone issued new tokens by hand);
- a refresh holds a database lock from reading the stored pair to storing the new one, so two processes
  never spend the same refresh token, and a process that waited uses the pair the other one stored;
- the new pair is stored (committed) before it is used; what can still be lost is a crash between Zalo's
  answer and that commit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.delivery_errors import OutsideWindow, Rejected, RetryAfter, Transient, Unreachable
from storage.credentials import load_credential, lock_credential, write_credential

log = logging.getLogger(__name__)

PAIR = "zalo_tokens"
ACCESS, REFRESH = "zalo_access_token", "zalo_refresh_token"  # earlier versions kept the two apart
TOKEN_INVALID = -216
NOT_REACHABLE = {-213, -227}  # not following the OA / blocked it
OUTSIDE_WINDOW = -230  # the person has not written to the OA recently enough for a consultation message
RATE_LIMITED = {-32, -240}


class ZaloTokens:
    """The current access token, refreshed with the stored (or configured) refresh token."""

    def __init__(self, engine: Engine, oauth_base: str, app_id: str | None, app_secret: str | None,
                 access_token: str | None, refresh_token: str | None, timeout: float = 15.0) -> None:
        self.engine = engine
        self.oauth_base = oauth_base.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.configured = (access_token, refresh_token)
        self._access = access_token
        self._refresh = refresh_token
        self.timeout = timeout
        self._lock = asyncio.Lock()
        self.loaded = False

    async def load(self) -> None:
        """Take the stored pair, unless the configured refresh token is a new one."""
        stored = await asyncio.to_thread(self._stored)
        self.loaded = True
        if stored is None:
            return
        if self.configured[1] and stored.get("seed") not in (None, self.configured[1]):
            log.warning("Zalo: ZALO_REFRESH_TOKEN changed since the stored tokens were made; using the new one")
            return
        self._access = stored.get("access") or self._access
        self._refresh = stored.get("refresh") or self._refresh

    def _stored(self) -> dict[str, Any] | None:
        raw = load_credential(self.engine, PAIR)
        if raw:
            value = json.loads(raw)
            if value:
                return value  # type: ignore[no-any-return]
        access, refresh = load_credential(self.engine, ACCESS), load_credential(self.engine, REFRESH)
        return {"access": access, "refresh": refresh} if refresh else None

    @property
    def access(self) -> str:
        """The access token to send."""
        return self._access or ""

    @property
    def can_refresh(self) -> bool:
        """Whether an app id, app secret and refresh token are available."""
        return bool(self.app_id and self.app_secret and self._refresh)

    async def refresh(self, stale: str | None = None) -> bool:
        """Get a new pair (once, even when many senders or processes found the old token invalid)."""
        if not self.loaded:
            await self.load()
        async with self._lock:
            if stale is not None and self._access != stale:
                return True  # another sender of this process refreshed it meanwhile
            if not (self.app_id and self.app_secret):
                return False
            return await asyncio.to_thread(self._refresh_locked, stale)

    def _refresh_locked(self, stale: str | None) -> bool:
        """Under the database lock: adopt a pair another process stored, or refresh and store before use."""
        with Session(self.engine) as session:
            stored = lock_credential(session, PAIR)
            seed = (stored or {}).get("seed") or self.configured[1]
            if stored and stored.get("access") and stored.get("access") != (stale or self._access):
                self._access, self._refresh = stored["access"], stored.get("refresh") or self._refresh
                session.commit()
                return True
            refresh = (stored or {}).get("refresh") or self._refresh
            if not refresh:
                session.rollback()
                return False
            body = self._post_refresh(refresh)
            if not body.get("access_token"):
                session.rollback()
                log.error("Zalo token refresh refused (error %s %s); new tokens must be issued on developers.zalo.me",
                          body.get("error"), body.get("error_name") or body.get("message") or "")
                return False
            pair = {"access": body["access_token"], "refresh": body.get("refresh_token") or refresh, "seed": seed}
            write_credential(session, PAIR, json.dumps(pair))
            session.commit()  # stored before anything uses it
        self._access, self._refresh = pair["access"], pair["refresh"]
        log.info("Zalo access token refreshed")
        return True

    def _post_refresh(self, refresh: str) -> dict[str, Any]:
        data = urllib.parse.urlencode({"refresh_token": refresh, "app_id": self.app_id or "",
                                       "grant_type": "refresh_token"}).encode()
        request = urllib.request.Request(f"{self.oauth_base}/v4/oa/access_token", data=data, method="POST",
                                         headers={"secret_key": self.app_secret or "",
                                                  "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                answer = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, ValueError, OSError) as err:
            return {"error": type(err).__name__}
        return answer if isinstance(answer, dict) else {"error": "not an object"}


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
                        raise RetryAfter(float(resp.headers.get("Retry-After") or 1), "HTTP 429")
                    if resp.status >= 500:
                        raise Transient(f"HTTP {resp.status}")
                    text = await resp.text()
            except (TimeoutError, aiohttp.ClientError) as err:
                raise Transient(f"network: {type(err).__name__}") from err
            try:
                body = json.loads(text)
                error = int(body.get("error", 0) or 0)
            except (ValueError, TypeError, AttributeError) as err:
                raise Transient(f"HTTP {resp.status}: not a JSON answer") from err
            if error == 0:
                return str((body.get("data") or {}).get("message_id", ""))
            if error == TOKEN_INVALID and attempt == 1 and await self.tokens.refresh(stale=token):
                continue
            if error == OUTSIDE_WINDOW:
                raise OutsideWindow(f"{error} {body.get('message')}")
            if error in NOT_REACHABLE:
                raise Unreachable(f"{error} {body.get('message')}")
            if error in RATE_LIMITED:
                raise RetryAfter(1.0, f"{error} {body.get('message')}")
            raise Rejected(f"{error} {body.get('message')}")
        raise Rejected("access token invalid and could not be refreshed")
