"""Filing feedback (phản ánh, kiến nghị): a guided conversation, declared as one table of steps.

    fb.category -> fb.agency -> fb.description -> fb.files -> fb.location -> fb.contact -> fb.confirm

and three questions beside them (`ASKS`): continue a draft (`fb.resume`), discard it (`fb.leave`), and "is
this an address or more of the description?" (`fb.place`).

What the citizen gives is a draft (`ctx.data["draft"]`, see `handlers.context.DRAFT`): it survives menus,
commands and restarts, and leaving it with content asks first. Nothing is filed without the summary's
"Gửi". Input that does not belong to a step is kept, not dropped: photos, files, locations and phone numbers
go where they belong, typed text is added to the description (or asked about). Each step's buttons keep
their places: the step's own choices first (the one that moves on is always first), then
"⬅️ Quay lại" and "❌ Hủy" last.

Button data: `fb:cat:<id>`, `fb:ag:<id>` (`-` unknown, `*` all agencies), `fb:next` (skip / continue),
`fb:anon`, `fb:rmfiles`, `fb:back`, `fb:send`, `fb:edit:<field>`, `fb:resume`, `fb:new`, `fb:other`,
`fb:keep`, `fb:drop`, `fb:addr`, `fb:desc`, `fb:addtext`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from handlers.categories import QUESTION_CATEGORY, categories, category, category_label
from handlers.context import DRAFT, Context
from handlers.deadlines import due_at
from handlers.i18n import translate
from handlers.keyboards import cancel_row, consent_buttons, main_menu
from knowledge.normalize import fold, normalize
from messaging.types import Attachment, AttachmentKind, Button, Incoming, Location, Outgoing
from storage.clock import format_local, utcnow
from storage.tickets import NewTicket, create_ticket
from storage.unmatched import mask_contact

Handler = Callable[[Context], list[Outgoing]]
Rows = tuple[tuple[Button, ...], ...]
PHONE_RE = re.compile(r"^(?:\+?84|0)\d{9,10}$")
MAX_ADDRESS = 500
MIN_TYPED_LABEL = 4  # letters typed before text can stand for a button label
SHORT_TEXT = 80  # characters of a description quoted back in a question
TYPED_COMPLAINT = "typed_complaint"  # conversation data: a complaint typed at the menu, to start the form with
HELD_MEDIA = "held_media"  # conversation data: photos, files or a location sent outside the form, kept for it
QUESTION_WORDS = ("khong", "sao", "the nao", "bao gio", "bao lau", "o dau", "lam gi", "co phai", "tai sao",
                  "duoc khong", "nhu nao", "cach nao", "ai")  # folded words that make a typed "address" a question
CONTINUE = ("fb:next", "fb:done", "fb:skip")  # fb:done / fb:skip: buttons of messages sent before fb:next


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the flow: what to ask, and what to do with the answer."""

    prompt: Handler
    answer: Handler


# --- the draft ---------------------------------------------------------------------------------

def draft(ctx: Context) -> dict[str, Any]:
    """The feedback being written (created empty when there is none)."""
    return ctx.data.setdefault(DRAFT, {})


def has_content(d: dict[str, Any] | None) -> bool:
    """Whether a draft holds something the citizen would not want to lose."""
    return bool(d and (d.get("description") or d.get("files") or d.get("location") or d.get("phone")
                       or d.get("held")))


def meaningful(ctx: Context, text: str) -> bool:
    """Whether typed text can be (part of) a description: enough letters, not a stray "2"."""
    return sum(ch.isalpha() for ch in text) >= ctx.settings.min_description_letters


def _new_draft(ctx: Context, **fields: Any) -> dict[str, Any]:
    ctx.data[DRAFT] = {"files": [], **{k: v for k, v in fields.items() if v is not None}}
    return ctx.data[DRAFT]


def _touch(ctx: Context) -> None:
    """Remember when the citizen last worked on the draft and at which step."""
    d = draft(ctx)
    d["at"] = utcnow().isoformat()
    if ctx.state in FLOW:
        d["step"] = ctx.state


def _add_description(ctx: Context, text: str) -> None:
    d = draft(ctx)
    d["description"] = f"{d['description']}\n{text}" if d.get("description") else text


def _label(text: str, limit: int = 64) -> str:
    """A button label cut at a word, with an ellipsis."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip(" -,") + "…"


def quoted(text: str) -> str:
    """A citizen's text as quoted back to them: its first `SHORT_TEXT` characters."""
    return text if len(text) <= SHORT_TEXT else text[: SHORT_TEXT - 1].rstrip() + "…"


# --- entering, leaving, coming back ------------------------------------------------------------

def held_media(msg: Incoming) -> dict[str, Any]:
    """The photos, files and location of a message, as conversation data."""
    return {"files": _file_dicts(msg.attachments), "location": _location_dict(msg.location)}


