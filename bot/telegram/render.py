"""Neutral `Outgoing` -> Bot API calls (method name + JSON-ready params), library-independent."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from handlers.i18n import translate
from messaging.types import AttachmentKind, Button, Outgoing

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API request."""

    method: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file sent with the call itself (multipart), for files the bot made rather than a Telegram file id."""

    name: str
    mime_type: str
    content: bytes


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int, separators: tuple[str, ...]) -> list[str]:
    if _utf16_len(text) <= limit:
        return [text]
    if not separators:
        out, buf = [], ""
        for ch in text:
            if _utf16_len(buf + ch) > limit:
                out.append(buf)
                buf = ""
            buf += ch
        return out + ([buf] if buf else [])
    sep, rest = separators[0], separators[1:]
    pieces: list[str] = []
    for part in text.split(sep):
        pieces.extend(_cut(part, limit, rest) if _utf16_len(part) > limit else [part])
    chunks: list[str] = []
    buf = ""
    for piece in pieces:
        candidate = f"{buf}{sep}{piece}" if buf else piece
        if buf and _utf16_len(candidate) > limit:
            chunks.append(buf)
            buf = piece
        else:
            buf = candidate
    if buf:
        chunks.append(buf)
    return chunks


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split into chunks of at most `limit` UTF-16 units: at paragraphs, then lines, sentences, words."""
    chunks = _cut(text.strip(), limit, ("\n\n", "\n", ". ", " "))
    return [c.strip() for c in chunks if c.strip()]


def valid_callback_data(data: str) -> bool:
    """Telegram accepts callback data of 1-64 bytes."""
    return 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT


def inline_keyboard(rows: tuple[tuple[Button, ...], ...]) -> dict[str, Any] | None:
    """An InlineKeyboardMarkup; buttons with invalid callback data are dropped (and logged)."""
    out: list[list[dict[str, str]]] = []
    for row in rows:
        kept = []
        for b in row:
            if not valid_callback_data(b.data):
                log.error("dropping button %r: callback data %r is not 1-64 bytes", b.label, b.data)
                continue
            kept.append({"text": b.label[:64] or "•", "callback_data": b.data})
        if kept:
            out.append(kept)
    return {"inline_keyboard": out} if out else None


def reply_keyboard(out: Outgoing) -> dict[str, Any] | None:
    """A one-time reply keyboard with the share-contact and/or share-location buttons."""
    lang = str(out.meta.get("lang") or "vi")
    rows: list[list[dict[str, Any]]] = []
    if out.request_contact:
        label = out.meta.get("contact_label") or translate(lang, "btn.share_phone")
        rows.append([{"text": label, "request_contact": True}])
    if out.request_location:
        label = out.meta.get("location_label") or translate(lang, "btn.share_location")
        rows.append([{"text": label, "request_location": True}])
    if not rows:
        return None
    return {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": True}


REMOVE_KEYBOARD = {"remove_keyboard": True}


def message_calls(out: Outgoing, chat_id: str, thread_id: str | None = None,
                  remove_keyboard: bool = False) -> list[ApiCall]:
    """The calls that deliver one message: text chunks (keyboard on the last), then media, then location."""
    base: dict[str, Any] = {"chat_id": _chat(chat_id)}
    if thread_id is not None:
        base["message_thread_id"] = int(thread_id)
    calls: list[ApiCall] = []
    chunks = split_text(out.text) if out.text else []
    inline = inline_keyboard(out.buttons)
    reply = reply_keyboard(out)
    if remove_keyboard and inline is not None and chunks and "\n" in chunks[0].strip():
        # a message carries an inline keyboard or a keyboard removal, not both: its first line removes the
        # share-phone / share-location keyboard, the rest keeps the buttons (else that keyboard stayed for good)
        head, rest = chunks[0].strip().split("\n", 1)
        calls.append(ApiCall("sendMessage", {**base, "text": head, "reply_markup": REMOVE_KEYBOARD}))
        chunks = [rest.strip(), *chunks[1:]]
        remove_keyboard = False
    for i, chunk in enumerate(chunks):
        params = {**base, "text": chunk}
        if i == len(chunks) - 1:
            if inline is not None:
                params["reply_markup"] = inline
            elif reply is not None:
                params["reply_markup"] = reply
                reply = None
            elif remove_keyboard:
                params["reply_markup"] = REMOVE_KEYBOARD
        calls.append(ApiCall("sendMessage", params))
    if inline is not None and not chunks:
        calls.append(ApiCall("sendMessage", {**base, "text": "…", "reply_markup": inline}))
    if reply is not None:  # the keyboard comes with a message of its own: say what it is for
        label = reply["keyboard"][0][0]["text"]
        lang = str(out.meta.get("lang") or "vi")
        hint = "btn.share_phone_hint" if out.request_contact else "btn.share_location_hint"
        text = translate(lang, hint, label=label)
        calls.append(ApiCall("sendMessage", {**base, "text": text, "reply_markup": reply}))
    for att in out.attachments:
        if att.kind == AttachmentKind.PHOTO:
            calls.append(ApiCall("sendPhoto", {**base, "photo": att.file_id}))
        else:
            calls.append(ApiCall("sendDocument", {**base, "document": att.file_id}))
    loc = out.location
    if loc is not None and loc.latitude is not None and loc.longitude is not None:
        calls.append(ApiCall("sendLocation", {**base, "latitude": loc.latitude, "longitude": loc.longitude}))
    return calls


def topic_name(code: str, category: str | None) -> str:
    """A forum topic name `<code> · <category>`, within Telegram's 128 characters."""
    name = f"{code} · {category}" if category else code
    return name[:128]


def _chat(chat_id: str) -> int | str:
    try:
        return int(chat_id)
    except ValueError:
        return chat_id  # @channelusername
