"""SQLite: a new open ticket's deadline-ladder row is written by a trigger on ``tickets``, in the statement that
inserts the ticket (on PostgreSQL the ticket's one ``WITH … INSERT`` statement writes it:
``storage.statements._ticket_open``). The row is the one ``storage.alerts.touch`` writes for a new ticket: marked
to be made by the next sweep (``remake_at``), paused while a supplement is awaited.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = ("received", "assigned", "in_progress", "supplement_requested")  # bot.casework.lifecycle.OPEN (a test)
TRIGGER = "tickets_ladder"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    statuses = ", ".join(f"'{s}'" for s in OPEN)
    op.execute(f"""
        CREATE TRIGGER {TRIGGER} AFTER INSERT ON tickets WHEN NEW.status IN ({statuses})
        BEGIN
            INSERT INTO alert_ladder (number, due_at, department, paused, remake_at, due_key, due_text)
            VALUES (NEW.number, NEW.due_at, NEW.department, NEW.status = 'supplement_requested', NEW.created_at,
                    '', '');
        END
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