def begin(ctx: Context) -> list[Outgoing]:
    """Start filing feedback: ask for consent first when it was not given, offer a waiting draft.

    A complaint typed just before becomes the description; media sent just before are kept in the draft.
    """
    typed = ctx.data.pop(TYPED_COMPLAINT, None)
    media = ctx.data.pop(HELD_MEDIA, None)
    waiting = ctx.data.get(DRAFT)
    if media:
        if not waiting:
            waiting = _new_draft(ctx, fresh=True)
        waiting["files"] = (list(waiting.get("files") or []) + media["files"])[:ctx.settings.max_attachments]
        waiting["location"] = media["location"] or waiting.get("location")
    if typed and has_content(waiting) and not waiting.get("fresh"):
        waiting.update(held={"text": typed}, held_kind="typed")
    elif typed:
        if not (waiting and waiting.get("fresh")):
            _new_draft(ctx, fresh=True)
        _add_description(ctx, typed)
    if ctx.citizen.consent_at is None:
        ctx.reset()
        return [ctx.reply(ctx.t("fb.need_consent"), consent_buttons(ctx.t, then="fb"))]
    d = ctx.data.get(DRAFT)
    if d and d.pop("fresh", None):
        return _goto(ctx, d.get("step") or "fb.category")
    if has_content(d) or (d and d.get("category")):
        ctx.state = "fb.resume"
        _touch(ctx)
        return ask_resume(ctx)
    _new_draft(ctx)
    return _goto(ctx, "fb.category")


def open_question_ticket(ctx: Context, question: str) -> list[Outgoing]:
    """A question the procedure guide could not answer, as a draft for staff: straight to its summary.

    (Nothing is filed before the citizen presses "Gửi" there.)
    """
    if ctx.citizen.consent_at is None:
        ctx.reset()
        ctx.data["pending_question"] = question
        return [ctx.reply(ctx.t("fb.need_consent"), consent_buttons(ctx.t, then="q"))]
    if has_content(ctx.data.get(DRAFT)):
        draft(ctx).update(held={"text": question, "question": True}, held_kind="typed")
        ctx.state = "fb.resume"
        _touch(ctx)
        return ask_resume(ctx)
    _new_draft(ctx, category=QUESTION_CATEGORY, description=question, agency=None)
    ctx.data.pop("pending_question", None)
    return [ctx.reply(ctx.t("fb.question_summary_lead")), *_goto(ctx, "fb.confirm")]


def handle(ctx: Context) -> list[Outgoing]:
    """Route an update to the current step (or question) of the flow."""
    step = STATES.get(ctx.state or "")
    if step is None:
        return begin(ctx)
    _adopt_flat_data(ctx)
    if ctx.state in FLOW and returns_after_idle(ctx):
        return _hold_and_ask(ctx)
    data = ctx.incoming.callback or ""
    if data == "fb:back" and ctx.state in FLOW:
        return _back(ctx)
    out = step.answer(ctx)
    if ctx.data.get(DRAFT) is not None and (ctx.state in STATES):
        _touch(ctx)
    return out


LEGACY_FIELDS = ("category", "agency", "description", "files", "location", "phone", "anonymous", "editing")


def _adopt_flat_data(ctx: Context) -> None:
    """A form begun before drafts existed kept its fields at the top of the conversation data: move them."""
    if DRAFT not in ctx.data and any(k in ctx.data for k in LEGACY_FIELDS):
        ctx.data[DRAFT] = {k: ctx.data.pop(k) for k in LEGACY_FIELDS if k in ctx.data}


def returns_after_idle(ctx: Context) -> bool:
    """A typed message (not a button) to a draft left alone longer than `draft_idle_minutes`."""
    at = (ctx.data.get(DRAFT) or {}).get("at")
    if ctx.incoming.callback or not at:
        return False
    return utcnow() - datetime.fromisoformat(at) > timedelta(minutes=ctx.settings.draft_idle_minutes)


def _hold_and_ask(ctx: Context) -> list[Outgoing]:
    """Keep what the returning citizen sent, and ask whether it continues the draft."""
    msg = ctx.incoming
    draft(ctx).update(held={"text": msg.text, "files": _file_dicts(msg.attachments),
                            "location": _location_dict(msg.location), "phone": msg.contact_phone},
                      held_kind="idle")
    ctx.state = "fb.resume"
    _touch(ctx)
    return ask_resume(ctx)


def release_held(ctx: Context) -> Incoming | None:
    """The input a returning citizen said was "something else", as a message to route anew (the draft stays)."""
    d = ctx.data.get(DRAFT) or {}
    held = d.pop("held", None)
    d.pop("held_kind", None)
    ctx.reset()
    return replayed(ctx.incoming, held) if held else None


def replayed(msg: Incoming, held: dict[str, Any]) -> Incoming:
    """`msg` carrying the text, files, location and phone kept earlier in `held` instead of its own."""
    loc = held.get("location")
    return replace(msg, callback=None, text=held.get("text"), attachments=to_attachments(held.get("files") or []),
                   location=Location(loc["latitude"], loc["longitude"], loc.get("address")) if loc else None,
                   contact_phone=held.get("phone"))


