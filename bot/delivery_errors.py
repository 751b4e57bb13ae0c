"""Delivery errors shared by every messenger adapter and the outbox sender."""

from __future__ import annotations


class DeliveryError(Exception):
    """A message could not be delivered."""


class RetryAfter(DeliveryError):
    """Flood control: try again after `seconds` (Telegram's 429 `retry_after`)."""

    def __init__(self, seconds: float, message: str = "") -> None:
        super().__init__(message or f"retry after {seconds}s")
        self.seconds = float(seconds)


class Unreachable(DeliveryError):
    """The recipient cannot be reached (403: blocked the bot, deactivated, kicked)."""


class Transient(DeliveryError):
    """A server (5xx) or network error: worth retrying with backoff."""


class Rejected(DeliveryError):
    """The request itself was refused (400): retrying the same request will not help."""


class OutsideWindow(DeliveryError):
    """The messenger takes this message only after the person writes again (Zalo -230)."""


class Fatal(DeliveryError):
    """The runtime cannot go on (the bot token was revoked or is wrong): stop and exit non-zero."""
