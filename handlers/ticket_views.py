"""How tickets read: the staff card, the citizen's view and the history (internal notes for staff only)."""

from __future__ import annotations

from handlers.categories import category_label
from handlers.context import Context
from handlers.feedback import agency_name, location_text, to_attachments
from handlers.i18n import translate
from messaging.types import Attachment
from storage.clock import format_local
from storage.models import Citizen, StaffMember, Ticket
from storage.tickets import ticket_attachments, ticket_events


def status_label(ctx: Context, status: str) -> str:
    """A status in the reader's language."""
    return ctx.t(f"status.{status}")


def _citizen_label(ctx: Context, ticket: Ticket) -> str:
    if ticket.anonymous:
        return ctx.t("staff.anonymous")
    citizen = ctx.session.get(Citizen, ticket.citizen_id)
    if citizen is None:
        return "?"
    name = citizen.display_name or ""
    handle = f"@{citizen.username}" if citizen.username else ""
    return " ".join(p for p in (name, handle, f"[{citizen.platform}:{citizen.user_id}]") if p)


def _files(ctx: Context, ticket: Ticket) -> tuple[str, tuple[Attachment, ...]]:
    rows = ticket_attachments(ctx.session, ticket)
    attachments = to_attachments([{"kind": r.kind, "file_id": r.file_id, "file_name": r.file_name,
                                   "mime_type": r.mime_type, "size": r.size} for r in rows])
    text = ctx.t("fb.files_count", count=len(rows)) if rows else ctx.t("fb.none")
    return text, attachments


def _location(ctx: Context, ticket: Ticket) -> str:
    return location_text(ctx, {"latitude": ticket.latitude, "longitude": ticket.longitude,
                               "address": ticket.address})


def staff_card(ctx: Context, ticket: Ticket) -> tuple[str, tuple[Attachment, ...]]:
    """The message posted to the staff chat for a new ticket, with its photos and files."""
    files_text, attachments = _files(ctx, ticket)
    text = _staff_t(ctx, "staff.new_ticket", code=ticket.code,
                    category=category_label(ticket.category, ctx.settings.default_language),
                    agency=agency_name(ctx, ticket.agency_id), citizen=_citizen_label(ctx, ticket),
                    phone=ticket.phone or "-", location=_location(ctx, ticket), files=files_text,
                    due=format_local(ticket.due_at, with_time=False), description=ticket.description)
    return text, attachments


def _staff_t(ctx: Context, key: str, **kwargs: object) -> str:
    """A text in the staff chat's language."""
    return translate(ctx.settings.default_language, key, **kwargs)


def history(ctx: Context, ticket: Ticket, *, public_only: bool) -> str:
    """The ticket's events, one line each."""
    lines = []
    for ev in ticket_events(ctx.session, ticket, public_only=public_only):
        if ev.kind == "status":
            what = ctx.t("event.status", status=status_label(ctx, ev.status_to or ""))
            if ev.text:
                what += f" ({ev.text})"
        elif ev.kind in ("reply", "assign", "note"):
            what = ctx.t(f"event.{ev.kind}", text=ev.text or "")
        elif ev.kind in ("created", "closed", "reopened"):
            what = ctx.t(f"event.{ev.kind}")
            if ev.kind == "closed" and ev.text:
                what += f": {ev.text}"
        else:
            what = ev.text or ev.kind
        if not public_only and ev.actor:
            what += f" — {ev.actor}"
        lines.append(ctx.t("event.line", at=format_local(ev.at), what=what))
    return "\n".join(lines)


def citizen_view(ctx: Context, ticket: Ticket) -> str:
    """What the citizen sees of their own ticket: no internal notes, no staff identities."""
    return ctx.t("mine.detail", code=ticket.code, category=category_label(ticket.category, ctx.lang),
                 status=status_label(ctx, ticket.status), created=format_local(ticket.created_at),
                 due=format_local(ticket.due_at, with_time=False), description=ticket.description,
                 history=history(ctx, ticket, public_only=True))


def staff_view(ctx: Context, ticket: Ticket) -> str:
    """Everything about a ticket, for staff."""
    assignee = ctx.session.get(StaffMember, ticket.assignee_id) if ticket.assignee_id else None
    files_text, _ = _files(ctx, ticket)
    return ctx.t("staff.ticket_detail", code=ticket.code, category=category_label(ticket.category, ctx.lang),
                 status=status_label(ctx, ticket.status), agency=agency_name(ctx, ticket.agency_id),
                 assignee=(assignee.name or assignee.username or assignee.user_id) if assignee else "-",
                 citizen=_citizen_label(ctx, ticket), phone=ticket.phone or "-",
                 location=_location(ctx, ticket), files=files_text, created=format_local(ticket.created_at),
                 due=format_local(ticket.due_at, with_time=False), description=ticket.description,
                 history=history(ctx, ticket, public_only=False))
