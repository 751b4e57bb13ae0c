"""Adjustments after fusion: priors from a procedure's levels, qualifiers the question never says, and
the variety of the results a citizen sees."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import numpy as np

from knowledge.lexicon import EXCLUSIVE_KINDS, PAPER_TROUBLE
from knowledge.models import Procedure
from knowledge.normalize import strip_diacritics
from knowledge.query import Query, in_english
from knowledge.state import LexicalState
from knowledge.weights import weight

LEVELS = ("cấp bộ", "cấp tỉnh", "cấp huyện", "cấp xã")


def levels(proc: Procedure) -> frozenset[str]:
    """The administrative levels (of LEVELS) a procedure is carried out at."""
    level = proc.level.lower()
    return frozenset(lv for lv in LEVELS if lv in level)


def breadth(procedures: list[Procedure]) -> np.ndarray:
    """How widely each procedure is carried out, 0..1: one administrative level 0, three or more 1.

    Procedures offered at the ministry, the province and the commune alike are the everyday ones citizens
    ask about; among candidates that explain a question about as well, they come first.
    """
    counts = [len(levels(p)) for p in procedures]
    return np.clip((np.array(counts, dtype=np.float64) - 1) / 2, 0.0, 1.0)


def ministry_only(procedures: list[Procedure]) -> np.ndarray:
    """1 for each procedure carried out only at the ministry level ("Cấp bộ"), else 0.

    Citizens file at the commune or the province; what only a ministry handles is mostly for organisations
    and professionals, so among candidates that explain a question about as well it comes after them.
    """
    return np.array([levels(p) == {LEVELS[0]} for p in procedures], np.float64)


def _said(q: Query) -> tuple[str, Callable[[str], str]]:
    """What a question says, padded, with what it implies; and the folding that compares with it."""
    said = f" {q.normalized} {' '.join(q.added)} {'nước ngoài' if in_english(q.normalized) else ''} "
    plain = strip_diacritics if not q.has_marks else (lambda text: text)
    return plain(said), plain


def _says_action(said: str, plain: Callable[[str], str], q: Query, actions: tuple[tuple[str, int], ...]) -> bool:
    """Whether a question says one of a name's change words (unmarked, more often than the name's lookalikes)."""
    return any(said.count(plain(m)) > (0 if q.has_marks else homographs) for m, homographs in actions)


def said_actions(state: LexicalState, q: Query, docs: np.ndarray) -> np.ndarray:
    """1 for each procedure whose name's change of a paper the question says ("đổi cccd": "Cấp đổi thẻ căn
    cước", not "Cấp thẻ căn cước")."""
    said, plain = _said(q)
    return np.array([_says_action(said, plain, q, state.qualifiers[doc][0]) for doc in docs.tolist()], np.float64)


def unsaid_qualifiers(state: LexicalState, q: Query, docs: np.ndarray) -> np.ndarray:
    """1 for each procedure whose name adds a change of a paper or a special case the question never says.

    A name listing several changes ("Cấp lại, đổi, điều chỉnh ...") serves a question that says any of
    them, and one about a lost, damaged or expired paper ("mất", "hỏng", "hết hạn") asks for a change;
    what the question implies counts as said ("chồng tôi là người Nhật": "có yếu tố nước ngoài"), and
    one written in English is taken to come from a foreigner. Unmarked, a change word said no more often than
    the name holds its lookalike does not count: "lam bang lai xe" says "lái", not "lại".
    """
    said, plain = _said(q)
    change_asked = any(plain(f" {w} ") in said for w in PAPER_TROUBLE)
    out = np.zeros(len(docs))
    for i, doc in enumerate(docs.tolist()):
        actions, cases = state.qualifiers[doc]
        out[i] = any(plain(c) not in said for c in cases) or (
            bool(actions) and not change_asked and not _says_action(said, plain, q, actions))
    return out


