"""Staff commands. Each is refused (and logged) for anyone not on the staff list."""

from __future__ import annotations

import logging
from collections.abc import Callable

from handlers.categories import category_label
from handlers.context import Context
from handlers.i18n import translate
from handlers.survey import send_survey_once
from handlers.ticket_views import staff_view, status_label
from messaging.types import Outgoing
from storage.citizens import get_citizen, set_ban
from storage.clock import format_local, utcnow
from storage.models import Citizen, Ticket
from storage.staff import add_staff, find_staff, list_staff, remove_staff
from storage.statuses import ANSWERED, INITIAL, REOPENED, STAFF, can_move, settable_by
from storage.statuses import status as status_of
from storage.tickets import add_event, change_status, get_ticket, list_tickets
from storage.updates import log_security_event

log = logging.getLogger(__name__)
SETTABLE_STATUSES = settable_by(STAFF)  # what `/status` accepts
LISTS = ("open", "overdue", "mine", "all")

Command = Callable[[Context, str], list[Outgoing]]


def refuse(ctx: Context, command: str, *, admin: bool = False) -> list[Outgoing]:
    """Refuse a staff command from someone without the right, and log it."""
    msg = ctx.incoming
    log.warning("Refused /%s from %s:%s", command, msg.platform, msg.user_id)
    log_security_event(ctx.session, msg.platform, msg.user_id, "staff_command_refused", f"/{command} {msg.args}")
    return [ctx.reply(ctx.t("error.not_admin" if admin else "error.not_staff"))]


def _usage(ctx: Context, usage: str) -> list[Outgoing]:
    return [ctx.reply(ctx.t("staff.usage", usage=usage))]


def _ticket_and_rest(ctx: Context, args: str) -> tuple[Ticket | None, str, list[Outgoing]]:
    """Split `CODE rest`; the error answer is filled when the code is missing or unknown."""
    parts = args.split(maxsplit=1)
    if not parts:
        return None, "", []
    ticket = get_ticket(ctx.session, parts[0])
    if ticket is None:
        return None, "", [ctx.reply(ctx.t("staff.ticket_not_found", code=parts[0]))]
    return ticket, parts[1].strip() if len(parts) > 1 else "", []


def _citizen_of(ctx: Context, ticket: Ticket) -> Citizen:
    citizen = ctx.session.get(Citizen, ticket.citizen_id)
    assert citizen is not None
    return citizen


def _to_citizen(ctx: Context, ticket: Ticket, key: str, **kwargs: object) -> None:
    """Queue a message to the ticket's citizen, in their language."""
    citizen = _citizen_of(ctx, ticket)
    text = translate(citizen.language, key, code=ticket.code, office=ctx.settings.office_name, **kwargs)
    ctx.notify_citizen(citizen, Outgoing(text=text, ticket_code=ticket.code))


def cmd_tickets(ctx: Context, args: str) -> list[Outgoing]:
    which = (args.split() or ["open"])[0].lower()
    if which not in LISTS:
        return _usage(ctx, "/tickets [open|overdue|mine|all]")
    rows = list_tickets(ctx.session, which, staff_id=ctx.staff.id if ctx.staff else -1)
    if not rows:
        return [ctx.reply(ctx.t("staff.tickets_empty", which=which))]
    now = utcnow()
    lines = [ctx.t("staff.tickets_header", which=which, count=len(rows))]
    for t in rows:
        overdue = ctx.t("staff.overdue_mark") if t.due_at < now and t.closed_at is None else ""
        lines.append(ctx.t("staff.ticket_line", code=t.code, status=status_label(ctx, t.status),
                           due=format_local(t.due_at, with_time=False), overdue=overdue,
                           category=category_label(t.category, ctx.lang)))
    return [ctx.reply("\n".join(lines))]


def cmd_ticket(ctx: Context, args: str) -> list[Outgoing]:
    ticket, _, err = _ticket_and_rest(ctx, args)
    if ticket is None:
        return err or _usage(ctx, "/ticket CODE")
    return [ctx.reply(staff_view(ctx, ticket), ticket_code=ticket.code)]


def reply_to_citizen(ctx: Context, ticket: Ticket, text: str) -> None:
    """Record the office's answer and queue it to the citizen."""
    add_event(ctx.session, ticket, actor_kind="staff", actor=ctx.actor, kind="reply", text=text)
    if ticket.status == INITIAL:
        change_status(ctx.session, ticket, ANSWERED, actor=ctx.actor)
    _to_citizen(ctx, ticket, "notify.reply", text=text)