def ask_resume(ctx: Context) -> list[Outgoing]:
    d = draft(ctx)
    kind = d.get("held_kind")
    at = datetime.fromisoformat(d["at"]) if d.get("at") else utcnow()
    text = ctx.t(f"fb.resume_{kind or 'plain'}", at=format_local(at),
                 category=category_label(d.get("category", ""), ctx.lang) if d.get("category") else ctx.t("fb.none"),
                 description=quoted(d.get("description") or ctx.t("fb.none")))
    second = {"idle": ("btn.fb_other", "fb:other"), "typed": ("btn.fb_new_with_text", "fb:new")}.get(
        kind or "", ("btn.fb_new", "fb:new"))
    return [ctx.reply(text, ((Button(ctx.t("btn.fb_resume"), "fb:resume"),),
                             (Button(ctx.t(second[0]), second[1]),)))]


def take_resume(ctx: Context) -> list[Outgoing]:
    data = ctx.incoming.callback or ""
    d = draft(ctx)
    if data == "fb:resume":
        held = d.pop("held", None)
        d.pop("held_kind", None)
        ctx.state = d.get("step") or "fb.category"
        if not held:
            return FLOW[ctx.state].prompt(ctx)
        ctx.incoming = replayed(ctx.incoming, held)
        return FLOW[ctx.state].answer(ctx)
    if data == "fb:new":
        held = d.get("held") or {}
        ctx.drop_draft()
        if held.get("question"):
            return open_question_ticket(ctx, held["text"])
        text = held.get("text") if held.get("text") and meaningful(ctx, held["text"]) else None
        _new_draft(ctx, description=text)
        return _goto(ctx, "fb.category")
    if data:
        return _stale(ctx)
    return _use_buttons(ctx)


def leave(ctx: Context) -> list[Outgoing]:
    """"Hủy" or /cancel in the flow: a draft with content asks first; an empty one (or a second "Hủy") leaves."""
    d = ctx.data.get(DRAFT)
    if not has_content(d) or ctx.state == "fb.leave":
        ctx.drop_draft()
        ctx.reset()
        return [ctx.reply(ctx.t("cancel.done"), main_menu(ctx.t))]
    if ctx.state in FLOW:
        draft(ctx)["step"] = ctx.state
    ctx.state = "fb.leave"
    return ask_leave(ctx)


def ask_leave(ctx: Context) -> list[Outgoing]:
    return [ctx.reply(ctx.t("fb.ask_leave", description=quoted(draft(ctx).get("description") or ctx.t("fb.none"))),
                      ((Button(ctx.t("btn.fb_keep"), "fb:keep"),), (Button(ctx.t("btn.fb_drop"), "fb:drop"),)))]


def take_leave(ctx: Context) -> list[Outgoing]:
    data = ctx.incoming.callback or ""
    if data == "fb:drop":
        ctx.drop_draft()
        ctx.reset()
        return [ctx.reply(ctx.t("fb.dropped"), main_menu(ctx.t))]
    if data == "fb:keep":
        return _goto(ctx, draft(ctx).get("step") or "fb.category")
    return _stale(ctx) if data else _use_buttons(ctx)


def left_note(ctx: Context) -> str | None:
    """What to tell a citizen who left the form with content by a menu or command (the draft is kept)."""
    return ctx.t("fb.draft_kept") if has_content(ctx.data.get(DRAFT)) else None


# --- moving between steps ----------------------------------------------------------------------

def _next(ctx: Context, current: str) -> list[Outgoing]:
    """Go to the step after `current`, or back to the summary when editing."""
    if draft(ctx).pop("editing", None):
        return _goto(ctx, "fb.confirm")
    return _goto(ctx, ORDER[ORDER.index(current) + 1])


def _back(ctx: Context) -> list[Outgoing]:
    if draft(ctx).pop("editing", None) or ctx.state == "fb.confirm":
        return _goto(ctx, "fb.contact" if ctx.state == "fb.confirm" else "fb.confirm")
    return _goto(ctx, ORDER[max(ORDER.index(ctx.state or "fb.category") - 1, 0)])


def _goto(ctx: Context, state: str) -> list[Outgoing]:
    ctx.go(state)
    _touch(ctx)
    return FLOW[state].prompt(ctx)


def _again(ctx: Context, *notes: str) -> list[Outgoing]:
    """The current step asked again, after short notes of what was kept."""
    out = FLOW[ctx.state or "fb.category"].prompt(ctx)
    if notes:
        first, *rest = out
        out = [replace(first, text="\n".join((*notes, "", first.text))), *rest]
    return out


def _stale(ctx: Context) -> list[Outgoing]:
    """A pressed button that does not belong to this step: say so and ask again."""
    return [ctx.reply(ctx.t("error.stale_button")), *STATES[ctx.state or "fb.category"].prompt(ctx)]


