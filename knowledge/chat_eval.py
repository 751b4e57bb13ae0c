"""Measuring what citizens get: each question asked by a fresh citizen through the real dispatcher.

The first reply is read as the citizen sees it: a card (its "steps" button names the procedure), a
choice of procedures (their buttons), or another answer (feedback, own tickets, small talk, a redirect
to another office, "not found"). Handlers tag their answers with `meta["answer"]`; procedures are read
from the buttons, as a person would press them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.eval import Report
from knowledge.intent import COMPLAINT, PROCEDURE, SMALLTALK, STATUS, UNKNOWN
from knowledge.loader import KnowledgeBase
from knowledge.matcher import Matcher

# what each kind of first reply means as an intent (a redirect is an out-of-scope answer)
ANSWER_INTENT = {
    "card": PROCEDURE,
    "choices": PROCEDURE,
    "complaint": COMPLAINT,
    "status": STATUS,
    "smalltalk": SMALLTALK,
    "redirect": UNKNOWN,
    "no_match": UNKNOWN,
    "contact": UNKNOWN,
}


@dataclass(frozen=True)
class FirstReply:
    """What a citizen got first: the kind of answer, the procedure on a card, the procedures offered."""

    kind: str
    card: str | None
    offered: tuple[str, ...]
    redirect: str | None = None


def read_reply(messages: list[Any], codes: dict[str, set[str]]) -> FirstReply:
    """The first reply's kind and procedures; `codes` maps a button reference to a procedure's ids."""
    kind = next((m.meta.get("answer") for m in messages if m.meta.get("answer")), None)
    redirect = next((m.meta.get("redirect") for m in messages if m.meta.get("redirect")), None)
    data = [b.data for m in messages for row in m.buttons for b in row]
    card = next((d.removeprefix("p:s:") for d in data if d.startswith("p:s:")), None)
    choices = [d.removeprefix("p:o:") for d in data if d.startswith("p:o:")]
    if kind is None:  # answers from outside the procedure guide (a ticket code typed: the ticket)
        kind = "card" if card else "choices" if choices else "status" if any(
            d.startswith(("t:", "m:mine")) for d in data) else "other"
    if kind == "card":
        offered: tuple[str, ...] = (card,) if card else ()
    elif kind == "choices":
        offered = tuple(choices)
    else:
        offered = ()

    def ids(reference: str | None) -> str | None:
        return min(codes[reference]) if reference in codes else reference

    return FirstReply(kind, ids(card) if kind == "card" else None, tuple(ids(r) or r for r in offered), redirect)


@contextmanager
def _dispatcher(kb: KnowledgeBase, matcher: Matcher) -> Iterator[Any]:
    """A dispatcher on a fresh SQLite database in a temporary directory."""
    from bot.settings import Settings
    from handlers.dispatcher import Dispatcher
    from storage.db import make_engine, upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'eval.db'}"
        settings = Settings(_env_file=None, database_url=url, flood_max_messages=1000)  # type: ignore[call-arg]
        upgrade(url)
        engine = make_engine(url)
        try:
            yield Dispatcher(engine, settings, kb, matcher)
        finally:
            engine.dispose()


def _references(kb: KnowledgeBase) -> dict[str, set[str]]:
    """Button reference -> the procedure's ids (local id and national code)."""
    from handlers.procedure_guide import ref

    return {ref(p): {p.id, p.national_code or p.id} for p in kb.procedures}


def ask_each(kb: KnowledgeBase, matcher: Matcher, rows: list[dict[str, Any]]) -> list[FirstReply]:
    """Each question asked by a new citizen (English rows after choosing English); their first replies."""
    from messaging.types import Incoming

    codes = _references(kb)
    replies = []
    with _dispatcher(kb, matcher) as dispatcher:
        for number, row in enumerate(rows):
            user = f"eval-{number}"

            def send(update: int, user: str = user, **fields: Any) -> list[Any]:
                msg = Incoming(platform="console", user_id=user, chat_id=user, update_id=f"{user}-{update}", **fields)
                return dispatcher.handle(msg)

            if row.get("lang") == "en":
                send(0, callback="lang:en")
            answers = send(1, text=row.get("question") or row["query"])
            replies.append(read_reply(answers, codes))
    return replies


def evaluate_conversation(kb: KnowledgeBase, matcher: Matcher, rows: list[dict[str, Any]]) -> Report:
    """Right card first, wrong card, right procedure offered, intent and redirects, as citizens get them."""
    report = Report("conversation", total=len(rows))
    replies = ask_each(kb, matcher, rows)
    asked = right_card = wrong_card = offered = intent_ok = 0
    redirects = redirect_ok = oos_card = 0
    kinds: dict[str, int] = {}
    for row, reply in zip(rows, replies, strict=True):
        expected = set(row.get("codes") or row.get("expected") or [])
        want = PROCEDURE if "codes" in row else row.get("intent", PROCEDURE)
        got_intent = ANSWER_INTENT.get(reply.kind, "other")
        intent_ok += got_intent == want
        kinds[reply.kind] = kinds.get(reply.kind, 0) + 1
        if row.get("redirect"):
            redirects += 1
            redirect_ok += reply.redirect == row["redirect"]
        if expected:
            asked += 1
            hit_card = reply.card is not None and reply.card in expected
            right_card += hit_card
            wrong_card += reply.card is not None and not hit_card
            hit = bool(set(reply.offered) & expected)
            offered += hit
        else:
            oos_card += reply.card is not None
            hit = hit_card = False
        wrong_redirect = bool(row.get("redirect")) and reply.redirect != row["redirect"]
        if got_intent != want or (expected and not hit_card) or wrong_redirect:
            report.misses.append({"query": row.get("question") or row["query"], "intent": [want, got_intent],
                                  "expected": sorted(expected), "reply": reply.kind, "card": reply.card,
                                  "offered": list(reply.offered), "redirect": reply.redirect})
    share = (lambda n: n / asked) if asked else (lambda n: 0.0)
    report.figures = {
        "right card first": share(right_card),
        "wrong card": share(wrong_card),
        "right procedure offered": share(offered),
        "intent (first reply)": intent_ok / len(rows) if rows else 0.0,
        "questions with a procedure": asked,
    }
    if len(rows) > asked:
        report.figures["card on out-of-scope"] = oos_card
    if redirects:
        report.figures["redirect right"] = redirect_ok / redirects
    report.figures["replies"] = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    return report
