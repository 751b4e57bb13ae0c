"""The signals a procedure is ranked by, each for a question and a pool of candidates.

Exact words (BM25 over the question as read, and over its literal marked words), name containment,
fuzzy closeness to names and keywords, and coverage (how much of the question a procedure explains). The
semantic signal is `knowledge.semantic`. How they are mixed is `knowledge.fusion`.
"""

from __future__ import annotations

import re

import numpy as np
from rapidfuzz import fuzz, process

from knowledge.index import MARKED, PAIR
from knowledge.lexicon import FILLER
from knowledge.normalize import fold, fold_word, normalize
from knowledge.query import Query
from knowledge.semantic import ask_of
from knowledge.state import LexicalState
from knowledge.weights import weight

_AMOUNT = re.compile(r"^\d[\d.,]*(?:k|tr|trieu|d|đ|vnd|dong|nghin|ngan|m|%)?$")  # "135k", "2tr", "100.000đ"


def query_terms(q: Query) -> list[tuple[str, float]]:
    """Weighted index terms of a question as read (folded; marked terms too when the question has marks)."""
    words = [t.folded for t in q.tokens]
    terms = [(w, 1.0) for w in words]
    terms += [(a + PAIR + b, 1.0) for a, b in zip(words, words[1:], strict=False)]
    if q.has_marks:
        marked_weight = weight("terms.marked")
        marked = [t.text for t in q.tokens]
        terms += [(MARKED + w, marked_weight) for w in marked]
        terms += [(MARKED + a + PAIR + b, marked_weight) for a, b in zip(marked, marked[1:], strict=False)]
    added_weight = weight("terms.added")
    added = [fold(w) for w in q.added]
    terms += [(w, added_weight) for w in added if w not in words]
    terms += [(a + PAIR + b, added_weight) for a, b in zip(added, added[1:], strict=False)]
    return terms


def literal_terms(q: Query) -> list[tuple[str, float]]:
    """The question's own marked words (fillers dropped, nothing rewritten) and their pairs.

    A citizen's story written with marks says what it means in the administration's words; the
    chat-style rewrites and folded forms that help short typed questions only add ambiguity there.
    The sentences that ask (ending with "?", or a long story's closing ones) weigh more.
    """
    words = [w for w in q.normalized.split() if w not in FILLER]
    asked = set(normalize(ask_of(q.raw)).split())
    ask, pair, added_weight = weight("terms.ask"), weight("terms.literal_pair"), weight("terms.added")
    strength = {w: ask if w in asked else 1.0 for w in words}
    terms = [(MARKED + w, strength[w]) for w in words]
    terms += [(MARKED + a + PAIR + b, pair * min(strength[a], strength[b])) for a, b in zip(words, words[1:],
                                                                                             strict=False)]
    added = [w for w in q.added if w not in FILLER]  # what the question implies ("người Mỹ": foreign)
    terms += [(MARKED + w, added_weight) for w in added if w not in words]
    terms += [(MARKED + a + PAIR + b, added_weight * pair) for a, b in zip(added, added[1:], strict=False)]
    return terms


def containment(state: LexicalState, q: Query, docs: np.ndarray, literal: bool = False) -> np.ndarray:
    """How much of each procedure's name (by rarity) the question mentions, 0..1.

    `literal` reads the question as written (fillers dropped), like the literal lexical terms.
    """
    words = [fold_word(w) for w in q.normalized.split() if w not in FILLER] if literal else q.folded_terms
    said = set(words) | {a + PAIR + b for a, b in zip(words, words[1:], strict=False)}
    return state.name_terms.shares(docs, said)


def similarity(state: LexicalState, q: Query, docs: np.ndarray) -> np.ndarray:
    """Fuzzy closeness (0..100) of the question to each procedure's name or keywords, at best.

    Shared words count, and so do word order and extra words (so an exact name beats a longer one).
    """
    words = " ".join(t.folded for t in q.tokens)
    texts: list[str] = []
    starts: list[int] = []
    for doc in docs.tolist():
        starts.append(len(texts))
        texts += state.fuzzy_texts[doc] or [""]
    both = process.cdist([words], texts, scorer=fuzz.token_set_ratio, dtype=np.float32)[0]
    both += process.cdist([words], texts, scorer=fuzz.token_sort_ratio, dtype=np.float32)[0]
    return np.maximum.reduceat(both / 2, np.array(starts, dtype=np.int64))


def coverage(state: LexicalState, q: Query, doc: int) -> tuple[float, float]:
    """Share of the question's content (weighted by rarity) found in one procedure, and that weight.

    The syllables written out from one abbreviation count as one unit, found when half of them are.
    """
    return coverages(state, q, [doc])[0]


def coverages(state: LexicalState, q: Query, docs: list[int]) -> list[tuple[float, float]]:
    """`coverage` for several procedures, the question read once.

    Numbers (an amount, an age, a year, "135k") say nothing of which procedure is meant and are left out. The weight
    found counts every found syllable of an abbreviation's expansion ("gks": giấy khai sinh, as specific as
    the three words), while the share counts the abbreviation once.
    """
    idf = state.index.idf
    tokens = [(MARKED + t.text if q.has_marks else t.folded, idf(t.folded), t.group,
               [alt for alt in t.alternatives if alt]) for t in q.tokens if not _AMOUNT.match(t.folded)]
    out = []
    for doc in docs:
        seen = state.index.doc_terms[doc]
        total = covered = found_weight = 0.0
        groups: dict[int, list[tuple[float, bool]]] = {}
        for own, rarity, group, alternatives in tokens:
            found = own in seen or any(all(w in seen for w in alt) for alt in alternatives)
            if group >= 0:
                groups.setdefault(group, []).append((rarity, found))
                continue
            total += rarity
            if found:
                covered += rarity
                found_weight += rarity
        for parts in groups.values():
            rarity = sum(w for w, _ in parts) / len(parts)
            total += rarity
            if 2 * sum(found for _, found in parts) >= len(parts):
                covered += rarity
                found_weight += sum(w for w, found in parts if found)
        out.append(((covered / total if total else 0.0), found_weight))
    return out
