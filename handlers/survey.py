"""The satisfaction survey after each resolution of a ticket, on SIPAS's five levels.

    sent by the bot: "was it solved?" (Rồi / Một phần / Chưa)
      -> how satisfied (five levels) -> an optional comment (and "reopen" when it was not solved)

Only the ticket's own citizen answers, once per resolution; a ticket reopened and resolved again is asked
again. Button data: `sv:<code>:<round>:r:<yes|partly|no>`, `sv:<code>:<round>:s:<1-5>`,
`sv:<code>:<round>:reopen`, `sv:<code>:<round>:ask` (the question again, from the ticket's detail), `sv:skip`.
Buttons of the old three-level survey (`sv:<code>:<1-3>`) still record their answer, on the five-level scale.
An answer typed instead of pressed counts too (`typed_answer`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from functools import cache

from handlers import procedure_guide
from handlers.context import Context
from handlers.deadlines import restart_clock
from handlers.feedback import looks_like_question
from handlers.i18n import translate
from handlers.keyboards import main_menu
from knowledge.intent import CHAT_SPELLINGS
from knowledge.normalize import fold
from messaging.types import Button, Outgoing
from storage.clock import format_local, utcnow
from storage.models import Citizen, Survey, Ticket
from storage.outcomes import HANDLED_STATUSES
from storage.statuses import CITIZEN, REOPENED, can_move
from storage.statuses import status as status_of
from storage.surveys import (
    LEGACY_TO_SIPAS,
    RESOLVED_ANSWERS,
    SCORES,
    add_comment,
    awaiting_answer,
    change_resolved,
    get_survey,
    latest_survey,
    mark_reopened,
    open_survey,
    record_score,
)
from storage.tickets import add_event, get_ticket

COMMENT_STATE = "sv.comment"
TYPED_ANSWER_WINDOW = timedelta(days=14)  # a survey older than this no longer takes typed answers
UNSATISFIED_SCORES = (1, 2)


def _data(ticket: Ticket, survey: Survey, action: str) -> str:
    return f"sv:{ticket.code}:{survey.round}:{action}"


def resolved_question(lang: str, ticket: Ticket, survey: Survey, *, again: bool = False) -> Outgoing:
    """The first question, "was it solved?", with its three buttons."""
    buttons = (tuple(Button(translate(lang, f"btn.sv_resolved_{a}"), _data(ticket, survey, f"r:{a}"))
                     for a in RESOLVED_ANSWERS),)
    text = translate(lang, "survey.ask_resolved", code=ticket.code)
    if again:
        text = translate(lang, "survey.reminder", text=text)
    return Outgoing(text=text, buttons=buttons, ticket_code=ticket.code, kind="survey", meta={"lang": lang})


def score_question(lang: str, ticket: Ticket, survey: Survey, *, again: bool = False) -> Outgoing:
    """The satisfaction question with one button per level, best first."""
    buttons = tuple((Button(translate(lang, f"btn.sv_level_{s}"), _data(ticket, survey, f"s:{s}")),)
                    for s in reversed(SCORES))
    if survey.resolved is not None:  # a mis-tap on "was it solved?" can be corrected
        buttons += ((Button(translate(lang, "btn.sv_back"), _data(ticket, survey, "back")),),)
    text = translate(lang, "survey.ask_score", code=ticket.code)
    if again:
        text = translate(lang, "survey.reminder", text=text)
    return Outgoing(text=text, buttons=buttons, ticket_code=ticket.code, kind="survey", meta={"lang": lang})


def next_question(lang: str, ticket: Ticket, survey: Survey, *, again: bool = False) -> Outgoing:
    """The question the citizen has not answered yet."""
    ask = resolved_question if survey.resolved is None else score_question
    return ask(lang, ticket, survey, again=again)


def send_survey_once(ctx: Context, ticket: Ticket, citizen: Citizen) -> None:
    """Queue the survey of the ticket's latest resolution unless it was sent already (once per resolution)."""
    survey = open_survey(ctx.session, ticket)
    if survey is not None:
        ctx.notify_citizen(citizen, resolved_question(citizen.language, ticket, survey))


def _actor(ctx: Context, ticket: Ticket) -> str:
    """The citizen as the audit trail shows them (no identity for an anonymous ticket)."""
    return "citizen" if ticket.anonymous else ctx.actor


