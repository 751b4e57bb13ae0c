"""Period statistics: received, resolved, rejected, overdue, handling time, on-time share, satisfaction.

- received: filed in the period; resolved / rejected: closed in the period with that outcome (a rejected
  ticket is never resolved);
- overdue: open past its current deadline at the period's end (or now, for the current period);
- handling time: the median of working days from filing to closing, of tickets closed in the period;
- on time: closed by the first deadline (a new date given with /extend does not make it on time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlmodel import Session

from handlers.categories import category_label
from handlers.i18n import translate
from reports.config import ReportConfig
from reports.facts import TicketFacts, load_facts
from reports.periods import Period
from reports.satisfaction import SatisfactionIndex, format_index, index_of
from storage.clock import format_local


@dataclass(frozen=True, slots=True)
class Figures:
    """The figures of one period (for the office, an agency or a category)."""

    received: int
    resolved: int
    rejected: int
    overdue: int
    closed: int
    on_time: int
    median_days: float | None
    index: SatisfactionIndex

    @property
    def on_time_share(self) -> float | None:
        """Closed on time over closed; None when nothing was closed."""
        return self.on_time / self.closed if self.closed else None


def figures(facts: list[TicketFacts], period: Period, now: datetime) -> Figures:
    """The figures of `period` from these tickets' facts."""
    start, end = period.start, period.end
    moment = min(end, now)
    closed = [f for f in facts if f.closed_at is not None and start <= f.closed_at < end]
    days = [f.working_days for f in closed if f.working_days is not None]
    return Figures(
        received=sum(start <= f.created_at < end for f in facts),
        resolved=sum(f.handled for f in closed), rejected=sum(f.rejected for f in closed),
        overdue=sum(f.open_at(moment) and f.due_at < moment for f in facts),
        closed=len(closed), on_time=sum(bool(f.on_time) for f in closed),
        median_days=median(days) if days else None, index=index_of(facts, start, end))


def breakdown(facts: list[TicketFacts], period: Period, now: datetime,
              key: Callable[[TicketFacts], str]) -> dict[str, Figures]:
    """The figures of `period` for each value of `key`, for groups with anything to show."""
    groups: dict[str, list[TicketFacts]] = {}
    for f in facts:
        groups.setdefault(key(f), []).append(f)
    out = {name: figures(members, period, now) for name, members in sorted(groups.items())}
    return {name: f for name, f in out.items() if f.received or f.closed or f.overdue or f.index.answers}


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole * 100:.1f}%)" if whole else "-"


def _days(lang: str, value: float | None) -> str:
    return "-" if value is None else translate(lang, "stats.days", days=f"{value:g}")


def _group_line(lang: str, name: str, f: Figures) -> str:
    return translate(lang, "stats.group_line", name=name, received=f.received, resolved=f.resolved,
                     rejected=f.rejected, overdue=f.overdue, index=format_index(lang, f.index))


def stats_text(session: Session, config: ReportConfig, lang: str, period: Period, now: datetime,
               agency_names: dict[str, str]) -> str:
    """The statistics of `period` as a chat message, with the breakdown by agency and by category."""
    facts = load_facts(session, since=period.start, until=period.end)
    total = figures(facts, period, now)
    unknown = translate(lang, "stats.no_agency")
    by_agency = breakdown(facts, period, now, lambda f: agency_names.get(f.agency_id or "", f.agency_id or unknown))
    by_category = breakdown(facts, period, now, lambda f: category_label(f.category, lang))
    lines = [translate(lang, "stats.header", period=period.label(), start=format_local(period.start, with_time=False),
                       end=format_local(period.end - timedelta(seconds=1), with_time=False)),
             translate(lang, "stats.totals", received=total.received, resolved=total.resolved,
                       rejected=total.rejected, overdue=total.overdue),
             translate(lang, "stats.handling", median=_days(lang, total.median_days),
                       on_time=_share(total.on_time, total.closed)),
             translate(lang, "stats.satisfaction", index=format_index(lang, total.index),
                       target=config.satisfaction_target_percent)]
    for title, groups in (("stats.by_agency", by_agency), ("stats.by_category", by_category)):
        if groups:
            lines.append("")
            lines.append(translate(lang, title))
            lines.extend(_group_line(lang, name, f) for name, f in groups.items())
    return "\n".join(lines)
