"""Finding the procedures a citizen's question is about, and how sure we are."""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from knowledge import cache
from knowledge import intent as intents
from knowledge.index import MARKED, PAIR, FieldIndex, field_values
from knowledge.lexicon import ACTION_MODIFIERS, FILLER, FILLER_FOLDED, PAPER_TROUBLE, SPECIAL_CASES
from knowledge.loader import KnowledgeBase
from knowledge.models import Procedure
from knowledge.normalize import fold, fold_word, normalize, strip_diacritics
from knowledge.postings import WeightedTerms
from knowledge.query import Query, analyze, in_english
from knowledge.semantic import SemanticIndex, ask_of

CANDIDATES = 50  # candidates taken from each signal before fusion
FUZZY_CANDIDATES = 12  # leading candidates re-ranked by fuzzy closeness
DENSE_MIN = 0.2  # share of the semantic signal for short questions (SHORT_QUESTION content words or fewer)
DENSE_MAX = 0.5  # ... and for long ones (LONG_QUESTION content words or more), or without phrasings
CONTAIN_MAX = 0.15  # share of name containment in the same cases (the rest stays with exact words)
LITERAL_PAIR = 0.5  # weight of word pairs in the literal reading of a question
ASK_BOOST = 2.0  # weight of the ask (a story's "?" sentences, or a long one's closing ones) in the literal reading
BREADTH_WEIGHT = 0.05  # bonus for a procedure carried out at every level (ministry, province, commune)
LEVELS = ("cấp bộ", "cấp tỉnh", "cấp huyện", "cấp xã")
MINISTRY_ONLY = 0.03  # penalty for a procedure carried out at the ministry alone (for organisations, rarely citizens)
SHOWN = 5  # the leading results a citizen sees (a card and its alternatives, or a choice) ...
SAME_NAME_SHOWN = 2  # ... of which at most this many are one procedure name at different levels
UNSAID_QUALIFIER = 0.05  # penalty for a name that adds a change ("cấp lại") or a special case the question never says
GENERAL_CANDIDATE = 0.07  # ... and more when the general procedure it narrows is a candidate too
ACTION_WORDS = 4  # the opening words of a name that state its action
SHORT_QUESTION = 6
LONG_QUESTION = 15
_LEVEL_NOTE = re.compile(r"\(\s*thực hiện tại [^)]*\)", re.IGNORECASE)  # "(thực hiện tại cấp tỉnh)"
FUZZY_WEIGHT = 0.25  # share of the fused score taken by fuzzy similarity
MARKED_BOOST = 0.5  # weight of terms that keep their diacritics, when the question has them
FOLDED_WEIGHT = 1.0  # weight of diacritic-free terms when the question has marks
PAIR_BOOST = 1.0
ADDED_BOOST = 0.6  # weight of synonym and English additions
CONFIDENT_COVERAGE = 0.7  # share of the question's meaning (by rarity) the best procedure must cover
PROCEDURE_COVERAGE = 0.35  # below this the question is not about any known procedure
CONFIDENT_MARGIN = 0.08  # relative lead of the best procedure over the next one
CLEAR_MARGIN = 0.15  # a lead this large is clear even when the runner-up explains the question as well
TIE_COVERAGE = 0.15  # below this lead in coverage, a close runner-up makes the answer unsure
TIE_CANDIDATES = 4  # the best and the next three are compared
MIN_EVIDENCE = 0.5  # matched rarity needed, as a share of the rarest possible syllable's


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


def _all_words(procedures: list[Procedure]) -> set[str]:
    """Every folded syllable written anywhere in the procedures: words that are not typos."""
    texts: list[str] = []
    for p in procedures:
        texts += [p.name, p.name_en or "", p.domain, p.result, p.processing_time, p.fee, p.note or ""]
        texts += p.documents + p.steps + p.legal_basis + p.keywords + p.phrasings
    return {fold_word(w) for w in set(normalize(" ".join(texts)).split())}


