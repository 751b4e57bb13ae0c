"""Staff commands for figures and deadlines: `/stats`, `/report` (a chart), `/export` (a spreadsheet), `/extend`.

The dispatcher refuses them, like every staff command, to anyone not on the staff list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from handlers.context import Context
from handlers.deadlines import end_of_day, is_working_day
from handlers.i18n import translate
from handlers.ticket_thread import office_buttons
from knowledge import KnowledgeBase
from messaging.types import Attachment, AttachmentKind, Outgoing
from reports.chart import report_png
from reports.export import FORMATS, export_bytes
from reports.facts import load_facts
from reports.periods import parse_period
from reports.stats import stats_text
from storage.clock import format_local, to_local, utcnow
from storage.due_dates import change_due_date
from storage.files import store_file
from storage.models import Citizen
from storage.outcomes import is_open
from storage.tickets import add_event, get_ticket

Command = Callable[[Context, str], list[Outgoing]]
DEFAULT_MONTHS, MAX_MONTHS = 6, 24
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?$")


def agency_names(kb: KnowledgeBase) -> dict[str, str]:
    """Agency ids to names, for reports."""
    return {a.id: a.name for a in kb.agencies}


def _usage(ctx: Context, key: str) -> list[Outgoing]:
    return [ctx.reply(ctx.t("staff.usage", usage=ctx.t(key)))]


def _document(ctx: Context, text: str, name: str, mime: str, content: bytes, kind: AttachmentKind) -> Outgoing:
    """A direct answer carrying a file the bot made (kept in the database until the messenger uploads it)."""
    file_id = store_file(ctx.session, name, mime, content)
    return ctx.reply(text, attachments=(Attachment(kind, file_id, file_name=name, mime_type=mime, size=len(content)),))


def cmd_stats(ctx: Context, args: str) -> list[Outgoing]:
    """`/stats [month|quarter|year|2026-11|2026-Q4|2026]`: the period's figures, by agency and category."""
    now = utcnow()
    period = parse_period(args, now)
    if period is None:
        return _usage(ctx, "stats.usage")
    return [ctx.reply(stats_text(ctx.session, ctx.settings, ctx.lang, period, now, agency_names(ctx.kb)))]


def cmd_report(ctx: Context, args: str) -> list[Outgoing]:
    """`/report [months]`: the chart of the last months, as a picture."""
    word = (args.split() or [str(DEFAULT_MONTHS)])[0]
    if not word.isdigit() or not 1 <= int(word) <= MAX_MONTHS:
        return _usage(ctx, "report.usage")
    months, now = int(word), utcnow()
    png = report_png(ctx.session, ctx.settings, ctx.lang, now, months)
    caption = ctx.t("report.caption", months=months, target=ctx.settings.satisfaction_target_percent)
    name = f"bao-cao-{to_local(now).date().isoformat()}.png"
    return [_document(ctx, caption, name, "image/png", png, AttachmentKind.PHOTO)]


def cmd_export(ctx: Context, args: str) -> list[Outgoing]:
    """`/export csv|xlsx [period]`: the period's tickets as a spreadsheet, without personal data."""
    words = args.split()
    fmt = words[0].lower() if words else ""
    now = utcnow()
    period = parse_period(" ".join(words[1:]), now)
    if fmt not in FORMATS or period is None:
        return _usage(ctx, "export.usage")
    facts = [f for f in load_facts(ctx.session, since=period.start, until=period.end)
             if period.start <= f.created_at < period.end]
    content = export_bytes(facts, fmt, ctx.lang, agency_names(ctx.kb), sheet_title=period.label().replace("/", "-"))
    name = f"phan-anh-{period.label().replace('/', '-')}.{fmt}"
    caption = ctx.t("export.caption", period=period.label(), count=len(facts))
    return [_document(ctx, caption, name, FORMATS[fmt], content, AttachmentKind.DOCUMENT)]


def parse_day(text: str, today: date) -> date | None:
    """`15/12/2026`, `15/12` (the next such day) or `2026-12-15`; None when it is not a date."""
    try:
        if m := _DAY_MONTH_YEAR.match(text):
            day, month = int(m[1]), int(m[2])
            if m[3]:
                return date(int(m[3]), month, day)
            found = date(today.year, month, day)
            return found if found >= today else date(today.year + 1, month, day)
        return date.fromisoformat(text)
    except ValueError:
        return None


def _next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def cmd_extend(ctx: Context, args: str) -> list[Outgoing]:
    """`/extend CODE DATE reason`: a new expected date, with an apology and the reason sent to the citizen."""
    parts = args.split(maxsplit=2)
    if len(parts) < 3 or not parts[2].strip():
        return _usage(ctx, "extend.usage")
    code, day_text, reason = parts[0], parts[1], parts[2].strip()
    ticket = get_ticket(ctx.session, code)
    if ticket is None:
        return [ctx.reply(ctx.t("staff.ticket_not_found", code=code))]
    if not is_open(ticket.status):
        return [ctx.reply(ctx.t("extend.not_open", code=ticket.code))]
    today = to_local(utcnow()).date()
    day = parse_day(day_text, today)
    if day is None:
        return [ctx.reply(ctx.t("extend.bad_date", date=day_text))]
    if day <= max(today, to_local(ticket.due_at).date()):
        return [ctx.reply(ctx.t("extend.past", due=format_local(ticket.due_at, with_time=False)))]
    if not is_working_day(day):
        return [ctx.reply(ctx.t("extend.not_working_day", date=day.strftime("%d/%m/%Y"),
                                next=_next_working_day(day).strftime("%d/%m/%Y")))]
    change_due_date(ctx.session, ticket, end_of_day(day), reason, ctx.actor)
    shown = day.strftime("%d/%m/%Y")
    add_event(ctx.session, ticket, actor_kind="staff", actor=ctx.actor, kind="extended", text=f"{shown}: {reason}")
    citizen = ctx.session.get(Citizen, ticket.citizen_id)
    if citizen is not None and citizen.chat_id:
        text = translate(citizen.language, "followup.extended", office=ctx.settings.office_name, code=ticket.code,
                         due=shown, reason=reason)
        ctx.notify_citizen(citizen, Outgoing(text=text, ticket_code=ticket.code, kind="apology",
                                             buttons=office_buttons(citizen.language, ticket)))
    return [ctx.reply(ctx.t("extend.done", code=ticket.code, due=shown), ticket_code=ticket.code)]


COMMANDS: dict[str, Command] = {
    "stats": cmd_stats, "report": cmd_report, "export": cmd_export, "extend": cmd_extend,
}