def _stale(ctx: Context) -> list[Outgoing]:
    return [ctx.reply(ctx.t("error.stale_button"), main_menu(ctx.t))]


def on_button(ctx: Context, data: str) -> list[Outgoing]:
    """A survey button pressed by the ticket's own citizen."""
    if data == "sv:skip":
        return _finish(ctx)
    parts = data.split(":")
    ticket = get_ticket(ctx.session, parts[1]) if len(parts) > 2 else None
    if ticket is None or ticket.citizen_id != ctx.citizen.id:
        return _stale(ctx)
    if len(parts) == 3:  # a button of the old three-level survey
        survey = latest_survey(ctx.session, ticket)
        score = LEGACY_TO_SIPAS.get(int(parts[2])) if parts[2].isdigit() else None
        if survey is None or score is None:
            return _stale(ctx)
        return _take_score(ctx, ticket, survey, score)
    survey = get_survey(ctx.session, ticket, int(parts[2])) if parts[2].isdigit() else None
    latest = latest_survey(ctx.session, ticket)
    if survey is None or latest is None or survey.id != latest.id:
        return _stale(ctx)
    action = parts[3]
    if action == "r" and len(parts) == 5 and parts[4] in RESOLVED_ANSWERS:
        return _take_resolved(ctx, ticket, survey, parts[4])
    if action == "s" and len(parts) == 5 and parts[4].isdigit() and int(parts[4]) in SCORES:
        return _take_score(ctx, ticket, survey, int(parts[4]))
    if action == "reopen":
        return _reopen(ctx, ticket, survey)
    if action == "back":  # the first question again, to change its answer
        if survey.score is not None or ticket.status not in HANDLED_STATUSES:
            return [ctx.reply(ctx.t("survey.already"), main_menu(ctx.t))]
        return [resolved_question(ctx.lang, ticket, survey)]
    if action == "ask":  # "Đánh giá" in the ticket's detail: the question not answered yet
        if survey.score is not None or ticket.status not in HANDLED_STATUSES:
            return [ctx.reply(ctx.t("survey.already"), main_menu(ctx.t))]
        return [next_question(ctx.lang, ticket, survey)]
    return _stale(ctx)


def survey_waiting(ctx: Context, ticket: Ticket) -> Survey | None:
    """The survey of the ticket's latest resolution when it still waits for the citizen's rating."""
    if ticket.status not in HANDLED_STATUSES:
        return None
    survey = latest_survey(ctx.session, ticket)
    return survey if survey is not None and survey.score is None else None


@cache
def _typed_labels(lang: str) -> dict[str, str]:
    """Each answer's label as a citizen would type it (folded, no emoji) -> the action of its button."""
    labels = {f"r:{a}": translate(lang, f"btn.sv_resolved_{a}") for a in RESOLVED_ANSWERS}
    labels |= {f"s:{s}": translate(lang, f"btn.sv_level_{s}") for s in SCORES}
    return {" ".join(fold(label).split()): action for action, label in labels.items()}


_POLITE = frozenset(["a", "nhe", "nha", "ad", "ban", "em", "anh", "chi", "please", "ok"])
# Everyday answers to "was it solved?" besides the buttons' words (folded): whole answers, and how an answer begins
# ("chưa giải quyết gì cả", "vẫn còn rác": not solved).
_SOLVED_SAYINGS = {"xong": "yes", "xong roi": "yes", "da xong": "yes", "da giai quyet": "yes", "giai quyet roi": "yes",
                   "duoc roi": "yes", "dc roi": "yes", "roi a": "yes", "tam duoc": "partly", "mot chut": "partly",
                   "mot phan": "partly", "mot phan thoi": "partly", "chua het": "partly", "chua xong han": "partly",
                   "khong": "no", "ko": "no", "van chua": "no", "chua duoc": "no"}
_UNSOLVED_STARTS = ("chua giai quyet", "van chua", "van con", "chua xong", "chua co gi", "chua thay", "van nhu cu",
                    "van on", "van the", "van vay", "nhu cu", "khong thay gi")  # "vẫn ồn như cũ"
