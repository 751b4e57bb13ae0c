"""Shared fixtures: settings, databases (SQLite always, PostgreSQL when reachable), dispatcher, chats.

The `dispatcher` (and with it the `citizen`, `other_citizen` and `staff` chats) runs every conversation test
twice: on SQLite and on PostgreSQL (`engine`). PostgreSQL tests share one migrated schema per session,
emptied before each test, so running them twice costs little.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import handlers.categories as categories_module
from bot.settings import Settings
from handlers.dispatcher import Dispatcher
from knowledge import KnowledgeBase, load_knowledge_base
from storage.clock import VN_TZ, clock_source
from storage.db import make_engine, upgrade
from tests.chat_driver import Chat
from tests.timetravel import Clock

ROOT = Path(__file__).resolve().parents[1]
CORE_KB = ROOT / "tests" / "fixtures" / "core_kb"
SHARED = ROOT.parent / "shared"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_available() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip
        return f"PostgreSQL at TEST_DATABASE_URL is not reachable ({type(exc).__name__})"
    return None


@pytest.fixture
def clock() -> Iterator[Clock]:
    """A controllable clock (Monday 23 November 2026, 09:00 Vietnam time) read by every `utcnow()`."""
    from datetime import datetime

    from handlers.deadlines import set_office_closures

    moving = Clock(datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ))
    with clock_source(moving):
        yield moving
    set_office_closures(())


@pytest.fixture(scope="session")
def core_kb() -> KnowledgeBase:
    """A small knowledge base independent of the shipped data."""
    return load_knowledge_base(CORE_KB)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for one test: a temporary SQLite file, one console admin, a console staff chat."""
    return Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'bot.db'}",  # type: ignore[call-arg]
                    admin_ids=["console:admin"], flood_max_messages=1000)


@pytest.fixture
def sqlite_engine(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Engine]:
    """A migrated SQLite database in a temporary file.

    In a test that also uses the `dispatcher`, this is the dispatcher's database (`engine`: SQLite or
    PostgreSQL), so a test written for SQLite alone checks what the dispatcher wrote on both.
    """
    if "dispatcher" in request.fixturenames:
        yield request.getfixturevalue("engine")
        return
    upgrade(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    yield engine
    engine.dispose()


@contextmanager
def _migrated_schema(prefix: str) -> Iterator[str]:
    """A URL to a new, migrated schema in the test PostgreSQL (skipped, or failed, when none is reachable)."""
    reason = postgres_available()
    if reason and os.environ.get("REQUIRE_POSTGRES"):
        pytest.fail(f"{reason}, and REQUIRE_POSTGRES is set")
    if reason:
        pytest.skip(reason)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    upgrade(url)
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to a fresh, migrated schema in the test PostgreSQL, dropped afterwards."""
    with _migrated_schema("t") as url:
        yield url


@pytest.fixture(scope="session")
def shared_pg_url() -> Iterator[str]:
    """One migrated schema in the test PostgreSQL for the whole session (emptied by `engine` before each test)."""
    with _migrated_schema("s") as url:
        yield url


def _emptied(url: str) -> Engine:
    """An engine on the shared schema with every table emptied and every id sequence restarted."""
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Engine]:
    """The conversation tests' database: a SQLite file, then the shared PostgreSQL schema (emptied).

    `settings.database_url` points to it, so a test may open it again as a restarted process would.
    """
    if request.param == "sqlite":
        upgrade(settings.effective_database_url)
        made = make_engine(settings.effective_database_url)
    else:
        url = request.getfixturevalue("shared_pg_url")
        settings.database_url = url
        made = _emptied(url)
    yield made
    made.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Engine]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = settings.effective_database_url
        upgrade(url)
    else:
        url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def dispatcher(engine: Engine, settings: Settings, core_kb: KnowledgeBase) -> Dispatcher:
    """The real dispatcher on a fresh database (SQLite, then PostgreSQL)."""
    return Dispatcher(engine, settings, core_kb)


@pytest.fixture
def citizen(dispatcher: Dispatcher) -> Chat:
    """A citizen in a private console chat."""
    return Chat(dispatcher, "citizen-1", user_name="Lan")


@pytest.fixture
def other_citizen(dispatcher: Dispatcher) -> Chat:
    """Another citizen."""
    return Chat(dispatcher, "citizen-2", user_name="Minh")


@pytest.fixture
def staff(dispatcher: Dispatcher) -> Chat:
    """The configured admin, writing in the console staff chat."""
    return Chat(dispatcher, "admin", chat_id="staff", is_group=True, user_name="Cán bộ Hà")


def route_category(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, category_id: str, chat: str) -> None:
    """Give one category its own staff chat (`platform:chat_id`) for this test."""
    data = yaml.safe_load(categories_module.CATEGORIES_FILE.read_text(encoding="utf-8"))
    for item in data["categories"]:
        if item["id"] == category_id:
            item["staff_chat"] = chat
    path = tmp_path / "categories.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(categories_module, "CATEGORIES_FILE", path)
    categories_module.categories.cache_clear()


@pytest.fixture
def own_chat_for_attitude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Category 'attitude' (Thái độ) posts to its own staff chat, console:thanh-tra."""
    route_category(tmp_path, monkeypatch, "attitude", "console:thanh-tra")
    yield "thanh-tra"
    categories_module.categories.cache_clear()
