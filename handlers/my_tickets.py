""""Phản ánh của tôi": a citizen's own tickets. Nobody sees another person's ticket, whatever code they type."""

from __future__ import annotations

import re

from handlers.context import Context
from handlers.keyboards import menu_row
from handlers.survey import survey_waiting
from handlers.ticket_thread import can_reopen
from handlers.ticket_views import citizen_view, status_label
from messaging.types import Button, Outgoing
from storage.statuses import status as status_of
from storage.tickets import CODE_PATTERN, canonical_code, get_ticket, tickets_of_citizen

CODE_RE = re.compile(rf"\b({CODE_PATTERN})\b")


def find_code(text: str) -> str | None:
    """A ticket code written anywhere in a message, as stored ("pa-2026-12" -> "PA-2026-000012")."""
    match = CODE_RE.search(text)
    return canonical_code(match.group(1)) if match else None


def only_a_code(text: str) -> bool:
    """Whether a message is a ticket code and nothing more."""
    return CODE_RE.fullmatch(text.strip()) is not None


def list_mine(ctx: Context) -> list[Outgoing]:
    """The citizen's tickets as buttons."""
    ctx.reset()
    tickets = tickets_of_citizen(ctx.session, ctx.citizen.id or 0)
    if not tickets:
        return [ctx.reply(ctx.t("mine.empty"), (menu_row(ctx.t),))]
    rows = tuple(
        (Button(ctx.t("mine.item", code=t.code, status=status_label(ctx, t.status)), f"t:{t.code}"),)
        for t in tickets
    )
    return [ctx.reply(ctx.t("mine.list"), (*rows, menu_row(ctx.t)))]


def show_mine(ctx: Context, code: str) -> list[Outgoing]:
    """One of the citizen's own tickets with its thread, or "not found" for anyone else's.

    An open ticket offers to add information; a resolved one, within `reopen_days`, to say it is not solved.
    """
    ticket = get_ticket(ctx.session, code)
    meta = {"lang": ctx.lang, "answer": "status"}  # the kind of answer, read by `kb eval --conversation`
    if ticket is None or ticket.citizen_id != ctx.citizen.id:
        return [ctx.reply(ctx.t("mine.not_found", code=code.upper()), (menu_row(ctx.t),), meta=meta)]
    rows: list[tuple[Button, ...]] = []
    if status_of(ticket.status).is_open:
        rows.append((Button(ctx.t("btn.tk_add"), f"tk:add:{ticket.code}"),))
    elif can_reopen(ctx, ticket):
        rows.append((Button(ctx.t("btn.tk_not_solved"), f"tk:no:{ticket.code}"),))
    survey = survey_waiting(ctx, ticket)
    if survey is not None:  # the survey message was missed or scrolled away: rated from here
        rows.insert(0, (Button(ctx.t("btn.sv_rate"), f"sv:{ticket.code}:{survey.round}:ask"),))
    rows += [(Button(ctx.t("btn.mine"), "m:mine"),), menu_row(ctx.t)]
    return [ctx.reply(citizen_view(ctx, ticket), tuple(rows), ticket_code=ticket.code, meta=meta)]
