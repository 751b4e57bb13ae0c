"""The report chart (PNG): tickets per week by status, and the satisfaction index per month against the target.

Drawn with matplotlib's object API on the Agg canvas (no display, safe in worker threads), in DejaVu Sans,
which ships with matplotlib and has every Vietnamese letter. The title is also written into the PNG's
metadata ("Title").
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

from handlers.i18n import translate
from reports.config import ReportConfig
from reports.facts import TicketFacts, load_facts
from reports.periods import month_start, period_of
from reports.satisfaction import SMALL_SAMPLE, SatisfactionIndex, index_of
from storage.clock import to_local

if TYPE_CHECKING:
    from matplotlib.axes import Axes

FONT = "DejaVu Sans"
STATES = ("handled", "rejected", "open", "overdue")
COLOURS = {"handled": "#2e7d32", "rejected": "#9e9e9e", "open": "#1565c0", "overdue": "#c62828"}


@dataclass(frozen=True, slots=True)
class ChartData:
    """What the chart shows."""

    title: str
    weeks: list[date]
    per_week: dict[str, list[int]]
    months: list[date]
    per_month: list[SatisfactionIndex]
    start: date
    end: date


def _state(f: TicketFacts, now: datetime) -> str:
    if f.handled:
        return "handled"
    if f.rejected:
        return "rejected"
    return "overdue" if f.due_at < now else "open"


def chart_data(facts: list[TicketFacts], config: ReportConfig, lang: str, now: datetime, months: int) -> ChartData:
    """Weekly tickets and monthly index for the last `months` months up to `now`."""
    today = to_local(now).date()
    first_month = month_start(today, -(months - 1))
    first_week = first_month - timedelta(days=first_month.weekday())
    weeks = [first_week + timedelta(weeks=i) for i in range((today - first_week).days // 7 + 1)]
    counts: Counter[tuple[date, str]] = Counter()
    for f in facts:
        day = to_local(f.created_at).date()
        if first_week <= day <= today:
            counts[(day - timedelta(days=day.weekday()), _state(f, now))] += 1
    month_days = [month_start(first_month, i) for i in range(months)]
    per_month = [index_of(facts, p.start, p.end) for p in (period_of("month", m) for m in month_days)]
    return ChartData(title=translate(lang, "chart.title", office=config.office_name), weeks=weeks,
                     per_week={s: [counts[(w, s)] for w in weeks] for s in STATES}, months=month_days,
                     per_month=per_month, start=first_month, end=today)


def render_png(data: ChartData, lang: str, target_percent: int) -> bytes:
    """The chart as PNG bytes."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context({"font.family": FONT, "font.size": 10}):
        fig = Figure(figsize=(10, 7.5), dpi=110, layout="constrained")
        subtitle = translate(lang, "chart.subtitle", start=data.start.strftime("%d/%m/%Y"),
                             end=data.end.strftime("%d/%m/%Y"))
        fig.suptitle(f"{data.title}\n{subtitle}", fontsize=13)
        weekly, monthly = fig.subplots(2, 1, height_ratios=(1, 1))
        _weekly(weekly, data, lang)
        _monthly(monthly, data, lang, target_percent)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Title": data.title, "Software": "citizen-feedback-bot"})
    return buffer.getvalue()


def _weekly(ax: Axes, data: ChartData, lang: str) -> None:
    positions = list(range(len(data.weeks)))
    bottom = [0] * len(positions)
    for state in STATES:
        values = data.per_week[state]
        ax.bar(positions, values, bottom=bottom, color=COLOURS[state], label=translate(lang, f"chart.{state}"))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    step = -(-len(positions) // 12)  # at most twelve labels
    ax.set_ylim(0, max(max(bottom, default=0) * 1.3, 5))  # room for the legend above the bars
    ax.set_xticks(positions[::step], [w.strftime("%d/%m") for w in data.weeks[::step]])
    ax.set_title(translate(lang, "chart.weekly"))
    ax.set_ylabel(translate(lang, "chart.tickets"))
    ax.set_xlabel(translate(lang, "chart.week"))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper left", ncols=4, fontsize=9)


def _monthly(ax: Axes, data: ChartData, lang: str, target_percent: int) -> None:
    positions = list(range(len(data.months)))
    for x, index in zip(positions, data.per_month, strict=True):
        if index.share is None:
            ax.annotate(translate(lang, "chart.no_answers"), (x, 2), ha="center", fontsize=8, color="#757575")
            continue
        value = index.share * 100
        colour = "#2e7d32" if value >= target_percent else "#ef6c00"
        ax.bar(x, value, color=colour, alpha=0.35 if index.small else 0.9)
        ax.annotate(f"{value:.0f}%\nn={index.answers}", (x, value), ha="center", va="bottom", fontsize=8,
                    xytext=(0, 2), textcoords="offset points")
    ax.axhline(target_percent, color="#c62828", linestyle="--", linewidth=1.2,
               label=translate(lang, "chart.target", target=target_percent))
    ax.set_xticks(positions, [m.strftime("%m/%Y") for m in data.months])
    ax.set_xlim(-0.6, len(positions) - 0.4)
    ax.set_ylim(0, 115)
    ax.set_ylabel("%")
    ax.set_title(translate(lang, "chart.monthly"))
    ax.legend(loc="lower left", fontsize=9, title=translate(lang, "chart.small", minimum=SMALL_SAMPLE),
              title_fontsize=8)


def report_png(session: Session, config: ReportConfig, lang: str, now: datetime, months: int = 6) -> bytes:
    """The report chart of the last `months` months, as PNG bytes."""
    since = datetime.combine(month_start(to_local(now).date(), -(months - 1)) - timedelta(days=7),
                             datetime.min.time(), tzinfo=now.tzinfo)
    facts = load_facts(session, since=since, until=now + timedelta(seconds=1))
    return render_png(chart_data(facts, config, lang, now, months), lang, config.satisfaction_target_percent)
