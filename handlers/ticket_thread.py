"""Two-way tickets: the citizen answers the office, adds information, or says the problem is still there.

    office message -> [↩️ Trả lời] (or a Telegram reply to it, or simply the next message) -> tk.answer
    "Phản ánh của tôi" -> [✍️ Bổ sung thông tin] -> tk.answer
                       -> [⚠️ Vẫn chưa được giải quyết] -> tk.reopen -> reopened with the reason

What the citizen sends (text, photos, files, a location) joins the ticket as one public event, reaches the
ticket's staff chat (its topic, on a forum) and the audit trail. Button data (after `tk:`): `re:<code>`
answer, `add:<code>` add information, `put:<code>` add the text just typed ("thêm: ..." soon after filing),
`no:<code>` not solved, `done`, `guide` (it was not an answer: look the text up as a procedure question).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from handlers import procedure_guide
from handlers.context import Context
from handlers.deadlines import restart_clock
from handlers.feedback import HELD_MEDIA, location_text, replayed
from handlers.i18n import translate
from handlers.keyboards import main_menu, menu_row
from knowledge.normalize import fold
from messaging.types import Button, Incoming, Outgoing
from storage.clock import format_local, utcnow
from storage.models import Citizen, Ticket
from storage.statuses import CITIZEN, REOPENED, can_move
from storage.statuses import status as status_of
from storage.threads import ticket_for_thread
from storage.tickets import (
    add_citizen_message,
    awaiting_answer,
    change_status,
    get_ticket,
    last_outcome,
    newest_ticket_since,
)

ANSWER_STATE = "tk.answer"
JOINED = "tk_joined"  # the answer's first message reached the ticket: a plain procedure question after it is one
REOPEN_STATE = "tk.reopen"
STATES = (ANSWER_STATE, REOPEN_STATE)
Rows = tuple[tuple[Button, ...], ...]


def office_buttons(lang: str, ticket: Ticket, *, reopenable: bool = False) -> Rows:
    """The buttons under every office message about a ticket: answer, and "not solved" when it may reopen."""
    rows: list[tuple[Button, ...]] = [(Button(translate(lang, "btn.tk_answer"), f"tk:re:{ticket.code}"),)]
    if reopenable:
        rows.append((Button(translate(lang, "btn.tk_not_solved"), f"tk:no:{ticket.code}"),))
    return tuple(rows)


def to_citizen(ctx: Context, ticket: Ticket, key: str, **kwargs: object) -> None:
    """Queue an office message about `ticket` to its citizen, in their language, with the answer buttons."""
    citizen = ctx.session.get(Citizen, ticket.citizen_id)
    if citizen is None:
        return
    text = translate(citizen.language, key, code=ticket.code, office=ctx.settings.office_name, **kwargs)
    buttons = office_buttons(citizen.language, ticket, reopenable=can_reopen(ctx, ticket))
    ctx.notify_citizen(citizen, Outgoing(text=text, ticket_code=ticket.code, buttons=buttons))


def own_ticket(ctx: Context, code: str) -> Ticket | None:
    """The citizen's own ticket with this code (None for anyone else's, or none)."""
    ticket = get_ticket(ctx.session, code) if code else None
    return ticket if ticket is not None and ticket.citizen_id == ctx.citizen.id else None


# --- where a citizen's message belongs ---------------------------------------------------------

def replied_ticket(ctx: Context) -> Ticket | None:
    """The citizen's ticket whose message the incoming one replies to (a Telegram reply), if any."""
    msg = ctx.incoming
    if msg.reply_to is None or msg.is_group:
        return None
    code = ticket_for_thread(ctx.session, msg.platform, msg.chat_id, message_id=msg.reply_to)
    return own_ticket(ctx, code) if code else None


def awaiting(ctx: Context) -> Ticket | None:
    """The ticket whose office message the citizen has not answered yet (within the answer window)."""
    since = utcnow() - timedelta(hours=ctx.settings.ticket_answer_window_hours)
    return awaiting_answer(ctx.session, ctx.citizen.id or 0, since)


def answering(ctx: Context) -> Ticket | None:
    """The ticket of an answer in progress, unless the citizen left it alone too long (then it ends)."""
    at = ctx.data.get("tk_at")
    fresh = at and utcnow().timestamp() - float(at) < ctx.settings.draft_idle_minutes * 60
    ticket = own_ticket(ctx, ctx.data.get("tk", "")) if fresh else None
    if ticket is None:
        ctx.reset()
    return ticket


# How a message adding to what was just filed begins ("thêm: đã có người ngã", "bổ sung ...", "quên chưa nói"),
# folded; such a message soon after filing is offered to the new ticket.
_ADDITION_STARTS = ("them", "bo sung", "bosung", "ps", "quen chua noi", "quen noi", "noi them", "cho em bo sung",
                    "cho toi bo sung", "em bo sung", "toi bo sung", "toi muon bo sung", "em muon bo sung",
                    "muon bo sung", "toi muon them", "em muon them")
