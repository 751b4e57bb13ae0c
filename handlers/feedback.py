"""Filing feedback (phản ánh, kiến nghị): a guided conversation, declared as one table of steps.

    fb.category -> fb.agency -> fb.description -> fb.files -> fb.location -> fb.contact -> fb.confirm

Each step has a prompt and an input handler. Editing a field from the summary runs that step alone and
comes back to the summary. Button data: `fb:cat:<id>`, `fb:ag:<id>`, `fb:done`, `fb:skip`, `fb:anon`,
`fb:send`, `fb:edit:<step>`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from handlers.categories import QUESTION_CATEGORY, categories, category, category_label
from handlers.context import Context
from handlers.deadlines import due_at
from handlers.keyboards import cancel_row, consent_buttons, main_menu
from messaging.types import Attachment, AttachmentKind, Button, Outgoing
from storage.clock import format_local, utcnow
from storage.tickets import NewTicket, create_ticket

Handler = Callable[[Context], list[Outgoing]]
PHONE_RE = re.compile(r"^(?:\+?84|0)\d{9,10}$")
MAX_ADDRESS = 500


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the flow: what to ask, and what to do with the answer."""

    prompt: Handler
    answer: Handler


def begin(ctx: Context) -> list[Outgoing]:
    """Start filing feedback (asking for consent first when it was not given)."""
    if ctx.citizen.consent_at is None:
        ctx.reset()
        return [ctx.reply(ctx.t("fb.need_consent"), consent_buttons(ctx.t, then="fb"))]
    ctx.reset()
    ctx.go("fb.category", files=[])
    return ask_category(ctx)


def handle(ctx: Context) -> list[Outgoing]:
    """Route an update to the current step of the flow."""
    step = FLOW.get(ctx.state or "")
    if step is None:
        return begin(ctx)
    return step.answer(ctx)


def _next(ctx: Context, current: str) -> list[Outgoing]:
    """Go to the step after `current`, or back to the summary when editing."""
    if ctx.data.get("editing"):
        ctx.data.pop("editing")
        return _goto(ctx, "fb.confirm")
    return _goto(ctx, ORDER[ORDER.index(current) + 1])


def _goto(ctx: Context, state: str) -> list[Outgoing]:
    ctx.go(state)
    return FLOW[state].prompt(ctx)


def _stale(ctx: Context) -> list[Outgoing]:
    """A pressed button that does not belong to this step: say so and ask again."""
    return [ctx.reply(ctx.t("error.stale_button")), *FLOW[ctx.state or "fb.category"].prompt(ctx)]


def _use_buttons(ctx: Context) -> list[Outgoing]:
    return [ctx.reply(ctx.t("error.use_buttons")), *FLOW[ctx.state or "fb.category"].prompt(ctx)]


# --- step 1: category -------------------------------------------------------------------------

def ask_category(ctx: Context) -> list[Outgoing]:
    rows = tuple((Button(c.label(ctx.lang), f"fb:cat:{c.id}"),) for c in categories())
    return [ctx.reply(ctx.t("fb.ask_category"), (*rows, cancel_row(ctx.t)))]


def take_category(ctx: Context) -> list[Outgoing]:
    data = ctx.incoming.callback or ""
    if not data.startswith("fb:cat:"):
        return _stale(ctx) if data else _use_buttons(ctx)
    chosen = category(data.removeprefix("fb:cat:"))
    if chosen is None:
        return _stale(ctx)
    ctx.data["category"] = chosen.id
    return _next(ctx, "fb.category")


# --- step 2: agency ---------------------------------------------------------------------------

def ask_agency(ctx: Context) -> list[Outgoing]:
    english = ctx.lang == "en"
    rows = tuple((Button((a.name_en if english and a.name_en else a.name)[:60], f"fb:ag:{a.id}"),)
                 for a in ctx.kb.agencies)
    unknown = (Button(ctx.t("btn.agency_unknown"), "fb:ag:-"),)
    return [ctx.reply(ctx.t("fb.ask_agency"), (*rows, unknown, cancel_row(ctx.t)))]


