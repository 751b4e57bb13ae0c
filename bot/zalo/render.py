"""Neutral outgoing messages to Zalo OA message bodies (text within 2,000 characters, 5 buttons each)."""

from __future__ import annotations

from typing import Any

from bot.zalo.convert import BUTTON_PREFIX
from messaging.types import AttachmentKind, Outgoing

MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_TITLE = 100
MORE = "…"
MORE_OPTIONS = {"vi": "👇 Hoặc:", "en": "👇 Or:"}  # above the buttons of a second bubble (more choices, or back)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, then line, then word boundaries."""
    pieces: list[str] = []
    rest = text.strip() or MORE
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return pieces


def render(message: Outgoing) -> list[dict[str, Any]]:
    """The `message` objects to post, in order: photos, text pieces, the last carrying the buttons."""
    bodies: list[dict[str, Any]] = []
    for a in message.attachments:
        if a.kind is AttachmentKind.PHOTO and a.file_id.startswith("http"):
            bodies.append({"attachment": {"type": "template", "payload": {
                "template_type": "media", "elements": [{"media_type": "image", "url": a.file_id}]}}})
    text = message.text
    if message.location is not None and message.location.latitude is not None:
        text += f"\n📍 https://maps.google.com/?q={message.location.latitude},{message.location.longitude}"
    pieces = split_text(text)
    for piece in pieces[:-1]:
        bodies.append({"text": piece})
    more = MORE_OPTIONS.get(str(message.meta.get("lang", "vi")), MORE_OPTIONS["vi"])
    for index, group in enumerate(button_groups(message.buttons)):
        piece = pieces[-1] if index == 0 else more
        if not group:
            bodies.append({"text": piece})
            continue
        bodies.append({"attachment": {"type": "template", "payload": {
            "template_type": "button", "text": piece,
            "buttons": [{"type": "oa.query.hide", "title": b.label[:MAX_TITLE],
                         "payload": f"{BUTTON_PREFIX}{b.data}"} for b in group]}}})
    return bodies


def button_groups(rows: tuple[tuple[Any, ...], ...]) -> list[list[Any]]:
    """The buttons in groups of at most MAX_BUTTONS (one bubble each), a row never split unless it is longer."""
    groups: list[list[Any]] = [[]]
    for row in rows:
        for start in range(0, len(row), MAX_BUTTONS):
            part = list(row[start:start + MAX_BUTTONS])
            if len(groups[-1]) + len(part) > MAX_BUTTONS:
                groups.append([])
            groups[-1].extend(part)
    return groups
