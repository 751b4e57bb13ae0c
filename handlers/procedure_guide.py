"""The procedure guide: answering citizens' questions about administrative procedures.

    question -> confident match  -> answer card (+ details, + next two candidates)
             -> unsure match     -> "which of these?" (top three)
             -> no match         -> say so, record it, offer to pass it to staff
             -> complaint/status/small talk -> point to the right part of the bot

Button data (after the dispatcher's `p:` prefix): `o:<ref>` open a card, `s:<ref>` steps,
`l:<ref>` legal basis, `ask` pass the last unanswered question to staff. `<ref>` is the procedure id
(national code when it has one) or, for long ids, `#` and a short hash of it.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from handlers.context import ANSWERED_IN, Context
from handlers.feedback import TYPED_COMPLAINT, looks_like_question
from handlers.keyboards import main_menu, menu_row
from knowledge import MatchResult, Procedure
from knowledge.agencies import ONE_STOP, office_asked, usable
from knowledge.asks import (
    CONDITION,
    DOCUMENTS,
    FEE,
    ONLINE,
    POST,
    PROXY,
    TIME,
    WHERE,
    asked_aspects,
    follow_up_aspects,
    without_asks,
)
from knowledge.intent import (
    COMPLAINT,
    PROCEDURE,
    SMALLTALK,
    STATUS,
    UNKNOWN,
    asks_contact,
    asks_dossier,
    asks_where,
    describes_problem,
    small_talk_kind,
    without_contact,
    without_report_words,
)
from knowledge.models import Agency
from knowledge.normalize import normalize
from knowledge.query import in_english, in_vietnamese
from knowledge.weights import weight
from messaging.types import Button, Outgoing
from storage.unmatched import record_unmatched, top_unmatched

MAX_DATA_BYTES = 64
PREFIX = "p:"
MAX_REF_BYTES = 40
CARD_DOCUMENTS = 8  # documents listed on the card; the rest are behind "details"
LABEL_CHARS = 48
MAX_TEXT_CHARS = 3800  # Telegram allows 4096 characters per message
COMPLAINT_PROCEDURE_COVERAGE = 0.6  # a complaint that also names a procedure well gets a button to it
QUESTION_CHARS = 160  # each question in /unmatched, so twenty of them fit one message
QUESTION_KEY = "proc_question"  # conversation data: the last question that found no sure answer
SHOWN_KEY = "proc_shown"  # conversation data: the procedure whose card was shown last (for follow-up questions)
CHOICES_SHORT = int(weight("choices.short"))  # procedures offered for a short question
CHOICES_LONG = int(weight("choices.long"))  # ... for a long one, or on the national records

Rows = tuple[tuple[Button, ...], ...]


# -- references in button data --------------------------------------------------------------------------
def ref(proc: Procedure) -> str:
    """A short, stable reference to a procedure for button data."""
    code = proc.code
    if len(code.encode("utf-8")) <= MAX_REF_BYTES:
        return code
    return "#" + hashlib.blake2b(code.encode("utf-8"), digest_size=6).hexdigest()


def resolve(ctx: Context, reference: str) -> Procedure | None:
    """The procedure a button refers to, or None when it no longer exists."""
    if not reference.startswith("#"):
        return ctx.kb.procedure(reference)
    return next((p for p in ctx.kb.procedures if ref(p) == reference), None)


def _button(label: str, data: str) -> Button:
    """A button whose data fits the messenger limit (with the dispatcher's prefix)."""
    full = PREFIX + data
    if len(full.encode("utf-8")) > MAX_DATA_BYTES:
        raise ValueError(f"button data too long: {full!r}")
    return Button(label, full)


def _fit(text: str) -> str:
    """A message cut to fit one messenger message (long national records have very long steps)."""
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1].rstrip() + "…"


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    """A label cut to fit a button."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- texts -----------------------------------------------------------------------------------------------
def _name(ctx: Context, proc: Procedure) -> str:
    """The procedure's name in the reader's language."""
    return (proc.name_en or proc.name) if ctx.lang == "en" else proc.name


def _value(ctx: Context, value: str | None, uncertain: bool) -> str:
    """A fact, or "not known", flagged when the data marks it uncertain."""
    text = value.strip() if value and value.strip() else ctx.t("proc.unknown_value")
    return text + (ctx.t("proc.uncertain_mark") if uncertain else "")


CONTACT_FIELDS = ("address", "phone", "email", "hours")


def _one_stop_phone(ctx: Context, agency: Agency) -> str | None:
    """The ward's one-stop desk phone, to call when another office's own number is missing."""
    one_stop = ctx.kb.agency(ONE_STOP)
    return usable(one_stop, "phone") if one_stop is not None and one_stop.id != agency.id else None


def agency_lines(ctx: Context, agency: Agency, title: str = "proc.card_agency") -> list[str]:
    """Name (under `title`), address, phone, e-mail and opening hours of an agency, one line each; the missing
    ones said plainly in one line, with the ward's one-stop phone when known (a card stays short on a phone)."""
    name = (agency.name_en or agency.name) if ctx.lang == "en" else agency.name
    hours = usable(agency, "hours")
    if ctx.lang == "en" and hours is not None:
        hours = agency.hours_en or hours
    values = {"address": usable(agency, "address"), "phone": usable(agency, "phone"),
              "email": usable(agency, "email"), "hours": hours}
    lines = [ctx.t(title, agency=_value(ctx, name, agency.is_uncertain("name")))]
    for field in CONTACT_FIELDS:
        value = values[field]
        if value is not None:
            mark = ctx.t("proc.uncertain_mark") if agency.is_uncertain(field) else ""
            lines.append(ctx.t(f"proc.card_{field}", **{field: value + mark}))
    missing = [ctx.t(f"proc.field_{field}") for field in CONTACT_FIELDS if values[field] is None]
    if missing:
        phone = _one_stop_phone(ctx, agency) if values["phone"] is None else None
        ask = ctx.t("proc.ask_one_stop_phone", phone=phone) if phone else ctx.t("proc.ask_office")
        lines.append(ctx.t("proc.card_missing", fields=", ".join(missing), ask=ask))
    return lines


