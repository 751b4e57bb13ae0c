"""Staff commands. Each is refused (and logged) for anyone not on the staff list."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from handlers.categories import category_label, staff_chat_of
from handlers.context import Context
from handlers.deadlines import restart_clock
from handlers.i18n import translate
from handlers.survey import send_survey_once
from handlers.ticket_thread import to_citizen
from handlers.ticket_views import staff_name, staff_view, status_label
from messaging.types import Outgoing
from storage.citizens import get_citizen, set_ban
from storage.clock import format_local, utcnow
from storage.models import Citizen, StaffMember, Ticket
from storage.staff import add_staff, find_staff, get_staff, list_staff, remove_staff
from storage.statuses import ANSWERED, INITIAL, REOPENED, STAFF, can_move, settable_by
from storage.statuses import status as status_of
from storage.templates import delete_template, get_template, list_templates, save_template
from storage.threads import thread_for_ticket
from storage.tickets import add_event, change_status, get_ticket, list_tickets
from storage.updates import log_security_event

log = logging.getLogger(__name__)
SETTABLE_STATUSES = settable_by(STAFF)  # what `/status` accepts
LISTS = ("open", "overdue", "mine", "all")
SELF = ("me", "tôi", "toi")  # `/assign CODE me`
TEMPLATE_NAME = re.compile(r"^[\w-]{1,64}$")

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
    """Queue an office message to the ticket's citizen (with "Trả lời"), in their language."""
    to_citizen(ctx, ticket, key, **kwargs)


def _announce(ctx: Context, ticket: Ticket, key: str, kind: str) -> list[Outgoing]:
    """Confirm a change once: in the ticket's staff chat (its topic) when typed there, else here and there
    (typed in another topic of the forum, such as General: confirmed where typed, announced in its topic)."""
    platform, chat = staff_chat_of(ticket.category, ctx.settings)
    msg = ctx.incoming
    if msg.is_group and (msg.platform, msg.chat_id) == (platform, chat):
        topic = thread_for_ticket(ctx.session, ticket.code, platform, chat)
        if topic is None or msg.thread_id == topic:
            return [ctx.reply(ctx.t(key, code=ticket.code), kind=kind, ticket_code=ticket.code)]
    ctx.notify_ticket_staff(ticket, Outgoing(text=ctx.staff_t(key, code=ticket.code), kind=kind))
    return [ctx.reply(ctx.t(key, code=ticket.code))]


def cmd_tickets(ctx: Context, args: str) -> list[Outgoing]:
    which = (args.split() or ["open"])[0].lower()
    if which not in LISTS:
        return _usage(ctx, "/tickets [open|overdue|mine|all]")
    rows = list_tickets(ctx.session, which, staff_id=ctx.staff.id if ctx.staff else -1)
    if not rows:
        return [ctx.reply(ctx.t("staff.tickets_empty", which=ctx.t(f"staff.list_{which}")))]
    now = utcnow()
    lines = [ctx.t("staff.tickets_header", which=ctx.t(f"staff.list_{which}"), count=len(rows))]
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


def reply_to_citizen(ctx: Context, ticket: Ticket, text: str) -> bool:
    """Record the office's answer and queue it to the citizen; False when the citizen cannot be reached (they
    blocked the bot, or erased their contact with /forget): the answer stays on the ticket only."""
    add_event(ctx.session, ticket, actor_kind="staff", actor=ctx.actor, kind="reply", text=text)
    if ticket.status == INITIAL:
        change_status(ctx.session, ticket, ANSWERED, actor=ctx.actor)
    citizen = ctx.session.get(Citizen, ticket.citizen_id)
    if citizen is None or citizen.unreachable_at is not None:
        return False
    _to_citizen(ctx, ticket, "notify.reply", text=text)
    return True


def reply_confirmation(ctx: Context, ticket: Ticket, sent: bool, key: str = "staff.reply_sent") -> str:
    """What staff are told after an answer: sent, or kept on the ticket because the citizen is unreachable."""
    return ctx.t(key if sent else "staff.reply_unreachable", code=ticket.code)


