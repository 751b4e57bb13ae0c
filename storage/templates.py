"""Canned answers staff send with `/reply CODE #name`, kept by admins."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.clock import utcnow
from storage.models import ReplyTemplate


def get_template(session: Session, name: str) -> ReplyTemplate | None:
    """The template with this name (case-insensitive), if any."""
    return session.exec(select(ReplyTemplate).where(ReplyTemplate.name == name.strip().lower())).first()


def list_templates(session: Session) -> list[ReplyTemplate]:
    """Every template, by name."""
    return list(session.exec(select(ReplyTemplate).order_by(col(ReplyTemplate.name))))


def save_template(session: Session, name: str, text: str, *, by: str) -> ReplyTemplate:
    """Add a template or replace its text."""
    row = get_template(session, name) or ReplyTemplate(name=name.strip().lower(), text=text)
    row.text, row.updated_by, row.updated_at = text, by, utcnow()
    session.add(row)
    return row


def delete_template(session: Session, template: ReplyTemplate) -> None:
    """Remove a template."""
    session.delete(template)
