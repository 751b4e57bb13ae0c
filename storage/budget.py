"""The rows of the shared delivery budget (`SendBudget`): read under a lock, written back, pruned."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from storage.models import SendBudget

BucketRow = tuple[float, float, float]  # tokens, stamp (epoch seconds), hold_until (epoch seconds)
_TABLE = SendBudget.__table__  # type: ignore[attr-defined]


def _upsert(session: Session):  # noqa: ANN202 - a dialect-specific insert
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(_TABLE)


def lock(session: Session, key: str, full: float, now: float) -> None:
    """Take the budget's lock (the bot-wide row) for this transaction, creating that row the first time.

    Every sender locks the same row first, so their reads and writes of the budget never interleave
    (a row lock on PostgreSQL, the database's write lock on SQLite).
    """
    locked = session.execute(update(SendBudget).where(SendBudget.key == key).values(stamp=SendBudget.stamp))
    if not locked.rowcount:  # type: ignore[attr-defined]
        session.execute(_upsert(session).values(key=key, tokens=full, stamp=now, hold_until=0.0)
                        .on_conflict_do_nothing())
        session.execute(update(SendBudget).where(SendBudget.key == key).values(stamp=SendBudget.stamp))


def read(session: Session, keys: list[str]) -> dict[str, BucketRow]:
    """The stored buckets among `keys` (missing ones are full)."""
    rows = session.execute(select(SendBudget.key, SendBudget.tokens, SendBudget.stamp, SendBudget.hold_until)
                           .where(col(SendBudget.key).in_(keys)))
    return {key: (tokens, stamp, hold) for key, tokens, stamp, hold in rows}


def write(session: Session, buckets: dict[str, BucketRow]) -> None:
    """Store buckets (insert or replace)."""
    if not buckets:
        return
    statement = _upsert(session)
    statement = statement.on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={"tokens": statement.excluded.tokens, "stamp": statement.excluded.stamp,
              "hold_until": statement.excluded.hold_until})
    session.execute(statement, [{"key": k, "tokens": t, "stamp": s, "hold_until": h}
                                for k, (t, s, h) in buckets.items()])


def prune(engine: Engine, before: float) -> int:
    """Forget destinations idle since `before` (their buckets are full again); bot-wide rows (`*`) stay."""
    with Session(engine) as session:
        result = session.execute(delete(SendBudget).where(SendBudget.stamp < before, SendBudget.hold_until < before,
                                                          ~col(SendBudget.key).endswith(":*")))
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