def cmd_reply(ctx: Context, args: str) -> list[Outgoing]:
    """`/reply CODE text`, or `/reply CODE #template [more text]` for a canned answer."""
    ticket, text, err = _ticket_and_rest(ctx, args)
    if ticket is None or not text:
        return err or _usage(ctx, "/reply CODE text|#template")
    if text.startswith("#"):
        name, _, more = text[1:].partition(" ")
        template = get_template(ctx.session, name)
        if template is None:
            return [ctx.reply(ctx.t("staff.template_unknown", name=name))]
        text = f"{template.text}\n{more.strip()}" if more.strip() else template.text
    sent = reply_to_citizen(ctx, ticket, text)
    return [ctx.reply(reply_confirmation(ctx, ticket, sent))]


def cmd_note(ctx: Context, args: str) -> list[Outgoing]:
    ticket, text, err = _ticket_and_rest(ctx, args)
    if ticket is None or not text:
        return err or _usage(ctx, "/note CODE text")
    add_event(ctx.session, ticket, actor_kind="staff", actor=ctx.actor, kind="note", text=text, public=False)
    return [ctx.reply(ctx.t("staff.note_added", code=ticket.code))]


def cmd_assign(ctx: Context, args: str) -> list[Outgoing]:
    """`/assign CODE AGENCY|@name|platform:id|id|me`; a staff member given the ticket is told privately."""
    ticket, target, err = _ticket_and_rest(ctx, args)
    if ticket is None or not target:
        return err or _usage(ctx, "/assign CODE AGENCY|@staff|me")
    agency = next((a for a in ctx.kb.agencies if a.id.lower() == target.lower()), None)
    if agency is not None:
        ticket.agency_id = agency.id
        add_event(ctx.session, ticket, actor_kind="staff", actor=ctx.actor, kind="assign", text=agency.name)
        return [ctx.reply(ctx.t("staff.assigned", code=ticket.code, target=agency.name))]
    member = _myself(ctx) if target.lower() in SELF else find_staff(ctx.session, target, ctx.incoming.platform)
    if member is None:
        agencies = ", ".join(a.id for a in ctx.kb.agencies)
        return [ctx.reply(ctx.t("staff.assign_unknown", target=target, agencies=agencies))]
    ticket.assignee_id = member.id
    who = staff_name(member)
    add_event(ctx.session, ticket, actor_kind="staff", actor=ctx.actor, kind="assign", text=who, public=False)
    if ctx.staff is not None and member.id == ctx.staff.id:
        return [ctx.reply(ctx.t("staff.assigned", code=ticket.code, target=who))]
    known = get_citizen(ctx.session, member.platform, member.user_id)
    lang = known.language if known else ctx.settings.default_language
    ctx.send_later(member.platform, known.chat_id if known else member.user_id, Outgoing(
        text=translate(lang, "staff.assigned_to_you", code=ticket.code, by=ctx.actor,
                       category=category_label(ticket.category, lang),
                       due=format_local(ticket.due_at, with_time=False)),
        ticket_code=ticket.code))
    return [ctx.reply(ctx.t("staff.assigned_told", code=ticket.code, target=who))]


def _myself(ctx: Context) -> StaffMember | None:
    """The staff row of the person writing (a configured admin gets one, so tickets can be theirs)."""
    if ctx.staff is not None or not ctx.is_admin:
        return ctx.staff
    msg = ctx.incoming
    ctx.staff = add_staff(ctx.session, msg.platform, msg.user_id, name=msg.user_name, username=msg.username,
                          is_admin=True, added_by="ADMIN_IDS")
    return ctx.staff


def cmd_agencies(ctx: Context, args: str) -> list[Outgoing]:
    """The agencies tickets can be assigned to, with their ids."""
    english = ctx.lang == "en"
    lines = [f"• {a.id} — {a.name_en if english and a.name_en else a.name}" for a in ctx.kb.agencies]
    return [ctx.reply(ctx.t("staff.agencies", lines="\n".join(lines)))]