def _use_buttons(ctx: Context) -> list[Outgoing]:
    return [ctx.reply(ctx.t("error.use_buttons")), *STATES[ctx.state or "fb.category"].prompt(ctx)]


def _nav(ctx: Context, *, back: bool = True) -> tuple[Button, ...]:
    """The last row of every step: back (except on the first step) and cancel."""
    t = ctx.t
    return (*((Button(t("btn.back"), "fb:back"),) if back else ()), *cancel_row(t))


# --- keeping what does not belong to the step --------------------------------------------------

def _file_dicts(attachments: tuple[Attachment, ...]) -> list[dict[str, Any]]:
    return [{"kind": a.kind.value, "file_id": a.file_id, "file_name": a.file_name, "mime_type": a.mime_type,
             "size": a.size} for a in attachments]


def _location_dict(loc: Location | None) -> dict[str, Any] | None:
    return None if loc is None else {"latitude": loc.latitude, "longitude": loc.longitude, "address": loc.address}


def _add_files(ctx: Context, attachments: tuple[Attachment, ...]) -> int:
    """Keep photos and files up to the limit; how many were refused."""
    d = draft(ctx)
    files = list(d.get("files") or [])
    room = max(ctx.settings.max_attachments - len(files), 0)
    files += _file_dicts(attachments[:room])
    d["files"] = files
    return len(attachments) - min(room, len(attachments))


def _keep_media(ctx: Context) -> list[str]:
    """Photos, files, a location or a phone number sent at any step go into the draft; notes saying so."""
    msg, d, notes = ctx.incoming, draft(ctx), []
    if msg.attachments:
        refused = _add_files(ctx, msg.attachments)
        key = "fb.too_many_files" if refused else "fb.file_received" if ctx.state == "fb.files" else "fb.file_kept"
        notes.append(ctx.t(key, count=len(d["files"]), max=ctx.settings.max_attachments))
    if msg.location is not None:
        d["location"] = _location_dict(msg.location)
        notes.append(ctx.t("fb.location_received"))
    if msg.contact_phone and (phone := normalize_phone(msg.contact_phone)):
        d["phone"], d["anonymous"] = phone, False
        notes.append(ctx.t("fb.phone_received", phone=phone))
    return notes


def _keep_text(ctx: Context) -> list[str]:
    """Typed text where a button is expected: kept as more of the description when it says something."""
    text = (ctx.incoming.text or "").strip()
    if not text or not meaningful(ctx, text):
        return []
    _add_description(ctx, text)
    return [ctx.t("fb.text_kept")]


def typed_button(ctx: Context) -> str | None:
    """The data of the one button of this step whose label the citizen typed instead of pressing it
    ("ha tang" for "Hạ tầng, vệ sinh môi trường"), if exactly one matches."""
    typed = fold(ctx.incoming.text or "").split()
    if ctx.state not in STATES or sum(len(w) for w in typed) < MIN_TYPED_LABEL:
        return None
    found = {b.data for out in STATES[ctx.state].prompt(ctx) for row in out.buttons for b in row
             if set(typed) <= set(fold(b.label).split())}
    return found.pop() if len(found) == 1 else None


# Control words typed instead of pressing a step's button (folded) -> the labels they may stand for, in order
# of preference (a label matches when it begins with one of them, emoji and punctuation aside).
_CONTROL_WORDS: dict[str, tuple[str, ...]] = {
    "bo qua": ("bo qua",), "skip": ("bo qua", "skip"), "khong": ("bo qua", "skip"), "ko": ("bo qua", "skip"),
    "khong co": ("bo qua", "skip"), "ko co": ("bo qua", "skip"),
    "xong": ("xong", "tiep tuc", "bo qua", "done", "continue", "skip"), "tiep": ("tiep tuc", "xong tiep tuc"),
    "tiep tuc": ("tiep tuc", "xong tiep tuc"), "done": ("done", "continue", "skip"), "next": ("continue", "skip"),
    "an danh": ("gui an danh", "an danh"), "gui an danh": ("gui an danh",), "anonymous": ("send anonymously",),
    "huy": ("huy",), "huy bo": ("huy",), "cancel": ("cancel",), "quay lai": ("quay lai",), "back": ("back",),
}


def _plain_label(text: str) -> str:
    """A label or typed text as compared: folded, without emoji, punctuation or digits."""
    return " ".join(re.sub(r"[^a-z\s]", " ", fold(text)).split())


