"""Vietnamese text normalization: Unicode form, case, punctuation and a diacritic-free parallel form."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_PUNCT = re.compile(r"[^\w\s]|_", re.UNICODE)
_SPACES = re.compile(r"\s+")
_FOLD = str.maketrans({"đ": "d", "Đ": "D"})


@lru_cache(maxsize=16)  # one message is read several times in a row (intent cues, analysis)
def normalize(text: str) -> str:
    """NFC, lowercase, punctuation replaced by spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFC", text or "").lower()
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


class _Unmarked(dict[int, str]):
    """A `str.translate` table giving each character without its marks, computed once per character.

    Removing combining marks character by character, then composing, equals doing it on the whole text.
    """

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFD", chr(code).translate(_FOLD))
        value = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        if len(self) < 50_000:
            self[code] = value
        return value


_UNMARKED = _Unmarked()


def strip_diacritics(text: str) -> str:
    """The same text without Vietnamese tone and vowel marks (đ→d)."""
    return _strip_long(text) if len(text or "") > _LONG else _strip(text)


def _strip(text: str) -> str:
    stripped = (text or "").translate(_UNMARKED)
    return stripped if stripped.isascii() else unicodedata.normalize("NFC", stripped)


_LONG = 64  # a whole message (not a word or a name): its several readers strip it in turn
_strip_long = lru_cache(maxsize=16)(_strip)


def has_diacritics(text: str) -> bool:
    """Whether the text carries any Vietnamese mark (so the accented form is informative)."""
    return strip_diacritics(text) != text


def tokens(text: str) -> list[str]:
    """Normalized syllables of a text."""
    return normalize(text).split()


def fold(text: str) -> str:
    """Normalized, diacritic-free form used for accent-insensitive comparison."""
    return strip_diacritics(normalize(text))


_FOLD_CACHE: dict[str, str] = {}


def fold_word(word: str) -> str:
    """strip_diacritics for one already-normalized syllable, memoized (syllables repeat a lot)."""
    folded = _FOLD_CACHE.get(word)
    if folded is None:
        folded = _FOLD_CACHE[word] = strip_diacritics(word) if not word.isascii() else word
        if len(_FOLD_CACHE) > 200_000:
            _FOLD_CACHE.clear()
    return folded
