"""An aiosqlite connection that runs each statement in one trip to its thread.

aiosqlite runs every call on the connection's own thread, and each call is a round trip: a queue put that
wakes the thread, then a ``call_soon_threadsafe`` that wakes the event loop, and the GIL handed over twice.
SQLAlchemy's cursor makes four of them per statement (open a cursor, execute, fetch, close). Under load
the event loop thread is busy, so each trip also waits for the GIL (up to the interpreter's switch
interval), while the turn holds SQLite's single write slot: the trips, not SQLite, set the pace.

``OneTripConnection.cursor`` returns a cursor that executes, fetches every row and closes in a single trip
and keeps the results (rows, ``description``, ``rowcount``, ``lastrowid``); opening, fetching from and
closing it cost nothing. Statements, transactions and errors are SQLite's own, unchanged: only the number
of trips changes. ``install`` makes an engine's connections this kind.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

Outcome = tuple[Any, int, int | None, list[Any]]


def _run(connection: OneTripConnection, sql: str, parameters: Any, many: bool) -> Outcome:
    """On the connection's thread: the whole statement, its rows read and its cursor closed."""
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


class OneTripCursor:
    """The cursor SQLAlchemy's aiosqlite adapter drives (``__aenter__``, ``execute``, ``fetchall``, ``close``
    and the DB-API attributes), one trip per ``execute``."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _trip(self, sql: str, parameters: Any, many: bool) -> OneTripCursor:
        self.description, self.rowcount, self.lastrowid, self._rows = await self._connection._execute(
            _run, self._connection, sql, parameters, many)
        return self

    async def execute(self, sql: str, parameters: Any = ()) -> OneTripCursor:
        return await self._trip(sql, parameters, False)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
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


class OneTripConnection(aiosqlite.Connection):
    """``aiosqlite.Connection`` whose ``cursor()`` is a ``OneTripCursor`` (made without a trip)."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)


def connect(database: str, **kwargs: Any) -> OneTripConnection:
    """What ``aiosqlite.connect`` does, with a ``OneTripConnection`` (awaiting it opens the connection)."""
    connection = OneTripConnection(partial(sqlite3.connect, database, **kwargs), iter_chunk_size=64)
    connection._thread.daemon = True  # as SQLAlchemy does: an unclosed connection must not hang the exit
    return connection


def install(engine: AsyncEngine) -> None:
    """Open the SQLite ``engine``'s connections as ``OneTripConnection``s, with the arguments SQLAlchemy
    would have given ``aiosqlite.connect``."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        return dialect.loaded_dbapi.connect(*cargs, async_creator_fn=connect, **cparams)
