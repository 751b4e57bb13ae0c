"""Fitting the learned intent on the tuning sets: `python -m knowledge.fit_intent [--write]`.

A multinomial logistic regression (procedure, complaint, unknown, small talk; classes balanced, ridge
penalty) over the e5 vectors of the questions of the tuning sets and the development set. It prints, for
each set left out in turn, how many first replies get the right intent with the model fitted on the
others (applied as the matcher applies it: to the messages the search is unsure of); `--write` stores the
model fitted on all of them in `knowledge/intent_model.npz`. Frozen sets are never read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from knowledge import intent as intents
from knowledge.eval import read_questions
from knowledge.intent_model import MODEL_FILE, IntentModel
from knowledge.loader import default_knowledge_base
from knowledge.matcher import Matcher
from knowledge.weights import weight

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    "short": ROOT / "tests" / "data" / "tuning" / "short_questions.jsonl",
    "round4": ROOT / "tests" / "data" / "tuning" / "short_questions_round4.jsonl",
    "round6": ROOT / "tests" / "data" / "tuning" / "short_questions_round6.jsonl",
    "round7": ROOT / "tests" / "data" / "tuning" / "short_questions_round7.jsonl",
    "dev": ROOT / "tests" / "data" / "dev_questions.jsonl",
}
CLASSES = (intents.PROCEDURE, intents.COMPLAINT, intents.UNKNOWN, intents.SMALLTALK)
L2 = 1.0
STEPS = 300


def fit(x: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = STEPS) -> np.ndarray:
    """Coefficients (bias row first, a column per class) by gradient descent; each class weighs alike."""
    k = len(CLASSES)
    design = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros((design.shape[1], k))
    balance = len(y) / (k * np.bincount(y, minlength=k).clip(1))
    target = np.eye(k)[y]
    for _ in range(steps):
        z = design @ w
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        penalty = np.vstack([np.zeros((1, k)), w[1:]])
        w -= 5.0 * (design.T @ ((p - target) * balance[y][:, None]) + l2 * penalty) / len(y)
    return w


def _rows(matcher: Matcher, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A set's vectors, classes, the intents the matcher gives without the model, and whether it is unsure."""
    assert matcher.semantic is not None
    rows = [r for r in read_questions(path) if r.get("intent") in CLASSES]
    vectors, labels, given, unsure = [], [], [], []
    for row in rows:
        result = matcher.search(row["query"])
        vectors.append(matcher.semantic.vector(row["query"]))
        labels.append(CLASSES.index(row["intent"]))
        given.append(CLASSES.index(result.intent) if result.intent in CLASSES else -1)
        unsure.append(not result.confident and result.redirect is None
                      and result.intent in (intents.PROCEDURE, intents.UNKNOWN)
                      and intents.cue_intent(row["query"]) is None)
    return np.array(vectors, np.float64), np.array(labels), np.array(given), np.array(unsure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.fit_intent", description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"store the model fitted on all sets in {MODEL_FILE.name}")
    args = parser.parse_args(argv)
    matcher = Matcher(default_knowledge_base())
    matcher.intent_model = None  # the intents the search gives by itself
    if matcher.semantic is None:
        print("no encoder or stored vectors: nothing to fit")
        return 1
    data = {name: _rows(matcher, path) for name, path in SETS.items()}
    least = weight("intent.model_min")
    before = after = lost = 0
    for held in data:
        train = [n for n in data if n != held]
        w = fit(np.vstack([data[n][0] for n in train]), np.concatenate([data[n][1] for n in train]))
        model = IntentModel(w, CLASSES)
        x, y, given, unsure = data[held]
        new = given.copy()
        for i in np.flatnonzero(unsure):
            p = model.probabilities(x[i])
            kind = max(p, key=p.__getitem__)
            if kind != intents.PROCEDURE and p[kind] >= least:
                new[i] = CLASSES.index(kind)
        right_before, right_after = int((given == y).sum()), int((new == y).sum())
        gone = int(((given == 0) & (y == 0) & (new != 0)).sum())
        before, after, lost = before + right_before, after + right_after, lost + gone
        print(f"{held:<7} left out: right intents {right_before} -> {right_after} of {len(y)}, procedure questions "
              f"lost {gone}")
    print(f"all sets: {before} -> {after}, procedure questions lost {lost} (from p >= {least})")
    if args.write:
        w = fit(np.vstack([d[0] for d in data.values()]), np.concatenate([d[1] for d in data.values()]))
        IntentModel(w, CLASSES).save(MODEL_FILE, "python -m knowledge.fit_intent --write on " + ", ".join(SETS))
        print(f"written {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
