"""Measuring the matcher on a question set: top-1/top-3 and intent accuracy, or hit@1/hit@5."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.intent import PROCEDURE
from knowledge.matcher import Matcher, MatchResult


@dataclass
class Report:
    """Figures of one evaluation run, plus the questions that went wrong."""

    kind: str
    total: int = 0
    figures: dict[str, float] = field(default_factory=dict)
    misses: list[dict[str, Any]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        out = [f"{self.kind} evaluation on {self.total} questions"]
        for name, value in self.figures.items():
            out.append(f"  {name:<28} {value:.3f}" if isinstance(value, float) else f"  {name:<28} {value}")
        return out


def read_questions(path: Path) -> list[dict[str, Any]]:
    """Question lines from a JSON-lines file."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name}, line {number}: not JSON ({exc.msg})") from None
    return rows


def _ids(result: MatchResult, k: int) -> list[set[str]]:
    """Identifiers (local id and national code) of the first k hits."""
    return [{h.procedure.id, h.procedure.national_code or h.procedure.id} for h in result.hits[:k]]


def _rank_of(result: MatchResult, expected: set[str]) -> int | None:
    """1-based rank of the first expected procedure among the hits, or None."""
    for rank, ids in enumerate(_ids(result, len(result.hits)), 1):
        if ids & expected:
            return rank
    return None


def evaluate_dev(matcher: Matcher, rows: list[dict[str, Any]]) -> Report:
    """Top-1, top-3, intent accuracy and confident answers to out-of-scope questions."""
    report = Report("dev", total=len(rows))
    ranked = top1 = top3 = intent_ok = confident_oos = 0
    for row in rows:
        result = matcher.search(row["query"], k=5)
        expected = set(row.get("expected") or [])
        want_intent = row.get("intent", PROCEDURE)
        intent_ok += result.intent == want_intent
        rank = _rank_of(result, expected) if expected else None
        if expected:
            ranked += 1
            top1 += rank == 1
            top3 += rank is not None and rank <= 3
        elif result.confident:
            confident_oos += 1
        if result.intent != want_intent or (expected and rank != 1) or (not expected and result.confident):
            report.misses.append(
                {
                    "query": row["query"],
                    "intent": [want_intent, result.intent],
                    "expected": sorted(expected),
                    "got": [h.procedure.id for h in result.hits[:3]],
                    "confident": result.confident,
                }
            )
    report.figures = {
        "top-1": top1 / ranked if ranked else 0.0,
        "top-3": top3 / ranked if ranked else 0.0,
        "intent accuracy": intent_ok / len(rows) if rows else 0.0,
        "confident on out-of-scope": confident_oos,
        "questions with a procedure": ranked,
    }
    return report


def evaluate_hits(matcher: Matcher, rows: list[dict[str, Any]]) -> Report:
    """hit@1 and hit@5 where a hit is any linked code among the results (portal question sets)."""
    report = Report("hit@k", total=len(rows))
    hits1 = hits5 = 0
    for row in rows:
        result = matcher.search(row.get("question") or row["query"], k=5)
        rank = _rank_of(result, set(row["codes"]))
        hits1 += rank == 1
        hits5 += rank is not None and rank <= 5
        if rank != 1:
            report.misses.append({"query": row.get("question"), "expected": row["codes"], "rank": rank})
    report.figures = {
        "hit@1": hits1 / len(rows) if rows else 0.0,
        "hit@5": hits5 / len(rows) if rows else 0.0,
    }
    return report


def evaluate_file(matcher: Matcher, path: Path) -> Report:
    """Evaluate on a file, choosing the mode from its fields (`codes` -> hit@k, else dev set)."""
    rows = read_questions(path)
    if rows and "codes" in rows[0]:
        return evaluate_hits(matcher, rows)
    return evaluate_dev(matcher, rows)
