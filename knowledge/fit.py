"""Fitting the calibrated confidence on the tuning sets: `python -m knowledge.fit [--national DIR]`.

Prints the logistic regression's coefficients (to be copied into `knowledge/weights.py` with their
provenance), a calibration table and an ablation (each feature left out). Only tuning data is read: the
development set on the shipped knowledge base and, with `--national`, the tuning half of the portal
questions and the development questions that name a national code, on the national records.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.confidence import FEATURES
from knowledge.eval import TUNING, read_questions, select
from knowledge.loader import default_knowledge_base, load_knowledge_base
from knowledge.matcher import Matcher

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "dev_questions.jsonl"
PORTAL = ROOT.parent / "shared" / "external" / "dvc-questions" / "dev.jsonl"
NATIONAL_CODE = re.compile(r"^\d\.\d{6}$")
L2 = 1.0  # ridge penalty of the fit (the sets are small)


def samples(matcher: Matcher, rows: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    """Per procedure question: its features, whether the first procedure is right, and its rank."""
    out = []
    for row in rows:
        expected = set(row.get("codes") or row.get("expected") or [])
        if not expected:
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
    for threshold in (0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
        parts = []
        for source in sorted(set(sources)):
            sel = sources == source
            card = oof[sel] >= threshold
            right, wrong = np.mean(card & (y[sel] == 1)), np.mean(card & (y[sel] == 0))
            parts.append(f"{source}: right {right:.2f} wrong {wrong:.2f}")
        print(f"  card at p >= {threshold:.2f}: " + "; ".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.fit", description=__doc__)
    parser.add_argument("--national", type=Path, help="a directory imported from the national records")
    args = parser.parse_args(argv)
    rows = samples(Matcher(default_knowledge_base()), read_questions(DEV), "dev")
    if args.national:
        national = Matcher(load_knowledge_base(args.national))
        rows += samples(national, select(read_questions(PORTAL), TUNING), "portal")
        dev_national = [dict(r, expected=[c for c in r.get("expected", []) if NATIONAL_CODE.match(c)])
                        for r in read_questions(DEV)]
        rows += samples(national, [r for r in dev_national if r["expected"]], "dev-national")
    rows = [r for r in rows if r["x"] is not None]
    for model, members in (("curated", ("dev",)), ("uncurated", ("portal", "dev-national"))):
        chosen = [r for r in rows if r["source"] in members]
        if chosen:
            report(model, chosen)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