ADDITION_MINUTES = 30  # how long after filing a ticket an addition is offered to it
OFFERED = "tk_offered"  # conversation data: the ticket an addition was just offered to (its text: "tk_text")


def unanswered_offer(ctx: Context) -> tuple[str, str] | None:
    """The ticket code and text of an addition offered by the last answer and neither added nor declined (the
    citizen wrote something else instead); the offer ends with this call."""
    code = ctx.data.pop(OFFERED, None)
    text = ctx.data.get("tk_text") if code else None
    if not code or not text:
        return None
    ctx.data.pop("tk_text", None)
    return code, text


def addition_to_new_ticket(ctx: Context, text: str) -> Ticket | None:
    """The citizen's ticket filed in the last minutes, still open, when the text reads as an addition to it."""
    words = " ".join(fold(text).replace(":", " ").split())
    if not any(words == start or words.startswith(f"{start} ") for start in _ADDITION_STARTS):
        return None
    newest = newest_ticket_since(ctx.session, ctx.citizen.id or 0, utcnow() - timedelta(minutes=ADDITION_MINUTES))
    return newest if newest is not None and status_of(newest.status).is_open else None


def offer_addition(ctx: Context, ticket: Ticket, text: str) -> list[Outgoing]:
    """Ask whether the text adds to the ticket just filed (or is a question of its own)."""
    ctx.data["tk_text"] = text
    ctx.data[OFFERED] = ticket.code
    rows = ((Button(ctx.t("btn.tk_add_to", code=ticket.code), f"tk:put:{ticket.code}"),),
            (Button(ctx.t("btn.tk_other_question"), "tk:guide"),))
    return [ctx.reply(ctx.t("tk.addition_offer", code=ticket.code), rows)]


def has_input(msg: Incoming) -> bool:
    """Whether a message carries something to add to a ticket."""
    return bool((msg.text and msg.text.strip()) or msg.attachments or msg.location)


# --- answering --------------------------------------------------------------------------------

def start_answer(ctx: Context, ticket: Ticket, key: str = "tk.ask_answer") -> list[Outgoing]:
    """Wait for the citizen's answer or addition to `ticket`."""
    ctx.reset()
    ctx.go(ANSWER_STATE, tk=ticket.code, tk_at=str(utcnow().timestamp()))
    return [ctx.reply(ctx.t(key, code=ticket.code), ((Button(ctx.t("btn.cancel"), "cancel"),),))]


def join(ctx: Context, ticket: Ticket, *, guessed: bool = False) -> list[Outgoing]:
    """Add the incoming text, photos, files or location to the ticket and pass them to its staff.

    `guessed`: the message was taken as an answer because an office message was waiting for one; the citizen
    may then say it was a procedure question instead.
    """
    msg = ctx.incoming
    staff_lang = ctx.settings.default_language
    text = (msg.text or "").strip() or None
    place = location_text(ctx, {"latitude": msg.location.latitude, "longitude": msg.location.longitude,
                                "address": msg.location.address}, staff_lang) if msg.location else None
    files = [{"kind": a.kind.value, "file_id": a.file_id, "file_name": a.file_name, "mime_type": a.mime_type,
              "size": a.size} for a in msg.attachments[:ctx.settings.max_attachments]]
    add_citizen_message(ctx.session, ticket, actor=ctx.actor, text=text,
                        location=translate(staff_lang, "tk.location_line", location=place) if place else None,
                        attachments=files)
    said = [translate(staff_lang, "tk.staff_message", code=ticket.code), text or "", f"📍 {place}" if place else "",
            translate(staff_lang, "event.citizen_files", count=len(files)) if files else ""]
    ctx.notify_ticket_staff(ticket, Outgoing(
        text="\n".join(line for line in said if line),
        attachments=msg.attachments[:ctx.settings.max_attachments],
        location=msg.location, kind="ticket_update", ticket_code=ticket.code))
    ctx.go(ANSWER_STATE, tk=ticket.code, tk_at=str(utcnow().timestamp()), **{JOINED: "1"})
    if guessed and text:
        ctx.data["tk_text"] = text
    rows: list[tuple[Button, ...]] = [(Button(ctx.t("btn.tk_done"), "tk:done"),)]
    if guessed and text:
        rows.append((Button(ctx.t("btn.tk_was_question"), "tk:guide"),))
    return [ctx.reply(ctx.t("tk.joined", code=ticket.code), tuple(rows), ticket_code=ticket.code)]


def take_answer(ctx: Context) -> list[Outgoing] | None:
    """A message while answering: joins the ticket. None when the answer ended (route the message anew)."""
    ticket = answering(ctx)
    if ticket is None:
        return None
    if not has_input(ctx.incoming):
        return [ctx.reply(ctx.t("tk.ask_answer", code=ticket.code), ((Button(ctx.t("btn.tk_done"), "tk:done"),),))]
    text = (ctx.incoming.text or "").strip()
    if ctx.data.get(JOINED) and text and not ctx.incoming.attachments and procedure_guide.asks_a_procedure(ctx, text):
        return _answered_as_question(ctx, ticket, text)
    return join(ctx, ticket)