_SOLVED_STARTS = ("da xong", "da sua", "da giai quyet", "da duoc giai quyet", "da khac phuc", "da duoc xu ly",
                  "da xu ly", "xong roi", "giai quyet roi", "da thay", "da lam", "da don", "da sach", "da het",
                  "da duoc")  # "đã sửa xong rồi, cảm ơn cán bộ nhiều"; never with "chưa" or "vẫn" in it
# Everyday ratings besides the buttons' words (folded, polite words left out), on the five levels.
_LEVEL_SAYINGS = {
    5: ("rat tot", "tuyet voi", "qua tot", "xuat sac", "rat on", "very good", "excellent", "hai long lam"),
    4: ("tot", "on", "kha", "kha tot", "good", "ok lam"),
    3: ("binh thuong", "cung duoc", "tam duoc", "tam", "trung binh", "tam on", "tam tam", "so so", "average"),
    2: ("khong hai long lam", "chua hai long", "khong tot", "chua tot", "kem", "khong on", "chua on", "bad"),
    1: ("te", "qua te", "rat te", "rat kem", "te qua", "rat khong tot", "very bad"),
}
_LEVEL_OF = {saying: level for level, sayings in _LEVEL_SAYINGS.items() for saying in sayings}
_STARS = re.compile(r"^([1-5])\s*(?:sao|\*|/\s*5|diem tren 5|stars?)$")  # "5 sao", "4/5", "3 stars"
# A comment prompt answered with "no comment": the survey ends without one.
_NO_COMMENT = frozenset(["", "khong", "ko", "k", "kg", "khong co", "ko co", "khong co gi", "ko co gi", "thoi",
                         "cam on", "cam on nhieu", "het", "xong", "no", "nothing", "no thanks", "thanks", "thank you"])


# Chat spellings ("ko hai long lam": không hài lòng lắm), compared as the words they stand for: the intent cues' own,
# and those that mean "không", "được", "chưa" in a survey answer ("dk roi" is "được rồi" here, not "đăng ký")
_CHAT_WORDS = {w: fold(v) for w, v in CHAT_SPELLINGS.items()} | {
    "kh": "khong", "hong": "khong", "hem": "khong", "dk": "duoc", "chx": "chua"}
_CLAUSE_END = re.compile(r"[,.;!:\-–]")


_THANKS = re.compile(r"\b(?:cam on|thank you|thanks|tks)(?: (?:ban|nhieu|cac anh chi|anh chi|can bo|a|nhe))*\b")


def _said(text: str) -> list[str]:
    """The words of a typed answer as compared: folded, commas apart, thanks and polite words left out ("roi cam
    on"), chat spellings read."""
    folded = _THANKS.sub(" ", fold(text).replace(",", " "))
    return [_CHAT_WORDS.get(w, w) for w in folded.split() if w not in _POLITE]


def _opening_answer(text: str) -> tuple[str, str] | None:
    """A longer message that opens with an answer ("chưa, tối qua vẫn hát đến 12h"): the opening clause and the
    rest (what the citizen adds), or None when it opens otherwise or says nothing more."""
    found = _CLAUSE_END.search(text)
    if found is None:
        return None
    opening, rest = text[: found.start()], text[found.end():].strip()
    words = _said(opening)
    return (opening, rest) if rest and 0 < len(words) <= 4 else None


def _typed_actions(ctx: Context, text: str | None = None) -> tuple[str | None, str | None]:
    """What typed text answers: (whether it was solved, as `r:<answer>`; the level, as `s:<level>`), each None
    when the text does not say it."""
    text = ctx.incoming.text or "" if text is None else text
    words = _said(text)
    typed = " ".join(words)
    if not typed or (len(words) > 4 and not typed.startswith((*_UNSOLVED_STARTS, *_SOLVED_STARTS))):
        return None, None
    label = next((labels[typed] for labels in (_typed_labels(ctx.lang), _typed_labels(
        "en" if ctx.lang == "vi" else "vi")) if typed in labels), None)
    resolved = label if label and label.startswith("r:") else None
    level = label if label and label.startswith("s:") else None
    if resolved is None and typed in _SOLVED_SAYINGS:
        resolved = f"r:{_SOLVED_SAYINGS[typed]}"
    if resolved is None and typed.startswith(_UNSOLVED_STARTS):
        resolved = "r:no"
    if (resolved is None and typed.startswith(_SOLVED_STARTS) and not {"chua", "van"} & set(words)
            and not looks_like_question(text)):
        resolved = "r:yes"  # "đã xử lý chưa?" asks, it does not answer
    stars = _STARS.match(typed)
    if level is None and (typed in _LEVEL_OF or stars):
        level = f"s:{stars.group(1) if stars else _LEVEL_OF[typed]}"
    return resolved, level


