"""Which schema revision this vocdesk needs, read from the migration scripts' file names (``NNNN_what.py``,
revision ``NNNN``) without loading Alembic or SQLAlchemy, and the error a command that only reads gives
when the database is not at it (such a command never migrates: ``vocdesk db upgrade`` does)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import VocdeskError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_SCRIPT = re.compile(r"^(\d{4})_\w+\.py$")


def newest_script() -> str:
    """The newest revision the installed scripts know (a test holds it to Alembic's head)."""
    found = [m.group(1) for p in (MIGRATIONS / "versions").iterdir() if (m := _SCRIPT.match(p.name))]
    if not found:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return max(found)


@dataclass
class SchemaNotCurrent(VocdeskError):
    """The database is not at the schema revision this vocdesk needs; ``found`` None: it has none yet."""

    where: str
    found: str | None
    needed: str

    def __str__(self) -> str:
        if self.found is None:
            return f"the database at {self.where} has no vocdesk schema yet: run `vocdesk db upgrade`"
        if self.found < self.needed:
            return (f"the database at {self.where} is at schema revision {self.found}, this vocdesk needs "
                    f"{self.needed}: run `vocdesk db upgrade`")
        return (f"the database at {self.where} is at schema revision {self.found}, newer than this vocdesk "
                f"knows ({self.needed}): upgrade vocdesk")


def check_revision(found: Sequence[str] | None, where: str) -> None:
    """Raise ``SchemaNotCurrent`` unless ``found`` (the rows of ``alembic_version``; None: no such table) is
    exactly the newest script."""
    needed = newest_script()
    if found is None or list(found) != [needed]:
        raise SchemaNotCurrent(where, max(found) if found else None, needed)
