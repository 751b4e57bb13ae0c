"""feedback threads: attachments a citizen adds later, canned answers; unmatched questions masked

Revision ID: 0005_feedback_threads
Revises: 0004_followups_surveys
Create Date: 2026-12-01 23:35:51.002856
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_feedback_threads"
down_revision: str | None = "0004_followups_surveys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the masking of storage/unmatched.py as it was when this migration was written (a migration keeps its own copy)
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_DIGITS = re.compile(r"\d{6,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def _mask(text: str) -> str:
    return _DIGITS.sub("[…]", _PHONE.sub("[SĐT]", _EMAIL.sub("[email]", text)))


def upgrade() -> None:
    op.create_table(
        "replytemplate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("ticketattachment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_ticketattachment_event_id", "ticketevent", ["event_id"], ["id"])

    # questions stored before masking existed: phone numbers and ids typed at the menu are masked now
    conn = op.get_bind()
    table = sa.table("unmatchedquestion", sa.column("id", sa.Integer), sa.column("question", sa.Text))
    for row_id, question in conn.execute(sa.select(table.c.id, table.c.question)).all():
        masked = _mask(question)
        if masked != question:
            conn.execute(table.update().where(table.c.id == row_id).values(question=masked))


def downgrade() -> None:
    with op.batch_alter_table("ticketattachment", schema=None) as batch_op:
        batch_op.drop_constraint("fk_ticketattachment_event_id", type_="foreignkey")
        batch_op.drop_column("event_id")
    op.drop_table("replytemplate")
