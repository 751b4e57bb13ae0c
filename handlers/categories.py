"""Feedback categories, their answer deadlines and their routing, read from `handlers/data/categories.yaml`.

Routing is data: a category names the agencies offered first when filing under it, and optionally its own
staff chat (a group or forum where its tickets are posted); without one, tickets go to `STAFF_CHAT`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import yaml

CATEGORIES_FILE = Path(__file__).with_name("data") / "categories.yaml"
QUESTION_CATEGORY = "other"


@dataclass(frozen=True, slots=True)
class Category:
    """A kind of feedback: labels per language, working days to answer, suggested agencies, staff chat."""

    id: str
    vi: str
    en: str
    answer_days: int
    agencies: tuple[str, ...] = field(default=())
    staff_chat: str | None = None  # "platform:chat_id"

    def label(self, lang: str) -> str:
        """The label in `lang` (Vietnamese by default)."""
        return self.en if lang == "en" else self.vi


@lru_cache(maxsize=1)
def categories() -> tuple[Category, ...]:
    """All categories in display order."""
    data = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))
    found = []
    for item in data["categories"]:
        chat = item.get("staff_chat")
        if chat is not None and ":" not in str(chat):
            raise ValueError(f"{CATEGORIES_FILE.name}: staff_chat of {item['id']!r} must be platform:chat_id")
        found.append(Category(**{**item, "agencies": tuple(item.get("agencies") or ()),
                                 "staff_chat": str(chat) if chat is not None else None}))
    return tuple(found)


def category(category_id: str) -> Category | None:
    """The category with this id, if any."""
    return next((c for c in categories() if c.id == category_id), None)


def category_label(category_id: str, lang: str) -> str:
    """The label of a category id (the id itself when unknown)."""
    found = category(category_id)
    return found.label(lang) if found else category_id


class HasStaffChat(Protocol):
    """What routing reads of the settings: the main staff chat."""

    @property
    def staff_chat_address(self) -> tuple[str, str]:
        """(platform, chat id) of the staff chat."""
        ...


def staff_chat_of(category_id: str, settings: HasStaffChat) -> tuple[str, str]:
    """(platform, chat_id) where tickets of this category are posted: its own chat, else the staff chat."""
    found = category(category_id)
    if found is not None and found.staff_chat:
        platform, _, chat = found.staff_chat.partition(":")
        return platform, chat
    return settings.staff_chat_address


def staff_chats(settings: HasStaffChat) -> set[tuple[str, str]]:
    """Every chat where tickets are posted (the staff chat and the categories' own)."""
    return {settings.staff_chat_address} | {staff_chat_of(c.id, settings) for c in categories()}
