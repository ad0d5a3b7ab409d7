"""Schema migrations (Alembic) driven from code: ``vocdesk db upgrade`` and ``make run`` call ``upgrade``
(the revision needed, by file name: ``storage.revision``).

The Alembic ``Config`` is built here (no alembic.ini): the scripts live in ``storage/migrations``
inside the installed package.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.db import normalize_url, run_sync_once
from storage.revision import MIGRATIONS, newest_script

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine


async def is_current(engine: AsyncEngine) -> bool:
    """True when the database behind ``engine`` is at the newest revision (one query, no Alembic)."""
    try:
        async with engine.connect() as connection:
            found = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    except DBAPIError:  # no alembic_version table: a new database
        return False
    return found == [newest_script()]


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    rendered = normalize_url(url).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def head() -> str:
    """The newest revision the installed scripts know (by Alembic)."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if revision is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return revision


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision``, all in one transaction."""
    from alembic import command

    config = alembic_config(url)

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    await run_sync_once(url, run)


async def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    return await run_sync_once(url, lambda sync: MigrationContext.configure(sync).get_current_revision())


def current(url: str) -> str | None:
    """``current_revision`` for synchronous callers (the CLI); not callable from a running event loop."""
    return asyncio.run(current_revision(url))
