"""Webhook signatures: Zalo sends `X-ZEvent-Signature: mac=sha256(app_id + body + timestamp + oa_secret_key)`."""

from __future__ import annotations

import hashlib
import hmac


def signature(app_id: str, body: str, timestamp: str, secret: str) -> str:
    """The signature Zalo computes for a webhook request (hex, with the `mac=` prefix)."""
    return "mac=" + hashlib.sha256(f"{app_id}{body}{timestamp}{secret}".encode()).hexdigest()


def is_valid(header: str | None, app_id: str, body: str, timestamp: str, secret: str) -> bool:
    """Whether the header matches (with or without the `mac=` prefix), compared in constant time."""
    if not header:
        return False
    expected = signature(app_id, body, timestamp, secret)
    given = header if header.startswith("mac=") else "mac=" + header
    return hmac.compare_digest(given, expected)
