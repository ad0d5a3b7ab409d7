"""PostgreSQL: a sweep moves each ladder row on in its own page (HOT update) instead of writing two index entries
for it: the ladder drops its index on ``next_at`` and leaves half of each page free (``fillfactor``). A pass
reads the whole ladder instead (about 10 ms per 100,000 open tickets). Pages already full take the setting as
they are next written; ``VACUUM FULL alert_ladder`` applies it to them at once. SQLite keeps its index.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILLFACTOR = 50  # storage.models.LADDER_FILLFACTOR when this revision was written


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_alert_ladder_next_at", table_name="alert_ladder")
    op.execute(f"ALTER TABLE alert_ladder SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE alert_ladder RESET (fillfactor)")
    op.create_index("ix_alert_ladder_next_at", "alert_ladder", ["next_at"])