def _weighted_name_terms(index: FieldIndex, proc: Procedure) -> dict[str, float]:
    """Content syllables and pairs of a procedure's name, folded, weighted by rarity."""
    words = [w for w in (fold_word(w) for w in normalize(proc.name).split()) if w not in FILLER_FOLDED]
    terms = {w: index.idf(w) for w in words}
    for a, b in zip(words, words[1:], strict=False):
        terms[a + PAIR + b] = (terms[a] + terms[b]) / 2
    return terms


def _levels(proc: Procedure) -> frozenset[str]:
    """The administrative levels (of LEVELS) a procedure is carried out at."""
    level = proc.level.lower()
    return frozenset(lv for lv in LEVELS if lv in level)


def _breadth(procedures: list[Procedure]) -> np.ndarray:
    """How widely each procedure is carried out, 0..1: one administrative level 0, three or more 1.

    Procedures offered at the ministry, the province and the commune alike are the everyday ones citizens
    ask about; among candidates that explain a question about as well, they come first.
    """
    counts = [len(_levels(p)) for p in procedures]
    return np.clip((np.array(counts, dtype=np.float64) - 1) / 2, 0.0, 1.0)


def _ministry_only(procedures: list[Procedure]) -> np.ndarray:
    """1 for each procedure carried out only at the ministry level ("Cấp bộ"), else 0.

    Citizens file at the commune or the province; what only a ministry handles is mostly for organisations
    and professionals, so among candidates that explain a question about as well it comes after them.
    """
    return np.array([_levels(p) == {LEVELS[0]} for p in procedures], np.float64)