def _agency_short(ctx: Context, proc: Procedure) -> str:
    """The name of the office that receives a procedure, in the reader's language."""
    agency = ctx.kb.agency(proc.agency)
    if agency is None:
        return proc.agency or ctx.t("proc.unknown_value")
    return (agency.name_en or agency.name) if ctx.lang == "en" else agency.name


def _text_of(ctx: Context, vietnamese: str, english: str, missing: list[str], part: str) -> str:
    """A fact in the reader's language; for an English reader without the English text, the Vietnamese one
    (and the part is listed among those only in Vietnamese)."""
    if ctx.lang != "en" or english or not vietnamese:
        return english if ctx.lang == "en" and english else vietnamese
    missing.append(ctx.t(f"proc.part_{part}"))
    return vietnamese


def _sections(ctx: Context, proc: Procedure, missing: list[str] | None = None) -> dict[str, list[str]]:
    """The card's sections by the aspect of a question each answers (`missing` receives the parts an English
    reader gets in Vietnamese)."""
    missing = [] if missing is None else missing
    agency = ctx.kb.agency(proc.agency)
    sections: dict[str, list[str]] = {}
    if agency is not None:
        sections[WHERE] = agency_lines(ctx, agency)
    elif proc.agency:
        sections[WHERE] = [ctx.t("proc.card_agency", agency=proc.agency)]
    documents = list(proc.documents)
    if documents:
        if ctx.lang == "en" and len(proc.documents_en) == len(documents):
            documents = proc.documents_en
        elif ctx.lang == "en":
            missing.append(ctx.t("proc.part_documents"))
        mark = ctx.t("proc.uncertain_mark") if proc.is_uncertain("documents") else ""
        docs = [ctx.t("proc.card_documents") + mark]
        docs += [ctx.t("proc.card_document_item", item=d) for d in documents[:CARD_DOCUMENTS]]
        if len(documents) > CARD_DOCUMENTS:
            docs.append(ctx.t("proc.card_more_documents", count=len(documents) - CARD_DOCUMENTS))
        sections[DOCUMENTS] = docs
    time = _text_of(ctx, proc.processing_time, proc.processing_time_en, missing, "time")
    sections[TIME] = [ctx.t("proc.card_time", time=_value(ctx, time, proc.is_uncertain("processing_time")))]
    fee = _text_of(ctx, proc.fee, proc.fee_en, missing, "fee")
    sections[FEE] = [ctx.t("proc.card_fee", fee=_value(ctx, fee, proc.is_uncertain("fee")))]
    online: list[str] = []
    channels = [ctx.t("proc.channel_in_person", agency=_agency_short(ctx, proc))] if proc.channels.in_person else []
    channels += [ctx.t(f"proc.channel_{name}") for name in ("online", "post") if getattr(proc.channels, name)]
    if channels:
        mark = ctx.t("proc.uncertain_mark") if proc.is_uncertain("channels") else ""
        online.append(ctx.t("proc.card_channels", channels=", ".join(channels)) + mark)
    if proc.channels.online and proc.online_url:
        mark = ctx.t("proc.uncertain_mark") if proc.is_uncertain("online_url") else ""
        online.append(ctx.t("proc.card_online", url=proc.online_url) + mark)
    elif not proc.channels.online:
        online.append(ctx.t("proc.card_no_online"))
    sections[ONLINE] = online
    postal = ctx.t("proc.card_postal_yes") if proc.postal_return else ctx.t("proc.card_postal_no")
    sections[POST] = [postal + (ctx.t("proc.uncertain_mark") if proc.is_uncertain("postal_return") else "")]
    proxy = [d for d in proc.documents if "ủy quyền" in d.lower() or "uỷ quyền" in d.lower()]
    if proxy:
        sections[PROXY] = [ctx.t("proc.card_proxy")] + [ctx.t("proc.card_document_item", item=d) for d in proxy]
    return sections


