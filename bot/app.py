"""Wiring: settings, database, knowledge base and dispatcher, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.outbox_sender import SenderHub
from bot.settings import Settings, get_settings
from handlers.deadlines import load_holidays, set_office_closures
from handlers.dispatcher import Dispatcher
from knowledge import KnowledgeBase, Matcher, default_knowledge_base, load_knowledge_base
from storage.db import make_engine, upgrade


@dataclass
class App:
    """Everything a runtime needs to serve updates."""

    settings: Settings
    engine: Engine
    kb: KnowledgeBase
    dispatcher: Dispatcher
    senders: SenderHub = field(default_factory=SenderHub)  # this process's senders, one per messenger


def build_app(settings: Settings | None = None, *, engine: Engine | None = None, migrate: bool = True,
              kb: KnowledgeBase | None = None) -> App:
    """Connect to the database (upgrading its schema unless told not to) and load the knowledge base."""
    settings = settings or get_settings()
    url = settings.effective_database_url
    if migrate and engine is None:
        upgrade(url)
    engine = engine or make_engine(url)
    if kb is None:
        kb = load_knowledge_base(settings.knowledge_dir) if settings.knowledge_dir else default_knowledge_base()
    set_office_closures(settings.closure_days)
    load_holidays()  # at start-up, not while the first citizen to file a ticket waits
    return App(settings=settings, engine=engine, kb=kb, dispatcher=Dispatcher(engine, settings, kb, Matcher(kb)),
               senders=SenderHub(lease_seconds=getattr(settings, "outbox_lease_seconds", 15.0)))