def cmd_contact(ctx: Context, args: str) -> list[Outgoing]:
    """Who filed a ticket and how to reach them: for the staff member handling it (or an admin), audited.

    Asked in a group, the answer goes to the asker's private chat with the bot, not to the whole group.
    """
    ticket, _, err = _ticket_and_rest(ctx, args)
    if ticket is None:
        return err or _usage(ctx, "/contact CODE")
    if ticket.anonymous:
        return [ctx.reply(ctx.t("staff.contact_anonymous", code=ticket.code))]
    if not (ctx.is_admin or (ctx.staff is not None and ticket.assignee_id == ctx.staff.id)):
        log_security_event(ctx.session, ctx.incoming.platform, ctx.incoming.user_id, "contact_refused", ticket.code)
        return [ctx.reply(ctx.t("staff.contact_not_yours", code=ticket.code))]
    citizen = _citizen_of(ctx, ticket)
    add_event(ctx.session, ticket, actor_kind="staff", actor=ctx.actor, kind="contact_viewed", public=False)
    card = ctx.t("staff.contact_card", code=ticket.code, name=citizen.display_name or "-",
                 username=f"@{citizen.username}" if citizen.username else "-",
                 id=f"{citizen.platform}:{citizen.user_id}", phone=ticket.phone or ctx.t("fb.no_phone"))
    if not ctx.incoming.is_group:
        return [ctx.reply(card)]
    ctx.send_later(ctx.incoming.platform, ctx.citizen.chat_id, Outgoing(text=card, meta={"lang": ctx.lang}))
    return [ctx.reply(ctx.t("staff.contact_sent_privately", code=ticket.code))]


def cmd_templates(ctx: Context, args: str) -> list[Outgoing]:
    """`/templates` lists the canned answers; admins `/templates add NAME text`, `/templates remove NAME`."""
    action, _, rest = args.partition(" ")
    action = action.lower() or "list"
    if action == "list":
        rows = list_templates(ctx.session)
        if not rows:
            return [ctx.reply(ctx.t("staff.templates_empty"))]
        return [ctx.reply(ctx.t("staff.templates", lines="\n".join(f"#{r.name}: {r.text}" for r in rows)))]
    if action not in ("add", "remove"):
        return _usage(ctx, "/templates [add NAME text|remove NAME]")
    if not ctx.is_admin:
        return refuse(ctx, f"templates {action}", admin=True)
    name, _, text = rest.strip().partition(" ")
    name = name.lstrip("#").lower()
    if not TEMPLATE_NAME.match(name) or (action == "add" and not text.strip()):
        return _usage(ctx, "/templates add NAME text" if action == "add" else "/templates remove NAME")
    if action == "add":
        save_template(ctx.session, name, text.strip(), by=ctx.actor)
        return [ctx.reply(ctx.t("staff.template_saved", name=name))]
    template = get_template(ctx.session, name)
    if template is None:
        return [ctx.reply(ctx.t("staff.template_unknown", name=name))]
    delete_template(ctx.session, template)
    return [ctx.reply(ctx.t("staff.template_removed", name=name))]


