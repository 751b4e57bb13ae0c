"""Reading a citizen's question: abbreviations, synonyms, English, filler words and typos."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from knowledge.lexicon import ADD, ENGLISH, FILLER, FILLER_EN, FILLER_FOLDED, REPLACE
from knowledge.normalize import fold_word, normalize, strip_diacritics

_MAX_PHRASE = max(len(k.split()) for k in (*REPLACE, *ADD, *ENGLISH))
_REPLACE = {strip_diacritics(k): v for k, v in REPLACE.items()}
_ADD = {strip_diacritics(k): v for k, v in {**ENGLISH, **ADD}.items()}


def _is_acronym(key: str, expansion: str) -> bool:
    """Whether an abbreviation is made of the initials of its expansion ("bhyt": "bảo hiểm y tế")."""
    words = expansion.split()
    return len(key) >= 3 and len(words) == len(key) and "".join(fold_word(w)[0] for w in words) == key


# expansion (as written, with marks) -> abbreviation: procedure names use both ("thẻ BHYT")
_ACRONYMS = {
    normalize(v): k for k, v in REPLACE.items() if _is_acronym(k, v) and not set(normalize(v).split()) <= FILLER
}
_MAX_ACRONYM = max((len(v.split()) for v in _ACRONYMS), default=0)
_ACRONYM_STARTS = {v.split()[0] for v in _ACRONYMS}  # a phrase can only start with one of these words
_SPELLED_OUT = {k: v.split() for v, k in _ACRONYMS.items()}


def spelled_out(words: list[str]) -> list[list[str]]:
    """The written-out forms of the acronyms among `words` ("bhxh" -> bảo hiểm xã hội), for the index."""
    return [_SPELLED_OUT[w] for w in dict.fromkeys(fold_word(w) for w in words) if w in _SPELLED_OUT]


def acronyms_of(words: list[str]) -> list[str]:
    """Abbreviations of the phrases a question spells out ("bảo hiểm y tế" -> "bhyt")."""
    found: list[str] = []
    for i in range(len(words)):
        if words[i] not in _ACRONYM_STARTS:
            continue
        for n in range(min(_MAX_ACRONYM, len(words) - i), 1, -1):
            short = _ACRONYMS.get(" ".join(words[i : i + n]))
            if short is not None and short not in found:
                found.append(short)
                break
    return found


@dataclass
class Token:
    """One syllable of the question: its marked form, its folded form, and synonym phrases (folded)."""

    text: str
    folded: str
    alternatives: set[tuple[str, ...]] = field(default_factory=set)
    group: int = -1  # tokens written out from one abbreviation share a group ("cccd" -> 4 syllables)

    @property
    def marked(self) -> bool:
        """Whether the citizen typed Vietnamese marks on it."""
        return self.text != self.folded


@dataclass
class Query:
    """A question broken into content tokens plus added synonym tokens."""

    raw: str
    normalized: str
    tokens: list[Token]
    added: list[str]
    has_marks: bool

    @property
    def folded_terms(self) -> list[str]:
        """Diacritic-free content syllables."""
        return [t.folded for t in self.tokens]


FOREIGN = "có yếu tố nước ngoài"  # what a foreign nationality implies
_REPLACE_STARTS = {k.split()[0] for k in _REPLACE}  # first words of the phrases (rules start nowhere else)
_ADD_STARTS = {k.split()[0] for k in _ADD}


def _rewrite(
    words: list[str], known_pair: Callable[[str, str], bool] = lambda a, b: False
) -> tuple[list[str], list[int], list[tuple[int, int, str]]]:
    """Apply replacement rules (with the group of each output word), then find synonym spans.

    A nationality never ends inside a longer phrase of the knowledge base: "người lao động" (a worker) is
    not "người Lào" (a Laotian) because "lao động" is a known phrase.
    """
    out: list[str] = []
    groups: list[int] = []
    i = 0
    folded = [fold_word(w) for w in words]
    out_folded: list[str] = []  # folded forms of `out`, made as it grows
    while i < len(words):
        if folded[i] not in _REPLACE_STARTS:
            out.append(words[i])
            out_folded.append(folded[i])
            groups.append(-1)
            i += 1
            continue
        for n in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            key = " ".join(folded[i : i + n])
            if key in _REPLACE and (n > 1 or len(key) > 1 or words[i] == key):
                expansion = _REPLACE[key].split()
                groups.extend([i] * len(expansion) if len(expansion) > 1 else [-1])
                out.extend(expansion)
                out_folded.extend(fold_word(w) for w in expansion)
                i += n
                break
        else:
            out.append(words[i])
            out_folded.append(folded[i])
            groups.append(-1)
            i += 1
    spans: list[tuple[int, int, str]] = []
    for i in range(len(out)):
        if out_folded[i] not in _ADD_STARTS:
            continue
        for n in range(min(_MAX_PHRASE, len(out) - i), 0, -1):
            key = " ".join(out_folded[i : i + n])
            if key in _ADD:
                if _ADD[key] == FOREIGN and i + n < len(out) and known_pair(out[i + n - 1], out[i + n]):
                    continue  # the span's last word belongs to the next phrase: try a shorter span
                spans.append((i, i + n, _ADD[key]))
                break
    return out, groups, spans


def _filler_word(word: str) -> bool:
    """Whether a word is on a filler list (marked words only on the marked list)."""
    if word in FILLER or word in FILLER_EN:
        return True
    return word.isascii() and word in FILLER_FOLDED


def _meaningful(words: list[str], known_pair: Callable[[str, str], bool]) -> list[bool]:
    """For each word, whether it carries meaning here: not a filler, or a filler in a known phrase with a
    meaningful neighbour."""
    filler = [_filler_word(w) for w in words]
    keep = [not f for f in filler]
    last = len(words) - 1
    for i in (i for i, f in enumerate(filler) if f):
        keep[i] = (i > 0 and not filler[i - 1] and known_pair(words[i - 1], words[i])) or (
            i < last and not filler[i + 1] and known_pair(words[i], words[i + 1]))
    return keep


# A Vietnamese syllable written without marks: onset, vowels, final consonant ("thuong", "nghieng", "cam", "on").
_VIETNAMESE_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?"
)
# Vietnamese abbreviations of the lexicon ("sdt", "cccd", "gks"): not English words.
_ABBREVIATIONS = frozenset(strip_diacritics(k) for k in (*REPLACE, *ADD) if " " not in k)
# Loanwords Vietnamese chats use every day: they tell nothing of the language ("ok cam on", "hello ad").
_LOANWORDS = frozenset(["ok", "oke", "okie", "okay", "hello", "hi", "alo", "bye", "thanks", "thank", "tks", "thks",
                        "sorry", "ad", "admin", "bot", "online"])


def in_english(normalized: str) -> bool:
    """Whether a question is written in English: unmarked, with more English function words than Vietnamese,
    and with a word that is neither a Vietnamese syllable nor a Vietnamese abbreviation, or with three English
    function words ("cam on" is "cảm ơn" and "sdt cong an" is Vietnamese, though "on" and "an" are English)."""
    words = normalized.split()
    if not words or strip_diacritics(normalized) != normalized:
        return False
    english = sum(w in FILLER_EN for w in words)
    foreign = sum(w.isalpha() and w not in _LOANWORDS and w not in _ABBREVIATIONS
                  and not _VIETNAMESE_SYLLABLE.fullmatch(w) for w in words)
    return (foreign > 0 or english >= 3) and english > 0 and english > sum(w in FILLER_FOLDED for w in words)


def in_vietnamese(normalized: str) -> bool:
    """Whether a message is clearly Vietnamese: written with marks, with more Vietnamese function words than
    English ones, or of two or more Vietnamese syllables and no English word ("thanks", "ok" are neither)."""
    words = normalized.split()
    if strip_diacritics(normalized) != normalized:
        return True
    english = sum(w in FILLER_EN for w in words)
    letters = [w for w in words if w.isalpha()]
    syllables = len(letters) >= 2 and all(_VIETNAMESE_SYLLABLE.fullmatch(w) or w in _ABBREVIATIONS for w in letters)
    return sum(w in FILLER_FOLDED for w in words) > english or (syllables and not english)  # "khai sinh"


def analyze(
    text: str,
    known_pair: Callable[[str, str], bool] = lambda a, b: False,
    correct: Callable[[str, str, str], str | None] = lambda w, left, right: None,
    split: Callable[[str], tuple[str, ...] | None] = lambda w: None,
) -> Query:
    """Break a question into content tokens (fillers removed before folding) and synonym additions.

    `split(word)` may part syllables typed together or as initials ("khaisinh", "dkks"); `correct(word, left,
    right)` may replace a word typed without marks (a typo) given its neighbours.
    """
    normalized = normalize(text)
    typed: list[str] = []
    for word in normalized.split():
        parts = None if strip_diacritics(word) in _REPLACE or word in _ADD else split(word)
        typed.extend(parts or (word,))
    words, groups, spans = _rewrite(typed, known_pair)
    for i, word in enumerate(words):  # typos, read against the neighbours as typed (fillers included)
        if word.isascii() and not _filler_word(word):
            fixed = correct(word, words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else "")
            if fixed:
                words[i] = fixed
    keep = _meaningful(words, known_pair)
    for start, end, _ in spans:  # the words of a phrase of the lexicon ("sổ đỏ", "giấy báo tử") carry meaning
        if end - start > 1:
            keep[start:end] = [True] * (end - start)
    tokens: list[Token] = []
    index_of: dict[int, Token] = {}
    for i, word in enumerate(words):
        if not keep[i]:
            continue
        folded = fold_word(word)
        token = Token(word, folded, set(), groups[i])
        index_of[i] = token
        tokens.append(token)
    added: list[str] = acronyms_of(words)
    for start, end, expansion in spans:
        extra = [w for w in expansion.split() if w not in FILLER]
        added.extend(extra)
        for i in range(start, end):
            if i in index_of:
                index_of[i].alternatives.add(tuple(fold_word(w) for w in extra))
    return Query(text, normalized, tokens, added, has_marks=strip_diacritics(normalized) != normalized)
