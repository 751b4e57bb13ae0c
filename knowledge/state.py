"""What the matcher makes ahead of questions from a knowledge base (stored in `lexical.pkl`)."""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass

from knowledge.index import PAIR, FieldIndex, field_values
from knowledge.lexicon import ACTION_MODIFIERS, FILLER, FILLER_FOLDED, SPECIAL_CASES
from knowledge.models import Procedure
from knowledge.normalize import fold, fold_word, normalize, strip_diacritics
from knowledge.postings import WeightedTerms
from knowledge.weights import weight

_LEVEL_NOTE = re.compile(r"\(\s*thực hiện tại [^)]*\)", re.IGNORECASE)  # "(thực hiện tại cấp tỉnh)"

# changes of a paper its name opens with (each with how often its unmarked form is another word of the name:
# "Cấp lại giấy phép lái xe" holds " lai " once more, as "lái"), and the special cases its name adds
Qualifiers = tuple[tuple[tuple[str, int], ...], tuple[str, ...]]
Initials = tuple[tuple[str, ...], int, int]  # the most written phrase, how often, how often any phrase is
INITIALS_WORDS = (3, 4, 5)  # phrases of this many words are looked up by their initials ("dkkh")


@dataclass
class LexicalState:
    """The lexical index and what each question reads of every procedure, made once per knowledge base."""

    index: FieldIndex
    vocabulary: list[str]  # folded syllables of the index, most frequent first (typo corrections)
    known_words: set[str]  # every folded syllable written anywhere in the procedures: words that are not typos
    fuzzy_texts: list[list[str]]  # per procedure: folded name and keywords, compared fuzzily
    name_terms: WeightedTerms  # per procedure: the name's content syllables and pairs, by rarity
    qualifiers: list[Qualifiers]  # per procedure: changes of a paper and special cases its name adds
    name_words: list[tuple[str, ...]]  # per procedure: its name's words, level note and "Thủ tục" aside
    initials: dict[str, Initials]  # initials ("dkkh") -> the phrase most often written with them, its count, all

    @classmethod
    def build(cls, procedures: list[Procedure]) -> LexicalState:
        """Index the procedures and read their names."""
        index = FieldIndex(procedures)
        vocabulary = [w for w, _ in index.vocabulary.most_common() if len(w) >= 2]
        return cls(
            index=index,
            vocabulary=vocabulary,
            known_words=set(vocabulary) | _all_words(procedures),
            fuzzy_texts=[[fold(v) for f in ("name", "keywords") for v in field_values(p, f)] for p in procedures],
            name_terms=WeightedTerms([_weighted_name_terms(index, p) for p in procedures]),
            qualifiers=[qualifiers_of(p) for p in procedures],
            name_words=[name_words_of(p) for p in procedures],
            initials=initials_table(procedures),
        )


def initials_table(procedures: list[Procedure]) -> dict[str, Initials]:
    """Initials of the phrases of procedure names (before a parenthesis) and keywords: for each, the phrase most
    often written with them, how often, and how often any phrase is; phrases starting or ending with a filler
    word are left out."""
    table: dict[str, Counter[tuple[str, ...]]] = {}
    for proc in procedures:
        for text in (proc.name.split("(")[0], *proc.keywords):
            marked = [w for w in normalize(text).split() if w.isalpha()]
            words = [fold_word(w) for w in marked]
            for n in INITIALS_WORDS:
                for i in range(len(words) - n + 1):
                    if marked[i] in FILLER or marked[i + n - 1] in FILLER:
                        continue
                    phrase = tuple(words[i : i + n])
                    table.setdefault("".join(w[0] for w in phrase), Counter())[phrase] += 1
    return {key: (*found.most_common(1)[0], sum(found.values())) for key, found in table.items()}


def _all_words(procedures: list[Procedure]) -> set[str]:
    """Every folded syllable written anywhere in the procedures."""
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


def subject_words(name: str) -> list[str]:
    """The words of a normalized procedure name, without a leading "thủ tục" ("procedure")."""
    words = name.split()
    return words[2:] if words[:2] == ["thủ", "tục"] else words


def qualifiers_of(proc: Procedure) -> Qualifiers:
    """What a procedure's name adds to its subject, padded: changes of a paper among its opening words
    (" lại ", " gia hạn "...) and special cases anywhere (" nước ngoài ", " lưu động "...)."""
    words = subject_words(normalize(proc.name))
    opening = f" {' '.join(words[: int(weight('name.action_words'))])} "
    name = f" {' '.join(words)} "
    folded = strip_diacritics(name)
    actions = [f" {m} " for m in ACTION_MODIFIERS if f" {m} " in opening]
    return (
        tuple((m, folded.count(strip_diacritics(m)) - 1) for m in actions),
        tuple(f" {c} " for c in SPECIAL_CASES if f" {c} " in name),
    )


def name_words_of(proc: Procedure) -> tuple[str, ...]:
    """The words of a procedure's name, without a leading "Thủ tục" and its level note (each word once).

    Kept as a tuple of shared strings: a set per procedure took 7 MB of the national records' memory.
    """
    return tuple(dict.fromkeys(sys.intern(w) for w in subject_words(normalize(_LEVEL_NOTE.sub(" ", proc.name)))))