def cmd_status(ctx: Context, args: str) -> list[Outgoing]:
    ticket, rest, err = _ticket_and_rest(ctx, args)
    if ticket is None or not rest:
        return err or _usage(ctx, f"/status CODE {'|'.join(SETTABLE_STATUSES)} [reason]")
    status, _, reason = rest.partition(" ")
    status = status.lower()
    if status not in SETTABLE_STATUSES:
        return [ctx.reply(ctx.t("staff.status_unknown", statuses=", ".join(SETTABLE_STATUSES)))]
    if status == ticket.status:  # e.g. "processing" after a /reply moved it there
        return [ctx.reply(ctx.t("staff.already_in_status", code=ticket.code, status=status_label(ctx, status)))]
    if not can_move(ticket.status, status):
        key = "staff.cannot_move_open" if status_of(ticket.status).is_open else "staff.cannot_move"
        return [ctx.reply(ctx.t(key, code=ticket.code, old=status_label(ctx, ticket.status),
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
    return _announce(ctx, ticket, "staff.closed", "ticket_closed")


def cmd_reopen(ctx: Context, args: str) -> list[Outgoing]:
    ticket, _, err = _ticket_and_rest(ctx, args)
    if ticket is None:
        return err or _usage(ctx, "/reopen CODE")
    if status_of(ticket.status).is_open or not can_move(ticket.status, REOPENED):
        return [ctx.reply(ctx.t("staff.not_closed", code=ticket.code))]
    change_status(ctx.session, ticket, REOPENED, actor=ctx.actor, kind="reopened")
    restart_clock(ticket, utcnow())
    _to_citizen(ctx, ticket, "notify.reopened", due=format_local(ticket.due_at, with_time=False))
    return _announce(ctx, ticket, "staff.reopened", "ticket_reopened")


def _find_citizen(ctx: Context, ref: str) -> tuple[Citizen | None, Ticket | None]:
    """A citizen by ticket code (with that ticket), `platform:user_id`, or a user id on the staff's platform."""
    ticket = get_ticket(ctx.session, ref)
    if ticket is not None:
        return ctx.session.get(Citizen, ticket.citizen_id), ticket
    platform, _, user = ref.partition(":") if ":" in ref else (ctx.incoming.platform, "", ref)
    return get_citizen(ctx.session, platform, user), None


def _ban(ctx: Context, args: str, banned: bool) -> list[Outgoing]:
    """Block or unblock a citizen, by ticket code (who it is stays unknown) or by id; never staff or admins."""
    ref, _, reason = args.partition(" ")
    if not ref:
        return _usage(ctx, "/ban CODE|ID [reason]" if banned else "/unban CODE|ID")
    citizen, ticket = _find_citizen(ctx, ref)
    if citizen is None:
        return [ctx.reply(ctx.t("staff.citizen_not_found", ref=ref))]
    if banned and ((citizen.platform, citizen.user_id) in ctx.settings.admins
                   or get_staff(ctx.session, citizen.platform, citizen.user_id) is not None):
        msg = ctx.incoming
        log_security_event(ctx.session, msg.platform, msg.user_id, "ban_staff_refused", ref)
        return [ctx.reply(ctx.t("staff.cannot_ban_staff"))]
    set_ban(ctx.session, citizen, banned, reason.strip() or None)
    what = "banned" if banned else "unbanned"
    log_security_event(ctx.session, citizen.platform, citizen.user_id, what, f"by {ctx.actor}: {reason.strip()}")
    if ticket is not None:  # staff named a ticket: they learn nothing more about who filed it
        log.info("%s %s the sender of %s", ctx.actor, what, ticket.code)
        add_event(ctx.session, ticket, actor_kind="staff", actor=ctx.actor, kind=what,
                  text=reason.strip() or None, public=False)
        return [ctx.reply(ctx.t(f"staff.{what}_sender", code=ticket.code))]
    log.info("%s %s %s:%s", ctx.actor, what, citizen.platform, citizen.user_id)
    return [ctx.reply(ctx.t(f"staff.{what}", who=f"{citizen.platform}:{citizen.user_id}"))]


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
            "• " + " ".join(part for part in (f"{m.platform}:{m.user_id}", m.name or "",
                                               f"@{m.username}" if m.username else "") if part)
            + (ctx.t("staff.admin_mark") if m.is_admin else "") for m in members
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
    name = name.strip() or (known.display_name if known else None) or ""
    add_staff(ctx.session, platform, user, name=name or None,
              username=known.username if known else None, is_admin=action == "admin", added_by=ctx.actor)
    return [ctx.reply(ctx.t("staff.added", who=f"{name} ({platform}:{user})" if name else f"{platform}:{user}"))]


COMMANDS: dict[str, Command] = {
    "tickets": cmd_tickets, "ticket": cmd_ticket, "reply": cmd_reply, "note": cmd_note,
    "assign": cmd_assign, "status": cmd_status, "close": cmd_close, "reopen": cmd_reopen,
    "ban": cmd_ban, "unban": cmd_unban, "staff": cmd_staff,
    "contact": cmd_contact, "agencies": cmd_agencies, "templates": cmd_templates,
}
