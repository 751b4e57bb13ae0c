"""How tickets read: the staff card, the staff and citizen views, and the thread of what was said.

Every view for staff is written in the staff reader's language, and none shows who the citizen is: not
their name, user id, username or phone (those are behind `/contact`, for the staff member handling the
ticket, and never exist for an anonymous ticket). Citizens see no internal notes and no staff identities.
"""

from __future__ import annotations

from collections import Counter

from handlers.categories import category_label
from handlers.context import Context
from handlers.feedback import agency_name, location_text, to_attachments
from handlers.i18n import translate
from messaging.types import Attachment
from storage.clock import format_local
from storage.models import StaffMember, Ticket, TicketEvent
from storage.tickets import CITIZEN, CITIZEN_MESSAGE, ticket_attachments, ticket_events


def status_label(ctx: Context, status: str, lang: str | None = None) -> str:
    """A status in `lang` (the reader's language by default)."""
    return translate(lang or ctx.lang, f"status.{status}")


def sender_label(ticket: Ticket, lang: str) -> str:
    """Who filed the ticket, as staff may read it: anonymous, or a pointer to `/contact`."""
    if ticket.anonymous:
        return translate(lang, "staff.anonymous")
    return translate(lang, "staff.sender_phone" if ticket.phone else "staff.sender_no_phone", code=ticket.code)


def language_line(ticket: Ticket, lang: str) -> str:
    """A line telling staff the citizen reads another language (empty when it is the staff's)."""
    if (ticket.language or "vi") == lang:
        return ""
    name = translate(lang, f"lang.name.{ticket.language}")
    return translate(lang, "staff.citizen_language", language=name) + "\n"


def _files(ctx: Context, ticket: Ticket, lang: str) -> tuple[str, tuple[Attachment, ...]]:
    rows = ticket_attachments(ctx.session, ticket)
    attachments = to_attachments([{"kind": r.kind, "file_id": r.file_id, "file_name": r.file_name,
                                   "mime_type": r.mime_type, "size": r.size} for r in rows])
    text = translate(lang, "fb.files_count", count=len(rows)) if rows else translate(lang, "fb.none")
    return text, attachments


def _location(ctx: Context, ticket: Ticket, lang: str) -> str:
    return location_text(ctx, {"latitude": ticket.latitude, "longitude": ticket.longitude,
                               "address": ticket.address}, lang)


def staff_card(ctx: Context, ticket: Ticket) -> tuple[str, tuple[Attachment, ...]]:
    """The message posted to the staff chat for a new ticket (in the staff's language), with its files."""
    lang = ctx.settings.default_language
    files_text, attachments = _files(ctx, ticket, lang)
    text = translate(lang, "staff.new_ticket", code=ticket.code, category=category_label(ticket.category, lang),
                     agency=agency_name(ctx, ticket.agency_id, lang), citizen=sender_label(ticket, lang),
                     language=language_line(ticket, lang), location=_location(ctx, ticket, lang),
                     files=files_text, due=format_local(ticket.due_at, with_time=False),
                     description=ticket.description)
    return text, attachments


def _event_text(ev: TicketEvent, files: int, lang: str, *, for_staff: bool) -> str:
    """What one event says, in `lang`."""
    t = lambda key, **kw: translate(lang, key, **kw)  # noqa: E731
    by_citizen = ev.actor_kind == CITIZEN
    if ev.kind == CITIZEN_MESSAGE and not ev.text and not files:  # its text erased on the citizen's request
        what = t("event.citizen_message_erased")
    elif ev.kind == CITIZEN_MESSAGE and not ev.text:
        what = t("event.citizen_files" if for_staff else "event.own_files", count=files)
    elif ev.kind == CITIZEN_MESSAGE:
        what = t("event.citizen_message" if for_staff else "event.own_message", text=ev.text)
        if files:
            what += t("event.with_files", count=files)
    elif ev.kind == "reopened" and by_citizen:  # "vẫn chưa được giải quyết", with a reason or from the survey
        what = t("event.citizen_reopened", reason=ev.text) if ev.text else t("event.citizen_reopened_plain")
    elif ev.kind == "status":
        what = t("event.status", status=translate(lang, f"status.{ev.status_to or ''}"))
        if ev.text:
            what += f" ({ev.text})"
    elif ev.kind in ("reply", "assign", "note"):
        what = t(f"event.{ev.kind}", text=ev.text or "")
    elif ev.kind in ("created", "closed", "reopened", "contact_viewed", "banned", "unbanned", "erased"):
        what = t(f"event.{ev.kind}")
        if ev.kind == "closed" and ev.text:
            what += f": {ev.text}"
    else:
        what = ev.text or ev.kind
    if for_staff and ev.actor and not by_citizen and ev.actor_kind != "system":  # a citizen is never named
        what += f" — {ev.actor}"
    return what


def history(ctx: Context, ticket: Ticket, *, public_only: bool, lang: str | None = None) -> str:
    """The ticket's events, one line each: office and citizen messages read as one thread."""
    lang = lang or ctx.lang
    per_event = Counter(a.event_id for a in ticket_attachments(ctx.session, ticket) if a.event_id)
    lines = [translate(lang, "event.line", at=format_local(ev.at),
                       what=_event_text(ev, per_event.get(ev.id, 0), lang, for_staff=not public_only))
             for ev in ticket_events(ctx.session, ticket, public_only=public_only)]
    return "\n".join(lines)


def citizen_view(ctx: Context, ticket: Ticket) -> str:
    """What the citizen sees of their own ticket: no internal notes, no staff identities."""
    return ctx.t("mine.detail", code=ticket.code, category=category_label(ticket.category, ctx.lang),
                 status=status_label(ctx, ticket.status), created=format_local(ticket.created_at),
                 due=format_local(ticket.due_at, with_time=False), description=ticket.description,
                 history=history(ctx, ticket, public_only=True))


def staff_view(ctx: Context, ticket: Ticket) -> str:
    """Everything about a ticket staff may read (who filed it is behind `/contact`)."""
    lang = ctx.lang
    assignee = ctx.session.get(StaffMember, ticket.assignee_id) if ticket.assignee_id else None
    files_text, _ = _files(ctx, ticket, lang)
    return ctx.t("staff.ticket_detail", code=ticket.code, category=category_label(ticket.category, lang),
                 status=status_label(ctx, ticket.status), agency=agency_name(ctx, ticket.agency_id),
                 assignee=staff_name(assignee) if assignee else "-", citizen=sender_label(ticket, lang),
                 language=language_line(ticket, lang), location=_location(ctx, ticket, lang), files=files_text,
                 created=format_local(ticket.created_at), due=format_local(ticket.due_at, with_time=False),
                 description=ticket.description, history=history(ctx, ticket, public_only=False))


def staff_name(member: StaffMember) -> str:
    """How a staff member is named to colleagues."""
    return member.name or (f"@{member.username}" if member.username else f"{member.platform}:{member.user_id}")