def _top(values: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n largest values (unordered)."""
    n = min(n, len(values))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    return np.argpartition(-values, n - 1)[:n]


def _minmax(values: np.ndarray) -> np.ndarray:
    """Values scaled to 0..1 within the pool (all ones when they are equal)."""
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        return np.ones_like(values, dtype=np.float64) if hi > 0 else np.zeros_like(values, dtype=np.float64)
    return (values - lo) / (hi - lo)


def _qualifiers(proc: Procedure) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a procedure's name adds to its subject, padded: changes of a paper among its opening words
    (" lại ", " gia hạn "...) and special cases anywhere (" nước ngoài ", " lưu động "...)."""
    words = _subject_words(normalize(proc.name))
    opening, name = f" {' '.join(words[:ACTION_WORDS])} ", f" {' '.join(words)} "
    return (
        tuple(f" {m} " for m in ACTION_MODIFIERS if f" {m} " in opening),
        tuple(f" {c} " for c in SPECIAL_CASES if f" {c} " in name),
    )


def _name_words(proc: Procedure) -> tuple[str, ...]:
    """The words of a procedure's name, without a leading "Thủ tục" and its level note (each word once).

    Kept as a tuple of shared strings: a set per procedure took 7 MB of the national records' memory.
    """
    return tuple(dict.fromkeys(sys.intern(w) for w in _subject_words(normalize(_LEVEL_NOTE.sub(" ", proc.name)))))


def _subject_words(name: str) -> list[str]:
    """The words of a normalized procedure name, without a leading "thủ tục" ("procedure")."""
    words = name.split()
    return words[2:] if words[:2] == ["thủ", "tục"] else words


class Matcher:
    """Vietnamese-aware search over a knowledge base."""

    def __init__(self, kb: KnowledgeBase, semantic: bool | None = None) -> None:
        """Index a knowledge base; `semantic` None uses stored embeddings when they exist."""
        self.kb = kb
        self.procedures = list(kb.procedures)
        self._state = cache.load_or_build(kb, lambda: self._build_state(self.procedures))
        (self.index, self._vocab, self._known_words, self._fuzzy_texts, self._name_terms, self._qualifier_list,
         self._name_words) = self._state
        self._max_idf = self.index.idf("")
        # without curated phrasings, exact words say little about how citizens ask: lean on meaning
        self._uncurated = 1.0 - sum(bool(p.phrasings) for p in self.procedures) / max(len(self.procedures), 1)
        self._breadth = _breadth(self.procedures)
        self._ministry_only = _ministry_only(self.procedures)
        self.semantic = SemanticIndex.load(kb, self.procedures) if semantic is not False else None

    @staticmethod
    def _build_state(procedures: list[Procedure]) -> tuple[Any, ...]:
        """The lexical index, its vocabulary, every known word, the texts compared fuzzily, name terms, and
        per procedure the qualifiers and the words of its name (all read per question, so made ahead)."""
        index = FieldIndex(procedures)
        vocab = [w for w, _ in index.vocabulary.most_common() if len(w) >= 2]
        known = set(vocab) | _all_words(procedures)
        fuzzy_texts = [[fold(v) for f in ("name", "keywords") for v in field_values(p, f)] for p in procedures]
        name_terms = WeightedTerms([_weighted_name_terms(index, p) for p in procedures])
        qualifiers = [_qualifiers(p) for p in procedures]
        name_words = [_name_words(p) for p in procedures]
        return index, vocab, known, fuzzy_texts, name_terms, qualifiers, name_words

    def save_cache(self) -> None:
        """Store the lexical index beside an imported knowledge base for a fast start-up."""
        cache.save_state(self.kb, self._state)

    # -- query reading ---------------------------------------------------------------------------
    def _known_pair(self, a: str, b: str) -> bool:
        """Whether two words form a phrase of some procedure name, keyword or domain."""
        if a.isascii() and b.isascii():
            return f"{a}{PAIR}{b}" in self.index.pairs
        return f"{MARKED}{a}{PAIR}{b}" in self.index.pairs

    def _correct(self, word: str) -> str | None:
        """A known syllable one or two edits away from an unknown one, or None."""
        if len(word) < 5 or word in self._known_words or word in FILLER_FOLDED or not word.isalpha():
            return None
        cutoff = 2 if len(word) >= 8 else 1
        found = process.extractOne(word, self._vocab, scorer=Levenshtein.distance, score_cutoff=cutoff)
        return found[0] if found else None

    def analyze(self, text: str) -> Query:
        """The question as content tokens and additions, against this knowledge base's vocabulary."""
        return analyze(text, self._known_pair, self._correct)

    def _terms(self, q: Query) -> list[tuple[str, float]]:
        """Weighted index terms of a question (marked terms lead when the question has marks)."""
        terms: list[tuple[str, float]] = []
        words = [t.folded for t in q.tokens]
        plain = FOLDED_WEIGHT if q.has_marks else 1.0
        terms += [(w, plain) for w in words]
        terms += [(a + PAIR + b, plain * PAIR_BOOST) for a, b in zip(words, words[1:], strict=False)]
        if q.has_marks:
            marked = [t.text for t in q.tokens]
            terms += [(MARKED + w, MARKED_BOOST) for w in marked]
            terms += [
                (MARKED + a + PAIR + b, MARKED_BOOST * PAIR_BOOST) for a, b in zip(marked, marked[1:], strict=False)
            ]
        added = [fold(w) for w in q.added]
        terms += [(w, ADDED_BOOST) for w in added if w not in words]
        terms += [(a + PAIR + b, ADDED_BOOST) for a, b in zip(added, added[1:], strict=False)]
        return terms

    @staticmethod
    def _literal_terms(q: Query) -> list[tuple[str, float]]:
        """The question's own marked words (fillers dropped, nothing rewritten) and their pairs.

        A citizen's story written with marks says what it means in the administration's words; the
        chat-style rewrites and folded forms that help short typed questions only add ambiguity there.
        The sentences that ask (ending with "?", or a long story's closing ones) weigh double.
        """
        words = [w for w in q.normalized.split() if w not in FILLER]
        asked = set(normalize(ask_of(q.raw)).split())
        weight = {w: ASK_BOOST if w in asked else 1.0 for w in words}
        terms = [(MARKED + w, weight[w]) for w in words]
        pairs = zip(words, words[1:], strict=False)
        terms += [(MARKED + a + PAIR + b, LITERAL_PAIR * min(weight[a], weight[b])) for a, b in pairs]
        added = [w for w in q.added if w not in FILLER]  # what the question implies ("người Mỹ": foreign)
        terms += [(MARKED + w, ADDED_BOOST) for w in added if w not in words]
        terms += [(MARKED + a + PAIR + b, ADDED_BOOST * LITERAL_PAIR) for a, b in zip(added, added[1:], strict=False)]
        return terms

    def _containment(self, q: Query, docs: np.ndarray, literal: bool = False) -> np.ndarray:
        """How much of each procedure's name (by rarity) the question mentions, 0..1.

        `literal` reads the question as written (fillers dropped), like the literal lexical terms.
        """
        if literal:
            words = [fold_word(w) for w in q.normalized.split() if w not in FILLER]
        else:
            words = [t.folded for t in q.tokens]
        said = set(words) | {a + PAIR + b for a, b in zip(words, words[1:], strict=False)}
        return self._name_terms.shares(docs, said)

    def _similarity(self, q: Query, docs: np.ndarray) -> np.ndarray:
        """Fuzzy closeness (0..100) of the question to each procedure's name or keywords, at best.

        Shared words count, and so do word order and extra words (so an exact name beats a longer one).
        """
        words = " ".join(t.folded for t in q.tokens)
        texts: list[str] = []
        starts: list[int] = []
        for doc in docs.tolist():
            starts.append(len(texts))
            texts += self._fuzzy_texts[doc] or [""]
        both = process.cdist([words], texts, scorer=fuzz.token_set_ratio, dtype=np.float32)[0]
        both += process.cdist([words], texts, scorer=fuzz.token_sort_ratio, dtype=np.float32)[0]
        return np.maximum.reduceat(both / 2, np.array(starts, dtype=np.int64))

    def _unsaid_qualifiers(self, q: Query, docs: np.ndarray) -> np.ndarray:
        """1 for each procedure whose name adds a change of a paper or a special case the question never says.

        A name listing several changes ("Cấp lại, đổi, điều chỉnh ...") serves a question that says any of
        them, and one about a lost, damaged or expired paper ("mất", "hỏng", "hết hạn") asks for a change;
        what the question implies counts as said ("chồng tôi là người Nhật": "có yếu tố nước ngoài"), and
        one written in English is taken to come from a foreigner.
        """
        said = f" {q.normalized} {' '.join(q.added)} {'nước ngoài' if in_english(q.normalized) else ''} "
        plain = strip_diacritics if not q.has_marks else (lambda text: text)
        said = plain(said)
        change_asked = any(plain(f" {w} ") in said for w in PAPER_TROUBLE)
        out = np.zeros(len(docs))
        for i, doc in enumerate(docs.tolist()):
            actions, cases = self._qualifier_list[doc]
            out[i] = any(plain(c) not in said for c in cases) or (
                bool(actions) and not change_asked and not any(plain(m) in said for m in actions)
            )
        return out

    def _narrowing_a_candidate(self, docs: np.ndarray, unsaid: np.ndarray) -> np.ndarray:
        """1 for each candidate with an unsaid qualifier whose general procedure is a candidate too.

        The general procedure is one without unsaid qualifiers whose name is made of words of the narrower
        name ("Cấp giấy phép lái xe" for "Cấp lại giấy phép lái xe", "Đăng ký khai sinh" for "Đăng ký khai
        sinh có yếu tố nước ngoài"): the question that says nothing of the difference is about it.
        """
        out = np.zeros(len(docs))
        qualified = np.flatnonzero(unsaid)
        if not len(qualified):
            return out
        general = [frozenset(self._name_words[doc]) for doc in docs[unsaid == 0].tolist()]
        for i in qualified.tolist():
            words = frozenset(self._name_words[int(docs[i])])
            out[i] = any(g < words for g in general)
        return out

    def coverage(self, q: Query, doc: int) -> tuple[float, float]:
        """Share of the question's content (weighted by rarity) found in one procedure, and that weight.

        The syllables written out from one abbreviation count as one unit, found when half of them are.
        """
        seen = self.index.doc_terms[doc]
        idf = self.index.idf
        total = covered = 0.0
        groups: dict[int, list[tuple[float, bool]]] = {}
        for token in q.tokens:
            own = MARKED + token.text if q.has_marks else token.folded
            found = own in seen or bool(token.alternatives) and any(
                all(w in seen for w in alt) for alt in token.alternatives if alt)
            weight = idf(token.folded)
            if token.group >= 0:
                groups.setdefault(token.group, []).append((weight, found))
                continue
            total += weight
            if found:
                covered += weight
        for parts in groups.values():
            weight = sum(w for w, _ in parts) / len(parts)
            total += weight
            if 2 * sum(found for _, found in parts) >= len(parts):
                covered += weight
        return (covered / total if total else 0.0), covered

    # -- search ------------------------------------------------------------------------------------
    def rank(self, q: Query, text: str = "") -> list[tuple[int, float]]:
        """Procedures ranked for a question, as (position, fused score), best first.

        A short question on a curated knowledge base is read by its words first: when the best procedure
        covers all of them and leads the next one by more than the semantic signal's share, meaning could
        not change the answer, and the encoder (most of a question's cost) is not run.
        """
        if self.semantic is not None and len(q.tokens) <= SHORT_QUESTION and not self._uncurated:
            ranked = self._rank(q, text, semantic=False)
            if ranked and self._settled_by_words(q, ranked):
                return ranked
        return self._rank(q, text, semantic=self.semantic is not None)

    def _settled_by_words(self, q: Query, ranked: list[tuple[int, float]]) -> bool:
        """Whether a lexical ranking is beyond the reach of the semantic signal (see `rank`)."""
        best = ranked[0][1]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if best <= 0 or (best - second) / best < DENSE_MIN or self.coverage(q, ranked[0][0])[0] < 1.0:
            return False
        # no runner-up explains the question nearly as well (else the candidates offered could change)
        return all(self.coverage(q, doc)[0] < 1.0 - TIE_COVERAGE for doc, _ in ranked[1:TIE_CANDIDATES])

    def _rank(self, q: Query, text: str, semantic: bool) -> list[tuple[int, float]]:
        """The ranking, with or without the semantic signal."""
        lexical = self.index.score(self._terms(q))
        dense = self.semantic.scores(text or q.normalized) if semantic and self.semantic is not None else None
        # short questions name the procedure in few words (exact and fuzzy words decide); long stories
        # need the semantic signal to see what they are about
        span = min(max(len(q.tokens) - SHORT_QUESTION, 0) / (LONG_QUESTION - SHORT_QUESTION), 1.0)
        lean = max(span, self._uncurated) if dense is not None else 0.0  # meaning over exact words
        literal = self.index.score(self._literal_terms(q)) if lean > 0 and q.has_marks else None
        pool = _top(lexical, CANDIDATES)
        pool = pool[lexical[pool] > 0]
        if literal is not None:
            extra = _top(literal, CANDIDATES)
            pool = np.union1d(pool, extra[literal[extra] > 0])
        if dense is not None:
            pool = np.union1d(pool, _top(np.where(self.semantic.present, dense, -1.0), CANDIDATES))
        if not len(pool):
            return []
        fuzzy_weight = FUZZY_WEIGHT * (1.0 - span)
        fused = _minmax(lexical[pool])
        if literal is not None:
            fused = (1 - lean) * fused + lean * _minmax(literal[pool])
        if dense is not None:
            weight = DENSE_MIN + (DENSE_MAX - DENSE_MIN) * lean
            contain = CONTAIN_MAX * lean  # does the question mention the procedure's name?
            sem = np.where(self.semantic.present[pool], _minmax(dense[pool]), fused)  # no vector: stay neutral
            fused = (
                (1 - weight - contain) * fused
                + weight * sem
                + contain * _minmax(self._containment(q, pool, literal is not None))
            )
        fused = (1 - fuzzy_weight) * fused
        if fuzzy_weight > 0:  # fuzzy closeness re-ranks the leading candidates only
            lead = np.argsort(-fused, kind="stable")[:FUZZY_CANDIDATES]
            fused[lead] += fuzzy_weight * self._similarity(q, pool[lead]) / 100
        fused += BREADTH_WEIGHT * self._breadth[pool] - MINISTRY_ONLY * self._ministry_only[pool]
        unsaid = self._unsaid_qualifiers(q, pool)
        fused -= UNSAID_QUALIFIER * unsaid + GENERAL_CANDIDATE * self._narrowing_a_candidate(pool, unsaid)
        order = np.argsort(-fused, kind="stable")
        return self._varied([(int(pool[i]), float(fused[i])) for i in order])

    def _varied(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """The ranking with at most SAME_NAME_SHOWN records of one name (level notes aside) in its first SHOWN.

        The same procedure at a third level tells the citizen nothing new; the slot goes to the next other
        procedure, and the records moved down follow the first SHOWN in their order.
        """
        shown: list[tuple[int, float]] = []
        later: list[tuple[int, float]] = []
        names: Counter[tuple[str, ...]] = Counter()
        for doc, score in ranked:
            name = self._name_words[doc]
            if len(shown) < SHOWN and names[name] < SAME_NAME_SHOWN:
                shown.append((doc, score))
                names[name] += 1
            else:
                later.append((doc, score))
        return shown + later

    def search(self, query: str, k: int = 3) -> MatchResult:
        """The k best procedures for a question, its intent and whether the best one is a sure answer."""
        cue = intents.cue_intent(query)
        q = self.analyze(query)
        ranked = self.rank(q, query) if q.tokens else []
        hits = [Hit(self.procedures[doc], round(score, 4)) for doc, score in ranked[:k]]
        if cue in (intents.STATUS, intents.SMALLTALK):
            return MatchResult(query, cue, False, hits)
        if not ranked:
            return MatchResult(query, cue or self._fallback(query), False, hits)
        cover, evidence = self.coverage(q, ranked[0][0])
        if cue == intents.COMPLAINT:
            return MatchResult(query, cue, False, hits, cover)
        if cover < PROCEDURE_COVERAGE or evidence < MIN_EVIDENCE * self._max_idf:
            return MatchResult(query, self._fallback(query), False, hits, cover)
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        margin = (ranked[0][1] - second) / ranked[0][1] if ranked[0][1] > 0 else 0.0
        confident = cover >= CONFIDENT_COVERAGE and margin >= CONFIDENT_MARGIN
        if confident:
            # others that explain the question just as well: one needs a clear lead, several mean the
            # question is too general ("bảo hiểm") and we ask which one is meant -- unless the question
            # names the best one in full and none of the others ("đăng ký khai sinh" vs "đăng ký lại khai sinh")
            tied = [doc for doc, _ in ranked[1:TIE_CANDIDATES] if self.coverage(q, doc)[0] >= cover - TIE_COVERAGE]
            confident = not tied or (len(tied) == 1 and margin >= CLEAR_MARGIN) or (
                self._names_in_full(q, ranked[0][0]) and not any(self._names_in_full(q, doc) for doc in tied))
        return MatchResult(query, intents.PROCEDURE, confident, hits, cover)

    def _names_in_full(self, q: Query, doc: int) -> bool:
        """Whether every content word of the procedure's name is in the question (or its expansions)."""
        name = self.analyze(self.procedures[doc].name.split("(")[0])
        asked = {t.folded for t in q.tokens} | {strip_diacritics(w) for t in q.tokens for alt in t.alternatives
                                                 for w in alt}
        return bool(name.tokens) and all(t.folded in asked for t in name.tokens)

    @staticmethod
    def _fallback(query: str) -> str:
        """The intent of a message that matches no procedure."""
        return intents.COMPLAINT if intents.describes_problem(query) else intents.UNKNOWN