def typed_control(ctx: Context) -> str | None:
    """The button of this step a short typed text stands for: its whole label ("Ẩn danh", "Bỏ qua"), or a
    control word ("huy", "xong", "bo qua", "khong"); None for any other text (a description, an address)."""
    msg = ctx.incoming
    if ctx.state not in FLOW or msg.callback or msg.attachments or msg.location or not msg.text:
        return None
    typed = _plain_label(msg.text)
    if not typed or len(typed.split()) > 4:
        return None
    buttons = [(b.data, _plain_label(b.label)) for out in FLOW[ctx.state].prompt(ctx) for row in out.buttons
               for b in row]
    exact = [data for data, label in buttons if label == typed]
    if exact:
        return exact[0]
    for prefix in _CONTROL_WORDS.get(typed, ()):
        found = [data for data, label in buttons if label == prefix or label.startswith(f"{prefix} ")]
        if found:
            return found[0]
    return None


def _off_step(ctx: Context) -> list[Outgoing]:
    """Anything but this step's buttons: a typed label is that button; other text is kept where it belongs,
    then the step asked again."""
    if ctx.incoming.callback:
        return _stale(ctx)
    pressed = typed_button(ctx)
    if pressed is not None:
        ctx.incoming = replace(ctx.incoming, text=None, callback=pressed)
        return STATES[ctx.state or "fb.category"].answer(ctx)
    notes = _keep_media(ctx) + _keep_text(ctx)
    return _again(ctx, *notes) if notes else _use_buttons(ctx)


# --- step 1: category -------------------------------------------------------------------------

def ask_category(ctx: Context) -> list[Outgoing]:
    rows = tuple((Button(c.label(ctx.lang), f"fb:cat:{c.id}"),) for c in categories())
    d = draft(ctx)
    lead = ctx.t("fb.description_so_far", description=quoted(d["description"])) + "\n" \
        if d.get("description") and not d.get("editing") else ""
    return [ctx.reply(lead + ctx.t("fb.ask_category"), (*rows, _nav(ctx, back=False)))]


def take_category(ctx: Context) -> list[Outgoing]:
    data = ctx.incoming.callback or ""
    if not data.startswith("fb:cat:"):
        return _off_step(ctx)
    chosen = category(data.removeprefix("fb:cat:"))
    if chosen is None:
        return _stale(ctx)
    d = draft(ctx)
    if d.get("category") != chosen.id:
        d.pop("all_agencies", None)
    d["category"] = chosen.id
    return _next(ctx, "fb.category")


# --- step 2: agency ---------------------------------------------------------------------------

def suggested_agencies(ctx: Context, category_id: str | None) -> list[Any]:
    """The agencies the category suggests that the knowledge base has, in the category's order."""
    found = category(category_id or "")
    wanted = found.agencies if found else ()
    return [a for a in (ctx.kb.agency(i) for i in wanted) if a is not None]


def ask_agency(ctx: Context) -> list[Outgoing]:
    d = draft(ctx)
    suggested = suggested_agencies(ctx, d.get("category"))
    shown = ctx.kb.agencies if d.get("all_agencies") or not suggested else suggested
    english = ctx.lang == "en"
    rows = [(Button(_label(a.name_en if english and a.name_en else a.name), f"fb:ag:{a.id}"),) for a in shown]
    if len(shown) < len(ctx.kb.agencies):
        rows.append((Button(ctx.t("btn.agency_other"), "fb:ag:*"),))
    rows.append((Button(ctx.t("btn.agency_unknown"), "fb:ag:-"),))
    return [ctx.reply(ctx.t("fb.ask_agency"), (*rows, _nav(ctx)))]


def take_agency(ctx: Context) -> list[Outgoing]:
    data = ctx.incoming.callback or ""
    if not data.startswith("fb:ag:"):
        return _off_step(ctx)
    agency_id = data.removeprefix("fb:ag:")
    if agency_id == "*":
        draft(ctx)["all_agencies"] = True
        return ask_agency(ctx)
    if agency_id != "-" and ctx.kb.agency(agency_id) is None:
        return _stale(ctx)
    draft(ctx)["agency"] = None if agency_id == "-" else agency_id
    return _next(ctx, "fb.agency")


# --- step 3: description ----------------------------------------------------------------------

def ask_description(ctx: Context) -> list[Outgoing]:
    d = draft(ctx)
    if d.get("description") and not d.get("editing"):
        return [ctx.reply(ctx.t("fb.ask_description_more", description=d["description"]),
                          ((Button(ctx.t("btn.fb_continue"), "fb:next"),), _nav(ctx)))]
    return [ctx.reply(ctx.t("fb.ask_description", limit=ctx.settings.max_text_length), (_nav(ctx),))]


def take_description(ctx: Context) -> list[Outgoing]:
    msg, d = ctx.incoming, draft(ctx)
    if msg.callback in CONTINUE and d.get("description"):
        return _next(ctx, "fb.description")
    if msg.callback:
        return _stale(ctx)
    text = (msg.text or "").strip()
    notes = _keep_media(ctx)
    if not text:
        key = "fb.need_words" if notes else "error.empty"
        return [ctx.reply("\n".join((*notes, ctx.t(key)))), *ask_description(ctx)]
    if d.pop("editing", None):
        if not meaningful(ctx, text):
            d["editing"] = True
            return [ctx.reply(ctx.t("fb.too_short")), *ask_description(ctx)]
        d["description"] = text
        return _goto(ctx, "fb.confirm")
    if not d.get("description") and not meaningful(ctx, text):
        return [ctx.reply(ctx.t("fb.too_short")), *ask_description(ctx)]
    _add_description(ctx, text)
    return _next(ctx, "fb.description")