CARD_ORDER = (WHERE, DOCUMENTS, TIME, FEE, ONLINE, POST)


def card_text(ctx: Context, proc: Procedure, asked: tuple[str, ...] = ()) -> str:
    """The answer card: what was asked first, then where to go, whom to call, what to bring, how long,
    how much and how to file."""
    lines = [ctx.t("proc.card_title", name=_name(ctx, proc))]
    if proc.national_code:
        lines.append(ctx.t("proc.card_code", code=proc.national_code))
    missing: list[str] = []
    sections = _sections(ctx, proc, missing)
    first = [a for a in asked if a in sections]
    if first:
        labels = ", ".join(ctx.t(f"proc.aspect_{a}") for a in first)
        lines += ["", ctx.t("proc.answer_first", aspects=labels)]
        for aspect in first:
            lines += sections[aspect]
        lines.append("")
    elif PROXY in asked:
        lines += ["", ctx.t("proc.proxy_unknown"), ""]
    for aspect in CARD_ORDER:
        if aspect in sections and aspect not in first:
            lines += sections[aspect]
    if proc.note:
        lines.append(ctx.t("proc.card_note", note=_text_of(ctx, proc.note, proc.note_en or "", missing, "note")))
    if ctx.lang == "en":
        lines += ["", ctx.t("proc.vietnamese_only", parts=", ".join([*missing, ctx.t("proc.part_details")]))]
    if CONDITION in asked:
        lines += ["", ctx.t("proc.condition_note", name=_name(ctx, proc))]
    lines.append("")
    lines.append(ctx.t("proc.card_footer"))
    return "\n".join(lines)


def related(ctx: Context, proc: Procedure, candidates: list[Procedure], limit: int = 2) -> list[Procedure]:
    """Procedures worth a button under a card: linked (liên thông) ones, then candidates of the same domain."""
    out: list[Procedure] = []
    for other in [ctx.kb.procedure(i) for i in proc.linked] + candidates:
        if other is None or other.id == proc.id or other in out:
            continue
        if other.id in proc.linked or proc.id in other.linked or (proc.domain and other.domain == proc.domain):
            out.append(other)
        if len(out) == limit:
            break
    return out


