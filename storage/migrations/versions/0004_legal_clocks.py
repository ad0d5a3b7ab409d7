"""tickets: the law that sets the period (policy_law), the legal end of the period (legal_due_at: 24:00 of the
last day of a day-counted period, 행정기본법 제6조① → 민법 제159조; due_at stays the practical 18:00 target) and
the arrival of a filing before its 접수 (arrived_at, 민원처리법 시행령 제6조⑧). Existing tickets get their legal
end from due_at: the next midnight in Korean time for a day-counted period, due_at itself for an hour-counted one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KST = ZoneInfo("Asia/Seoul")


def upgrade() -> None:
    op.add_column("tickets", sa.Column("policy_law", sa.String(16), server_default="minwon", nullable=False))
    op.add_column("tickets", sa.Column("legal_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tickets", sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True))
    _backfill_legal_ends()


def _backfill_legal_ends() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    tickets = sa.table("tickets", sa.column("id", sa.Integer()), sa.column("due_at", sa.DateTime(timezone=True)),
                       sa.column("due_date_only", sa.Boolean()),
                       sa.column("legal_due_at", sa.DateTime(timezone=True)))
    rows = bind.execute(sa.select(tickets.c.id, tickets.c.due_at, tickets.c.due_date_only)).all()
    updates = []
    for row in rows:
        due = row.due_at if row.due_at.tzinfo is not None else row.due_at.replace(tzinfo=UTC)
        end = due
        if row.due_date_only:
            end = datetime.combine(due.astimezone(KST).date() + timedelta(days=1), time(), tzinfo=KST)
        end = end.astimezone(UTC)
        updates.append({"b_id": row.id, "legal_due_at": end.replace(tzinfo=None) if sqlite else end})
    if updates:
        bind.execute(tickets.update().where(tickets.c.id == sa.bindparam("b_id"))
                     .values(legal_due_at=sa.bindparam("legal_due_at")), updates)


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("arrived_at")
        batch.drop_column("legal_due_at")
        batch.drop_column("policy_law")
