"""Feedback categories and their answer deadlines, read from `handlers/data/categories.yaml`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

CATEGORIES_FILE = Path(__file__).with_name("data") / "categories.yaml"
QUESTION_CATEGORY = "other"


@dataclass(frozen=True, slots=True)
class Category:
    """A kind of feedback, with labels per language and working days to answer."""

    id: str
    vi: str
    en: str
    answer_days: int

    def label(self, lang: str) -> str:
        """The label in `lang` (Vietnamese by default)."""
        return self.en if lang == "en" else self.vi


@lru_cache(maxsize=1)
def categories() -> tuple[Category, ...]:
    """All categories in display order."""
    data = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))
    return tuple(Category(**item) for item in data["categories"])


def category(category_id: str) -> Category | None:
    """The category with this id, if any."""
    return next((c for c in categories() if c.id == category_id), None)


def category_label(category_id: str, lang: str) -> str:
    """The label of a category id (the id itself when unknown)."""
    found = category(category_id)
    return found.label(lang) if found else category_id
