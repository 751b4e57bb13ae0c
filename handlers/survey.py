"""The satisfaction survey sent when a ticket is resolved. Button data: `sv:<code>:<score>`, `sv:skip`.

Scores: 3 very satisfied, 2 satisfied, 1 not satisfied (then an optional comment, passed to staff).
"""

from __future__ import annotations

from handlers.context import Context
from handlers.i18n import translate
from handlers.keyboards import main_menu
from messaging.types import Button, Outgoing
from storage.followups import add_survey_comment, record_survey_answer, set_mark
from storage.models import Citizen, Ticket
from storage.tickets import add_event, get_ticket

SCORES = (3, 2, 1)
COMMENT_STATE = "sv.comment"


def survey_message(lang: str, ticket: Ticket) -> Outgoing:
    """The question with one button per score."""
    buttons = tuple((Button(translate(lang, f"btn.survey_{s}"), f"sv:{ticket.code}:{s}"),) for s in SCORES)
    return Outgoing(text=translate(lang, "survey.ask", code=ticket.code), buttons=buttons, ticket_code=ticket.code,
                    kind="survey")


def send_survey_once(ctx: Context, ticket: Ticket, citizen: Citizen) -> None:
    """Queue the survey to the citizen unless it was sent for this ticket before."""
    if set_mark(ctx.session, ticket, "survey_sent_at"):
        ctx.notify_citizen(citizen, survey_message(citizen.language, ticket))


def on_button(ctx: Context, data: str) -> list[Outgoing]:
    """Record a score pressed by the ticket's own citizen."""
    if data == "sv:skip":
        ctx.reset()
        return [ctx.reply(ctx.t("survey.thanks"), main_menu(ctx.t))]
    _, code, score_text = (data.split(":") + ["", ""])[:3]
    ticket = get_ticket(ctx.session, code) if code else None
    if ticket is None or ticket.citizen_id != ctx.citizen.id or not score_text.isdigit() \
            or int(score_text) not in SCORES:
        return [ctx.reply(ctx.t("error.stale_button"), main_menu(ctx.t))]
    score = int(score_text)
    if not record_survey_answer(ctx.session, ticket, score):
        return [ctx.reply(ctx.t("survey.already"), main_menu(ctx.t))]
    label = translate(ctx.settings.default_language, f"survey.score_{score}")
    add_event(ctx.session, ticket, actor_kind="citizen", actor=ctx.actor, kind="survey", text=label, public=False)
    if score == 1:
        ctx.reset()
        ctx.go(COMMENT_STATE, survey_code=ticket.code)
        return [ctx.reply(ctx.t("survey.ask_comment"), ((Button(ctx.t("btn.skip"), "sv:skip"),),))]
    return [ctx.reply(ctx.t("survey.thanks"), main_menu(ctx.t))]


def take_comment(ctx: Context) -> list[Outgoing]:
    """Keep the comment of a citizen who was not satisfied and pass it to the staff chat."""
    text = (ctx.incoming.text or "").strip()
    ticket = get_ticket(ctx.session, ctx.data.get("survey_code", ""))
    ctx.reset()
    if not text or ticket is None:
        return [ctx.reply(ctx.t("survey.thanks"), main_menu(ctx.t))]
    add_survey_comment(ctx.session, ticket, text)
    add_event(ctx.session, ticket, actor_kind="citizen", actor=ctx.actor, kind="survey", text=text, public=False)
    ctx.notify_staff(Outgoing(text=translate(ctx.settings.default_language, "survey.staff_unsatisfied",
                                             code=ticket.code, comment=text), ticket_code=ticket.code))
    return [ctx.reply(ctx.t("survey.comment_thanks"), main_menu(ctx.t))]