def other_kind(q: Query, docs: np.ndarray, name_of: Callable[[int, bool], str]) -> np.ndarray:
    """1 for each procedure named for another kind than the one a question says, of kinds that exclude each
    other (`EXCLUSIVE_KINDS`: "chuyển trường lớp 3" is not the lower secondary school's procedure). `name_of`: a
    procedure's normalized name, padded (folded when asked)."""
    said, plain = _said(q)
    out = np.zeros(len(docs))
    for kinds in EXCLUSIVE_KINDS:
        asked = [f" {plain(k)} " for k in kinds if f" {plain(k)} " in said]
        if len(asked) != 1:
            continue
        others = [f" {plain(k)} " for k in kinds if f" {plain(k)} " not in asked]
        for i, doc in enumerate(docs.tolist()):
            name = name_of(doc, not q.has_marks)
            out[i] = out[i] or (asked[0] not in name and any(k in name for k in others))
    return out


_AGE_ASKED = re.compile(r"(?<![\d.,])(\d{1,3})\s*(?:tuổi|tuoi|years? old|yo)\b")
_AGE_BELOW = re.compile(r"dưới (\d{1,3}) tuổi")
_AGE_FROM = re.compile(r"(?:từ đủ|từ|đủ) (\d{1,3}) tuổi")


def ages_asked(text: str) -> list[int]:
    """The ages a question states ("con 5 tuổi", "tròn 14 tuoi", "15 years old")."""
    return [int(n) for n in _AGE_ASKED.findall(text.lower())]


def age_range(name: str) -> tuple[int, int] | None:
    """The ages a procedure's name is for ("dưới 14 tuổi": 0-13, "từ đủ 14 tuổi trở lên": 14 and over)."""
    name = name.lower()
    below, since = _AGE_BELOW.search(name), _AGE_FROM.search(name)
    if below is None and since is None:
        return None
    return (int(since.group(1)) if since else 0, int(below.group(1)) - 1 if below else 200)


def age_mismatch(procedures: list[Procedure], docs: np.ndarray, ages: list[int],
                 known: dict[int, tuple[int, int] | None]) -> np.ndarray:
    """1 for each procedure whose name is for other ages than every age the question states (`known`: the
    age ranges of names read so far, filled in)."""
    out = np.zeros(len(docs))
    if not ages:
        return out
    for i, doc in enumerate(docs.tolist()):
        if doc not in known:
            known[doc] = age_range(procedures[doc].name)
        span = known[doc]
        out[i] = span is not None and not any(span[0] <= a <= span[1] for a in ages)
    return out


def narrowing_a_candidate(state: LexicalState, docs: np.ndarray, unsaid: np.ndarray) -> np.ndarray:
    """1 for each candidate with an unsaid qualifier whose general procedure is a candidate too.

    The general procedure is one without unsaid qualifiers whose name is made of words of the narrower
    name ("Cấp giấy phép lái xe" for "Cấp lại giấy phép lái xe", "Đăng ký khai sinh" for "Đăng ký khai
    sinh có yếu tố nước ngoài"): the question that says nothing of the difference is about it.
    """
    out = np.zeros(len(docs))
    qualified = np.flatnonzero(unsaid)
    if not len(qualified):
        return out
    general = [frozenset(state.name_words[doc]) for doc in docs[unsaid == 0].tolist()]
    for i in qualified.tolist():
        words = frozenset(state.name_words[int(docs[i])])
        out[i] = any(g < words for g in general)
    return out


def varied(state: LexicalState, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The ranking with at most `shown.same_name` records of one name (level notes aside) in its first `shown`.

    The same procedure at a third level tells the citizen nothing new; the slot goes to the next other
    procedure, and the records moved down follow the first ones in their order.
    """
    limit, same = int(weight("shown")), int(weight("shown.same_name"))
    shown: list[tuple[int, float]] = []
    later: list[tuple[int, float]] = []
    names: Counter[tuple[str, ...]] = Counter()
    for doc, score in ranked:
        name = state.name_words[doc]
        if len(shown) < limit and names[name] < same:
            shown.append((doc, score))
            names[name] += 1
        else:
            later.append((doc, score))
    return shown + later
