"""Engines and sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg).

Nothing here connects at import time; ``make_engine`` builds a lazy engine (and, for a SQLite file,
creates its folder).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.errors import VocdeskError

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg",
}
_SUPPORTED = frozenset({"sqlite+aiosqlite", "postgresql+asyncpg"})


@dataclass
class UnsupportedDatabase(VocdeskError):
    """A database URL vocdesk cannot use (only SQLite and PostgreSQL are supported)."""

    url: str

    def __str__(self) -> str:
        return (f"unsupported database URL {self.url!r}: use sqlite+aiosqlite:///PATH "
                "or postgresql+asyncpg://USER@HOST:PORT/DB")


def normalize_url(url: str) -> URL:
    """``url`` with its async driver: ``sqlite://`` → aiosqlite, ``postgresql://`` → asyncpg."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UnsupportedDatabase(url) from None
    parsed = parsed.set(drivername=_DRIVERS.get(parsed.drivername, parsed.drivername))
    if parsed.drivername not in _SUPPORTED:
        raise UnsupportedDatabase(url)
    return parsed


def make_engine(url: str) -> AsyncEngine:
    """An async engine for ``url``.

    SQLite runs in WAL mode with foreign keys on and a busy timeout, and every transaction starts with
    ``BEGIN IMMEDIATE``: a deferred transaction that reads and then writes can fail at once with
    SQLITE_BUSY when another writer committed in between (the busy timeout cannot help there), so
    writers queue up front instead.
    """
    parsed = normalize_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        return _sqlite_engine(parsed)
    return create_async_engine(
        parsed, json_serializer=_json_dumps, pool_size=5, max_overflow=10, pool_timeout=30,
        pool_pre_ping=True, pool_recycle=1800,
    )


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # Korean stays readable in the database


async def run_sync_once(url: str, fn: Callable[[Connection], T]) -> T:
    """Run the synchronous ``fn`` (Alembic's API) in one transaction on a short-lived engine for ``url``."""
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def _sqlite_engine(url: URL) -> AsyncEngine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file:")
    if not in_memory:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, json_serializer=_json_dumps)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own; _on_begin does
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
