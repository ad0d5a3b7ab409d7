"""service standard: remedy cases for wrong service, the satisfaction survey, and indexes for the VOC report

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "remedies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date_only", sa.Boolean(), nullable=False),
        sa.Column("legal_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("approval", sa.String(16), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payout", sa.String(16), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_remedies_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remedies")),
    )
    op.create_index(op.f("ix_remedies_ticket_id"), "remedies", ["ticket_id"])
    op.create_index(op.f("ix_remedies_number"), "remedies", ["number"])
    op.create_index("ix_remedies_status_opened_at", "remedies", ["status", "opened_at"])
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("follow_up", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_surveys_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_surveys_ticket_id")),
        sa.UniqueConstraint("number", name=op.f("uq_surveys_number")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_surveys_token_hash")),
    )
    op.create_index(op.f("ix_surveys_rated_at"), "surveys", ["rated_at"])
    # the report's first answer per ticket reads only the answer events
    op.create_index("ix_ticket_events_action_ticket_id", "ticket_events", ["action", "ticket_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_events_action_ticket_id", table_name="ticket_events")
    op.drop_index(op.f("ix_surveys_rated_at"), table_name="surveys")
    op.drop_table("surveys")
    op.drop_index("ix_remedies_status_opened_at", table_name="remedies")
    op.drop_index(op.f("ix_remedies_number"), table_name="remedies")
    op.drop_index(op.f("ix_remedies_ticket_id"), table_name="remedies")
    op.drop_table("remedies")