def card_buttons(ctx: Context, proc: Procedure, others: list[Procedure], ask_staff: bool = False,
                 feedback: bool = False) -> Rows:
    """Details buttons, then related procedures, then (for a question the card cannot settle) staff, (for one
    that also reports or complains) sending a feedback, the menu."""
    key = ref(proc)
    rows: list[tuple[Button, ...]] = [
        (_button(ctx.t("proc.btn_steps"), f"s:{key}"), _button(ctx.t("proc.btn_legal"), f"l:{key}")),
    ]
    for other in related(ctx, proc, others):
        rows.append((_button(ctx.t("proc.btn_other", name=short_label(_name(ctx, other))), f"o:{ref(other)}"),))
    if ask_staff:
        rows.append((_button(ctx.t("proc.btn_ask_staff"), "ask"),))
    if feedback:
        rows.append((Button(ctx.t("proc.btn_feedback"), "m:feedback"),))
    rows.append(menu_row(ctx.t))
    return tuple(rows)


def card(ctx: Context, proc: Procedure, others: list[Procedure] | None = None, asked: tuple[str, ...] = (),
         ask_staff: bool = False, feedback: bool = False) -> Outgoing:
    """The answer card of one procedure, as a message (what was asked first)."""
    ctx.data[SHOWN_KEY] = proc.id
    return ctx.reply(_fit(card_text(ctx, proc, asked)), card_buttons(ctx, proc, others or [], ask_staff, feedback))


def _tagged(message: Outgoing, answer: str) -> Outgoing:
    """The message marked with the kind of answer it is (read by `kb eval --conversation`, not shown)."""
    message.meta["answer"] = answer
    return message


# -- conversation ----------------------------------------------------------------------------------------
def _no_match(ctx: Context, text: str) -> list[Outgoing]:
    """Say nothing was found, keep the question for staff, and offer to pass it on (a message without a letter,
    a "3" typed for a button, gets the menu: there is no question to pass on)."""
    if not any(ch.isalpha() for ch in text):
        return [_tagged(ctx.reply(ctx.t("proc.no_letters"), main_menu(ctx.t)), "no_match")]
    if ctx.citizen.consent_at is not None:  # nothing is kept of citizens who did not consent
        record_unmatched(ctx.session, text, normalize(text))
    ctx.data[QUESTION_KEY] = text
    buttons = ((_button(ctx.t("proc.btn_ask_staff"), "ask"),), menu_row(ctx.t))
    return [_tagged(ctx.reply(ctx.t("proc.no_match"), buttons), "no_match")]


def _contact(ctx: Context, agencies: list[Agency]) -> list[Outgoing]:
    """How to reach the agencies a question names, and a button to the whole directory."""
    parts = [ctx.t("proc.contact_title")]
    parts += ["\n".join(agency_lines(ctx, agency)) for agency in agencies]
    rows = ((Button(ctx.t("proc.btn_directory"), "m:contact"),), menu_row(ctx.t))
    return [_tagged(ctx.reply("\n\n".join(parts), rows), "contact")]


# The levels of the national procedure records ("Cấp bộ, Cấp tỉnh"), each with its text key.
_LEVELS = {"cấp bộ": "proc.level_ministry", "cấp tỉnh": "proc.level_province", "cấp xã": "proc.level_commune",
           "cơ quan khác": "proc.level_other"}


def _level(ctx: Context, level: str) -> str:
    """A procedure's level in the reader's language (a level of no known kind as written)."""
    if ctx.lang == "vi":
        return level
    parts = [part.strip() for part in level.split(",")]
    return ", ".join(ctx.t(_LEVELS[part.lower()]) if part.lower() in _LEVELS else part for part in parts)


def _choice_line(ctx: Context, number: int, proc: Procedure) -> str:
    """One numbered choice with what tells it apart: its office and level."""
    level = f" · {_level(ctx, proc.level)}" if proc.level else ""
    return ctx.t("proc.choice_item", number=number, name=_name(ctx, proc), agency=_agency_short(ctx, proc), level=level)


