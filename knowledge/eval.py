"""Measuring the matcher on a question set: top-1/top-3 and intent accuracy, or hit@1/hit@5."""

from __future__ import annotations

import hashlib
import json
import unicodedata
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


TUNING, FROZEN = "tuning", "frozen"
HALVES = (TUNING, FROZEN)


def _question_key(row: dict[str, Any]) -> str:
    """A question's text as compared for duplicates: NFC, lower case, whitespace collapsed."""
    text = row.get("question") or row.get("query") or ""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def distinct(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with each question once (the portal set lists some questions two or three times)."""
    seen: set[str] = set()
    out = []
    for row in rows:
        key = _question_key(row)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def half_of(row: dict[str, Any]) -> str:
    """The fixed half a question belongs to: `tuning` or `frozen`, by a hash of its text.

    The split of the portal questions: the tuning half may be read and tuned on; the frozen half is
    only ever scored.
    """
    digest = hashlib.sha256(_question_key(row).encode("utf-8")).digest()
    return HALVES[digest[-1] % 2]


def select(rows: list[dict[str, Any]], half: str | None) -> list[dict[str, Any]]:
    """Distinct questions of one half (or all of them when `half` is None)."""
    rows = distinct(rows)
    return rows if half is None else [r for r in rows if half_of(r) == half]


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
    """hit@1, @3, @5 and @10 where a hit is any linked code among the results (portal question sets)."""
    report = Report("hit@k", total=len(rows))
    counts = dict.fromkeys((1, 3, 5, 10), 0)
    for row in rows:
        result = matcher.search(row.get("question") or row["query"], k=10)
        rank = _rank_of(result, set(row["codes"]))
        for k in counts:
            counts[k] += rank is not None and rank <= k
        if rank != 1:
            report.misses.append({"query": row.get("question"), "expected": row["codes"], "rank": rank})
    report.figures = {f"hit@{k}": (n / len(rows) if rows else 0.0) for k, n in counts.items()}
    return report


def evaluate_rows(matcher: Matcher, rows: list[dict[str, Any]]) -> Report:
    """Evaluate `kb search` on rows, choosing the mode from their fields (`codes` -> hit@k, else dev set)."""
    if rows and "codes" in rows[0]:
        return evaluate_hits(matcher, rows)
    return evaluate_dev(matcher, rows)


def evaluate_file(matcher: Matcher, path: Path, half: str | None = None) -> Report:
    """Evaluate `kb search` on a file's distinct questions (of one half when asked)."""
    return evaluate_rows(matcher, select(read_questions(path), half))
