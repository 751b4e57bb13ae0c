"""A small BM25 index over procedure fields, on syllables and syllable pairs, marked and folded."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge.models import Procedure
from knowledge.normalize import normalize, strip_diacritics

# Field name -> weight. Multi-valued fields score as the best of their values.
FIELD_WEIGHTS: dict[str, float] = {
    "name": 1.0,
    "keywords": 0.7,
    "phrasings": 0.8,
    "domain": 0.25,
    "result": 0.2,
}
K1 = 1.2
B = 0.6
MARKED = "~"  # prefix of terms that keep their diacritics
PAIR = "_"  # joins the two syllables of a pair term


def field_values(proc: Procedure, field: str) -> list[str]:
    """The texts of one field of a procedure, as indexed."""
    if field == "name":
        return [v for v in (proc.name, proc.name_en) if v]
    if field == "keywords":
        return list(proc.keywords)
    if field == "phrasings":
        return list(proc.phrasings)
    if field == "domain":
        return [proc.domain] if proc.domain else []
    if field == "result":
        return [proc.result[:200]] if proc.result else []
    raise KeyError(field)


def terms_of(words: Sequence[str], marked: bool) -> list[str]:
    """Index terms of a syllable sequence: folded syllables and pairs, plus marked ones if asked."""
    folded = [strip_diacritics(w) for w in words]
    terms = folded + [a + PAIR + b for a, b in zip(folded, folded[1:], strict=False)]
    if marked:
        terms += [MARKED + w for w in words]
        terms += [MARKED + a + PAIR + b for a, b in zip(words, words[1:], strict=False)]
    return terms


@dataclass
class _Field:
    """Postings of one field: term -> [(unit, tf)], where a unit is one value of one procedure."""

    postings: dict[str, list[tuple[int, int]]]
    unit_owner: list[int]
    unit_norm: list[float]
    idf: dict[str, float]


class FieldIndex:
    """BM25 per field over a list of procedures."""

    def __init__(self, procedures: Sequence[Procedure]) -> None:
        self.size = len(procedures)
        self.fields: dict[str, _Field] = {}
        self.vocabulary: Counter[str] = Counter()  # folded syllable -> procedures containing it
        self.pairs: set[str] = set()  # folded pairs from names, keywords and domains
        self.doc_terms: list[set[str]] = [set() for _ in procedures]
        for name in FIELD_WEIGHTS:
            self.fields[name] = self._build(procedures, name)
        for terms in self.doc_terms:
            self.vocabulary.update(t for t in terms if PAIR not in t and not t.startswith(MARKED))

    def _build(self, procedures: Sequence[Procedure], field: str) -> _Field:
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        owner: list[int] = []
        lengths: list[int] = []
        for doc, proc in enumerate(procedures):
            for value in field_values(proc, field):
                words = normalize(value).split()
                if not words:
                    continue
                terms = terms_of(words, marked=True)
                unit = len(owner)
                owner.append(doc)
                lengths.append(len(words))
                for term, tf in Counter(terms).items():
                    postings[term].append((unit, tf))
                self.doc_terms[doc].update(terms)
                if field != "phrasings":
                    self.pairs.update(t for t in terms if PAIR in t and not t.startswith(MARKED))
        avg = (sum(lengths) / len(lengths)) if lengths else 1.0
        norm = [K1 * (1 - B + B * n / avg) for n in lengths]
        n_docs = max(self.size, 1)
        idf = {}
        for term, plist in postings.items():
            df = len({owner[u] for u, _ in plist})
            idf[term] = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        return _Field(dict(postings), owner, norm, idf)

    def idf(self, folded_term: str) -> float:
        """How rare a folded syllable is across procedures (unknown syllables count as rarest)."""
        df = self.vocabulary.get(folded_term, 0)
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def score(self, terms: Iterable[tuple[str, float]]) -> dict[int, float]:
        """Weighted sum over fields of the best-valued BM25 score per procedure."""
        totals: dict[int, float] = defaultdict(float)
        weighted = list(terms)
        for name, weight in FIELD_WEIGHTS.items():
            fld = self.fields[name]
            per_unit: dict[int, float] = defaultdict(float)
            for term, boost in weighted:
                plist = fld.postings.get(term)
                if not plist:
                    continue
                idf = fld.idf[term] * boost
                norm = fld.unit_norm
                for unit, tf in plist:
                    per_unit[unit] += idf * tf * (K1 + 1) / (tf + norm[unit])
            best: dict[int, float] = {}
            owner = fld.unit_owner
            for unit, value in per_unit.items():
                doc = owner[unit]
                if value > best.get(doc, 0.0):
                    best[doc] = value
            for doc, value in best.items():
                totals[doc] += weight * value
        return totals