# --- step 4: photos and files -----------------------------------------------------------------

def ask_files(ctx: Context) -> list[Outgoing]:
    return [ctx.reply(ctx.t("fb.ask_files", max=ctx.settings.max_attachments), _files_buttons(ctx))]


def _files_buttons(ctx: Context) -> Rows:
    count = len(draft(ctx).get("files") or [])
    if not count:
        return ((Button(ctx.t("btn.skip"), "fb:next"),), _nav(ctx))
    return ((Button(ctx.t("btn.files_done", count=count), "fb:next"),),
            (Button(ctx.t("btn.files_remove"), "fb:rmfiles"),), _nav(ctx))


def take_files(ctx: Context) -> list[Outgoing]:
    msg = ctx.incoming
    if msg.callback in CONTINUE:
        return _next(ctx, "fb.files")  # photos already sent are kept: "Bỏ qua" only skips sending more
    if msg.callback == "fb:rmfiles":
        draft(ctx)["files"] = []
        return [ctx.reply(ctx.t("fb.files_removed"), _files_buttons(ctx))]
    if msg.callback:
        return _stale(ctx)
    notes = _keep_media(ctx) + _keep_text(ctx)
    if not notes:
        return _use_buttons(ctx)
    return [ctx.reply("\n".join(notes), _files_buttons(ctx))]


# --- step 5: location -------------------------------------------------------------------------

def ask_location(ctx: Context) -> list[Outgoing]:
    given = draft(ctx).get("location")
    lead = ctx.t("fb.location_so_far", location=location_text(ctx, given)) + "\n" if given else ""
    label = "btn.fb_continue" if given else "btn.skip"
    return [ctx.reply(lead + ctx.t("fb.ask_location"), ((Button(ctx.t(label), "fb:next"),), _nav(ctx)),
                      request_location=True)]


def looks_like_question(text: str) -> bool:
    """Whether typed text reads as a question rather than an address."""
    if text.rstrip().endswith("?"):
        return True
    words = f" {normalize(text)} "
    return any(f" {w} " in words for w in QUESTION_WORDS)


def take_location(ctx: Context) -> list[Outgoing]:
    msg = ctx.incoming
    if msg.callback in CONTINUE:
        return _next(ctx, "fb.location")
    if msg.callback:
        return _stale(ctx)
    if msg.location is not None:
        draft(ctx)["location"] = _location_dict(msg.location)
        return _next(ctx, "fb.location")
    text = (msg.text or "").strip()
    notes = _keep_media(ctx)
    if text and looks_like_question(text):
        draft(ctx)["pending"] = text
        ctx.state = "fb.place"
        return ask_place(ctx)
    if text and sum(ch.isalnum() for ch in text) >= 3:
        draft(ctx)["location"] = {"latitude": None, "longitude": None, "address": text[:MAX_ADDRESS]}
        return _next(ctx, "fb.location")
    return _again(ctx, *notes) if notes else _use_buttons(ctx)


def ask_place(ctx: Context) -> list[Outgoing]:
    return [ctx.reply(ctx.t("fb.ask_place", text=quoted(draft(ctx).get("pending", ""))),
                      ((Button(ctx.t("btn.place_address"), "fb:addr"),),
                       (Button(ctx.t("btn.place_description"), "fb:desc"),), cancel_row(ctx.t)))]


def take_place(ctx: Context) -> list[Outgoing]:
    data, d = ctx.incoming.callback or "", draft(ctx)
    if data in ("fb:addr", "fb:desc") and d.get("pending"):
        text = d.pop("pending")
        ctx.state = "fb.location"
        if data == "fb:addr":
            d["location"] = {"latitude": None, "longitude": None, "address": text[:MAX_ADDRESS]}
            return _next(ctx, "fb.location")
        _add_description(ctx, text)
        return _again(ctx, ctx.t("fb.text_kept"))
    if data:
        return _stale(ctx)
    ctx.state = "fb.location"  # typed again: read as the answer to the location step
    d.pop("pending", None)
    return take_location(ctx)


# --- step 6: contact --------------------------------------------------------------------------

def ask_contact(ctx: Context) -> list[Outgoing]:
    d = draft(ctx)
    phone = d.get("phone")
    lead = ctx.t("fb.phone_so_far", phone=phone) + "\n" if phone else ""
    first = Button(ctx.t("btn.fb_use_phone", phone=phone) if phone else ctx.t("btn.skip"), "fb:next")
    rows: list[tuple[Button, ...]] = [(first, Button(ctx.t("btn.anonymous"), "fb:anon"))]
    if d.get("pending"):
        rows.append((Button(ctx.t("btn.add_to_description"), "fb:addtext"),))
    return [ctx.reply(lead + ctx.t("fb.ask_contact"), (*rows, _nav(ctx)), request_contact=True)]