def take_agency(ctx: Context) -> list[Outgoing]:
    data = ctx.incoming.callback or ""
    if not data.startswith("fb:ag:"):
        return _stale(ctx) if data else _use_buttons(ctx)
    agency_id = data.removeprefix("fb:ag:")
    if agency_id != "-" and ctx.kb.agency(agency_id) is None:
        return _stale(ctx)
    ctx.data["agency"] = None if agency_id == "-" else agency_id
    return _next(ctx, "fb.agency")


# --- step 3: description ----------------------------------------------------------------------

def ask_description(ctx: Context) -> list[Outgoing]:
    return [ctx.reply(ctx.t("fb.ask_description", limit=ctx.settings.max_text_length), (cancel_row(ctx.t),))]


def take_description(ctx: Context) -> list[Outgoing]:
    msg = ctx.incoming
    if msg.callback:
        return _stale(ctx)
    text = (msg.text or "").strip()
    if not text:
        if msg.attachments:  # a photo without a caption: keep it, still ask for words
            _add_files(ctx, msg.attachments)
            return [ctx.reply(ctx.t("fb.file_received", count=len(ctx.data["files"]))), *ask_description(ctx)]
        return [ctx.reply(ctx.t("error.empty")), *ask_description(ctx)]
    ctx.data["description"] = text
    if msg.attachments:
        _add_files(ctx, msg.attachments)
    if msg.location:
        _set_location(ctx, msg.location.latitude, msg.location.longitude, msg.location.address)
    return _next(ctx, "fb.description")


# --- step 4: photos and files -----------------------------------------------------------------

def ask_files(ctx: Context) -> list[Outgoing]:
    return [ctx.reply(ctx.t("fb.ask_files", max=ctx.settings.max_attachments), _files_buttons(ctx))]