def _answered_as_question(ctx: Context, ticket: Ticket, text: str) -> list[Outgoing]:
    """A plain procedure question after the answer was sent ("lam the bhyt o dau"): answered, and offered to the
    ticket with one button instead of being passed to staff unasked."""
    ctx.reset()
    out = procedure_guide.answer_question(ctx, text)
    ctx.data["tk_text"] = text
    put = ((Button(ctx.t("btn.tk_add_to", code=ticket.code), f"tk:put:{ticket.code}"),),)
    return [*out, ctx.reply(ctx.t("tk.answered_as_question", code=ticket.code), put)]


# --- "vẫn chưa được giải quyết" ---------------------------------------------------------------

def can_reopen(ctx: Context, ticket: Ticket) -> bool:
    """Whether the citizen may reopen: finished and not rejected (resolved, or closed without an outcome, as the
    survey counts it), within `reopen_days`, and allowed by the status table."""
    if status_of(ticket.status).is_open or CITIZEN not in status_of(REOPENED).set_by:
        return False
    if not can_move(ticket.status, REOPENED) or last_outcome(ctx.session, ticket) == "rejected":
        return False
    closed = ticket.closed_at or ticket.updated_at
    return utcnow() - closed <= timedelta(days=ctx.settings.reopen_days)


def ask_reopen(ctx: Context, ticket: Ticket) -> list[Outgoing]:
    if not can_reopen(ctx, ticket):
        key = "tk.reopen_too_late" if not status_of(ticket.status).is_open else "tk.still_open"
        return [ctx.reply(ctx.t(key, code=ticket.code, days=ctx.settings.reopen_days),
                          ((Button(ctx.t("btn.tk_answer"), f"tk:re:{ticket.code}"),), menu_row(ctx.t)))]
    ctx.reset()
    ctx.go(REOPEN_STATE, tk=ticket.code, tk_at=str(utcnow().timestamp()))
    return [ctx.reply(ctx.t("tk.ask_reopen_reason", code=ticket.code), ((Button(ctx.t("btn.cancel"), "cancel"),),))]


def take_reopen(ctx: Context) -> list[Outgoing] | None:
    """The reason the problem is still there: the ticket reopens with it, staff are told."""
    ticket = answering(ctx)
    if ticket is None:
        return None
    msg = ctx.incoming
    reason = (msg.text or "").strip()
    if not reason:
        out = join(ctx, ticket) if has_input(msg) else []
        ctx.go(REOPEN_STATE, tk=ticket.code, tk_at=str(utcnow().timestamp()))
        return [*out, ctx.reply(ctx.t("tk.ask_reopen_reason", code=ticket.code),
                                ((Button(ctx.t("btn.cancel"), "cancel"),),))]
    if not can_reopen(ctx, ticket):
        ctx.reset()
        return ask_reopen(ctx, ticket)
    change_status(ctx.session, ticket, REOPENED, actor=ctx.actor, actor_kind=CITIZEN, kind="reopened",
                  text=reason)
    restart_clock(ticket, utcnow())
    staff_lang = ctx.settings.default_language
    ctx.notify_ticket_staff(ticket, Outgoing(
        text=translate(staff_lang, "tk.staff_reopened", code=ticket.code, reason=reason),
        kind="ticket_reopened", ticket_code=ticket.code))
    ctx.reset()
    return [ctx.reply(ctx.t("tk.reopened", code=ticket.code, due=format_local(ticket.due_at, with_time=False)),
                      main_menu(ctx.t), ticket_code=ticket.code)]


# --- buttons ----------------------------------------------------------------------------------

def on_button(ctx: Context, rest: str) -> list[Outgoing]:
    """`tk:` buttons; a code that is not the citizen's own gets the same answer as an unknown one."""
    if rest == "done":
        ctx.reset()
        return [ctx.reply(ctx.t("tk.done"), main_menu(ctx.t))]
    action, _, code = rest.partition(":")
    ticket = own_ticket(ctx, code) if action in ("re", "add", "no", "put") else None
    if ticket is None:
        return [ctx.reply(ctx.t("mine.not_found", code=code.upper() or "?"), (menu_row(ctx.t),))]
    if action == "no":
        return ask_reopen(ctx, ticket)
    if action == "put":  # the text offered to the ticket just filed
        text = ctx.data.pop("tk_text", None)
        if not text:
            return [ctx.reply(ctx.t("error.stale_button"), main_menu(ctx.t))]
        ctx.incoming = replace(ctx.incoming, text=text, callback=None)
        return join(ctx, ticket)
    media = ctx.data.pop(HELD_MEDIA, None)
    out = start_answer(ctx, ticket, "tk.ask_answer" if action == "re" else "tk.ask_addition")
    if media and action == "add":  # a photo sent outside the form, placed on this ticket
        ctx.incoming = replayed(ctx.incoming, media)
        return join(ctx, ticket)
    return out


STATE_HANDLERS = {ANSWER_STATE: take_answer, REOPEN_STATE: take_reopen}
