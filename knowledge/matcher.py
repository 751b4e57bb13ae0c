"""Finding the procedures a citizen's question is about, and how sure we are."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from knowledge import intent as intents
from knowledge.index import MARKED, PAIR, FieldIndex, field_values
from knowledge.lexicon import FILLER_FOLDED
from knowledge.loader import KnowledgeBase
from knowledge.models import Procedure
from knowledge.normalize import fold
from knowledge.query import Query, analyze

CANDIDATES = 30  # BM25 candidates re-ranked with fuzzy matching
FUZZY_WEIGHT = 0.25  # share of the fused score taken by fuzzy similarity
MARKED_BOOST = 0.5  # extra weight of terms that keep their diacritics, when the question has them
PAIR_BOOST = 1.0
ADDED_BOOST = 0.6  # weight of synonym and English additions
CONFIDENT_COVERAGE = 0.7  # share of the question's meaning (by rarity) the best procedure must cover
PROCEDURE_COVERAGE = 0.4  # below this the question is not about any known procedure
CONFIDENT_MARGIN = 0.08  # relative lead of the best procedure over the next one


@dataclass(frozen=True)
class Hit:
    """One candidate procedure with its score."""

    procedure: Procedure
    score: float


@dataclass(frozen=True)
class MatchResult:
    """What the matcher made of a question."""

    query: str
    intent: str
    confident: bool
    hits: list[Hit] = field(default_factory=list)
    coverage: float = 0.0

    @property
    def best(self) -> Hit | None:
        """The best hit, if any."""
        return self.hits[0] if self.hits else None


class Matcher:
    """Vietnamese-aware search over a knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.procedures = list(kb.procedures)
        self.index = FieldIndex(self.procedures)
        self._vocab = [w for w, _ in self.index.vocabulary.most_common() if len(w) >= 2]
        self._vocab_set = set(self._vocab)
        self._fuzzy_texts = [
            [fold(v) for f in ("name", "keywords") for v in field_values(p, f)] for p in self.procedures
        ]

    # -- query reading ---------------------------------------------------------------------------
    def _known_pair(self, a: str, b: str) -> bool:
        return f"{a}{PAIR}{b}" in self.index.pairs

    def _correct(self, word: str) -> str | None:
        """A known syllable one or two edits away from an unknown one, or None."""
        if len(word) < 4 or word in self._vocab_set or word in FILLER_FOLDED or not word.isalpha():
            return None
        cutoff = 2 if len(word) >= 7 else 1
        found = process.extractOne(word, self._vocab, scorer=Levenshtein.distance, score_cutoff=cutoff)
        return found[0] if found else None

    def analyze(self, text: str) -> Query:
        """The question as content tokens and additions, against this knowledge base's vocabulary."""
        return analyze(text, self._known_pair, self._correct)

    def _terms(self, q: Query) -> list[tuple[str, float]]:
        """Weighted index terms of a question."""
        terms: list[tuple[str, float]] = []
        words = [t.folded for t in q.tokens]
        terms += [(w, 1.0) for w in words]
        terms += [(a + PAIR + b, PAIR_BOOST) for a, b in zip(words, words[1:], strict=False)]
        if q.has_marks:
            marked = [t.text for t in q.tokens]
            terms += [(MARKED + w, MARKED_BOOST) for w in marked]
            terms += [(MARKED + a + PAIR + b, MARKED_BOOST) for a, b in zip(marked, marked[1:], strict=False)]
        added = [fold(w) for w in q.added]
        terms += [(w, ADDED_BOOST) for w in added if w not in words]
        terms += [(a + PAIR + b, ADDED_BOOST) for a, b in zip(added, added[1:], strict=False)]
        return terms

    def coverage(self, q: Query, doc: int) -> float:
        """Share of the question's content (weighted by rarity) found in one procedure."""
        seen = self.index.doc_terms[doc]
        total = covered = 0.0
        for token in q.tokens:
            weight = self.index.idf(token.folded)
            total += weight
            if any(alt in seen for alt in token.alternatives):
                covered += weight
        return covered / total if total else 0.0

    # -- search ------------------------------------------------------------------------------------
    def rank(self, q: Query) -> list[tuple[int, float]]:
        """Procedures ranked for a question, as (position, fused score)."""
        scores = self.index.score(self._terms(q))
        if not scores:
            return []
        top = sorted(scores.items(), key=lambda kv: -kv[1])[:CANDIDATES]
        best = top[0][1]
        text = " ".join(t.folded for t in q.tokens)
        fused = []
        for doc, score in top:
            sim = max((fuzz.token_set_ratio(text, s) for s in self._fuzzy_texts[doc]), default=0.0) / 100
            fused.append((doc, (1 - FUZZY_WEIGHT) * score / best + FUZZY_WEIGHT * sim))
        fused.sort(key=lambda kv: -kv[1])
        return fused

    def search(self, query: str, k: int = 3) -> MatchResult:
        """The k best procedures for a question, its intent and whether the best one is a sure answer."""
        cue = intents.cue_intent(query)
        if cue in (intents.STATUS, intents.SMALLTALK):
            return MatchResult(query, cue, False, [])
        q = self.analyze(query)
        ranked = self.rank(q) if q.tokens else []
        hits = [Hit(self.procedures[doc], round(score, 4)) for doc, score in ranked[:k]]
        if not ranked:
            return MatchResult(query, cue or intents.UNKNOWN, False, hits)
        cover = self.coverage(q, ranked[0][0])
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        margin = (ranked[0][1] - second) / ranked[0][1] if ranked[0][1] else 0.0
        if cue == intents.COMPLAINT:
            return MatchResult(query, cue, False, hits, cover)
        if cover < PROCEDURE_COVERAGE:
            return MatchResult(query, intents.UNKNOWN, False, hits, cover)
        confident = cover >= CONFIDENT_COVERAGE and margin >= CONFIDENT_MARGIN
        return MatchResult(query, intents.PROCEDURE, confident, hits, cover)
