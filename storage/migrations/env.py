"""Alembic environment for vocdesk.

``storage.migrate`` hands over an open connection (``config.attributes["connection"]``); the alembic
CLI gets a URL and this module opens its own async engine. Importing this module outside alembic does
nothing.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from storage.db import run_sync_once
from storage.models import Base, made_on


def _run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True,
                      include_object=made_on(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    url = config.get_main_option("sqlalchemy.url") or ""
    if connection is not None:
        _run_on(connection)
    elif context.is_offline_mode():
        context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_sync_once(url, _run_on))


if getattr(context, "config", None) is not None:  # only set while alembic runs this file
    run()