_ANONYMOUS = re.compile(r" (?:an danh|giau ten|anonymous|anonymously) ")  # asked for in a sentence, folded
_PHONE_IN_TEXT = re.compile(r"(?<![\d+])(?:\+?84|0)[\d\s.\-()]{8,16}\d")  # "sdt cua toi 0912.345.678"


def normalize_phone(raw: str) -> str | None:
    """A Vietnamese phone number without spaces and dots, or None when it does not look like one; a number in a
    sentence counts ("sdt cua toi 0912.345.678", "dt 0903 456 789")."""
    digits = re.sub(r"[\s.\-()]", "", raw)
    if PHONE_RE.match(digits):
        return digits
    found = [re.sub(r"[\s.\-()]", "", m.group()) for m in _PHONE_IN_TEXT.finditer(raw)]
    phones = [f for f in found if PHONE_RE.match(f)]
    return phones[0] if len(phones) == 1 else None


def take_contact(ctx: Context) -> list[Outgoing]:
    msg, d = ctx.incoming, draft(ctx)
    if msg.callback in CONTINUE or msg.callback == "fb:anon":
        anonymous = msg.callback == "fb:anon"
        d["anonymous"] = anonymous
        if anonymous or msg.callback == "fb:skip":
            d["phone"] = None
        d.pop("pending", None)
        return _next(ctx, "fb.contact")
    if msg.callback == "fb:addtext" and d.get("pending"):
        _add_description(ctx, d.pop("pending"))
        return _again(ctx, ctx.t("fb.text_kept"))
    if msg.callback:
        return _stale(ctx)
    raw = msg.contact_phone or (msg.text or "")
    phone = normalize_phone(raw) if raw else None
    if phone is not None:
        d.update(phone=phone, anonymous=False)
        d.pop("pending", None)
        return _next(ctx, "fb.contact")
    notes = _keep_media(ctx)
    text = (msg.text or "").strip()
    if text and _ANONYMOUS.search(f" {fold(text)} "):  # "thoi cho e gui an danh, so bi tra thu": the button
        d.update(anonymous=True, phone=None)
        d.pop("pending", None)
        return _next(ctx, "fb.contact")
    if text and not any(ch.isdigit() for ch in text) and meaningful(ctx, text):
        d["pending"] = text  # not a number: asked whether it belongs to the description
    if text or msg.contact_phone:
        return [ctx.reply(ctx.t("fb.bad_phone")), *ask_contact(ctx)]
    return _again(ctx, *notes) if notes else _use_buttons(ctx)


# --- summary and confirmation -----------------------------------------------------------------

EDITABLE = {"category": "fb.category", "agency": "fb.agency", "description": "fb.description",
            "files": "fb.files", "location": "fb.location", "contact": "fb.contact"}


def location_text(ctx: Context, loc: dict | None, lang: str | None = None) -> str:
    """A location for people to read, in `lang` (the reader's language by default)."""
    lang = lang or ctx.lang
    if not loc:
        return translate(lang, "fb.none")
    if loc.get("latitude") is not None and loc.get("longitude") is not None:
        point = translate(lang, "fb.point", lat=loc["latitude"], lon=loc["longitude"])
        return f"{loc['address']} — {point}" if loc.get("address") else point
    return loc.get("address") or translate(lang, "fb.none")


def agency_name(ctx: Context, agency_id: str | None, lang: str | None = None) -> str:
    """An agency's name in `lang` (the reader's language by default), or "unknown"."""
    lang = lang or ctx.lang
    agency = ctx.kb.agency(agency_id) if agency_id else None
    if agency is None:
        return translate(lang, "btn.agency_unknown")
    return agency.name_en if lang == "en" and agency.name_en else agency.name


def ask_confirm(ctx: Context) -> list[Outgoing]:
    d = draft(ctx)
    files = d.get("files") or []
    contact = ctx.t("fb.anonymous") if d.get("anonymous") else d.get("phone") or ctx.t("fb.no_phone")
    publishable, published = may_publish(d), bool(d.get("publish"))
    text = ctx.t(
        "fb.summary",
        category=category_label(d.get("category", ""), ctx.lang),
        agency=agency_name(ctx, d.get("agency")),
        description=_as_filed(d.get("description", ""), bool(d.get("anonymous"))),
        files=ctx.t("fb.files_count", count=len(files)) if files else ctx.t("fb.none"),
        location=location_text(ctx, d.get("location")),
        contact=contact,
        publish="\n" + ctx.t("fb.publish_yes" if published else "fb.publish_no") if publishable else "",
    )
    t = ctx.t
    publish: tuple[tuple[Button, ...], ...] = ()
    if publishable:
        publish = ((Button(t("btn.publish_off" if published else "btn.publish_on"), "fb:pub"),),)
    buttons = (
        (Button(t("btn.submit"), "fb:send"),),
        *publish,
        (Button(t("btn.edit_category"), "fb:edit:category"), Button(t("btn.edit_agency"), "fb:edit:agency")),
        (Button(t("btn.edit_description"), "fb:edit:description"), Button(t("btn.edit_files"), "fb:edit:files")),
        (Button(t("btn.edit_location"), "fb:edit:location"), Button(t("btn.edit_contact"), "fb:edit:contact")),
        _nav(ctx),
    )
    return [ctx.reply(text, buttons)]


