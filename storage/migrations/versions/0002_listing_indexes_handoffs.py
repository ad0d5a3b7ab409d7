"""indexes for the ticket listing and the overdue sweep (received_at; status, received_at — which replaces
the index on status alone), and the handoffs table

Revision ID: 0002
Revises: 0001
Create Date: 2026-06-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_tickets_received_at"), "tickets", ["received_at"])
    op.create_index("ix_tickets_status_received_at", "tickets", ["status", "received_at"])
    op.drop_index(op.f("ix_tickets_status"), table_name="tickets")
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE",
                                name=op.f("fk_handoffs_customer_id_customers")),
    )
    op.create_index("ix_handoffs_status_at", "handoffs", ["status", "at"])


def downgrade() -> None:
    op.drop_table("handoffs")
    op.create_index(op.f("ix_tickets_status"), "tickets", ["status"])
    op.drop_index("ix_tickets_status_received_at", table_name="tickets")
    op.drop_index(op.f("ix_tickets_received_at"), table_name="tickets")
