"""Updates handled together (a batch from one getUpdates) and beside other workers: same answers, fewer transactions."""

from __future__ import annotations

from itertools import count

import pytest
from sqlalchemy import event
from sqlmodel import Session

import handlers.dispatcher as dispatcher_module
from handlers.dispatcher import Dispatcher
from handlers.i18n import translate
from messaging.types import Incoming, Outgoing
from storage.citizens import get_or_create_citizen
from storage.conversations import load_conversation
from storage.db import make_engine

_ids = count(10_000)


def _msg(user: str, text: str | None = None, callback: str | None = None, update_id: str | None = None) -> Incoming:
    return Incoming("telegram", user, user, text=text, callback=callback, update_id=update_id or str(next(_ids)))


def _texts(answers: list[Outgoing]) -> list[str]:
    return [out.text for out in answers]


@pytest.fixture
def together(any_engine, settings, core_kb) -> Dispatcher:
    return Dispatcher(any_engine, settings, core_kb)


def test_updates_handled_together_get_the_answers_they_get_one_by_one(together: Dispatcher) -> None:
    alone = together.handle(_msg("solo", "/start"))
    answers = together.handle_many([_msg(user, "/start") for user in ("a", "b", "c")])
    assert [_texts(out) for out in answers] == [_texts(alone)] * 3


def test_a_senders_updates_in_one_batch_keep_their_order(together: Dispatcher) -> None:
    expected = [together.handle(_msg("solo", "/start")), together.handle(_msg("solo", callback="consent:yes:menu"))]
    answers = together.handle_many([_msg("a", "/start"), _msg("b", "/start"), _msg("a", callback="consent:yes:menu")])
    assert [_texts(answers[0]), _texts(answers[2])] == [_texts(out) for out in expected]


def test_each_senders_conversation_is_saved(together: Dispatcher, any_engine) -> None:
    together.handle_many([_msg("a", "/start"), _msg("b", "/start")])
    together.handle_many([_msg("a", callback="consent:yes:menu"), _msg("b", callback="consent:yes:menu")])
    together.handle_many([_msg("a", "/feedback"), _msg("b", "/feedback")])
    with Session(any_engine) as s:
        assert [load_conversation(s, "telegram", user).state for user in "ab"] == ["fb.category"] * 2


def test_an_update_delivered_twice_in_a_batch_is_answered_once(together: Dispatcher) -> None:
    answers = together.handle_many([_msg("a", "/start", update_id="77"), _msg("a", "/start", update_id="77")])
    assert answers[0] and answers[1] == []


def test_an_update_handled_before_gets_no_answer_in_a_batch(together: Dispatcher) -> None:
    together.handle(_msg("a", "/start", update_id="78"))
    answers = together.handle_many([_msg("a", "/start", update_id="78"), _msg("b", "/start")])
    assert answers[0] == [] and answers[1]


def test_a_failing_update_costs_the_others_in_its_batch_nothing(together: Dispatcher, any_engine, monkeypatch) -> None:
    route = dispatcher_module.route

    def failing_route(ctx):  # type: ignore[no-untyped-def]
        if ctx.incoming.text == "boom":
            raise RuntimeError("a bug in one handler")
        return route(ctx)

    monkeypatch.setattr(dispatcher_module, "route", failing_route)
    alone = together.handle(_msg("solo", "/start"))
    answers = together.handle_many([_msg("a", "/start"), _msg("b", "boom"), _msg("c", "/start")])
    assert [_texts(out) for out in answers] == [
        _texts(alone), [translate("vi", "error.busy")], _texts(alone)]
    with Session(any_engine) as s:
        assert load_conversation(s, "telegram", "a").state == load_conversation(s, "telegram", "solo").state


def test_distinct_senders_updates_share_one_transaction(together: Dispatcher, any_engine) -> None:
    together.handle_many([_msg(user, "/start") for user in "abcde"])  # first contacts
    commits: list[object] = []
    event.listen(any_engine, "commit", commits.append)
    together.handle_many([_msg(user, "/help") for user in "abcde"])
    assert len(commits) == 1


def test_flood_limit_applies_to_updates_handled_together(any_engine, settings, core_kb) -> None:
    flood = Dispatcher(any_engine, settings.model_copy(update={"flood_max_messages": 2}), core_kb)
    answers = flood.handle_many([_msg("a", "/help") for _ in range(4)])
    assert _texts(answers[2]) == [translate("vi", "error.flood", seconds=60)] and answers[3] == []


def test_a_first_contact_another_worker_stored_meanwhile_is_still_answered(pg_url, settings, core_kb) -> None:
    engine, other = make_engine(pg_url), make_engine(pg_url)
    raced: list[bool] = []

    def other_worker_adds_the_citizen(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if not raced and statement.lstrip().startswith("SELECT") and "citizen" in statement:
            raced.append(True)  # the dispatcher has just found no citizen "race": another worker adds it now
            with Session(other) as s:
                get_or_create_citizen(s, "telegram", "race", "race")
                s.commit()

    event.listen(engine, "after_cursor_execute", other_worker_adds_the_citizen)
    answers = Dispatcher(engine, settings, core_kb).handle(_msg("race", "/start"))
    assert raced and _texts(answers) != [translate("vi", "error.busy")] and answers
    engine.dispose()
    other.dispose()
