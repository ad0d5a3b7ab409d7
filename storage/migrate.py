"""Schema migrations (Alembic) driven from code: ``vocdesk db upgrade`` and ``make run`` call ``upgrade``.

The Alembic ``Config`` is built here (no alembic.ini): the scripts live in ``storage/migrations``
inside the installed package.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from storage.db import normalize_url, run_sync_once

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    rendered = normalize_url(url).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def head() -> str:
    """The newest revision the installed scripts know."""
    revision = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if revision is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return revision


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision``, all in one transaction."""
    config = alembic_config(url)

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    await run_sync_once(url, run)


async def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (None: never migrated)."""
    return await run_sync_once(url, lambda sync: MigrationContext.configure(sync).get_current_revision())


def current(url: str) -> str | None:
    """``current_revision`` for synchronous callers (the CLI); not callable from a running event loop."""
    return asyncio.run(current_revision(url))
