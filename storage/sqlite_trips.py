"""An aiosqlite connection that runs a transaction's statements on the event loop's thread.

aiosqlite runs every call on the connection's own thread, and each call is a round trip: a queue put that
wakes the thread, a ``call_soon_threadsafe`` that wakes the event loop, the GIL handed over twice. SQLAlchemy's
cursor makes four per statement (open a cursor, execute, fetch, close). Under load the loop's thread is busy,
so every trip also waits for the GIL (up to the interpreter's switch interval) while the turn holds SQLite's
single write slot: the trips, not SQLite, set the pace, and they cost more CPU than the statements.

A SQLite statement of a unit of work takes microseconds and never waits for a lock, because every transaction
starts with ``BEGIN IMMEDIATE`` (``storage.db``) and so holds the database's write lock; in WAL mode readers
never block it and a commit does not fsync (``synchronous=NORMAL``). So ``InPlaceConnection`` runs statements,
commits and rollbacks right on the calling thread, keeping each cursor's results (rows, ``description``,
``rowcount``, ``lastrowid``). Only what may wait goes to aiosqlite's thread: ``begin`` tries ``BEGIN
IMMEDIATE`` without waiting, and when another process holds the lock (a CLI command) waits for it there, up
to the busy timeout, without blocking the loop; opening and closing the connection (closing the last one
checkpoints the WAL) stay there too. What remains on the loop's thread is SQLite's automatic checkpoint at the
commit that fills ``wal_autocheckpoint`` pages (about 4 MB of WAL): a passive checkpoint, which never waits
for readers, and its fsync.

Statements, transactions and errors are SQLite's own, unchanged; ``install`` makes an engine's connections
this kind.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

Outcome = tuple[Any, int, int | None, list[Any]]


def _run(connection: InPlaceConnection, sql: str, parameters: Any, many: bool) -> Outcome:
    """The whole statement, its rows read and its sqlite3 cursor closed (in place, or on aiosqlite's thread
    behind work queued there)."""
    cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class InPlaceCursor:
    """The cursor SQLAlchemy's aiosqlite adapter drives (``__aenter__``, ``execute``, ``fetchall``, ``close``
    and the DB-API attributes): ``execute`` runs the statement, reads its rows and closes the sqlite3 cursor
    at once; the rest is bookkeeping."""

    arraysize = 1

    def __init__(self, connection: InPlaceConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> InPlaceCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _trip(self, sql: str, parameters: Any, many: bool) -> InPlaceCursor:
        self.description, self.rowcount, self.lastrowid, self._rows = await self._connection._execute(
            _run, self._connection, sql, parameters, many)
        return self

    async def execute(self, sql: str, parameters: Any = ()) -> InPlaceCursor:
        return await self._trip(sql, parameters, False)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InPlaceCursor:
        return await self._trip(sql, list(parameters), True)

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        n = size or self.arraysize
        rows, self._rows = self._rows[:n], self._rows[n:]
        return rows

    async def close(self) -> None:
        self._rows = []


_LOCAL = frozenset({"commit", "rollback"})  # sqlite3.Connection methods run in place (besides statements)


class InPlaceConnection(aiosqlite.Connection):
    """``aiosqlite.Connection`` whose statements, commits and rollbacks run in place (see the module).

    Never while something of this connection is still queued or running on aiosqlite's thread (a ``BEGIN``
    waiting for the lock whose caller was cancelled, say): then everything queues behind it there, so the two
    threads never use the sqlite3 connection at once and the loop never blocks on it. ``_sent`` counts the
    calls handed to the thread (written by the loop only), ``_done`` those it finished (by the thread only)."""

    busy_ms: int | None = None  # the busy timeout a BEGIN waits with (set by the first one)
    _sent = _done = 0

    def cursor(self) -> InPlaceCursor:  # type: ignore[override]
        return InPlaceCursor(self)

    def _in_place(self) -> bool:
        return self._connection is not None and self._sent == self._done

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if self._in_place() and (fn is _run or getattr(fn, "__name__", None) in _LOCAL):
            return fn(*args, **kwargs)
        return await self._on_thread(fn, *args, **kwargs)

    async def _on_thread(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        self._sent += 1
        return await super()._execute(_counted, self, partial(fn, *args, **kwargs))  # type: ignore[no-untyped-call]

    async def begin(self, sql: str = "BEGIN IMMEDIATE") -> None:
        """Run ``sql`` (a ``BEGIN``) in place when the lock is free, else wait for it on aiosqlite's thread up
        to the connection's ``busy_timeout`` (then ``sqlite3.OperationalError``, "database is locked").

        The first call moves the busy timeout here: the connection's own becomes 0, so nothing in place ever
        sleeps in SQLite's busy handler (what runs in place holds the write lock and needs no wait)."""
        connection = self._conn
        if self._in_place():
            if self.busy_ms is None:
                self.busy_ms = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
                connection.execute("PRAGMA busy_timeout=0")
            try:
                connection.execute(sql)
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    raise
        try:
            await self._on_thread(_begin_waiting, connection, sql, self.busy_ms or 0)
        except asyncio.CancelledError:
            # The BEGIN may still get the lock after its caller left: undo it there, right after it, or the
            # connection would go back to the pool holding the write lock.
            self._sent += 1
            self._tx.put_nowait((None, partial(_counted, self, connection.rollback)))
            raise


def _counted(owner: InPlaceConnection, fn: Callable[[], Any]) -> Any:
    """On aiosqlite's thread: ``fn()``, counted done (see ``InPlaceConnection``)."""
    try:
        return fn()
    finally:
        owner._done += 1


def _begin_waiting(connection: sqlite3.Connection, sql: str, busy_ms: int) -> None:
    """On aiosqlite's thread: ``sql`` with the busy timeout on (waiting for another process's lock)."""
    connection.execute(f"PRAGMA busy_timeout={busy_ms}")
    try:
        connection.execute(sql)
    finally:
        connection.execute("PRAGMA busy_timeout=0")


def connect(database: str, **kwargs: Any) -> InPlaceConnection:
    """What ``aiosqlite.connect`` does, with a ``InPlaceConnection`` (awaiting it opens the connection)."""
    connection = InPlaceConnection(partial(sqlite3.connect, database, **kwargs), iter_chunk_size=64)
    connection._thread.daemon = True  # as SQLAlchemy does: an unclosed connection must not hang the exit
    return connection


def install(engine: AsyncEngine) -> None:
    """Open the SQLite ``engine``'s connections as ``InPlaceConnection``s, with the arguments SQLAlchemy
    would have given ``aiosqlite.connect``."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        return dialect.loaded_dbapi.connect(*cargs, async_creator_fn=connect, **cparams)
