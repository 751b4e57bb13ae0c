"""five-level surveys per resolution, follow-up claims, due-date changes, stored files

The three-level answers of `surveyanswer` move to `survey`, mapped onto SIPAS's five levels (3 very
satisfied -> 5, 2 satisfied -> 4, 1 not satisfied -> 2), the old level kept in `legacy_score`, so no figure
is lost. Surveys sent but never answered become round 1 surveys already reminded (no reminder storm after
the upgrade). The ticket marks `reminded_at` / `apologized_at` become follow-up claims.

Revision ID: 0004_followups_surveys
Revises: 0003_credentials
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004_followups_surveys"
down_revision: str | None = "0003_credentials"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sqlmodel.sql.sqltypes.UTCDateTime
STRING = sqlmodel.sql.sqltypes.AutoString
LEGACY_TO_SIPAS = {3: 5, 2: 4, 1: 2}
SIPAS_TO_LEGACY = {5: 3, 4: 2, 3: 1, 2: 1, 1: 1}


def upgrade() -> None:
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", UTC_DATETIME(), nullable=False),
        sa.Column("reminded_at", UTC_DATETIME(), nullable=True),
        sa.Column("resolved", STRING(length=8), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", UTC_DATETIME(), nullable=True),
        sa.Column("reopened_at", UTC_DATETIME(), nullable=True),
        sa.Column("legacy_score", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizen.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "round", name="uq_survey_ticket_round"),
    )
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_ticket_id"), ["ticket_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_answered_at"), ["answered_at"], unique=False)
    op.create_table(
        "followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", STRING(length=32), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("due_at", UTC_DATETIME(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("claimed_at", UTC_DATETIME(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "ticket_id", "due_at", "step", name="uq_followup_key"),
    )
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_followup_ticket_id"), ["ticket_id"], unique=False)
    op.create_table(
        "duedatechange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("old_due_at", UTC_DATETIME(), nullable=False),
        sa.Column("new_due_at", UTC_DATETIME(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", STRING(length=255), nullable=True),
        sa.Column("at", UTC_DATETIME(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("duedatechange", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duedatechange_ticket_id"), ["ticket_id"], unique=False)
    op.create_table(
        "storedfile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", STRING(length=255), nullable=False),
        sa.Column("mime_type", STRING(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC_DATETIME(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("storedfile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_storedfile_created_at"), ["created_at"], unique=False)

    _move_data_up()

    op.add_column("ticket", sa.Column("publish_location", sa.Boolean(), nullable=False, server_default=sa.false()))
    for column in ("survey_sent_at", "apologized_at", "reminded_at"):
        _drop_column("ticket", column)
    with op.batch_alter_table("surveyanswer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveyanswer_citizen_id"))
        batch_op.drop_index(batch_op.f("ix_surveyanswer_at"))
    op.drop_table("surveyanswer")


def _drop_column(table: str, column: str) -> None:
    """ALTER TABLE ... DROP COLUMN, which SQLite (3.35+) and PostgreSQL both have: SQLite's batch mode would
    copy the ticket table, which its foreign keys forbid while other tables refer to tickets."""
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def _move_data_up() -> None:
    conn = op.get_bind()
    tickets = {row.id: row for row in conn.execute(sa.text(
        "SELECT id, due_at, reminded_at, apologized_at, survey_sent_at FROM ticket"))}
    answered: set[int] = set()
    for row in conn.execute(sa.text("SELECT ticket_id, citizen_id, score, comment, at FROM surveyanswer")):
        ticket = tickets.get(row.ticket_id)
        sent = (ticket.survey_sent_at if ticket is not None else None) or row.at
        conn.execute(sa.text(
            "INSERT INTO survey (ticket_id, round, citizen_id, sent_at, reminded_at, score, comment, answered_at,"
            " legacy_score) VALUES (:t, 1, :c, :sent, NULL, :score, :comment, :at, :legacy)"),
            {"t": row.ticket_id, "c": row.citizen_id, "sent": sent, "score": LEGACY_TO_SIPAS.get(row.score),
             "comment": row.comment, "at": row.at, "legacy": row.score})
        answered.add(row.ticket_id)
    for ticket in tickets.values():
        if ticket.survey_sent_at is not None and ticket.id not in answered:
            conn.execute(sa.text(
                "INSERT INTO survey (ticket_id, round, citizen_id, sent_at, reminded_at)"
                " SELECT id, 1, citizen_id, :sent, :sent FROM ticket WHERE id = :t"),
                {"t": ticket.id, "sent": ticket.survey_sent_at})
        for kind, mark in (("reminder", ticket.reminded_at), ("overdue", ticket.apologized_at)):
            if mark is not None:
                conn.execute(sa.text(
                    "INSERT INTO followup (kind, ticket_id, due_at, step, claimed_at)"
                    " VALUES (:kind, :t, :due, 0, :at)"),
                    {"kind": kind, "t": ticket.id, "due": ticket.due_at, "at": mark})


def downgrade() -> None:
    op.create_table(
        "surveyanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("at", UTC_DATETIME(), nullable=False),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizen.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id"),
    )
    with op.batch_alter_table("surveyanswer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveyanswer_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveyanswer_citizen_id"), ["citizen_id"], unique=False)
    for column in ("reminded_at", "apologized_at", "survey_sent_at"):
        op.add_column("ticket", sa.Column(column, UTC_DATETIME(), nullable=True))
    _drop_column("ticket", "publish_location")
    conn = op.get_bind()
    latest: dict[int, sa.Row] = {}
    for row in conn.execute(sa.text(
            "SELECT s.ticket_id, s.citizen_id, s.score, s.comment, s.answered_at, s.legacy_score, s.sent_at,"
            " t.citizen_id AS owner FROM survey s JOIN ticket t ON t.id = s.ticket_id ORDER BY s.round")):
        conn.execute(sa.text("UPDATE ticket SET survey_sent_at = :at WHERE id = :t"),
                     {"at": row.sent_at, "t": row.ticket_id})
        if row.score is not None:
            latest[row.ticket_id] = row
    for row in latest.values():
        conn.execute(sa.text(
            "INSERT INTO surveyanswer (ticket_id, citizen_id, score, comment, at)"
            " VALUES (:t, :c, :score, :comment, :at)"),
            {"t": row.ticket_id, "c": row.citizen_id or row.owner,
             "score": row.legacy_score or SIPAS_TO_LEGACY[row.score], "comment": row.comment, "at": row.answered_at})
    for kind, column in (("reminder", "reminded_at"), ("overdue", "apologized_at")):
        conn.execute(sa.text(
            f"UPDATE ticket SET {column} = (SELECT MAX(f.claimed_at) FROM followup f"  # noqa: S608 - fixed names
            f" WHERE f.ticket_id = ticket.id AND f.kind = '{kind}')"))
    for table in ("storedfile", "duedatechange", "followup", "survey"):
        op.drop_table(table)