def _bare_no(ctx: Context) -> bool:
    """Whether the text is a bare "no" ("không", "ko ạ")."""
    return " ".join(_said(ctx.incoming.text or "")) in ("khong", "no")


def typed_answer(ctx: Context) -> list[Outgoing] | None:
    """A survey answer typed instead of pressed ("hai long", "Rất hài lòng ạ", "tot", "5 sao", "chua" to correct
    a mis-tapped "Rồi"), when the citizen has a survey waiting; None when the text is no answer or nothing waits."""
    resolved, level = _typed_actions(ctx)
    added = ""
    if resolved is None and level is None and (opening := _opening_answer(ctx.incoming.text or "")):
        resolved, level = _typed_actions(ctx, opening[0])  # "chưa, tối qua vẫn hát": "chưa", and what it adds
        added = opening[1]
    if (resolved is None and level is None) or ctx.citizen.id is None:
        return None
    waiting = awaiting_answer(ctx.session, ctx.citizen.id, utcnow() - TYPED_ANSWER_WINDOW)
    if waiting is None:
        return None
    ticket, survey = waiting
    if added:
        _keep_comment(ctx, ticket, survey, added)
    first = survey.resolved is None  # "was it solved?" waits: an answer to it comes first
    if not first and level is None and _bare_no(ctx):  # "không" to "how satisfied?": not satisfied
        level = "s:2"
        resolved = None
    if resolved is not None and (first or level is None):
        return _take_resolved(ctx, ticket, survey, resolved.split(":")[1])
    if level is not None:
        return _take_score(ctx, ticket, survey, int(level.split(":")[1]))
    return None


def _take_resolved(ctx: Context, ticket: Ticket, survey: Survey, answer: str) -> list[Outgoing]:
    """Record (or, before the level is given, correct) whether the problem was solved; then ask the level."""
    if survey.score is not None:
        return [ctx.reply(ctx.t("survey.already"), main_menu(ctx.t))]
    if ticket.status not in HANDLED_STATUSES:
        return _stale(ctx)
    before = survey.resolved
    if not change_resolved(ctx.session, survey, answer):
        return [ctx.reply(ctx.t("survey.already"), main_menu(ctx.t))]
    question = score_question(ctx.lang, ticket, survey)
    if before is not None and before != answer:  # a correction: say what is kept now
        changed = ctx.t("survey.resolved_changed", answer=ctx.t(f"survey.resolved_{answer}"))
        question = replace(question, text=f"{changed}\n{question.text}")
    return [question]


def _take_score(ctx: Context, ticket: Ticket, survey: Survey, score: int) -> list[Outgoing]:
    if ticket.status not in HANDLED_STATUSES or not record_score(ctx.session, survey, score):
        return [ctx.reply(ctx.t("survey.already"), main_menu(ctx.t))]
    staff_lang = ctx.settings.default_language
    add_event(ctx.session, ticket, actor_kind="citizen", actor=_actor(ctx, ticket), kind="survey",
              text=_answer_label(staff_lang, survey), public=False)
    if score in UNSATISFIED_SCORES or survey.resolved == "no":
        text = translate(staff_lang, "survey.staff_unsatisfied", code=ticket.code,
                         answer=_answer_label(staff_lang, survey))
        ctx.notify_ticket_staff(ticket, Outgoing(text=text, ticket_code=ticket.code))
    ctx.reset()
    ctx.go(COMMENT_STATE, survey_code=ticket.code, survey_round=survey.round)
    return [ctx.reply(_comment_prompt(ctx, survey), _comment_buttons(ctx, ticket, survey))]


def _answer_label(lang: str, survey: Survey) -> str:
    """The answer as staff read it: "Hài lòng (đã giải quyết một phần)"."""
    level = translate(lang, f"survey.level_{survey.score}")
    if survey.resolved is None:
        return level
    return translate(lang, "survey.answer", level=level, resolved=translate(lang, f"survey.resolved_{survey.resolved}"))