def cmd_reply(ctx: Context, args: str) -> list[Outgoing]:
    ticket, text, err = _ticket_and_rest(ctx, args)
    if ticket is None or not text:
        return err or _usage(ctx, "/reply CODE text")
    reply_to_citizen(ctx, ticket, text)
    return [ctx.reply(ctx.t("staff.reply_sent", code=ticket.code))]


def cmd_note(ctx: Context, args: str) -> list[Outgoing]:
    ticket, text, err = _ticket_and_rest(ctx, args)
    if ticket is None or not text:
        return err or _usage(ctx, "/note CODE text")
    add_event(ctx.session, ticket, actor_kind="staff", actor=ctx.actor, kind="note", text=text, public=False)
    return [ctx.reply(ctx.t("staff.note_added", code=ticket.code))]


def cmd_assign(ctx: Context, args: str) -> list[Outgoing]:
    ticket, target, err = _ticket_and_rest(ctx, args)
    if ticket is None or not target:
        return err or _usage(ctx, "/assign CODE AGENCY|@staff")
    agency = next((a for a in ctx.kb.agencies if a.id.lower() == target.lower()), None)
    if agency is not None:
        ticket.agency_id = agency.id
        add_event(ctx.session, ticket, actor_kind="staff", actor=ctx.actor, kind="assign", text=agency.name)
        return [ctx.reply(ctx.t("staff.assigned", code=ticket.code, target=agency.name))]
    member = find_staff(ctx.session, target, ctx.incoming.platform)
    if member is None:
        agencies = ", ".join(a.id for a in ctx.kb.agencies)
        return [ctx.reply(ctx.t("staff.assign_unknown", target=target, agencies=agencies))]
    ticket.assignee_id = member.id
    who = member.name or (f"@{member.username}" if member.username else member.user_id)
    add_event(ctx.session, ticket, actor_kind="staff", actor=ctx.actor, kind="assign", text=who, public=False)
    return [ctx.reply(ctx.t("staff.assigned", code=ticket.code, target=who))]


def cmd_status(ctx: Context, args: str) -> list[Outgoing]:
    ticket, rest, err = _ticket_and_rest(ctx, args)
    if ticket is None or not rest:
        return err or _usage(ctx, f"/status CODE {'|'.join(SETTABLE_STATUSES)} [reason]")
    status, _, reason = rest.partition(" ")
    status = status.lower()
    if status not in SETTABLE_STATUSES:
        return [ctx.reply(ctx.t("staff.status_unknown", statuses=", ".join(SETTABLE_STATUSES)))]
    if not can_move(ticket.status, status):
        return [ctx.reply(ctx.t("staff.cannot_move", code=ticket.code, old=status_label(ctx, ticket.status),
                                new=status_label(ctx, status)))]
    reason = reason.strip()
    change_status(ctx.session, ticket, status, actor=ctx.actor, text=reason or None)
    citizen = _citizen_of(ctx, ticket)
    why = translate(citizen.language, "notify.reason", reason=reason) if reason else ""
    _to_citizen(ctx, ticket, status_of(status).notify, status=translate(citizen.language, f"status.{status}"),
                reason=why)
    if status_of(status).outcome == "resolved":
        send_survey_once(ctx, ticket, citizen)
    return [ctx.reply(ctx.t("staff.status_set", code=ticket.code, status=status_label(ctx, status)))]


def cmd_close(ctx: Context, args: str) -> list[Outgoing]:
    ticket, text, err = _ticket_and_rest(ctx, args)
    if ticket is None:
        return err or _usage(ctx, "/close CODE [text]")
    closed = settable_by(STAFF, command="close")[0]
    if not can_move(ticket.status, closed):
        return [ctx.reply(ctx.t("staff.already_closed", code=ticket.code))]
    was_rejected = status_of(ticket.status).outcome == "rejected"
    change_status(ctx.session, ticket, closed, actor=ctx.actor, text=text or None, kind="closed")
    _to_citizen(ctx, ticket, status_of(closed).notify, text=f"\n{text}" if text else "")
    if not was_rejected:
        send_survey_once(ctx, ticket, _citizen_of(ctx, ticket))
    ctx.notify_staff(Outgoing(text=ctx.t("staff.closed", code=ticket.code), kind="ticket_closed",
                              ticket_code=ticket.code))
    return [ctx.reply(ctx.t("staff.closed", code=ticket.code))]


