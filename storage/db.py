"""Engines and sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg).

Nothing here connects at import time; ``make_engine`` builds a lazy engine (and, for a SQLite file,
creates its folder and the empty file, readable by its owner only).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_only

from bot.errors import VocdeskError
from storage import sqlite_trips

T = TypeVar("T")

DEFAULT_POOL_SIZE = 5
"""PostgreSQL connections (``[database] pool_size``); SQLite has one writer at a time whatever the size.

Also how many units of work run at once (``storage.admission``). A process's Python runs on one core, so a few
transactions in flight keep it and the database busy; more only interleave their round trips on the event loop,
so each stays open longer (holding its locks, the year's ticket number among them) and a turn's latency depends
on how many round trips it makes. Measured at 50 customers with no pause (``bench/bench_load.py``, PostgreSQL,
2 cores): 10 in flight gave the same throughput as 4–6 but a p99 of 57–59 ms against 48–50 ms."""
DEFAULT_ACQUIRE_TIMEOUT = 10.0
"""Seconds a unit of work may wait for a connection (``[database] acquire_timeout``)."""
SQLITE_ANALYSIS_LIMIT = 1000  # rows ANALYZE samples per index when PRAGMA optimize decides to run it
PING_AFTER_IDLE_S = 5.0
"""A PostgreSQL connection that sat in the pool longer than this is pinged before use (a busy one is not:
pinging on every checkout cost a round trip per unit of work)."""
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


def make_engine(url: str, *, pool_size: int = DEFAULT_POOL_SIZE,
                acquire_timeout: float = DEFAULT_ACQUIRE_TIMEOUT) -> AsyncEngine:
    """An async engine for ``url``.

    PostgreSQL: a pool of exactly ``pool_size`` connections, pinged when they sat idle for
    ``PING_AFTER_IDLE_S`` (a dead one is replaced before use). SQLite runs in WAL mode with foreign keys on
    and a busy timeout of ``acquire_timeout`` (another process holding the write lock), and every
    transaction starts with ``BEGIN IMMEDIATE``: a deferred transaction that reads and then writes can
    fail at once with SQLITE_BUSY when another writer committed in between (the busy timeout cannot help
    there), so writers queue up front instead. Either way a connection waits at most ``acquire_timeout``
    seconds in the pool. The pool does not roll back a returned connection: the unit of work always ends
    its transaction itself (and ``Connection.close`` rolls back one left open), so that would only be one
    more round trip. Errors never show a statement's values (``hide_parameters``): they may be a customer's phone
    number or text, and an error reaches logs and tracebacks.
    """
    parsed = normalize_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        return _sqlite_engine(parsed, acquire_timeout)
    return _postgresql_engine(parsed, pool_size, acquire_timeout)


SQLITE_CACHE_KIB = -65536  # negative: KiB (64 MiB of pages per connection, taken as used)
SQLITE_OPTIMIZE_ON_OPEN = (f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}", "PRAGMA optimize=0x10002")
"""SQLite's advice for a connection that opens (0x10000: look at every table, not only those queried on
this connection; SQLite before 3.46 ignores that bit)."""
SQLITE_OPTIMIZE_ON_CLOSE = (f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}", "PRAGMA optimize")
"""... and for one about to close: ANALYZE the tables its queries would have planned better with it."""


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


def sqlite_locked(error: BaseException) -> bool:
    """``error`` says another connection held SQLite's write lock for longer than the busy timeout (raised
    by the driver itself for the ``BEGIN IMMEDIATE`` below, wrapped by SQLAlchemy otherwise)."""
    if isinstance(error, DBAPIError):
        error = error.orig or error
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists. SQLite gives the -wal and -shm files the
    database file's mode, so they are private too (they hold the same personal data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _postgresql_engine(url: URL, pool_size: int, acquire_timeout: float) -> AsyncEngine:
    engine = create_async_engine(
        url, json_serializer=_json_dumps, pool_size=pool_size, max_overflow=0, pool_timeout=acquire_timeout,
        pool_recycle=1800, pool_reset_on_return=None, hide_parameters=True,
    )

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:  # any failure means the connection is unusable; the pool reconnects
            raise DisconnectionError(str(error)) from error

    return engine


def _sqlite_engine(url: URL, acquire_timeout: float) -> AsyncEngine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file:")
    if in_memory:
        engine = create_async_engine(url, json_serializer=_json_dumps, hide_parameters=True)
    else:
        create_private_file(Path(database))
        engine = create_async_engine(url, json_serializer=_json_dumps, pool_timeout=acquire_timeout,
                                     pool_reset_on_return=None, hide_parameters=True)
    sqlite_trips.install(engine)
    first = [True]

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own; _on_begin does
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={round(acquire_timeout * 1000)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")
            cursor.execute("PRAGMA mmap_size=268435456")
            if first[0]:  # the statistics the planner needs, once per engine (after migrations)
                first[0] = False
                for statement in SQLITE_OPTIMIZE_ON_OPEN:
                    cursor.execute(statement)
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # in place when the lock is free; waiting for another process's lock happens off the event loop
        await_only(connection.connection.driver_connection.begin("BEGIN IMMEDIATE"))

    return engine
