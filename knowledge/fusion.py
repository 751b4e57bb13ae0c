"""Mixing the signals into one score per candidate, with the shares of the weights table.

Short questions name a procedure in few words: exact and fuzzy words decide. Long stories need meaning
(the semantic signal) and name containment to see what they are about; so does every question on a
knowledge base without curated phrasings. `lean` (0..1) says how far a question is of the second kind.
"""

from __future__ import annotations

import numpy as np

from knowledge.weights import weight


def top(values: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n largest values (unordered)."""
    n = min(n, len(values))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    return np.argpartition(-values, n - 1)[:n]


def minmax(values: np.ndarray) -> np.ndarray:
    """Values scaled to 0..1 within the pool (all ones when they are equal)."""
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        return np.ones_like(values, dtype=np.float64) if hi > 0 else np.zeros_like(values, dtype=np.float64)
    return (values - lo) / (hi - lo)


def span_of(content_words: int) -> float:
    """How long a question is, 0 (short) .. 1 (long), by its content words."""
    short, long = weight("fusion.short_words"), weight("fusion.long_words")
    return min(max(content_words - short, 0) / (long - short), 1.0)


def fuzzy_share(span: float) -> float:
    """The share of fuzzy closeness, for short questions only."""
    return weight("fusion.fuzzy") * (1.0 - span)


def fuse(lexical: np.ndarray, literal: np.ndarray | None, dense: np.ndarray | None, present: np.ndarray | None,
         contain: np.ndarray | None, lean: float, span: float) -> np.ndarray:
    """One score per pooled candidate from its signals (before fuzzy closeness and adjustments).

    Candidates without a stored vector take their exact-words score as their semantic one (neutral).
    """
    fused = minmax(lexical)
    if literal is not None:
        fused = (1 - lean) * fused + lean * minmax(literal)
    if dense is not None and present is not None and contain is not None:
        short, long = weight("fusion.dense_short"), weight("fusion.dense_long")
        share = short + (long - short) * lean
        contained = weight("fusion.contain") * lean  # does the question mention the procedure's name?
        sem = np.where(present, minmax(dense), fused)
        fused = (1 - share - contained) * fused + share * sem + contained * minmax(contain)
    return (1 - fuzzy_share(span)) * fused
