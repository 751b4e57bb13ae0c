"""Files the bot made (charts, exports), kept in the database until a messenger has uploaded them.

A message refers to one as an attachment whose file id is `stored:<id>`: adapters upload its bytes, where
a citizen's photo is resent by the messenger's own file id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from storage.models import StoredFile

PREFIX = "stored:"


@dataclass(frozen=True, slots=True)
class FileContent:
    """A stored file's name, type and bytes."""

    name: str
    mime_type: str
    content: bytes


def store_file(session: Session, name: str, mime_type: str, content: bytes) -> str:
    """Keep a file in the caller's transaction; returns the file id that attachments use."""
    row = StoredFile(name=name, mime_type=mime_type, size=len(content), content=content)
    session.add(row)
    session.flush()
    return f"{PREFIX}{row.id}"


def stored_id(file_id: str) -> int | None:
    """The stored file's id in an attachment's file id, or None for a messenger's own file id."""
    if not file_id.startswith(PREFIX) or not file_id[len(PREFIX):].isdigit():
        return None
    return int(file_id[len(PREFIX):])


def load_file(engine: Engine, file_id: str) -> FileContent | None:
    """The file an attachment refers to, None when it is not a stored file or was purged."""
    number = stored_id(file_id)
    if number is None:
        return None
    with Session(engine) as session:
        row = session.get(StoredFile, number)
        return None if row is None else FileContent(row.name, row.mime_type, row.content)


def purge_files(session: Session, older_than: datetime) -> int:
    """Delete stored files made before `older_than`; returns how many."""
    result = session.execute(delete(StoredFile).where(col(StoredFile.created_at) < older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
