"""Follow-ups claimed and queued by worker processes racing on one PostgreSQL database.

    .venv/bin/python benchmarks/followups.py [--followups 10000] [--workers 2]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

Writes the due follow-ups into a fresh schema (half overdue tickets: an apology, a staff notice and an
escalation each; a quarter of staff reminders; a quarter of survey reminders; plus the digest), starts the
workers together, and prints the follow-ups queued per second (wall time from the start signal until the
last worker finished), what each worker did, and the duplicates (must be 0). Also runs one worker alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from storage.db import upgrade  # noqa: E402
from tests.followup_load import delivered, duplicates, race, seed  # noqa: E402


def run(pg: str, followups: int, workers: int) -> None:
    """One measured race in a schema of its own (dropped afterwards)."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        seed(url, followups)
        queued, seconds = race(url, workers)
        found = delivered(url)
        total = sum(queued)
        print(f"{workers} worker(s): {total} follow-ups queued in {seconds:.2f} s = {total / seconds:,.0f}/s; "
              f"per worker {queued}; duplicates {duplicates(found)}; "
              f"apologies {sum(found.apologies.values())}, staff reminders {len(found.reminders)}, "
              f"survey reminders {sum(found.surveys.values())}, digests {found.digests}")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followups", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min)")
    run(args.pg, args.followups, args.workers)
    if args.workers != 1:
        run(args.pg, args.followups, 1)


if __name__ == "__main__":
    main()