def may_publish(d: dict[str, Any]) -> bool:
    """Whether the citizen can be asked to publish the place: a point on the map, and not anonymous."""
    loc = d.get("location") or {}
    return not d.get("anonymous") and loc.get("latitude") is not None and loc.get("longitude") is not None


def take_confirm(ctx: Context) -> list[Outgoing]:
    data = ctx.incoming.callback or ""
    if data == "fb:send":
        return submit(ctx)
    if data == "fb:pub" and may_publish(draft(ctx)):
        draft(ctx)["publish"] = not draft(ctx).get("publish")
        return ask_confirm(ctx)
    if data.startswith("fb:edit:") and data.removeprefix("fb:edit:") in EDITABLE:
        draft(ctx)["editing"] = True
        return _goto(ctx, EDITABLE[data.removeprefix("fb:edit:")])
    return _off_step(ctx)


def submit(ctx: Context) -> list[Outgoing]:
    """Create the ticket from the confirmed draft, tell staff, and give the citizen the code."""
    d = draft(ctx)
    if not d.get("category") or not d.get("description"):
        return _stale(ctx)
    loc = d.get("location") or {}
    code, due = open_ticket(ctx, NewTicketInput(
        category=d["category"], agency=d.get("agency"), description=d["description"],
        files=list(d.get("files") or []), latitude=loc.get("latitude"), longitude=loc.get("longitude"),
        address=loc.get("address"), phone=d.get("phone"), anonymous=bool(d.get("anonymous")),
        publish_location=may_publish(d) and bool(d.get("publish")),
    ))
    ctx.drop_draft()
    ctx.reset()
    return [ctx.reply(ctx.t("fb.created", code=code, due=due), main_menu(ctx.t), ticket_code=code)]


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
    publish_location: bool = False  # only with a point on the map and not anonymous (see `may_publish`)


def _as_filed(description: str, anonymous: bool) -> str:
    """The description as the ticket keeps it: an anonymous one without the phone numbers, identity numbers
    and e-mail addresses typed in it (staff must not see who wrote it; the summary shows the same)."""
    return mask_contact(description) if anonymous else description


def open_ticket(ctx: Context, given: NewTicketInput) -> tuple[str, str]:
    """Store a ticket and post it to its staff chat; returns its code and due date as text."""
    found = category(given.category)
    answer_days = found.answer_days if found else 10
    now = utcnow()
    phone = None if given.anonymous else given.phone
    if phone and ctx.citizen.consent_at is not None:
        ctx.citizen.phone = phone
        ctx.session.add(ctx.citizen)
    ticket = create_ticket(
        ctx.session,
        NewTicket(citizen_id=ctx.citizen.id or 0, category=given.category,
                  description=_as_filed(given.description, given.anonymous),
                  due_at=due_at(now, answer_days), agency_id=given.agency, latitude=given.latitude,
                  longitude=given.longitude, address=given.address, phone=phone,
                  anonymous=given.anonymous, language=ctx.lang, publish_location=given.publish_location),
        given.files or [], prefix=ctx.settings.ticket_code_prefix, actor=ctx.actor,
    )
    from handlers.ticket_views import staff_card  # late import: views use this module's helpers

    text, attachments = staff_card(ctx, ticket)
    ctx.notify_ticket_staff(ticket, Outgoing(
        text=text, attachments=attachments, kind="ticket_new", ticket_code=ticket.code,
        meta={"category": category_label(ticket.category, ctx.settings.default_language)}))
    return ticket.code, format_local(ticket.due_at, with_time=False)


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
ASKS: dict[str, Step] = {
    "fb.resume": Step(ask_resume, take_resume),  # a draft is waiting: continue it?
    "fb.leave": Step(ask_leave, take_leave),  # "Hủy" with content: really discard?
    "fb.place": Step(ask_place, take_place),  # typed at the location step, reads as a question
}
STATES: dict[str, Step] = {**FLOW, **ASKS}


def to_attachments(files: list[dict]) -> tuple[Attachment, ...]:
    """Stored attachment dicts back to neutral attachments."""
    return tuple(Attachment(AttachmentKind(f["kind"]), f["file_id"], f.get("file_name"), f.get("mime_type"),
                            f.get("size")) for f in files)
