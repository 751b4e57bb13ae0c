"""Fitting on the tuning sets: `python -m knowledge.fit [--national DIR] [--fusion] [--rounds]`.

Confidence: prints the logistic regression's coefficients (to be copied into `knowledge/weights.py` with
their provenance), a calibration table and an ablation (each feature left out). `--fusion` instead fits
the fusion of the ranking signals (a pointwise logistic regression and a listwise softmax over each
question's candidates), compares them, by five-fold cross-validation over questions, with the hand-set
fusion of the weights table, and shows the ablation (each signal left out). `--rounds` adds the later tuning
sets (rounds 4, 6, 7) to the curated model: so refitted, it gave no more right cards at any threshold without
more wrong ones, and the table keeps the fit without them. Only tuning data is read: the
development set and the short tuning questions on the shipped knowledge base and, with `--national`, the
tuning half of the portal questions and the development questions that name a national code, on the national
records.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.confidence import FEATURES
from knowledge.eval import TUNING, read_questions, select
from knowledge.fusion import minmax
from knowledge.loader import default_knowledge_base, load_knowledge_base
from knowledge.matcher import Matcher

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "dev_questions.jsonl"
SHORT = ROOT / "tests" / "data" / "tuning" / "short_questions.jsonl"  # written before reading any phrasing
ROUNDS = {f"round{n}": ROOT / "tests" / "data" / "tuning" / f"short_questions_round{n}.jsonl" for n in (4, 6, 7)}
PORTAL = ROOT.parent / "shared" / "external" / "dvc-questions" / "dev.jsonl"
NATIONAL_CODE = re.compile(r"^\d\.\d{6}$")
L2 = 1.0  # ridge penalty of the fit (the sets are small)


def samples(matcher: Matcher, rows: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    """Per question: its features, whether the first procedure is right, and its rank.

    Out-of-scope questions (intent `unknown`) count too, as questions whose first procedure is never right.
    """
    out = []
    for row in rows:
        expected = set(row.get("codes") or row.get("expected") or [])
        if not expected and row.get("intent") != "unknown":
            continue
        text = row.get("question") or row["query"]
        q = matcher.analyze(text)
        ranked = matcher.rank(q, text) if q.tokens else []
        if not ranked:
            out.append({"source": source, "x": None, "right": False, "rank": None})
            continue
        ids = [{matcher.procedures[d].id, matcher.procedures[d].national_code} for d, _ in ranked[:10]]
        rank = next((i for i, found in enumerate(ids, 1) if found & expected), None)
        out.append({"source": source, "x": matcher.features(q, ranked).vector(), "right": rank == 1, "rank": rank})
    return out


def _dev_national() -> list[dict[str, Any]]:
    """The development questions that name a national code, with only those codes expected."""
    rows = [dict(r, expected=[c for c in r.get("expected", []) if NATIONAL_CODE.match(c)]) for r in read_questions(DEV)]
    return [r for r in rows if r["expected"]]


def fit(x: np.ndarray, y: np.ndarray, l2: float = L2) -> np.ndarray:
    """Logistic regression (bias first) by Newton's method with a ridge penalty on the coefficients."""
    design = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ w))
        grad = design.T @ (p - y) + penalty @ w
        hess = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Probabilities from fitted coefficients."""
    return 1 / (1 + np.exp(-(w[0] + x @ w[1:])))


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood."""
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def cross_validated(x: np.ndarray, y: np.ndarray, folds: int = 5) -> np.ndarray:
    """Out-of-fold probabilities (for an honest calibration table and ablation on the tuning sets)."""
    out = np.zeros(len(y))
    order = np.arange(len(y)) % folds
    for k in range(folds):
        test = order == k
        out[test] = predict(fit(x[~test], y[~test]), x[test])
    return out


