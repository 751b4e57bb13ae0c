"""Many due follow-ups at once, and worker processes racing to queue them (the exactly-once test, the benchmark).

`seed(url, n)` writes n due follow-ups: half overdue tickets (an apology each, staff and lead notices), a
quarter of reminders due, a quarter of unanswered surveys due a reminder. `race(url, workers)` runs that many
worker processes at once; `duplicates(url)` counts what was queued more than once.
"""

from __future__ import annotations

import multiprocessing as mp
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, text

from bot.settings import Settings
from handlers.deadlines import end_of_day
from storage.clock import VN_TZ
from storage.db import make_engine
from storage.models import Citizen, Survey, Ticket, TicketEvent

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=VN_TZ)  # a Wednesday
CODE = re.compile(r"PA-\d{4}-\d{6}")


def settings_for(url: str) -> Settings:
    """Worker settings: console staff and lead chats, the digest on."""
    return Settings(_env_file=None, database_url=url, staff_chat="console:staff",  # type: ignore[call-arg]
                    lead_chat="console:lead", digest_hour=7)


@dataclass(frozen=True, slots=True)
class Seeded:
    """What was written: ticket codes by the follow-up they are due."""

    overdue: list[str]
    reminders: list[str]
    surveys: list[str]


def seed(url: str, n: int) -> Seeded:
    """Write `n` due follow-ups (bulk inserts)."""
    engine = make_engine(url)
    kinds = ["overdue" if i % 4 < 2 else "reminder" if i % 4 == 2 else "survey" for i in range(n)]
    due = {"overdue": end_of_day(datetime(2026, 11, 30).date()), "reminder": end_of_day(datetime(2026, 12, 4).date()),
           "survey": end_of_day(datetime(2026, 12, 10).date())}
    created = datetime(2026, 11, 16, 9, 0, tzinfo=VN_TZ)
    resolved_at = datetime(2026, 11, 27, 9, 0, tzinfo=VN_TZ)
    with engine.begin() as conn:
        conn.execute(insert(Citizen), [{"id": i + 1, "platform": "console", "user_id": f"load-{i}",
                                         "chat_id": f"load-{i}", "language": "vi", "banned": False,
                                         "created_at": created} for i in range(n)])
        conn.execute(insert(Ticket), [{
            "id": i + 1, "code": f"PA-2026-{i + 1:06d}", "citizen_id": i + 1, "category": "infrastructure",
            "description": "x", "anonymous": False, "language": "vi", "publish_location": False,
            "status": "resolved" if k == "survey" else "processing", "created_at": created, "updated_at": created,
            "due_at": due[k], "closed_at": resolved_at if k == "survey" else None} for i, k in enumerate(kinds)])
        surveys = [i for i, k in enumerate(kinds) if k == "survey"]
        if surveys:
            conn.execute(insert(TicketEvent), [{"ticket_id": i + 1, "at": resolved_at, "actor_kind": "staff",
                                                "kind": "status", "status_from": "processing",
                                                "status_to": "resolved", "public": True} for i in surveys])
            conn.execute(insert(Survey), [{"ticket_id": i + 1, "round": 1, "citizen_id": i + 1,
                                           "sent_at": resolved_at} for i in surveys])
        if engine.dialect.name == "postgresql":
            for table in ("citizen", "ticket", "ticketevent", "survey"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
    engine.dispose()
    codes = [f"PA-2026-{i + 1:06d}" for i in range(n)]
    return Seeded(overdue=[c for c, k in zip(codes, kinds, strict=True) if k == "overdue"],
                  reminders=[c for c, k in zip(codes, kinds, strict=True) if k == "reminder"],
                  surveys=[c for c, k in zip(codes, kinds, strict=True) if k == "survey"])


def _worker(url: str, go: mp.synchronize.Event, out: mp.Queue) -> None:  # type: ignore[name-defined]
    from jobs.followups import run_followups
    from storage.clock import clock_source

    settings = settings_for(url)
    engine = make_engine(url)
    with engine.connect():
        pass
    go.wait()
    started = time.perf_counter()
    with clock_source(lambda: NOW):
        run = run_followups(engine, settings)
    out.put((run.reminders + run.apologies + run.survey_reminders + run.digests, time.perf_counter() - started))
    engine.dispose()


def race(url: str, workers: int) -> tuple[list[int], float]:
    """Run `workers` processes at once; (follow-ups each queued, wall seconds from the start signal)."""
    ctx = mp.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, go, out)) for _ in range(workers)]
    for p in procs:
        p.start()
    time.sleep(3.0)  # let them import and connect
    started = time.perf_counter()
    go.set()
    results = [out.get(timeout=600) for _ in procs]
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0, f"worker exited with {p.exitcode}"
    return [r[0] for r in results], elapsed


@dataclass(frozen=True, slots=True)
class Delivered:
    """What the outbox holds, counted per ticket."""

    apologies: Counter[str]
    surveys: Counter[str]
    reminders: Counter[str]
    overdue_notices: Counter[str]
    escalations: Counter[str]
    digests: int


def delivered(url: str) -> Delivered:
    """Count the queued messages per ticket code (staff lists are read for the codes they name)."""
    engine = make_engine(url)
    counts: dict[str, Counter[str]] = {k: Counter() for k in ("apology", "survey", "reminder", "overdue",
                                                               "escalation", "digest")}
    with engine.connect() as conn:
        for (payload,) in conn.execute(text("SELECT payload FROM outboxmessage")):
            data = payload if isinstance(payload, dict) else __import__("json").loads(payload)
            kind = data.get("kind")
            if kind not in counts:
                continue
            if kind == "digest":
                counts[kind]["digest"] += 1
            elif kind in ("apology", "survey"):
                counts[kind][data.get("ticket_code")] += 1
            else:
                for line in data["text"].splitlines():  # a notice names its ticket twice (and /ticket CODE)
                    counts[kind].update(set(CODE.findall(line)))
    engine.dispose()
    return Delivered(counts["apology"], counts["survey"], counts["reminder"], counts["overdue"],
                     counts["escalation"], counts["digest"]["digest"])


def duplicates(found: Delivered) -> int:
    """Messages queued more than once for the same ticket and follow-up."""
    per_ticket = (found.apologies, found.surveys, found.reminders, found.overdue_notices, found.escalations)
    return sum(n - 1 for counter in per_ticket for n in counter.values() if n > 1) + max(0, found.digests - 1)