def cmd_reopen(ctx: Context, args: str) -> list[Outgoing]:
    ticket, _, err = _ticket_and_rest(ctx, args)
    if ticket is None:
        return err or _usage(ctx, "/reopen CODE")
    if status_of(ticket.status).is_open or not can_move(ticket.status, REOPENED):
        return [ctx.reply(ctx.t("staff.not_closed", code=ticket.code))]
    change_status(ctx.session, ticket, REOPENED, actor=ctx.actor, kind="reopened")
    _to_citizen(ctx, ticket, "notify.reopened")
    ctx.notify_staff(Outgoing(text=ctx.t("staff.reopened", code=ticket.code), kind="ticket_reopened",
                              ticket_code=ticket.code))
    return [ctx.reply(ctx.t("staff.reopened", code=ticket.code))]


def _find_citizen(ctx: Context, ref: str) -> Citizen | None:
    """A citizen by ticket code, `platform:user_id`, or a user id on the staff member's platform."""
    ticket = get_ticket(ctx.session, ref)
    if ticket is not None:
        return ctx.session.get(Citizen, ticket.citizen_id)
    platform, _, user = ref.partition(":") if ":" in ref else (ctx.incoming.platform, "", ref)
    return get_citizen(ctx.session, platform, user)


def _ban(ctx: Context, args: str, banned: bool) -> list[Outgoing]:
    ref, _, reason = args.partition(" ")
    if not ref:
        return _usage(ctx, "/ban CODE|ID [reason]" if banned else "/unban CODE|ID")
    citizen = _find_citizen(ctx, ref)
    if citizen is None:
        return [ctx.reply(ctx.t("staff.citizen_not_found", ref=ref))]
    set_ban(ctx.session, citizen, banned, reason.strip() or None)
    log.info("%s %s %s:%s", ctx.actor, "banned" if banned else "unbanned", citizen.platform, citizen.user_id)
    log_security_event(ctx.session, citizen.platform, citizen.user_id, "banned" if banned else "unbanned",
                       f"by {ctx.actor}: {reason.strip()}")
    who = f"{citizen.platform}:{citizen.user_id}"
    return [ctx.reply(ctx.t("staff.banned" if banned else "staff.unbanned", who=who))]


def cmd_ban(ctx: Context, args: str) -> list[Outgoing]:
    return _ban(ctx, args, True)


def cmd_unban(ctx: Context, args: str) -> list[Outgoing]:
    return _ban(ctx, args, False)


def cmd_staff(ctx: Context, args: str) -> list[Outgoing]:
    """`/staff list`, and for admins `/staff add ID|platform:ID [name]`, `/staff remove ID`."""
    action, _, rest = args.partition(" ")
    action = action.lower() or "list"
    if action == "list":
        members = list_staff(ctx.session)
        if not members:
            return [ctx.reply(ctx.t("staff.list_empty"))]
        lines = "\n".join(
            f"• {m.platform}:{m.user_id} {m.name or ''}{' @' + m.username if m.username else ''}"
            f"{ctx.t('staff.admin_mark') if m.is_admin else ''}" for m in members
        )
        return [ctx.reply(ctx.t("staff.list", lines=lines))]
    if action not in ("add", "remove", "admin"):
        return _usage(ctx, "/staff add|remove|list")
    if not ctx.is_admin:
        return refuse(ctx, f"staff {action}", admin=True)
    ref, _, name = rest.strip().partition(" ")
    if not ref:
        return _usage(ctx, f"/staff {action} ID|platform:ID [name]")
    platform, _, user = ref.partition(":") if ":" in ref else (ctx.incoming.platform, "", ref.lstrip("@"))
    if action == "remove":
        member = find_staff(ctx.session, ref, ctx.incoming.platform)
        if member is None:
            return [ctx.reply(ctx.t("staff.not_found", who=ref))]
        remove_staff(ctx.session, member)
        return [ctx.reply(ctx.t("staff.removed", who=ref))]
    known = get_citizen(ctx.session, platform, user)
    add_staff(ctx.session, platform, user, name=name.strip() or (known.display_name if known else None),
              username=known.username if known else None, is_admin=action == "admin", added_by=ctx.actor)
    return [ctx.reply(ctx.t("staff.added", who=f"{platform}:{user}"))]


COMMANDS: dict[str, Command] = {
    "tickets": cmd_tickets, "ticket": cmd_ticket, "reply": cmd_reply, "note": cmd_note,
    "assign": cmd_assign, "status": cmd_status, "close": cmd_close, "reopen": cmd_reopen,
    "ban": cmd_ban, "unban": cmd_unban, "staff": cmd_staff,
}
