"""Property tests: random sequences of updates thrown at the real dispatcher (texts, buttons, media, commands,
stale and forged button data, several updates of one citizen at once). No exception escapes, every answer
can be sent, and what is stored stays valid."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from handlers.dispatcher import STATES, Dispatcher
from messaging.types import Attachment, AttachmentKind, Incoming, Location, Outgoing
from storage.models import Conversation, OutboxMessage, Ticket, TicketEvent
from storage.outbox import Lease
from storage.statuses import BY_ID

COMMANDS = ["start", "help", "menu", "feedback", "mine", "contact", "language", "privacy", "procedures",
            "cancel", "mydata", "forget", "reply", "tickets", "ticket", "close", "xyz"]
KNOWN_DATA = ["m:menu", "m:feedback", "m:procedures", "m:mine", "consent:yes:menu", "consent:yes:fb", "consent:no",
              "fb:cat:infrastructure", "fb:ag:mot-cua", "fb:ag:-", "fb:skip", "fb:done", "fb:send", "fb:anon",
              "fb:edit:description", "cancel", "t:PA-2026-000001", "sv:3:PA-2026-000001", "p:0", "privacy:forget",
              "privacy:forget:no", "privacy:forget:yes", "lang:en", "lang:vi"]
TRICKY = st.sampled_from(["\x00", "\u0301" * 50, "\u200b\u200b", "\ufeff", "\u202e", "\ud800", "🇻🇳", "\r\n",
                          "ệ", "e\u0302\u0323", "PA-2026-000001", "0912 345 678", " ", "'; DROP TABLE ticket;--"])
TEXTS = st.one_of(st.text(max_size=200), st.lists(TRICKY, max_size=6).map("".join),
                  st.sampled_from(["dk khai sinh cho con o dau", "làm lại căn cước cần giấy tờ gì",
                                   "Đèn đường ngõ 5 hỏng", "2", "x" * 4001]))


@st.composite
def update(draw: Any, last_buttons: list[str]) -> dict[str, Any]:
    """One update's fields (without who sent it)."""
    kind = draw(st.sampled_from(["text", "text", "command", "button", "button", "forged", "photo", "media",
                                 "location", "contact"]))
    if kind == "text":
        return {"text": draw(TEXTS)}
    if kind == "command":
        return {"text": f"/{draw(st.sampled_from(COMMANDS))} {draw(TEXTS)[:40]}".rstrip()}
    if kind == "button":
        pool = last_buttons or KNOWN_DATA
        return {"callback": draw(st.sampled_from(pool + KNOWN_DATA))}
    if kind == "forged":
        return {"callback": draw(st.text(max_size=64))}
    if kind == "photo":
        return {"attachments": (Attachment(AttachmentKind.PHOTO, draw(st.text(min_size=1, max_size=40))),),
                "text": draw(st.none() | TEXTS)}
    if kind == "media":
        return {"unsupported": draw(st.sampled_from(["sticker", "voice", "video", "poll"]))}
    if kind == "location":
        return {"location": Location(draw(st.floats(-90, 90)), draw(st.floats(-180, 180)))}
    return {"contact_phone": draw(st.text(max_size=20))}


def check_answers(items: list[Any]) -> list[str]:
    """Every answer can be rendered and sent; returns the button data offered."""
    data = []
    for item in items:
        out = Outgoing.from_dict(item.payload)
        assert isinstance(out.text, str) and out.text.strip(), item.payload
        assert "\x00" not in out.text
        for row in out.buttons:
            for button in row:
                assert button.label and len(button.data.encode()) <= 64, button
                data.append(button.data)
    return data


def check_storage(engine: Any) -> None:
    """Stored state is valid: known conversation states, JSON data, complete tickets, sendable outbox rows."""
    with Session(engine) as s:
        for conv in s.exec(select(Conversation)):
            assert conv.state in STATES, conv.state
            json.dumps(conv.data)
        for ticket in s.exec(select(Ticket)):
            assert ticket.status in BY_ID and ticket.due_at is not None and ticket.description.strip()
            assert "\x00" not in ticket.description
            events = s.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all()
            assert any(e.kind == "created" for e in events)
        for row in s.exec(select(OutboxMessage)):
            Outgoing.from_dict(row.payload)
            assert row.status in ("pending", "sending", "sent", "failed", "waiting")


LEASE = Lease("property-test", 30.0, frozenset({"console"}))
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                             HealthCheck.too_slow])


@SETTINGS
@given(data=st.data())
def test_random_update_sequences_never_break_the_dispatcher(dispatcher: Dispatcher, data: Any) -> None:
    run = uuid.uuid4().hex[:8]
    people = [f"p{run}-{i}" for i in range(data.draw(st.integers(1, 3)))]
    buttons: dict[str, list[str]] = {p: [] for p in people}
    for _ in range(data.draw(st.integers(1, 25))):
        person = data.draw(st.sampled_from([*people, "admin"]))
        staff = person == "admin"
        batch = []
        for _ in range(data.draw(st.integers(1, 3))):  # a few arriving together (handled in one batch)
            fields = data.draw(update(buttons.get(person, [])))
            batch.append(Incoming("console", person, "staff" if staff else person, is_group=staff,
                                  update_id=uuid.uuid4().hex, user_name=data.draw(st.none() | TEXTS), **fields))
        answers = dispatcher.answer_many(batch, LEASE)
        assert len(answers) == len(batch)
        for items in answers:
            offered = check_answers([i for i in items if i.chat_id == (person if not staff else "staff")])
            if offered and not staff:
                buttons[person] = offered
    check_storage(dispatcher.engine)


@SETTINGS
@given(texts=st.lists(TEXTS, min_size=2, max_size=6), taps=st.lists(st.sampled_from(KNOWN_DATA), max_size=4))
def test_updates_of_one_citizen_at_the_same_moment_keep_the_state_valid(dispatcher: Dispatcher, texts: list[str],
                                                                        taps: list[str]) -> None:
    person = f"c{uuid.uuid4().hex[:8]}"
    updates = [Incoming("console", person, person, text=t, update_id=uuid.uuid4().hex) for t in texts]
    updates += [Incoming("console", person, person, callback=d, update_id=uuid.uuid4().hex) for d in taps]
    with ThreadPoolExecutor(4) as pool:  # as two webhook workers would get them
        results = list(pool.map(lambda msg: dispatcher.answer(msg, LEASE), updates))
    for items in results:
        check_answers(items)
    check_storage(dispatcher.engine)