def _can_reopen(ticket: Ticket, survey: Survey) -> bool:
    return (survey.resolved == "no" and survey.reopened_at is None and ticket.status in HANDLED_STATUSES
            and can_move(ticket.status, REOPENED) and CITIZEN in status_of(REOPENED).set_by)


def _comment_prompt(ctx: Context, survey: Survey) -> str:
    return ctx.t("survey.ask_comment_unsolved" if survey.resolved == "no" else "survey.ask_comment")


def _comment_buttons(ctx: Context, ticket: Ticket, survey: Survey) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    if _can_reopen(ticket, survey):
        rows.append((Button(ctx.t("btn.sv_reopen"), _data(ticket, survey, "reopen")),))
    rows.append((Button(ctx.t("btn.skip"), "sv:skip"),))
    return tuple(rows)


def _reopen(ctx: Context, ticket: Ticket, survey: Survey) -> list[Outgoing]:
    """The citizen says the problem is not solved: the ticket goes back to the office for review."""
    if not _can_reopen(ticket, survey) or not mark_reopened(ctx.session, survey):
        return [ctx.reply(ctx.t("survey.reopen_not_possible", code=ticket.code), main_menu(ctx.t))]
    old = ticket.status
    ticket.status, ticket.closed_at = REOPENED, None
    restart_clock(ticket, utcnow())
    add_event(ctx.session, ticket, actor_kind=CITIZEN, actor=_actor(ctx, ticket), kind="reopened",
              status_from=old, status_to=REOPENED)
    staff_lang = ctx.settings.default_language
    ctx.notify_ticket_staff(ticket, Outgoing(text=translate(staff_lang, "survey.staff_reopened", code=ticket.code),
                                             kind="ticket_reopened", ticket_code=ticket.code))
    ctx.go(COMMENT_STATE, survey_code=ticket.code, survey_round=survey.round)
    return [ctx.reply(ctx.t("survey.reopened", code=ticket.code, due=format_local(ticket.due_at, with_time=False)),
                      ((Button(ctx.t("btn.skip"), "sv:skip"),),))]


def _finish(ctx: Context) -> list[Outgoing]:
    ctx.reset()
    return [ctx.reply(ctx.t("survey.thanks"), main_menu(ctx.t))]


def take_comment(ctx: Context) -> list[Outgoing]:
    """Keep the citizen's comment on their answer and pass it to the staff chat."""
    text = (ctx.incoming.text or "").strip()
    ticket = get_ticket(ctx.session, str(ctx.data.get("survey_code", "")))
    survey = get_survey(ctx.session, ticket, int(ctx.data.get("survey_round", 0))) if ticket else None
    if " ".join(_said(text)) in _NO_COMMENT or ticket is None or survey is None:  # "ok", "không có gì": no comment
        return _finish(ctx)
    if procedure_guide.asks_a_procedure(ctx, text):  # "lam ho chieu o dau": a question, answered
        ctx.reset()
        return [ctx.reply(ctx.t("survey.thanks")), *procedure_guide.answer_question(ctx, text)]
    _keep_comment(ctx, ticket, survey, text)
    ctx.reset()
    rows = ((Button(ctx.t("btn.sv_reopen"), _data(ticket, survey, "reopen")),),) if _can_reopen(ticket, survey) else ()
    return [ctx.reply(ctx.t("survey.comment_thanks"), rows + main_menu(ctx.t))]


def _keep_comment(ctx: Context, ticket: Ticket, survey: Survey, text: str) -> None:
    """Keep a comment on the survey and pass it to the staff chat."""
    add_comment(ctx.session, survey, text)
    add_event(ctx.session, ticket, actor_kind="citizen", actor=_actor(ctx, ticket), kind="survey", text=text,
              public=False)
    staff_lang = ctx.settings.default_language
    answer = _answer_label(staff_lang, survey) if survey.score is not None else "-"
    notice = translate(staff_lang, "survey.staff_comment", code=ticket.code, answer=answer, comment=text)
    ctx.notify_ticket_staff(ticket, Outgoing(text=notice, ticket_code=ticket.code))
