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


_Entry = tuple[Redirect, _Cues, tuple[tuple[_Cues, ...], ...], _Cues | None]


@lru_cache(maxsize=1)
def _table() -> tuple[_Entry, ...]:
    """Each entry with its phrase cues, its cues of several parts ("người nước ngoài + tạm trú": both anywhere in
    the message) and its `unless` cues."""
    data = yaml.safe_load(REDIRECTS_FILE.read_text(encoding="utf-8")) or {}
    entries = [Redirect.model_validate(raw) for raw in data.get("redirects") or []]
    out = []
    for entry in entries:
        plain = [c for c in entry.cues if "+" not in c]
        joined = tuple(tuple(_phrases(part) for part in c.split("+")) for c in entry.cues if "+" in c)
        unless = _phrases(",".join(entry.unless)) if entry.unless else None
        out.append((entry, _phrases(",".join(plain)), joined, unless))
    return tuple(out)


def redirects() -> list[Redirect]:
    """Every entry of the table."""
    return [entry for entry, _, _, _ in _table()]


def find_redirect(message: str) -> Redirect | None:
    """The other office's matter a message names, or None."""
    text = _text(message)
    for entry, cues, joined, unless in _table():
        said = text.has(cues) or any(all(text.has(part) for part in parts) for parts in joined)
        if said and not (unless and text.has(unless)):
            return entry
    return None


def names_matter(entry: Redirect, name: str) -> bool:
    """Whether a procedure's name names the matter of a redirect itself (imported national records hold some
    other offices' procedures, "Giải quyết hưởng lương hưu": that card answers better than the redirect)."""
    cues = next(c for e, c, _, _ in _table() if e.id == entry.id)
    return _text(name).has(cues)
