"""Migration 0004 keeps every old figure: three-level answers on five levels, marks as follow-up claims."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, col, select

from reports.facts import load_facts
from reports.satisfaction import index_of
from storage.db import make_engine, upgrade
from storage.models import Followup, Survey
from tests.conftest import PG_URL, postgres_available

SENT = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0003 (before this migration)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        upgrade(url, "0003_credentials")
        yield url
        return
    reason = postgres_available()
    if reason:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    upgrade(url, "0003_credentials")
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _old_data(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO citizen (id, platform, user_id, chat_id, language, banned, created_at)"
                          " VALUES (1, 'console', 'c', 'c', 'vi', false, :at)"), {"at": SENT})
        for number, (score, reminded, apologized) in enumerate([(3, SENT, None), (2, None, SENT), (1, None, None),
                                                                (None, None, None)], start=1):
            conn.execute(text(
                "INSERT INTO ticket (id, code, citizen_id, category, description, anonymous, status, language,"
                " created_at, updated_at, due_at, closed_at, reminded_at, apologized_at, survey_sent_at)"
                " VALUES (:id, :code, 1, 'other', 'x', false, 'resolved', 'vi', :at, :at, :at, :at, :rem, :apo, :at)"),
                {"id": number, "code": f"PA-2026-{number:06d}", "at": SENT, "rem": reminded, "apo": apologized})
            if score is not None:
                conn.execute(text("INSERT INTO surveyanswer (ticket_id, citizen_id, score, comment, at)"
                                  " VALUES (:t, 1, :score, :comment, :at)"),
                             {"t": number, "score": score, "comment": "ý kiến" if score == 1 else None, "at": SENT})
    engine.dispose()


def test_old_three_level_answers_are_kept_on_the_five_level_scale(old_url: str) -> None:
    _old_data(old_url)
    upgrade(old_url)
    engine = make_engine(old_url)
    with Session(engine) as s:
        surveys = list(s.exec(select(Survey).order_by(col(Survey.ticket_id))))
        assert [(v.ticket_id, v.round, v.score, v.legacy_score) for v in surveys] == [
            (1, 1, 5, 3), (2, 1, 4, 2), (3, 1, 2, 1), (4, 1, None, None)]
        assert surveys[2].comment == "ý kiến"
        assert surveys[3].reminded_at is not None  # sent long ago and never answered: not reminded after the upgrade
        claims = sorted((f.kind, f.ticket_id) for f in s.exec(select(Followup)))
        assert claims == [("overdue", 2), ("reminder", 1)]
        index = index_of(load_facts(s), SENT.replace(day=1), SENT.replace(month=12, day=1))
        assert (index.answers, index.satisfied) == (3, 2)  # as the old report counted: score >= 2 of 3 levels
    engine.dispose()


def test_the_migration_can_be_undone_without_losing_the_old_answers(old_url: str) -> None:
    _old_data(old_url)
    upgrade(old_url)
    from alembic import command

    from storage.db import alembic_config

    command.downgrade(alembic_config(old_url), "0003_credentials")
    engine = make_engine(old_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT ticket_id, score FROM surveyanswer ORDER BY ticket_id")).all()
        marks = conn.execute(text("SELECT id FROM ticket WHERE reminded_at IS NOT NULL OR apologized_at IS NOT NULL"
                                  " ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, 3), (2, 2), (3, 1)] and [m[0] for m in marks] == [1, 2]
    engine.dispose()
