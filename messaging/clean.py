"""Text cleaned once, where an update enters the bot, so no later step (storage, the matcher's encoder) meets it raw.

- NUL and the other control characters go (a tab or newline stays; CR LF becomes a newline), so do lone
  surrogates, bidirectional overrides and zero-width spaces;
- the text is normalized to NFC (Vietnamese typed with combining tone marks becomes its precomposed letters);
- a run of combining marks on one character is cut to `MAX_MARKS` (so "zalgo" text cannot make the encoder
  crawl: 4,000 marks became 2 per letter);
- text with nothing visible in it (only spaces, zero-width or other invisible characters) becomes empty, and
  is answered as an empty message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from messaging.types import Attachment, Incoming, Location

MAX_MARKS = 2  # after NFC, Vietnamese needs none; two leave room for other scripts
FIELD_CHARS = 255  # a name, username or file name is cut to this (what the database keeps)
SHORT_FIELD_CHARS = 100  # a MIME type, a phone number as shared, a language code
FILE_ID_CHARS = 512

_DROP = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # control characters except tab, newline, CR
    "\u200b\u2060\ufeff\u180e"  # zero-width space, word joiner, byte order mark, Mongolian vowel separator
    "\u202a-\u202e\u2066-\u2069"  # bidirectional embeddings, overrides and isolates
    "\ufff9-\ufffb\ufffe\uffff\ud800-\udfff]"  # interlinear annotations, non-characters, lone surrogates
)
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5")  # fillers and blanks that print nothing
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Mn", "Me", "Zs", "Zl", "Zp", "Cn", "Co", "Cs"})


def clean_text(text: str | None) -> str | None:
    """The text as the bot keeps it; "" when nothing visible is left; None stays None."""
    if text is None:
        return None
    if text.isascii() and not _DROP.search(text):
        return text if text.strip() else ""
    text = _DROP.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = unicodedata.normalize("NFC", text)
    text = _cap_marks(text)
    if not any(ch not in _INVISIBLE and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES for ch in text):
        return ""
    return text


def _cap_marks(text: str) -> str:
    """At most MAX_MARKS combining marks in a row."""
    out: list[str] = []
    run = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me"):
            run += 1
            if run > MAX_MARKS:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


def clean_field(value: str | None, limit: int = FIELD_CHARS) -> str | None:
    """A name or identifier: cleaned, cut to `limit` characters, and None when nothing visible is left."""
    cleaned = clean_text(value)
    return cleaned.strip()[:limit].strip() or None if cleaned is not None else None


def clean_incoming(msg: Incoming) -> Incoming:
    """The update with every text it carries cleaned (the same object when nothing changed)."""
    changes: dict[str, object] = {}
    for name in ("text", "callback"):
        value = getattr(msg, name)
        cleaned = clean_text(value)
        if cleaned != value:
            changes[name] = cleaned
    for name, limit in (("user_name", FIELD_CHARS), ("username", FIELD_CHARS), ("contact_phone", SHORT_FIELD_CHARS),
                        ("language_code", SHORT_FIELD_CHARS)):
        value = getattr(msg, name)
        cleaned = clean_field(value, limit)
        if cleaned != value:
            changes[name] = cleaned
    if msg.attachments:
        attachments = tuple(_clean_attachment(a) for a in msg.attachments)
        if attachments != msg.attachments:
            changes["attachments"] = attachments
    if msg.location is not None and msg.location.address is not None:
        address = clean_text(msg.location.address)
        if address != msg.location.address:
            changes["location"] = Location(msg.location.latitude, msg.location.longitude, address or None)
    return replace(msg, **changes) if changes else msg  # type: ignore[arg-type]


def _clean_attachment(a: Attachment) -> Attachment:
    file_id = _DROP.sub("", a.file_id)[:FILE_ID_CHARS]
    name = clean_field(a.file_name)
    mime = clean_field(a.mime_type, SHORT_FIELD_CHARS)
    if (file_id, name, mime) == (a.file_id, a.file_name, a.mime_type):
        return a
    return replace(a, file_id=file_id, file_name=name, mime_type=mime)
