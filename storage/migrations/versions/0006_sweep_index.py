"""the ladder keeps each open ticket's steps with their instants and the next one's (indexed), so that a sweep
reads only the tickets with a step come; an index for the digest's counts per department

Every open ticket gets a row marked to be made: the first sweep after the upgrade makes each one's steps once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = ("received", "assigned", "in_progress", "supplement_requested")
SLOTS = 8  # storage.models.LADDER_SLOTS when this revision was written


def upgrade() -> None:
    op.drop_index(op.f("ix_alert_ladder_next_at"), table_name="alert_ladder")
    op.drop_table("alert_ladder")
    ladder = op.create_table(
        "alert_ladder",
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("remake_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_at", sa.BigInteger(), nullable=True),
        sa.Column("due_key", sa.String(16), nullable=False),
        sa.Column("due_text", sa.String(40), nullable=False),
        *(column for n in range(1, SLOTS + 1)
          for column in (sa.Column(f"step_{n}", sa.String(16)), sa.Column(f"at_{n}", sa.BigInteger()))),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_alert_ladder")),
    )
    op.create_index(op.f("ix_alert_ladder_remake_at"), "alert_ladder", ["remake_at"],
                    sqlite_where=sa.text("remake_at IS NOT NULL"), postgresql_where=sa.text("remake_at IS NOT NULL"))
    op.create_index(op.f("ix_alert_ladder_next_at"), "alert_ladder", ["next_at"])
    op.create_index("ix_tickets_status_department_due_at", "tickets", ["status", "department", "due_at"])
    tickets = sa.table("tickets", sa.column("number"), sa.column("due_at"), sa.column("department"),
                       sa.column("received_at"), sa.column("status"))
    op.execute(ladder.insert().from_select(
        ["number", "due_at", "department", "paused", "remake_at", "due_key", "due_text"],
        sa.select(tickets.c.number, tickets.c.due_at, tickets.c.department,
                  tickets.c.status == "supplement_requested", tickets.c.received_at, sa.literal(""), sa.literal(""))
        .where(tickets.c.status.in_(OPEN))))


def downgrade() -> None:
    op.drop_index("ix_tickets_status_department_due_at", table_name="tickets")
    op.drop_index(op.f("ix_alert_ladder_next_at"), table_name="alert_ladder")
    op.drop_index(op.f("ix_alert_ladder_remake_at"), table_name="alert_ladder")
    op.drop_table("alert_ladder")
    op.create_table(
        "alert_ladder",
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("passed", sa.String(255), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_alert_ladder")),
    )
    op.create_index(op.f("ix_alert_ladder_next_at"), "alert_ladder", ["next_at"])
