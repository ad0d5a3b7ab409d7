"""open tickets by department and due instant: one partial index (open statuses only) that the morning digest
reads in order (the first few due of each department: an index range, not a sort of the department's open
tickets) and counts from alone; it replaces ``(status, department, due_at)``, which could not give that order
across four statuses

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = ("assigned", "in_progress", "received", "supplement_requested")  # bot.casework.lifecycle.OPEN (a test)
WHERE = f"status IN ({', '.join(repr(s) for s in OPEN)})"


def upgrade() -> None:
    op.create_index("ix_tickets_open_department_due_at", "tickets", ["department", "due_at", "id"],
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))
    op.drop_index("ix_tickets_status_department_due_at", table_name="tickets")


def downgrade() -> None:
    op.create_index("ix_tickets_status_department_due_at", "tickets", ["status", "department", "due_at"])
    op.drop_index("ix_tickets_open_department_due_at", table_name="tickets")
