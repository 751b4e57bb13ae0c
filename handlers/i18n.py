"""The bot's words: one catalogue per language, merged from `handlers/texts/*.<lang>.yaml`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

TEXTS_DIR = Path(__file__).with_name("texts")
LANGUAGES = ("vi", "en")


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every text of one language, keyed by message id."""
    merged: dict[str, str] = {}
    for path in sorted(TEXTS_DIR.glob(f"*.{lang}.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in data.items():
            if key in merged:
                raise ValueError(f"{path.name}: message id {key!r} is defined twice")
            merged[key] = str(value).rstrip("\n")
    return merged


def translate(lang: str, key: str, **kwargs: object) -> str:
    """The text `key` in `lang` (Vietnamese when missing), with `{placeholders}` filled in."""
    lang = lang if lang in LANGUAGES else "vi"
    text = catalogue(lang).get(key) or catalogue("vi").get(key)
    if text is None:
        raise KeyError(f"No message {key!r} in the catalogue")
    return text.format(**kwargs) if kwargs else text
