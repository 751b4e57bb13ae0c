"""How sure the matcher is of its first procedure: a calibrated probability from a few features.

The probability that the first procedure is the one asked about is a logistic regression (one per kind
of knowledge base: curated, or imported national records) over features of the ranking: how much of the
question the first procedure explains, its lead, ties, whether the question names it in full, whether
the signals agree, how long the question is. It is fitted on the tuning sets by `python -m knowledge.fit`;
its coefficients are in the weights table (`confidence.<model>.*`). The conversation shows a card when
that probability is high, else a choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from knowledge.weights import WEIGHTS, weight


@dataclass(frozen=True)
class Features:
    """What the confidence of a ranking is judged by (one question)."""

    coverage: float  # share of the question's content (by rarity) the first procedure explains
    evidence: float  # matched rarity, as a share of the rarest possible syllable's (capped at 3)
    margin: float  # relative lead of the first fused score over the second
    score: float  # the first fused score
    ties: float  # runners-up (of the next three) that explain the question about as well
    named: float  # 1 when the question names the first procedure in full and no tied one
    lead: float  # the first's coverage minus the best coverage of the next three
    span: float  # 0 short .. 1 long question
    agreement: float  # share of the signals whose own best procedure is the first
    dense_gap: float  # ten times the first's cosine lead over the best other candidate (0 without vectors)
    contain: float = 0.0  # share of the first's name (by rarity) the question says (long questions)

    def vector(self) -> list[float]:
        """The feature values in declaration order."""
        return [getattr(self, f.name) for f in fields(self)]


FEATURES = tuple(f.name for f in fields(Features))


CURATED, UNCURATED = "curated", "uncurated"  # knowledge bases with curated phrasings, and imported records


def model_of(uncurated_share: float) -> str:
    """Which fitted model judges a knowledge base (by its share of procedures without phrasings)."""
    return UNCURATED if uncurated_share > 0.5 else CURATED


def logit(features: Features, model: str) -> float:
    """The fitted log-odds that the first procedure is right."""
    total = weight(f"confidence.{model}.bias")
    for name, value in zip(FEATURES, features.vector(), strict=True):
        key = f"confidence.{model}.{name}"
        if key in WEIGHTS:
            total += weight(key) * value
    return total


def probability(features: Features, model: str) -> float:
    """The fitted probability that the first procedure is right."""
    z = logit(features, model)
    return 1.0 / (1.0 + math.exp(-z)) if z > -40 else 0.0


def card_threshold(model: str) -> float:
    """The probability from which the conversation shows the first procedure's card."""
    return weight(f"confidence.{model}.card")


def ambiguous(features: Features, runners_up: int, qualified: int = 0) -> bool:
    """Whether the question is too general for a card ("bảo hiểm", "đăng ký"): every runner-up compared (at
    least two, at most `confidence.general_ties`) explains it as well, and it names none in full. A tied
    runner-up that adds a change or special case the question never says, where the first adds none
    (`qualified` of them), does not count: "làm giấy khai sinh" is "Đăng ký khai sinh", not its variants.

    A rule kept beside the fitted probability: the tuning sets hold few such general questions.
    """
    compared = min(int(weight("confidence.general_ties")), runners_up)
    return not features.named and compared >= 2 and features.ties - qualified >= compared
