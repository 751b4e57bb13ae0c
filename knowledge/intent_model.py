"""A learned second opinion on what a message is, for the messages the procedure search is unsure of.

Word cues (`knowledge.intent`) decide first. When they say nothing and the search has no sure procedure,
a multinomial logistic regression over the message's e5 vector (the semantic signal's encoder) tells a
complaint ("cây xà cừ nghiêng ra đường, sợ đổ"), small talk or a matter outside the ward from a procedure
question. It is fitted on the tuning sets by `python -m knowledge.fit_intent` and stored in
`knowledge/intent_model.npz` with its provenance; without the file or the encoder it says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).with_name("intent_model.npz")


@dataclass(frozen=True)
class IntentModel:
    """Coefficients (bias row first) of one class each, and the class names."""

    weights: np.ndarray
    classes: tuple[str, ...]

    def probabilities(self, vector: np.ndarray) -> dict[str, float]:
        """The probability of each class for one message vector."""
        z = self.weights[0] + vector.astype(np.float64) @ self.weights[1:]
        p = np.exp(z - z.max())
        p /= p.sum()
        return dict(zip(self.classes, p.tolist(), strict=True))

    def save(self, path: Path, source: str) -> None:
        """Store the model with a line on how it was fitted."""
        np.savez_compressed(path, weights=self.weights, classes=np.array(self.classes), source=np.array(source))


@cache
def load(path: Path = MODEL_FILE) -> IntentModel | None:
    """The stored model, or None when there is none."""
    if not path.is_file():
        return None
    with np.load(path) as data:
        return IntentModel(data["weights"].astype(np.float64), tuple(data["classes"].tolist()))