def _choices(ctx: Context, text: str, procedures: list[Procedure]) -> list[Outgoing]:
    """The best candidates to choose from, best first, each with its office and level."""
    ctx.data[QUESTION_KEY] = text
    lines = [ctx.t("proc.which")] + [_choice_line(ctx, i, p) for i, p in enumerate(procedures, 1)]
    rows = [(_button(ctx.t("proc.btn_choice", number=i, name=short_label(_name(ctx, p))), f"o:{ref(p)}"),)
            for i, p in enumerate(procedures, 1)]
    rows.append((_button(ctx.t("proc.btn_none"), "ask"),))
    return [_tagged(ctx.reply(_fit("\n".join(lines)), tuple(rows)), "choices")]


def _redirect(ctx: Context, result: MatchResult) -> list[Outgoing]:
    """Where a matter of another office belongs, and what to do there."""
    entry = result.redirect
    assert entry is not None
    english = ctx.lang == "en"
    text = ctx.t("proc.redirect", office=entry.office_en if english else entry.office,
                 advice=entry.advice_en if english else entry.advice)
    message = ctx.reply(text, ((_button(ctx.t("proc.btn_ask_staff"), "ask"),), menu_row(ctx.t)))
    message.meta["redirect"] = entry.id
    return [_tagged(message, "redirect")]


def _status(ctx: Context, text: str) -> list[Outgoing]:
    """Where to see a ticket's status; for a dossier filed at the one-stop desk, where to look that up first."""
    parts = [ctx.t("proc.status")]
    rows: tuple[tuple[Button, ...], ...] = ((Button(ctx.t("proc.btn_mine"), "m:mine"),), menu_row(ctx.t))
    if asks_dossier(text):
        one_stop = ctx.kb.agency(ONE_STOP)
        portal = one_stop.portal_url if one_stop is not None else None
        phone = usable(one_stop, "phone") if one_stop is not None else None
        parts = [ctx.t("proc.status_dossier", portal=portal or ctx.t("proc.national_portal"),
                       phone=ctx.t("proc.status_dossier_phone", phone=phone) if phone else ""),
                 ctx.t("proc.status_dossier_late")]  # a dossier past its date: a complaint the ward answers
        ctx.data[TYPED_COMPLAINT] = text
        rows = ((Button(ctx.t("proc.btn_dossier_late"), "m:feedback"),), *rows)
    return [_tagged(ctx.reply("\n\n".join(parts), rows), "status")]


def _names_a_procedure(ctx: Context, text: str) -> bool:
    """Whether a complaint still names a procedure once its words of reporting are left out ("tôi muốn phản
    ánh" alone matched "phân chia ... anh em" by its unmarked syllables)."""
    rest = without_report_words(text)
    return bool(ctx.matcher.analyze(rest).tokens) and ctx.matcher.search(rest).coverage >= COMPLAINT_PROCEDURE_COVERAGE


def reply_to(ctx: Context, text: str, result: MatchResult) -> list[Outgoing]:
    """Turn a match result into messages."""
    if result.redirect is not None:
        ctx.data[QUESTION_KEY] = text
        return _redirect(ctx, result)
    if (asks_contact(text) or asks_where(text)) and result.intent in (UNKNOWN, PROCEDURE):  # "sđt phường", "where
        # is the police station": the office; a question naming a procedure too is the procedure's
        rest = without_contact(text)
        offices = office_asked(ctx.kb, rest, [t.folded for t in ctx.matcher.analyze(rest).tokens])
        if offices:
            return _contact(ctx, offices)
    if result.intent == COMPLAINT:
        ctx.data[TYPED_COMPLAINT] = text  # "Gửi phản ánh" then starts the form with it as the description
        rows: list[tuple[Button, ...]] = [(Button(ctx.t("proc.btn_feedback"), "m:feedback"),)]
        if result.hits and result.coverage >= COMPLAINT_PROCEDURE_COVERAGE and _names_a_procedure(ctx, text):
            top = result.hits[0].procedure  # e.g. a formal khiếu nại
            rows.append((_button(ctx.t("proc.btn_other", name=short_label(_name(ctx, top))), f"o:{ref(top)}"),))
        rows.append(menu_row(ctx.t))
        return [_tagged(ctx.reply(ctx.t("proc.complaint"), tuple(rows)), "complaint")]
    if result.intent == STATUS:
        return _status(ctx, text)
    if result.intent == SMALLTALK:
        kind = small_talk_kind(text)
        key = "proc.smalltalk" if kind == "greeting" else f"proc.smalltalk_{kind}"
        return [_tagged(ctx.reply(ctx.t(key), main_menu(ctx.t)), "smalltalk")]
    if result.intent != PROCEDURE or not result.hits:
        return _no_match(ctx, text)
    procedures = [hit.procedure for hit in result.hits]
    if not result.confident:
        return _choices(ctx, text, procedures[: CHOICES_LONG if result.long else CHOICES_SHORT])
    asked = asked_aspects(text)
    unsettled = CONDITION in asked or (PROXY in asked and not any(
        "ủy quyền" in d.lower() or "uỷ quyền" in d.lower() for d in procedures[0].documents))
    if unsettled:  # staff get the question with the procedure named
        ctx.data[QUESTION_KEY] = ctx.t("proc.question_about", question=text, name=procedures[0].name)
    # "tố cáo cán bộ nhận hối lộ": the tố cáo procedure, and sending it as a feedback too
    feedback = describes_problem(text)
    if feedback:
        ctx.data[TYPED_COMPLAINT] = text
    return [_tagged(card(ctx, procedures[0], procedures[1:], asked, ask_staff=unsettled, feedback=feedback), "card")]


