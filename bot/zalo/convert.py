"""Zalo webhook events to neutral incoming messages.

Buttons are rendered as `oa.query.hide` buttons whose payload comes back as a text message
`#btn <data>`; such a text becomes `Incoming.callback`. Following the OA starts the conversation (`/start`).
"""

from __future__ import annotations

from typing import Any

from messaging.types import Attachment, AttachmentKind, Incoming, Location

PLATFORM = "zalo"
BUTTON_PREFIX = "#btn "
UNSUPPORTED = {"user_send_sticker": "sticker", "user_send_gif": "gif", "user_send_audio": "voice",
               "user_send_video": "video", "user_send_business_card": "business_card", "user_send_link": "link"}


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def event_to_incoming(event: dict[str, Any]) -> Incoming | None:
    """The neutral message for a user event, or None for events the bot does not answer."""
    name = event.get("event_name", "")
    if name == "follow":
        user = str((event.get("follower") or {}).get("id", ""))
        return Incoming(PLATFORM, user, user, text="/start", update_id=f"follow:{user}:{event.get('timestamp')}") \
            if user else None
    if not name.startswith("user_send_"):
        return None  # delivery receipts, seen marks, unfollow, OA's own messages
    user = str((event.get("sender") or {}).get("id", ""))
    message = event.get("message") or {}
    if not user:
        return None
    base = {"platform": PLATFORM, "user_id": user, "chat_id": user,
            "update_id": str(message.get("msg_id") or f"{name}:{user}:{event.get('timestamp')}")}
    if name in UNSUPPORTED:
        return Incoming(unsupported=UNSUPPORTED[name], **base)
    if name == "user_send_text":
        text = str(message.get("text") or "")
        if text.startswith(BUTTON_PREFIX):
            return Incoming(callback=text[len(BUTTON_PREFIX):].strip(), **base)
        return Incoming(text=text, **base)
    if name == "user_send_location":
        coords = ((message.get("attachments") or [{}])[0].get("payload") or {}).get("coordinates") \
            or message.get("location") or {}
        lat, lon = _float(coords.get("latitude")), _float(coords.get("longitude"))
        if lat is None or lon is None:
            return Incoming(unsupported="location", **base)
        return Incoming(location=Location(lat, lon), **base)
    if name in ("user_send_image", "user_send_file"):
        kind = AttachmentKind.PHOTO if name == "user_send_image" else AttachmentKind.DOCUMENT
        files = []
        for item in message.get("attachments") or []:
            payload = item.get("payload") or {}
            if payload.get("url"):
                size = payload.get("size")
                files.append(Attachment(kind, str(payload["url"]), payload.get("name"), payload.get("type"),
                                        int(size) if str(size or "").isdigit() else None))
        return Incoming(text=message.get("text") or None, attachments=tuple(files), **base)
    return Incoming(unsupported=name.removeprefix("user_send_"), **base)
