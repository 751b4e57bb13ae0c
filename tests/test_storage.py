"""Storage on SQLite and on PostgreSQL: migrations, tickets, the audit trail, the outbox, deduplication."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

from messaging.types import Button, Outgoing
from storage import outbox
from storage.citizens import get_citizen, get_or_create_citizen, mark_unreachable
from storage.clock import utcnow
from storage.conversations import load_conversation, save_conversation, save_conversations
from storage.models import Citizen, TicketEvent
from storage.senders import Identity, load_sender, load_senders
from storage.staff import add_staff, find_staff, get_staff, remove_staff
from storage.threads import link_thread, thread_for_ticket, ticket_for_thread
from storage.tickets import NewTicket, add_event, create_ticket, get_ticket, list_tickets, ticket_events
from storage.unmatched import record_unmatched, top_unmatched
from storage.updates import already_processed, mark_new


def _citizen(session: Session, user: str = "u1") -> Citizen:
    return get_or_create_citizen(session, "telegram", user, user)


def _ticket(session: Session, citizen: Citizen, **overrides):
    fields = {"citizen_id": citizen.id, "category": "other", "description": "Mô tả",
              "due_at": utcnow() + timedelta(days=5)}
    fields.update(overrides)
    return create_ticket(session, NewTicket(**fields), [{"kind": "photo", "file_id": "f1"}], prefix="PA",
                         actor="telegram:u1")


def test_migrated_schema_matches_the_models(any_engine) -> None:
    with any_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []


def test_ticket_gets_a_sequential_code_and_a_created_event(any_engine) -> None:
    with Session(any_engine) as s:
        c = _citizen(s)
        first, second = _ticket(s, c), _ticket(s, c)
        s.commit()
        year = utcnow().year
        assert (first.code, second.code) == (f"PA-{year}-{first.id:06d}", f"PA-{year}-{second.id:06d}")
        assert [e.kind for e in ticket_events(s, first, public_only=True)] == ["created"]
        assert get_ticket(s, first.code.lower()).id == first.id


def test_times_round_trip_as_aware_utc(any_engine) -> None:
    with Session(any_engine) as s:
        t = _ticket(s, _citizen(s))
        s.commit()
        code, due = t.code, t.due_at
    with Session(any_engine) as s:
        loaded = get_ticket(s, code)
        assert loaded.due_at.utcoffset() == timedelta(0)
        assert abs(loaded.due_at - due) < timedelta(seconds=1)


def test_ticket_events_cannot_be_rewritten(any_engine) -> None:
    with Session(any_engine) as s:
        t = _ticket(s, _citizen(s))
        s.commit()
        event = s.exec(select(TicketEvent)).one()
        event.text = "rewritten"
        s.add(event)
        with pytest.raises(PermissionError):
            s.commit()
        s.rollback()
        with pytest.raises(PermissionError):
            s.delete(s.exec(select(TicketEvent)).one())
            s.commit()
        s.rollback()
        assert [e.text for e in ticket_events(s, t, public_only=False)] == [None]


def test_internal_events_are_hidden_from_public_history(any_engine) -> None:
    with Session(any_engine) as s:
        t = _ticket(s, _citizen(s))
        add_event(s, t, actor_kind="staff", actor="a", kind="note", text="nội bộ", public=False)
        add_event(s, t, actor_kind="staff", actor="a", kind="reply", text="trả lời")
        s.commit()
        assert [e.kind for e in ticket_events(s, t, public_only=True)] == ["created", "reply"]
        assert len(ticket_events(s, t, public_only=False)) == 3


def test_overdue_list_holds_only_open_tickets_past_their_due_date(any_engine) -> None:
    with Session(any_engine) as s:
        c = _citizen(s)
        late = _ticket(s, c, due_at=utcnow() - timedelta(days=1))
        _ticket(s, c)
        closed_late = _ticket(s, c, due_at=utcnow() - timedelta(days=1))
        closed_late.status = "closed"
        s.commit()
        assert [t.code for t in list_tickets(s, "overdue")] == [late.code]
        assert len(list_tickets(s, "open")) == 2 and len(list_tickets(s, "all")) == 3


def test_conversation_state_survives_a_new_session(any_engine) -> None:
    with Session(any_engine) as s:
        conv = load_conversation(s, "telegram", "u1")
        save_conversation(s, conv, "fb.description", {"category": "other", "files": [{"file_id": "x"}]})
        s.commit()
    with Session(any_engine) as s:
        conv = load_conversation(s, "telegram", "u1")
        assert (conv.state, conv.data["files"][0]["file_id"]) == ("fb.description", "x")


def test_stored_conversation_moves_on_to_its_latest_state(any_engine) -> None:
    for state, data in (("fb.category", {}), ("fb.description", {"category": "other", "note": "Đường"})):
        with Session(any_engine) as s:
            save_conversation(s, load_conversation(s, "telegram", "u2"), state, data)
            s.commit()
    with Session(any_engine) as s:
        conv = load_conversation(s, "telegram", "u2")
        assert (conv.state, conv.data) == ("fb.description", {"category": "other", "note": "Đường"})


def test_first_contact_creates_the_citizen_and_an_empty_conversation(any_engine) -> None:
    with Session(any_engine) as s:
        sender = load_sender(s, Identity("telegram", "u5", "u5", display_name="Lan"))
        assert (sender.citizen.display_name, sender.staff, sender.conversation.state) == ("Lan", None, None)
        s.commit()
    with Session(any_engine) as s:
        assert get_citizen(s, "telegram", "u5") is not None


def test_known_sender_comes_with_staff_membership_and_conversation(any_engine) -> None:
    with Session(any_engine) as s:
        load_sender(s, Identity("telegram", "7", "7"))
        add_staff(s, "telegram", "7", name="Cán bộ")
        save_conversation(s, load_conversation(s, "telegram", "7"), "fb.description", {"category": "other"})
        s.commit()
    with Session(any_engine) as s:
        sender = load_sender(s, Identity("telegram", "7", "7", username="canbo"))
        assert sender.staff is not None and sender.staff.name == "Cán bộ"
        assert (sender.conversation.state, sender.citizen.username) == ("fb.description", "canbo")


def test_several_senders_known_and_new_are_loaded_together(any_engine) -> None:
    with Session(any_engine) as s:
        load_sender(s, Identity("telegram", "7", "7"))
        add_staff(s, "telegram", "7", name="Cán bộ")
        s.commit()
    with Session(any_engine) as s:
        senders = load_senders(s, [Identity("telegram", "7", "7"), Identity("telegram", "9", "9", "Lan"),
                                   Identity("zalo", "7", "7")])
        assert {key: (sender.citizen.display_name, sender.staff is not None) for key, sender in senders.items()} == {
            ("telegram", "7"): (None, True), ("telegram", "9"): ("Lan", False), ("zalo", "7"): (None, False)}
        s.commit()
    with Session(any_engine) as s:
        assert get_citizen(s, "telegram", "9") is not None


def test_several_conversations_are_saved_together(any_engine) -> None:
    with Session(any_engine) as s:
        stored = load_conversation(s, "telegram", "u1")
        s.commit()
    with Session(any_engine) as s:
        stored, new = load_conversation(s, "telegram", "u1"), load_conversation(s, "telegram", "u2")
        save_conversations(s, [(stored, "fb.category", {"files": []}), (new, "fb.description", {"note": "Đường"})])
        s.commit()
    with Session(any_engine) as s:
        assert [(c.state, c.data) for c in (load_conversation(s, "telegram", u) for u in ("u1", "u2"))] == [
            ("fb.category", {"files": []}), ("fb.description", {"note": "Đường"})]


def test_removed_staff_member_writes_as_a_citizen(any_engine) -> None:
    with Session(any_engine) as s:
        load_sender(s, Identity("telegram", "8", "8"))
        remove_staff(s, add_staff(s, "telegram", "8"))
        s.commit()
    with Session(any_engine) as s:
        assert load_sender(s, Identity("telegram", "8", "8")).staff is None


def test_outbox_delivers_each_message_once_and_retries_later(any_engine) -> None:
    with Session(any_engine) as s:
        outbox.enqueue(s, "telegram", "100", Outgoing("xin chào", buttons=((Button("A", "a"),),)).to_dict())
        outbox.enqueue(s, "telegram", "200", Outgoing("lần hai").to_dict())
        s.commit()
    first = outbox.claim_due(any_engine, "telegram", limit=10, owner="w1")
    assert [i.chat_id for i in first] == ["100", "200"]
    assert Outgoing.from_dict(first[0].payload).buttons[0][0].data == "a"
    assert outbox.claim_due(any_engine, "telegram", owner="w2") == []  # leased: no other worker takes them
    outbox.mark_sent(any_engine, [first[0].id])
    outbox.release(any_engine, [first[1].id], "w1", error="429", count_attempt=True)
    again = outbox.claim_due(any_engine, "telegram", owner="w2")
    assert [(i.chat_id, i.attempts) for i in again] == [("200", 2)]
    outbox.mark_failed(any_engine, again[0].id, "w2", "400 chat not found")
    assert outbox.pending_count(any_engine, "telegram") == 0


def test_outbox_message_of_a_dead_worker_is_sent_again_after_its_lease(any_engine) -> None:
    with Session(any_engine) as s:
        outbox.enqueue(s, "telegram", "100", Outgoing("x").to_dict())
        s.commit()
    assert len(outbox.claim_due(any_engine, "telegram", lease_seconds=0)) == 1
    assert len(outbox.claim_due(any_engine, "telegram")) == 1


def test_update_is_processed_once(any_engine) -> None:
    with Session(any_engine) as s:
        assert already_processed(s, "telegram", "501") is False
        s.commit()
    with Session(any_engine) as s:
        assert already_processed(s, "telegram", "501") is True
        assert already_processed(s, "zalo", "501") is False


def test_marking_several_updates_returns_those_not_handled_before(any_engine) -> None:
    with Session(any_engine) as s:
        assert mark_new(s, [("telegram", "601")]) == {("telegram", "601")}
        s.commit()
    with Session(any_engine) as s:
        assert mark_new(s, [("telegram", "601"), ("telegram", "602"), ("zalo", "601")]) == {
            ("telegram", "602"), ("zalo", "601")}


def test_unreachable_citizen_is_recorded(any_engine) -> None:
    with Session(any_engine) as s:
        _citizen(s, "u9")
        s.commit()
    mark_unreachable(any_engine, "telegram", "u9")
    with Session(any_engine) as s:
        assert _citizen(s, "u9").unreachable_at is None  # writing again makes them reachable
    mark_unreachable(any_engine, "telegram", "u9")
    with Session(any_engine) as s:
        assert s.exec(select(Citizen).where(Citizen.user_id == "u9")).one().unreachable_at is not None


def test_staff_list_add_find_remove(any_engine) -> None:
    with Session(any_engine) as s:
        add_staff(s, "telegram", "7", name="Hà", username="ha_cb")
        s.commit()
        assert find_staff(s, "@ha_cb", "telegram").user_id == "7"
        assert find_staff(s, "telegram:7", "console").name == "Hà"
        remove_staff(s, get_staff(s, "telegram", "7"))
        s.commit()
        assert get_staff(s, "telegram", "7") is None


def test_ticket_threads_map_topics_and_messages_back_to_tickets(any_engine) -> None:
    with Session(any_engine) as s:
        link_thread(s, "PA-2026-000001", "telegram", "-100", thread_id="11")
        link_thread(s, "PA-2026-000002", "telegram", "-100", message_id="900")
        s.commit()
        assert ticket_for_thread(s, "telegram", "-100", thread_id="11") == "PA-2026-000001"
        assert ticket_for_thread(s, "telegram", "-100", message_id="900") == "PA-2026-000002"
        assert ticket_for_thread(s, "telegram", "-100", thread_id="12") is None
        assert thread_for_ticket(s, "PA-2026-000001", "telegram", "-100") == "11"


def test_unmatched_questions_are_counted(any_engine) -> None:
    with Session(any_engine) as s:
        for q in ("giá vàng", "giá vàng", "thời tiết"):
            record_unmatched(s, q, q)
            s.flush()
        s.commit()
        assert top_unmatched(s) == [("giá vàng", 2), ("thời tiết", 1)]