def _aspects_alone(ctx: Context, text: str) -> tuple[str, ...]:
    """What a question asks of a procedure it does not name ("le phi bao nhieu", "mat bao lau"), or ()."""
    return follow_up_aspects(text, [t.folded for t in ctx.matcher.analyze(without_asks(text)).tokens])


def _follow_up(ctx: Context, asked: tuple[str, ...]) -> list[Outgoing] | None:
    """A question about the procedure just shown ("le phi bao nhieu" after its card), `asked` being what it asks
    (`_aspects_alone`): the parts asked, with a button to the whole card; None when the question is not one."""
    shown = ctx.kb.procedure(ctx.data[SHOWN_KEY]) if ctx.data.get(SHOWN_KEY) else None
    if shown is None:
        return None
    sections = _sections(ctx, shown)
    if not asked or not all(a in sections for a in asked):
        return None
    lines = [ctx.t("proc.card_title", name=_name(ctx, shown))]
    for aspect in asked:
        lines += sections[aspect]
    rows = ((_button(ctx.t("proc.btn_full_card"), f"o:{ref(shown)}"),), menu_row(ctx.t))
    return [_tagged(ctx.reply(_fit("\n".join(lines)), rows), "follow_up")]


def asks_a_procedure(ctx: Context, text: str) -> bool:
    """Whether the text is plainly a procedure question: asked as a question ("... o dau", "... can gi", "?"),
    and the guide would answer it with a card. Flows that take free text use it to answer a question instead
    of swallowing it ("cán bộ hướng dẫn làm khai sinh rất nhiệt tình" is a comment, not a question)."""
    if not (looks_like_question(text) or asked_aspects(text)):
        return False
    result = ctx.matcher.search(text)
    return result.intent == PROCEDURE and result.confident and bool(result.hits) and result.redirect is None


def answer_question(ctx: Context, text: str) -> list[Outgoing]:
    """Answer a free-text question: a card, a choice of candidates, or an offer to ask staff. A question written
    in English is answered in English, with a button (offered once) to keep English for every answer."""
    normalized = normalize(text)
    own = ctx.citizen.language or ctx.settings.default_language
    english = own != "en" and in_english(normalized)
    offer = english and ctx.data.get(ANSWERED_IN) != "en"  # asked once whether to keep English
    if english:
        ctx.answer_language = ctx.data[ANSWERED_IN] = "en"
    elif in_vietnamese(normalized):  # in the citizen's own language again ("thanks", "ok" say neither)
        ctx.data.pop(ANSWERED_IN, None)
    out = _answer(ctx, text)
    if not offer:
        return out
    last = out[-1]
    keep = (Button(ctx.t("btn.keep_english"), "lang:en"), Button(ctx.t("btn.lang_vi"), "lang:vi"))
    return [*out[:-1], replace(last, text=f"{last.text}\n\n{ctx.t('lang.answered_in_english')}",
                                buttons=(*last.buttons, keep))]


