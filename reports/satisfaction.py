"""The satisfaction index: the share of "Hài lòng" and "Rất hài lòng" among survey answers.

Each ticket counts once, by its latest answer (a ticket reopened and resolved again is judged by its last
resolution), in the month it was given. Tickets of citizens who asked to be forgotten still count: answers
belong to tickets, not to people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from handlers.i18n import translate
from reports.facts import TicketFacts

SMALL_SAMPLE = 30  # fewer answers than this: the share says little


@dataclass(frozen=True, slots=True)
class SatisfactionIndex:
    """How many answered, and how many of them were satisfied."""

    answers: int = 0
    satisfied: int = 0

    @property
    def share(self) -> float | None:
        """Satisfied answers over all answers; None without answers."""
        return self.satisfied / self.answers if self.answers else None

    @property
    def small(self) -> bool:
        """Too few answers to mean much."""
        return self.answers < SMALL_SAMPLE


def index_of(facts: Iterable[TicketFacts], start: datetime, end: datetime) -> SatisfactionIndex:
    """The index of the answers given in [start, end)."""
    answered = [f for f in facts if f.answer is not None and start <= f.answer.at < end]
    return SatisfactionIndex(len(answered), sum(bool(f.satisfied) for f in answered))


def index_by(facts: Iterable[TicketFacts], key: Callable[[TicketFacts], str], start: datetime,
             end: datetime) -> dict[str, SatisfactionIndex]:
    """The index of [start, end) for each value of `key` (agency, category...)."""
    groups: dict[str, list[TicketFacts]] = {}
    for f in facts:
        groups.setdefault(key(f), []).append(f)
    return {name: index_of(members, start, end) for name, members in groups.items()}


def format_index(lang: str, index: SatisfactionIndex) -> str:
    """`85.7% (6/7)`, with a note when there are fewer than 30 answers; "no answers" without any."""
    if index.share is None:
        return translate(lang, "stats.no_answers")
    text = translate(lang, "stats.index", share=f"{index.share * 100:.1f}", satisfied=index.satisfied,
                     answers=index.answers)
    return text + (translate(lang, "stats.small_sample", minimum=SMALL_SAMPLE) if index.small else "")
