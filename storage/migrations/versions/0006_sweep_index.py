"""the ladder's steps per ticket, each with its instant (indexed), so that a sweep reads only the steps that came

``alert_ladder`` becomes the per-ticket marker of a schedule to (re)make; every open ticket gets one, so the
first sweep after the upgrade makes every open ticket's schedule once.

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


def upgrade() -> None:
    op.drop_index(op.f("ix_alert_ladder_next_at"), table_name="alert_ladder")
    op.drop_table("alert_ladder")
    ladder = op.create_table(
        "alert_ladder",
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("remake_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_alert_ladder")),
    )
    op.create_index(op.f("ix_alert_ladder_remake_at"), "alert_ladder", ["remake_at"])
    op.create_table(
        "alert_steps",
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column("due_text", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("number", "step", name=op.f("pk_alert_steps")),
    )
    op.create_index(op.f("ix_alert_steps_at"), "alert_steps", ["at"])
    tickets = sa.table("tickets", sa.column("number"), sa.column("due_at"), sa.column("department"),
                       sa.column("received_at"), sa.column("status"))
    op.execute(ladder.insert().from_select(
        ["number", "due_at", "department", "remake_at"],
        sa.select(tickets.c.number, tickets.c.due_at, tickets.c.department, tickets.c.received_at)
        .where(tickets.c.status.in_(OPEN))))


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_steps_at"), table_name="alert_steps")
    op.drop_table("alert_steps")
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
