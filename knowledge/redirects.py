"""Matters that belong to another office (divorce: the court; military service; traffic fines), from the
table `knowledge/data/redirects.yaml`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from knowledge.intent import _Cues, _phrases, _text

REDIRECTS_FILE = Path(__file__).with_name("data") / "redirects.yaml"


class Redirect(BaseModel):
    """One matter of another office: how citizens name it, where to go, what to tell them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    source: str
    cues: list[str] = Field(min_length=1)
    unless: list[str] = Field(default_factory=list)  # words that make it a ward procedure after all
    office: str
    office_en: str
    advice: str
    advice_en: str


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[Redirect, _Cues, _Cues | None], ...]:
    data = yaml.safe_load(REDIRECTS_FILE.read_text(encoding="utf-8")) or {}
    entries = [Redirect.model_validate(raw) for raw in data.get("redirects") or []]
    return tuple((entry, _phrases(",".join(entry.cues)), _phrases(",".join(entry.unless)) if entry.unless else None)
                 for entry in entries)


def redirects() -> list[Redirect]:
    """Every entry of the table."""
    return [entry for entry, _, _ in _table()]


def find_redirect(message: str) -> Redirect | None:
    """The other office's matter a message names, or None."""
    text = _text(message)
    return next((entry for entry, cues, unless in _table() if text.has(cues) and not (unless and text.has(unless))),
                None)
