"""Finding the agency a question names ("số điện thoại công an phường", "ủy ban ở đâu")."""

from __future__ import annotations

import math
from collections import Counter

from knowledge.lexicon import FILLER_FOLDED
from knowledge.loader import KnowledgeBase
from knowledge.models import Agency
from knowledge.normalize import fold

# Everyday names of offices, folded, mapped to words found in the agencies' names.
_ALIASES = {
    "uy ban": "ubnd mot cua",
    "ubnd": "ubnd mot cua",
    "phuong": "phuong",
    "mot cua": "mot cua",
    "ward office": "ubnd mot cua",
    "police": "cong an",
    "cong an": "cong an",
    "bao hiem": "bao hiem",
    "tiep dan": "tiep cong dan",
}
_GENERIC = {"phuong", "thanh", "xuan", "ha", "noi", "pho", "ubnd", "bo", "phan", "phong"}


def _words(text: str) -> list[str]:
    """Folded content words of a text, with everyday office names written out."""
    folded = f" {fold(text)} "
    for alias, meaning in _ALIASES.items():
        if f" {alias} " in folded:
            folded += f" {meaning} "
    return [w for w in folded.split() if w not in FILLER_FOLDED]


def rank_agencies(kb: KnowledgeBase, text: str, k: int = 2) -> list[Agency]:
    """Agencies whose name or topics the question mentions, best first (at most k)."""
    docs = [set(_words(" ".join([a.name, a.name_en or "", *a.topics]))) for a in kb.agencies]
    df = Counter(w for doc in docs for w in doc)
    n = len(docs)
    asked = set(_words(text))
    scored = []
    for agency, doc in zip(kb.agencies, docs, strict=True):
        score = sum(math.log(1 + n / df[w]) * (0.3 if w in _GENERIC else 1.0) for w in asked & doc)
        if score > 0:
            scored.append((score, agency))
    scored.sort(key=lambda pair: -pair[0])
    return [agency for _, agency in scored[:k]]
