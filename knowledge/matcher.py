"""Finding the procedures a citizen's question is about, and how sure we are.

The question is read (`knowledge.query`), scored by each signal (`knowledge.signals`, `knowledge.semantic`),
the signals mixed (`knowledge.fusion`), the mix adjusted (`knowledge.adjustments`), and the answer's
confidence judged (`knowledge.confidence`). Every constant is in `knowledge.weights`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge import adjustments, asks, cache, confidence, intent_model, signals
from knowledge import intent as intents
from knowledge.confidence import Features
from knowledge.fusion import fuse, fuzzy_share, span_of, top
from knowledge.index import MARKED, PAIR
from knowledge.lexicon import FILLER_FOLDED, OPENING_VERBS
from knowledge.loader import KnowledgeBase
from knowledge.models import Procedure
from knowledge.normalize import fold, normalize, strip_diacritics
from knowledge.query import Query, Token, analyze
from knowledge.redirects import Redirect, find_redirect, names_matter
from knowledge.semantic import SemanticIndex, ask_of
from knowledge.state import INITIALS_WORDS, LexicalState
from knowledge.weights import weight

TIE_CANDIDATES = 4  # the best and the next three are compared
TYPO_MIN_LETTERS = 3  # shorter words are abbreviations or particles, not typos
TYPO_CANDIDATES = 8  # nearest known syllables tried for a fitting neighbour


_VOWELS = frozenset("aeiouy")
INITIALS_TYPO_LETTERS = 4  # initials this long are read through one typo when only one set of that length is so near


class Ranking(list[tuple[int, float]]):
    """Procedures ranked for a question, as (position, fused score), best first; plus how far the signals
    agree on the first one (read by the confidence)."""

    agreement: float = 0.0  # share of the signals (exact words, literal words, meaning) whose own best is first
    dense_gap: float = 0.0  # cosine of the first minus the best other cosine in the pool (0 without vectors)
    contain: float = 0.0  # how much of the first's name the question says (0 when not measured)
    covered: dict[int, tuple[float, float]] | None = None  # (coverage, evidence) read while ranking, by procedure
    tied: tuple[int, ...] = ()  # runners-up as good as the first in coverage (once the features are read)

    def reread(self) -> Ranking:
        """The same ranking, its coverages to be read again (for another reading of the question)."""
        again = Ranking(self)
        again.agreement, again.dense_gap, again.contain = self.agreement, self.dense_gap, self.contain
        return again


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
    probability: float = 0.0  # calibrated probability that the first hit is the procedure asked about
    redirect: Redirect | None = None  # the other office a matter belongs to (divorce: the court...)
    long: bool = False  # a long question, or one on imported records: more candidates are offered

    @property
    def best(self) -> Hit | None:
        """The best hit, if any."""
        return self.hits[0] if self.hits else None


class Matcher:
    """Vietnamese-aware search over a knowledge base."""

    def __init__(self, kb: KnowledgeBase, semantic: bool | None = None) -> None:
        """Index a knowledge base; `semantic` None uses stored embeddings when they exist."""
        self.kb = kb
        self.procedures = list(kb.procedures)
        self.state: LexicalState = cache.load_or_build(kb, lambda: LexicalState.build(self.procedures))
        self.index = self.state.index
        self._max_idf = self.index.idf("")
        self._indexed = frozenset(self.state.vocabulary)
        self._name_tokens: dict[int, tuple[str, ...]] = {}  # content words of names, read when first needed
        self._padded_names: dict[int, tuple[str, str]] = {}  # normalized names (and folded), read when first needed
        self._descriptor_words: dict[int, frozenset[str]] = {}  # folded words of names and keywords
        self._initials_by_length: dict[int, list[str]] | None = None  # the initials of each length, when needed
        # without curated phrasings, exact words say little about how citizens ask: lean on meaning
        self._age_ranges: dict[int, tuple[int, int] | None] = {}  # ages a name is for, read when first met
        self._uncurated = 1.0 - sum(bool(p.phrasings) for p in self.procedures) / max(len(self.procedures), 1)
        self._breadth = adjustments.breadth(self.procedures)
        self._ministry_only = adjustments.ministry_only(self.procedures)
        self.semantic = SemanticIndex.load(kb, self.procedures) if semantic is not False else None
        # fitted on short questions on a curated knowledge base: imported records keep their own reading
        curated = confidence.model_of(self._uncurated) == confidence.CURATED
        self.intent_model = intent_model.load() if self.semantic is not None and curated else None

    def save_cache(self) -> None:
        """Store the lexical index beside an imported knowledge base for a fast start-up."""
        cache.save_state(self.kb, self.state)

    # -- query reading ---------------------------------------------------------------------------
    def _known_pair(self, a: str, b: str) -> bool:
        """Whether two words form a phrase of some procedure name, keyword or domain."""
        if a.isascii() and b.isascii():
            return f"{a}{PAIR}{b}" in self.index.pairs
        return f"{MARKED}{a}{PAIR}{b}" in self.index.pairs

    def _correct(self, word: str, left: str = "", right: str = "") -> str | None:
        """The syllable a typo stands for, from the knowledge base's own vocabulary, or None.

        A word the index does not know that forms no known phrase with its neighbours is replaced by the most
        frequent indexed syllable one edit away (two for long words; a swap of two letters is one edit) that
        does ("ho chiu" -> "ho chieu"); a word found nowhere in the knowledge base, of five letters or more,
        without such a neighbour, by the nearest indexed syllable. Indexed words are never corrected.
        """
        if not word.isalpha() or word in FILLER_FOLDED or len(word) < TYPO_MIN_LETTERS or word in self._indexed:
            return None
        pairs = self._known_pair
        if (left and pairs(left, word)) or (right and pairs(word, right)):
            return None
        cutoff = 2 if len(word) >= 8 else 1
        vocabulary = self.state.vocabulary
        if left or right:
            for candidate, _, _ in process.extract(word, vocabulary, scorer=OSA.distance,
                                                   score_cutoff=cutoff, limit=TYPO_CANDIDATES):
                if candidate != word and ((left and pairs(left, candidate)) or (right and pairs(candidate, right))):
                    return candidate
        if len(word) < 5 or word in self.state.known_words:
            return None
        found = process.extractOne(word, vocabulary, scorer=OSA.distance, score_cutoff=cutoff)
        return found[0] if found else None

    def _split(self, word: str) -> tuple[str, ...] | None:
        """The syllables an unmarked word the knowledge base never writes stands for: two typed together
        ("khaisinh", "cancuoc"), when they form a phrase of the knowledge base (of several ways, the first
        syllable longest); or, for a word without a vowel, the phrase of names and keywords it is the initials
        of ("dkkh": "dang ky ket hon"), when most phrases with those initials are that one."""
        if not word.isascii() or not word.isalpha() or word in FILLER_FOLDED:
            return None
        if not _VOWELS.intersection(word):  # initials are read even when a keyword writes them ("dkkh")
            return self._initials_of(word)
        if word in self._indexed:
            return None
        if word in self.state.known_words:
            return None
        if len(word) < 2 * TYPO_MIN_LETTERS - 1:
            return None
        indexed = self._indexed
        for cut in range(len(word) - 2, 1, -1):
            left, right = word[:cut], word[cut:]
            if left in indexed and right in indexed and self._known_pair(left, right):
                return left, right
        return None

    def _initials_of(self, word: str) -> tuple[str, ...] | None:
        """The phrase of procedure names and keywords whose initials a word is (see `_split`)."""
        if not INITIALS_WORDS[0] <= len(word) <= INITIALS_WORDS[-1]:  # "x", "gcnkncm": no phrase has as many
            return None
        table = self.state.initials
        found = table.get(word)
        if found is None and len(word) >= INITIALS_TYPO_LETTERS:  # a letter swapped or mistyped ("llpt", "llhp")
            if self._initials_by_length is None:
                self._initials_by_length = {}
                for key in table:
                    self._initials_by_length.setdefault(len(key), []).append(key)
            same = self._initials_by_length.get(len(word), [])
            near = process.extract(word, same, scorer=OSA.distance, score_cutoff=1, limit=None)
            if len(near) == 1:
                found = table[near[0][0]]
        if found is None:
            return None
        phrase, count, total = found
        return phrase if count >= weight("query.initials_share") * total else None

    def analyze(self, text: str) -> Query:
        """The question as content tokens and additions, against this knowledge base's vocabulary."""
        return analyze(text, self._known_pair, self._correct, self._split)

    def coverage(self, q: Query, doc: int) -> tuple[float, float]:
        """Share of the question's content (by rarity) one procedure explains, and that weight."""
        return signals.coverage(self.state, q, doc)

    # -- search ------------------------------------------------------------------------------------
    def rank(self, q: Query, text: str = "") -> Ranking:
        """Procedures ranked for a question, as (position, fused score), best first.

        A short question on a curated knowledge base is read by its words first: when the best procedure
        covers all of them and leads the next one by more than the semantic signal's share, meaning could
        not change the answer, and the encoder (most of a question's cost) is not run.
        """
        if self.semantic is not None and len(q.tokens) <= weight("fusion.short_words") and not self._uncurated:
            ranked = self._rank(q, text, semantic=False)
            if ranked and self._settled_by_words(q, ranked):
                return ranked
        return self._rank(q, text, semantic=self.semantic is not None)

    def _settled_by_words(self, q: Query, ranked: list[tuple[int, float]]) -> bool:
        """Whether a lexical ranking is beyond the reach of the semantic signal (see `rank`)."""
        best = ranked[0][1]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if best <= 0 or (best - second) / best < weight("fusion.dense_short") or self.coverage(q, ranked[0][0])[0] < 1:
            return False
        # no runner-up explains the question nearly as well (else the candidates offered could change)
        tie = weight("confidence.tie_coverage")
        return all(self.coverage(q, doc)[0] < 1.0 - tie for doc, _ in ranked[1:TIE_CANDIDATES])

    def _rank(self, q: Query, text: str, semantic: bool, trace: dict[str, Any] | None = None) -> Ranking:
        """The ranking, with or without the semantic signal; `trace` receives every signal (for fitting)."""
        lexical = self.index.score(signals.query_terms(q))
        dense = self.semantic.scores(text or q.normalized) if semantic and self.semantic is not None else None
        span = span_of(len(q.tokens))
        lean = max(span, self._uncurated) if dense is not None else 0.0  # meaning over exact words
        literal = self.index.score(signals.literal_terms(q)) if lean > 0 and q.has_marks else None
        n = int(weight("pool.candidates"))
        pool = top(lexical, n)
        pool = pool[lexical[pool] > 0]
        if literal is not None:
            extra = top(literal, n)
            pool = np.union1d(pool, extra[literal[extra] > 0])
        if dense is not None and self.semantic is not None:
            pool = np.union1d(pool, top(np.where(self.semantic.present, dense, -1.0), n))
        if not len(pool):
            return Ranking()
        contain = signals.containment(self.state, q, pool, literal is not None) if dense is not None else None
        fused = fuse(lexical[pool], None if literal is None else literal[pool], None if dense is None else dense[pool],
                     None if self.semantic is None else self.semantic.present[pool], contain, lean, span)
        if trace is not None:
            trace.update(pool=pool, lexical=lexical[pool], literal=None if literal is None else literal[pool],
                         dense=None if dense is None else dense[pool], contain=contain, lean=lean, span=span,
                         present=None if self.semantic is None else self.semantic.present[pool],
                         similarity=signals.similarity(self.state, q, pool), breadth=self._breadth[pool],
                         ministry_only=self._ministry_only[pool])
        fuzzy = fuzzy_share(span)
        if fuzzy > 0:  # fuzzy closeness re-ranks the leading candidates only
            lead = np.argsort(-fused, kind="stable")[: int(weight("pool.fuzzy"))]
            fused[lead] += fuzzy * signals.similarity(self.state, q, pool[lead]) / 100
        fused += weight("adjust.breadth") * self._breadth[pool]
        fused -= weight("adjust.ministry_only") * self._ministry_only[pool]
        unsaid = adjustments.unsaid_qualifiers(self.state, q, pool)
        narrowing = adjustments.narrowing_a_candidate(self.state, pool, unsaid)
        fused -= weight("adjust.unsaid") * unsaid + weight("adjust.narrowing") * narrowing
        short = 1.0 - max(span, self._uncurated)  # short questions on curated procedures: their few words weigh
        if short > 0:
            fused += short * weight("adjust.said_action") * adjustments.said_actions(self.state, q, pool)
        ages = adjustments.ages_asked(q.normalized) if span < 1 else []
        if ages:  # "con 5 tuổi": not the procedure "cho người từ đủ 14 tuổi trở lên"
            fused -= weight("adjust.age") * adjustments.age_mismatch(self.procedures, pool, ages, self._age_ranges)
        fused -= weight("adjust.other_kind") * adjustments.other_kind(q, pool, self._padded_name)
        if trace is not None:
            trace.update(unsaid=unsaid, narrowing=narrowing)
        share = weight("adjust.coverage") * short
        covered = None
        if share > 0:  # a short question: the leading candidates by how much of it they explain
            lead = np.argsort(-fused, kind="stable")[: int(weight("pool.coverage"))]
            covers = signals.coverages(self.state, q, pool[lead].tolist())
            fused[lead] += share * np.array([c for c, _ in covers])
            covered = dict(zip(pool[lead].tolist(), covers, strict=True))
        order = np.argsort(-fused, kind="stable")
        ranking = Ranking(adjustments.varied(self.state, [(int(pool[i]), float(fused[i])) for i in order]))
        ranking.covered = covered
        first = ranking[0][0]
        bests = [int(pool[np.argmax(sig[pool])]) for sig in (lexical, literal, dense) if sig is not None]
        ranking.agreement = sum(b == first for b in bests) / len(bests)
        if dense is not None:
            cosines = dense[pool]
            mine = pool == first
            ranking.dense_gap = float(cosines[mine].max() - (cosines[~mine].max() if (~mine).any() else 0.0))
        if contain is not None:
            ranking.contain = float(contain[pool == first].max())
        return ranking

    def search(self, query: str, k: int = 3) -> MatchResult:
        """The k best procedures for a question, its intent and whether the best one is a sure answer.

        A matter of another office (see `knowledge.redirects`) is out of scope, with the office to go to.
        """
        result = self._search(query, k)
        if result.intent in (intents.STATUS, intents.SMALLTALK):
            return result
        redirect = find_redirect(ask_of(query) or query)  # a story may mention a divorce and ask something else
        if redirect is not None and any(names_matter(redirect, hit.procedure.name) for hit in result.hits):
            redirect = None  # the knowledge base holds that office's procedure itself (imported national records)
        if redirect is not None:
            return MatchResult(query, intents.UNKNOWN, False, result.hits, result.coverage, redirect=redirect)
        return self._second_opinion(query, result)

    def _second_opinion(self, query: str, result: MatchResult) -> MatchResult:
        """The learned intent's reading of a message the search is unsure of and no word cue names
        (`knowledge.intent_model`): a complaint, small talk or an outside matter when it is sure enough."""
        if (self.intent_model is None or self.semantic is None or result.confident
                or result.intent not in (intents.PROCEDURE, intents.UNKNOWN) or intents.cue_intent(query)):
            return result
        probabilities = self.intent_model.probabilities(self.semantic.vector(query))
        kind = max(probabilities, key=probabilities.__getitem__)
        if kind == intents.PROCEDURE or kind == result.intent or probabilities[kind] < weight("intent.model_min"):
            return result
        return MatchResult(query, kind, False, result.hits, result.coverage, probability=result.probability,
                           long=result.long)

    def _search(self, query: str, k: int) -> MatchResult:
        """`search` without the redirects."""
        cue = intents.cue_intent(query)
        q = self.analyze(query)
        ranked = self.rank(q, query) if q.tokens else []
        hits = [Hit(self.procedures[doc], round(score, 4)) for doc, score in ranked[:k]]
        if cue in (intents.STATUS, intents.SMALLTALK):
            return MatchResult(query, cue, False, hits)
        if not ranked:
            return MatchResult(query, cue or self._fallback(query), False, hits)
        feats = self.features(q, ranked)
        needed = weight("confidence.procedure_coverage") * (1.0 - feats.span)
        if feats.coverage < needed and asks.asked_aspects(query):  # "lệ phí làm sổ đỏ bao nhiêu": the fee is asked
            bare = self.analyze(asks.without_asks(query))  # of a procedure; its words are not the procedure's
            if bare.tokens:
                feats = self.features(bare, ranked.reread())
        if cue == intents.COMPLAINT and not self._problem_is_procedures(query, q, ranked, feats):
            return MatchResult(query, cue, False, hits, feats.coverage)
        # a short question must be explained in good part, unless it says much of the first's name ("căn cước bị
        # sai quê quán muốn đổi lại"); a long story may say much besides its ask
        if (feats.coverage < needed and not self._says_name(q, ranked[0][0])) or (
                feats.evidence < weight("confidence.min_evidence")):
            return MatchResult(query, self._fallback(query), False, hits, feats.coverage)
        model = confidence.model_of(self._uncurated)
        p = confidence.probability(feats, model)
        long = model == confidence.UNCURATED or feats.span >= 0.5
        sure = p >= confidence.card_threshold(model)
        if sure and confidence.ambiguous(feats, len(ranked) - 1):  # unless the ties are narrower variants
            sure = not confidence.ambiguous(feats, len(ranked) - 1, self._qualified_ties(q, ranked))
        # a message that also reports or complains gets a card only when it names the procedure
        sure = sure and (bool(feats.named) or not intents.describes_problem(query, formal=False))
        if sure and len(q.tokens) == 1:  # one word ("tot", "hai long"): a card only when it names the procedure
            sure = self._describes(q.tokens[0], ranked[0][0])
        return MatchResult(query, intents.PROCEDURE, sure, hits, feats.coverage, probability=round(p, 4), long=long)

    def features(self, q: Query, ranked: Ranking) -> Features:
        """What the confidence of a ranking is judged by (see `knowledge.confidence`)."""
        first, score = ranked[0]
        docs = [doc for doc, _ in ranked[:TIE_CANDIDATES]]
        known = ranked.covered or {}
        missing = [doc for doc in docs if doc not in known]
        read = dict(zip(missing, signals.coverages(self.state, q, missing), strict=True)) if missing else {}
        (cover, evidence), *rest = [known[doc] if doc in known else read[doc] for doc in docs]
        others = [c for c, _ in rest]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        margin = (score - second) / score if score > 0 else 0.0
        tie = weight("confidence.tie_coverage")
        tied = [doc for doc, c in zip(docs[1:], others, strict=True) if c >= cover - tie]
        ranked.tied = tuple(tied)
        asked = {t.folded for t in q.tokens} | {strip_diacritics(w) for t in q.tokens for alt in t.alternatives
                                                 for w in alt}
        same = self.state.name_words[first]  # the same procedure at another level is no rival
        named = self._names_in_full(asked, first) and not any(
            self._names_in_full(asked, doc) for doc in tied if self.state.name_words[doc] != same)
        return Features(
            coverage=cover,
            evidence=min(evidence / self._max_idf, 3.0),
            margin=margin,
            score=score,
            ties=float(len(tied)),
            named=float(named),
            lead=cover - max(others, default=0.0),
            span=span_of(len(q.tokens)),
            agreement=ranked.agreement,
            dense_gap=10 * ranked.dense_gap,
            contain=ranked.contain,
        )

    def _problem_is_procedures(self, query: str, q: Query, ranked: Ranking, feats: Features) -> bool:
        """Whether a problem word belongs to the procedure asked about: the first procedure explains the question,
        or the question names it in full (or all of it but its opening verb) and it explains much of the rest
        ("khai tử quá hạn có bị phạt không" is registering a death late), unless the message reports, or speaks
        of a dossier, of what the writer filed or of a problem suffered ("hồ sơ khai sinh của tôi quá hạn",
        "... bị chậm trễ": a complaint)."""
        if intents.wants_to_report(query):
            return False
        explained = weight("confidence.problem_explained")
        if feats.coverage >= explained:
            return True
        if not (feats.named or self._names_subject(q, ranked[0][0])) or intents.about_own_case(query):
            return False
        rest = self.analyze(intents.without_problem(query))
        if not rest.tokens:
            return False
        ((cover, _),) = signals.coverages(self.state, rest, [ranked[0][0]])
        return cover >= weight("confidence.problem_named_rest")

    def _qualified_ties(self, q: Query, ranked: Ranking) -> int:
        """How many of the tied runners-up (`ranked.tied`, read by `features`) add a change or a special case
        the question never says while the first adds none ("Đăng ký lại khai sinh" beside "Đăng ký khai sinh"):
        they make it no less clear."""
        tied = ranked.tied
        if not tied:
            return 0
        unsaid = adjustments.unsaid_qualifiers(self.state, q, np.array([ranked[0][0], *tied]))
        if unsaid[0]:
            return 0
        first = frozenset(self.state.name_words[ranked[0][0]])  # a variant's name says most of the first's words
        needed = weight("confidence.variant_overlap") * len(first)
        return sum(bool(u) and len(first & frozenset(self.state.name_words[doc])) >= needed
                   for doc, u in zip(tied, unsaid[1:], strict=True))

    def _padded_name(self, doc: int, folded: bool = False) -> str:
        """A procedure's normalized name between spaces (or its diacritic-free form), read once."""
        names = self._padded_names.get(doc)
        if names is None:
            name = f" {normalize(self.procedures[doc].name)} "
            names = self._padded_names[doc] = (name, strip_diacritics(name))
        return names[folded]

    def _says_name(self, q: Query, doc: int) -> bool:
        """Whether a question says a good share of a procedure's name (by rarity)."""
        said = signals.containment(self.state, q, np.array([doc]))[0]
        return bool(said >= weight("confidence.said_name"))

    def _describes(self, token: Token, doc: int) -> bool:
        """Whether a word (or its expansion) is among the words of a procedure's name and keywords."""
        words = self._descriptor_words.get(doc)
        if words is None:
            proc = self.procedures[doc]
            words = self._descriptor_words[doc] = frozenset(
                fold(" ".join([proc.name, proc.name_en or "", *proc.keywords])).split())
        return token.folded in words or any(set(alt) <= words for alt in token.alternatives)

    def _names_subject(self, q: Query, doc: int) -> bool:
        """Whether a question says every word of a procedure's name after its opening verb ("khai tu" of
        "Đăng ký khai tử")."""
        name = self._name_words(doc)
        verb = next((v for v in (fold(v).split() for v in OPENING_VERBS) if name[: len(v)] == tuple(v)), None)
        if verb is None:
            return False
        asked = {t.folded for t in q.tokens}
        subject = name[len(verb):]
        return bool(subject) and all(word in asked for word in subject)

    def _name_words(self, doc: int) -> tuple[str, ...]:
        """The content words of a procedure's name (before a parenthesis), read once as a question would be."""
        name = self._name_tokens.get(doc)
        if name is None:
            name = self._name_tokens[doc] = tuple(t.folded for t in self.analyze(
                self.procedures[doc].name.split("(")[0]).tokens)
        return name

    def _names_in_full(self, asked: set[str], doc: int) -> bool:
        """Whether every content word of the procedure's name is among a question's words (or expansions)."""
        name = self._name_words(doc)
        return bool(name) and all(word in asked for word in name)

    @staticmethod
    def _fallback(query: str) -> str:
        """The intent of a message that matches no procedure: a complaint, small talk, or a matter outside."""
        if intents.describes_problem(query):
            return intents.COMPLAINT
        return intents.SMALLTALK if intents.says_small_talk(query) else intents.UNKNOWN