def _files_buttons(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    return ((Button(ctx.t("btn.done"), "fb:done"), Button(ctx.t("btn.skip"), "fb:skip")), cancel_row(ctx.t))


def _add_files(ctx: Context, attachments: tuple[Attachment, ...]) -> int:
    files = list(ctx.data.get("files") or [])
    room = ctx.settings.max_attachments - len(files)
    for a in attachments[:max(room, 0)]:
        files.append({"kind": a.kind.value, "file_id": a.file_id, "file_name": a.file_name,
                      "mime_type": a.mime_type, "size": a.size})
    ctx.data["files"] = files
    return len(attachments) - max(room, 0)


def take_files(ctx: Context) -> list[Outgoing]:
    msg = ctx.incoming
    if msg.callback in ("fb:done", "fb:skip"):
        if msg.callback == "fb:skip" and not ctx.data.get("editing"):
            ctx.data["files"] = []
        return _next(ctx, "fb.files")
    if msg.callback:
        return _stale(ctx)
    if msg.attachments:
        refused = _add_files(ctx, msg.attachments)
        key = "fb.too_many_files" if refused > 0 else "fb.file_received"
        return [ctx.reply(ctx.t(key, count=len(ctx.data["files"]), max=ctx.settings.max_attachments),
                          _files_buttons(ctx))]
    return _use_buttons(ctx)


# --- step 5: location -------------------------------------------------------------------------

def ask_location(ctx: Context) -> list[Outgoing]:
    return [ctx.reply(ctx.t("fb.ask_location"), ((Button(ctx.t("btn.skip"), "fb:skip"),), cancel_row(ctx.t)),
                      request_location=True)]


def _set_location(ctx: Context, lat: float | None, lon: float | None, address: str | None) -> None:
    ctx.data["location"] = {"latitude": lat, "longitude": lon, "address": address}


def take_location(ctx: Context) -> list[Outgoing]:
    msg = ctx.incoming
    if msg.callback == "fb:skip":
        ctx.data["location"] = None
        return _next(ctx, "fb.location")
    if msg.callback:
        return _stale(ctx)
    if msg.location is not None:
        _set_location(ctx, msg.location.latitude, msg.location.longitude, msg.location.address)
        return _next(ctx, "fb.location")
    text = (msg.text or "").strip()
    if text:
        _set_location(ctx, None, None, text[:MAX_ADDRESS])
        return _next(ctx, "fb.location")
    return _use_buttons(ctx)


# --- step 6: contact --------------------------------------------------------------------------

def ask_contact(ctx: Context) -> list[Outgoing]:
    buttons = ((Button(ctx.t("btn.skip"), "fb:skip"), Button(ctx.t("btn.anonymous"), "fb:anon")),
               cancel_row(ctx.t))
    return [ctx.reply(ctx.t("fb.ask_contact"), buttons, request_contact=True)]


def normalize_phone(raw: str) -> str | None:
    """A Vietnamese phone number without spaces and dots, or None when it does not look like one."""
    digits = re.sub(r"[\s.\-()]", "", raw)
    return digits if PHONE_RE.match(digits) else None


def take_contact(ctx: Context) -> list[Outgoing]:
    msg = ctx.incoming
    if msg.callback in ("fb:skip", "fb:anon"):
        ctx.data["phone"] = None
        ctx.data["anonymous"] = msg.callback == "fb:anon"
        return _next(ctx, "fb.contact")
    if msg.callback:
        return _stale(ctx)
    raw = msg.contact_phone or (msg.text or "")
    phone = normalize_phone(raw) if raw else None
    if phone is None:
        return [ctx.reply(ctx.t("fb.bad_phone")), *ask_contact(ctx)]
    ctx.data["phone"] = phone
    ctx.data["anonymous"] = False
    return _next(ctx, "fb.contact")


# --- summary and confirmation -----------------------------------------------------------------

EDITABLE = {"category": "fb.category", "agency": "fb.agency", "description": "fb.description",
            "files": "fb.files", "location": "fb.location", "contact": "fb.contact"}


def location_text(ctx: Context, loc: dict | None) -> str:
    """A location for people to read."""
    if not loc:
        return ctx.t("fb.none")
    if loc.get("latitude") is not None and loc.get("longitude") is not None:
        point = ctx.t("fb.point", lat=loc["latitude"], lon=loc["longitude"])
        return f"{loc['address']} — {point}" if loc.get("address") else point
    return loc.get("address") or ctx.t("fb.none")


def agency_name(ctx: Context, agency_id: str | None) -> str:
    """An agency's name in the reader's language, or "none"."""
    agency = ctx.kb.agency(agency_id) if agency_id else None
    if agency is None:
        return ctx.t("btn.agency_unknown")
    return agency.name_en if ctx.lang == "en" and agency.name_en else agency.name


def ask_confirm(ctx: Context) -> list[Outgoing]:
    d = ctx.data
    files = d.get("files") or []
    contact = ctx.t("fb.anonymous") if d.get("anonymous") else d.get("phone") or ctx.t("fb.no_phone")
    text = ctx.t(
        "fb.summary",
        category=category_label(d.get("category", ""), ctx.lang),
        agency=agency_name(ctx, d.get("agency")),
        description=d.get("description", ""),
        files=ctx.t("fb.files_count", count=len(files)) if files else ctx.t("fb.none"),
        location=location_text(ctx, d.get("location")),
        contact=contact,
    )
    t = ctx.t
    buttons = (
        (Button(t("btn.submit"), "fb:send"),),
        (Button(t("btn.edit_category"), "fb:edit:category"), Button(t("btn.edit_agency"), "fb:edit:agency")),
        (Button(t("btn.edit_description"), "fb:edit:description"), Button(t("btn.edit_files"), "fb:edit:files")),
        (Button(t("btn.edit_location"), "fb:edit:location"), Button(t("btn.edit_contact"), "fb:edit:contact")),
        cancel_row(t),
    )
    return [ctx.reply(text, buttons)]


def take_confirm(ctx: Context) -> list[Outgoing]:
    data = ctx.incoming.callback or ""
    if data == "fb:send":
        return submit(ctx)
    if data.startswith("fb:edit:") and data.removeprefix("fb:edit:") in EDITABLE:
        ctx.data["editing"] = True
        return _goto(ctx, EDITABLE[data.removeprefix("fb:edit:")])
    return _stale(ctx) if data else _use_buttons(ctx)


def submit(ctx: Context) -> list[Outgoing]:
    """Create the ticket from the collected data, tell staff, and give the citizen the code."""
    d = ctx.data
    if not d.get("category") or not d.get("description"):
        return _stale(ctx)
    loc = d.get("location") or {}
    code, due = open_ticket(ctx, NewTicketInput(
        category=d["category"], agency=d.get("agency"), description=d["description"],
        files=list(d.get("files") or []), latitude=loc.get("latitude"), longitude=loc.get("longitude"),
        address=loc.get("address"), phone=d.get("phone"), anonymous=bool(d.get("anonymous")),
    ))
    ctx.reset()
    return [ctx.reply(ctx.t("fb.created", code=code, due=due), main_menu(ctx.t))]


@dataclass(frozen=True, slots=True)
class NewTicketInput:
    """What the conversation collected."""

    category: str
    description: str
    agency: str | None = None
    files: list[dict] | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    phone: str | None = None
    anonymous: bool = False


def open_ticket(ctx: Context, given: NewTicketInput) -> tuple[str, str]:
    """Store a ticket and post it to the staff chat; returns its code and due date as text."""
    found = category(given.category)
    answer_days = found.answer_days if found else 10
    now = utcnow()
    phone = None if given.anonymous else given.phone
    if phone and ctx.citizen.consent_at is not None:
        ctx.citizen.phone = phone
        ctx.session.add(ctx.citizen)
    ticket = create_ticket(
        ctx.session,
        NewTicket(citizen_id=ctx.citizen.id or 0, category=given.category, description=given.description,
                  due_at=due_at(now, answer_days), agency_id=given.agency, latitude=given.latitude,
                  longitude=given.longitude, address=given.address, phone=phone,
                  anonymous=given.anonymous, language=ctx.lang),
        given.files or [], prefix=ctx.settings.ticket_code_prefix, actor=ctx.actor,
    )
    from handlers.ticket_views import staff_card  # late import: views use this module's helpers

    text, attachments = staff_card(ctx, ticket)
    ctx.notify_staff(Outgoing(text=text, attachments=attachments, kind="ticket_new", ticket_code=ticket.code,
                              meta={"category": category_label(ticket.category, ctx.settings.default_language)}))
    return ticket.code, format_local(ticket.due_at, with_time=False)


def open_question_ticket(ctx: Context, question: str) -> list[Outgoing]:
    """Pass a question the procedure guide could not answer to staff, as a ticket of "other"."""
    if ctx.citizen.consent_at is None:
        ctx.reset()
        ctx.data["pending_question"] = question
        return [ctx.reply(ctx.t("fb.need_consent"), consent_buttons(ctx.t, then="q"))]
    code, due = open_ticket(ctx, NewTicketInput(category=QUESTION_CATEGORY, description=question))
    ctx.reset()
    return [ctx.reply(ctx.t("fb.question_created", code=code, due=due), main_menu(ctx.t))]


FLOW: dict[str, Step] = {
    "fb.category": Step(ask_category, take_category),
    "fb.agency": Step(ask_agency, take_agency),
    "fb.description": Step(ask_description, take_description),
    "fb.files": Step(ask_files, take_files),
    "fb.location": Step(ask_location, take_location),
    "fb.contact": Step(ask_contact, take_contact),
    "fb.confirm": Step(ask_confirm, take_confirm),
}
ORDER = list(FLOW)


def to_attachments(files: list[dict]) -> tuple[Attachment, ...]:
    """Stored attachment dicts back to neutral attachments."""
    return tuple(Attachment(AttachmentKind(f["kind"]), f["file_id"], f.get("file_name"), f.get("mime_type"),
                            f.get("size")) for f in files)