def _answer(ctx: Context, text: str) -> list[Outgoing]:
    """The answer to a question: about the card just shown, "which procedure?", or what the matcher found."""
    unnamed = _aspects_alone(ctx, text)
    follow_up = _follow_up(ctx, unnamed)
    if follow_up is not None:
        return follow_up
    ctx.data.pop(SHOWN_KEY, None)  # a question of its own: later ones follow up on its card, if it gets one
    if unnamed:  # "le phi bao nhieu" with no card before: which procedure?
        return [_tagged(ctx.reply(ctx.t("proc.which_procedure", aspects=", ".join(
            ctx.t(f"proc.aspect_{a}") for a in unnamed)), main_menu(ctx.t)), "which_procedure")]
    return reply_to(ctx, text, ctx.matcher.search(text, k=CHOICES_LONG))


def _details(ctx: Context, proc: Procedure, kind: str) -> Outgoing:
    """Steps or legal basis of a procedure, with linked procedures and a way back to the card."""
    name = _name(ctx, proc)
    if kind == "s":
        items = [ctx.t("proc.step_item", number=i, step=s) for i, s in enumerate(proc.steps, 1)]
        lines = [ctx.t("proc.steps_title", name=name), *(items or [ctx.t("proc.no_steps")])]
        if proc.documents:
            lines += ["", ctx.t("proc.card_documents")]
            lines += [ctx.t("proc.card_document_item", item=d) for d in proc.documents]
    else:
        items = [ctx.t("proc.legal_item", item=item) for item in proc.legal_basis]
        lines = [ctx.t("proc.legal_title", name=name), *(items or [ctx.t("proc.no_legal")])]
    linked = [p for p in (ctx.kb.procedure(i) for i in proc.linked) if p is not None][:3]
    rows: list[tuple[Button, ...]] = []
    if linked:
        lines += ["", ctx.t("proc.linked_title")]
        rows += [(_button(ctx.t("proc.btn_linked", name=short_label(_name(ctx, p))), f"o:{ref(p)}"),) for p in linked]
    rows.append((_button(ctx.t("proc.btn_card"), f"o:{ref(proc)}"),))
    rows.append(menu_row(ctx.t))
    return ctx.reply(_fit("\n".join(lines)), tuple(rows))


def _same_domain(ctx: Context, proc: Procedure) -> list[Procedure]:
    """Other procedures of a procedure's domain (related buttons of a card opened from a button)."""
    return [p for p in ctx.kb.procedures if p.domain == proc.domain and p.id != proc.id][:20]


def _stale(ctx: Context) -> list[Outgoing]:
    return [ctx.reply(ctx.t("proc.stale"), main_menu(ctx.t))]


def on_button(ctx: Context, payload: str) -> list[Outgoing]:
    """Buttons of the procedure guide; stale or malformed data gets a polite answer."""
    if payload == "ask":
        question = ctx.data.pop(QUESTION_KEY, None)
        if not question:
            return _stale(ctx)
        from handlers.feedback import open_question_ticket

        return open_question_ticket(ctx, question)
    kind, _, reference = payload.partition(":")
    if kind not in ("o", "s", "l") or not reference:
        return _stale(ctx)
    proc = resolve(ctx, reference)
    if proc is None:
        return _stale(ctx)
    if kind == "o":
        return [card(ctx, proc, _same_domain(ctx, proc))]
    return [_details(ctx, proc, kind)]


def unmatched_command(ctx: Context) -> list[Outgoing]:
    """Staff: the most frequent questions that found no procedure."""
    if not ctx.is_staff:
        return [ctx.reply(ctx.t("proc.staff_only"))]
    rows = top_unmatched(ctx.session)
    if not rows:
        return [ctx.reply(ctx.t("proc.unmatched_empty"))]
    lines = [ctx.t("proc.unmatched_title")]
    lines += [
        ctx.t("proc.unmatched_item", count=count, question=short_label(question, QUESTION_CHARS))
        for question, count in rows
    ]
    return [ctx.reply("\n".join(lines))]