def report(model: str, rows: list[dict[str, Any]]) -> None:
    """Fit one model on its rows and print coefficients, ablation, calibration and card rates."""
    x = np.array([r["x"] for r in rows])
    y = np.array([float(r["right"]) for r in rows])
    w = fit(x, y)
    print(f"== {model}: {len(y)} questions, first procedure right for {int(y.sum())}")
    print(f'    "confidence.{model}.bias": Weight({w[0]:.3f}, "fitted"),')
    for name, value in zip(FEATURES, w[1:], strict=True):
        print(f'    "confidence.{model}.{name}": Weight({value:.3f}, "fitted"),')
    oof = cross_validated(x, y)
    print(f"out-of-fold log loss {log_loss(oof, y):.4f} (constant: {log_loss(np.full_like(y, y.mean()), y):.4f})")
    for name in FEATURES:
        keep = [i for i, f in enumerate(FEATURES) if f != name]
        print(f"  without {name:<10} {log_loss(cross_validated(x[:, keep], y), y):.4f}")
    print("calibration (out of fold): probability band, questions, share right")
    for lo in np.arange(0, 1, 0.1):
        band = (oof >= lo) & (oof < lo + 0.1)
        if band.any():
            print(f"  {lo:.1f}-{lo + 0.1:.1f}  {int(band.sum()):4d}  {y[band].mean():.2f}")
    sources = np.array([r["source"] for r in rows])
    for threshold in (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        parts = []
        for source in sorted(set(sources)):
            sel = sources == source
            card = oof[sel] >= threshold
            right, wrong = np.mean(card & (y[sel] == 1)), np.mean(card & (y[sel] == 0))
            parts.append(f"{source}: right {right:.2f} wrong {wrong:.2f}")
        print(f"  card at p >= {threshold:.2f}: " + "; ".join(parts))


SIGNALS = ("lexical", "literal", "dense", "contain", "fuzzy", "breadth", "ministry_only", "unsaid", "narrowing")


def signal_columns(trace: dict[str, Any]) -> dict[str, list[np.ndarray]]:
    """Per signal, its columns over a question's candidates (scaled as the hand-set fusion scales them)."""
    lean, span = trace["lean"], trace["span"]
    lexical = minmax(trace["lexical"])
    literal = minmax(trace["literal"]) if trace["literal"] is not None else lexical
    dense = np.where(trace["present"], minmax(trace["dense"]), lexical) if trace["dense"] is not None else lexical
    contain = minmax(trace["contain"]) if trace["contain"] is not None else np.zeros(len(lexical))
    return {
        "lexical": [lexical, lexical * lean], "literal": [literal * lean], "dense": [dense, dense * lean],
        "contain": [contain * lean], "fuzzy": [trace["similarity"] / 100 * (1 - span)],
        "breadth": [trace["breadth"]], "ministry_only": [trace["ministry_only"]], "unsaid": [trace["unsaid"]],
        "narrowing": [trace["narrowing"]],
    }


def candidates(matcher: Matcher, rows: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    """Per procedure question: its candidates' signal columns, which are right, and the hand-set scores."""
    out = []
    for row in rows:
        expected = set(row.get("codes") or row.get("expected") or [])
        text = row.get("question") or row["query"]
        q = matcher.analyze(text)
        if not expected or not q.tokens:
            continue
        trace: dict[str, Any] = {}
        ranked = matcher._rank(q, text, semantic=matcher.semantic is not None, trace=trace)
        if "pool" not in trace:
            continue
        docs = trace["pool"].tolist()
        right = np.array([bool({matcher.procedures[d].id, matcher.procedures[d].national_code} & expected)
                          for d in docs], float)
        hand = dict(ranked)
        out.append({"source": source, "columns": signal_columns(trace), "right": right,
                    "hand": np.array([hand[d] for d in docs])})
    return out


def _design(question: dict[str, Any], used: tuple[str, ...]) -> np.ndarray:
    return np.column_stack([c for name in used for c in question["columns"][name]])


def _rank_of_right(scores: np.ndarray, right: np.ndarray) -> int | None:
    found = np.flatnonzero(right[np.argsort(-scores, kind="stable")])
    return int(found[0]) + 1 if len(found) else None


def fit_listwise(questions: list[dict[str, Any]], used: tuple[str, ...], steps: int = 400) -> np.ndarray:
    """Weights maximizing the softmax probability of the right candidates of each question (Adam)."""
    questions = [q for q in questions if q["right"].any()]  # nothing to learn where no candidate is right
    designs = [_design(q, used) for q in questions]
    w = np.zeros(designs[0].shape[1])
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, steps + 1):
        grad = 0.01 * w
        for x, q in zip(designs, questions, strict=True):
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            r = p * (q["right"] > 0)
            grad -= x.T @ (r / r.sum() - p) / len(designs)
        m, v = 0.9 * m + 0.1 * grad, 0.999 * v + 0.001 * grad * grad
        w -= 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return w


def cross_validated_ranks(questions: list[dict[str, Any]], used: tuple[str, ...], listwise: bool,
                          folds: int = 5) -> list[int | None]:
    """The right candidate's rank in each question under a fusion fitted on the other folds."""
    out: list[int | None] = [None] * len(questions)
    for k in range(folds):
        train = [q for i, q in enumerate(questions) if i % folds != k]
        if listwise:
            w = np.concatenate([[0.0], fit_listwise(train, used)])  # a bias changes no ranking
        else:
            w = fit(np.vstack([_design(q, used) for q in train]), np.concatenate([q["right"] for q in train]))
        for i, q in enumerate(questions):
            if i % folds == k:
                out[i] = _rank_of_right(predict(w, _design(q, used)), q["right"])
    return out


def _hits(questions: list[dict[str, Any]], ranks: list[int | None]) -> str:
    parts = []
    for source in dict.fromkeys(q["source"] for q in questions):
        mine = [r for q, r in zip(questions, ranks, strict=True) if q["source"] == source]
        first = np.mean([r == 1 for r in mine])
        five = np.mean([r is not None and r <= 5 for r in mine])
        parts.append(f"{source} {first:.3f} / {five:.3f}")
    return "; ".join(parts)


def fusion_report(questions: list[dict[str, Any]]) -> None:
    """Hand-set against fitted fusions (hit@1 / hit@5 by set), and the ablation of each signal."""
    hand = [_rank_of_right(q["hand"], q["right"]) for q in questions]
    print(f"hand-set fusion (the weights table; tuned on these sets): {_hits(questions, hand)}")
    for listwise in (False, True):
        kind = "listwise softmax" if listwise else "pointwise logistic regression"
        ranks = cross_validated_ranks(questions, SIGNALS, listwise)
        print(f"fitted, {kind}, 5-fold by question: {_hits(questions, ranks)}")
        for name in SIGNALS:
            used = tuple(s for s in SIGNALS if s != name)
            print(f"  without {name:<14} {_hits(questions, cross_validated_ranks(questions, used, listwise))}")
    w = fit_listwise(questions, SIGNALS)
    labels = [f"{s}{' x lean' if j else ''}" for s in SIGNALS for j in range(len(questions[0]["columns"][s]))]
    print("listwise weights on all of them: " + ", ".join(f"{n} {v:.2f}" for n, v in zip(labels, w, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.fit", description=__doc__)
    parser.add_argument("--national", type=Path, help="a directory imported from the national records")
    parser.add_argument("--fusion", action="store_true", help="fit the fusion of the signals instead")
    parser.add_argument("--rounds", action="store_true",
                        help="add the tuning sets of rounds 4, 6 and 7 to the curated model's (not used for the table)")
    args = parser.parse_args(argv)
    if args.fusion:
        questions = candidates(Matcher(default_knowledge_base()), read_questions(DEV), "dev")
        if args.national:
            national = Matcher(load_knowledge_base(args.national))
            questions += candidates(national, select(read_questions(PORTAL), TUNING), "portal")
            questions += candidates(national, _dev_national(), "dev-national")
        fusion_report(questions)
        return 0
    shipped = Matcher(default_knowledge_base())
    rows = samples(shipped, read_questions(DEV), "dev") + samples(shipped, read_questions(SHORT), "short")
    if args.rounds:
        for name, path in ROUNDS.items():
            rows += samples(shipped, read_questions(path), name)
    if args.national:
        national = Matcher(load_knowledge_base(args.national))
        rows += samples(national, select(read_questions(PORTAL), TUNING), "portal")
        rows += samples(national, _dev_national(), "dev-national")
    rows = [r for r in rows if r["x"] is not None]
    for model, members in (("curated", ("dev", "short", *ROUNDS)), ("uncurated", ("portal", "dev-national"))):
        chosen = [r for r in rows if r["source"] in members]
        if chosen:
            report(model, chosen)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
