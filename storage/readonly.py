"""The light read path of the staff commands that only read (``tickets list``, ``tickets show``): the
drivers straight, without SQLAlchemy, so such a command starts in a fraction of the time.

SQLite is read with the standard ``sqlite3`` (read-only), PostgreSQL with ``asyncpg`` on a private event
loop; either in one read-only transaction (one snapshot for every page). The reader checks the schema
revision (``storage.revision``) and neither migrates nor writes. The listing's SQL is ``storage.listing``'s
and the rows become tickets through ``storage.rows``, both shared with the repository: this module only
decodes what each driver returns into what SQLAlchemy's column types would give.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from bot.casework.tickets import Status, Ticket, TicketEvent
from bot.errors import VocdeskError
from storage.listing import DEFAULT_CHUNK, EVENT_IDS_PER_QUERY, ListingShape, listing_sql
from storage.revision import check_revision
from storage.rows import (
    EVENT_INSTANTS,
    EVENT_JSON,
    TICKET_FLAGS,
    TICKET_INSTANTS,
    TICKET_JSON,
    Row,
    event_from_row,
    ticket_from_row,
)

if TYPE_CHECKING:
    import asyncio
    import sqlite3

TICKET_BY_NUMBER = "SELECT * FROM tickets WHERE number = :number"
REVISION = "SELECT version_num FROM alembic_version"
_SQLITE_SCHEMES = frozenset({"sqlite", "sqlite+aiosqlite"})
_POSTGRES_SCHEMES = frozenset({"postgresql", "postgresql+asyncpg", "postgres"})


@dataclass
class DatabaseUnreachable(VocdeskError):
    """The database could not be opened for reading."""

    where: str
    problem: str

    def __str__(self) -> str:
        return f"cannot read the database at {self.where}: {self.problem}"


@dataclass(frozen=True)
class Listing:
    """What ``tickets`` selects: each filter that is not None, newest first."""

    status: Status | None = None
    customer_id: int | None = None
    open_only: bool = False
    department: str | None = None
    channel: str | None = None
    overdue_at: datetime | None = None


class TicketReader:
    """Tickets read in one read-only transaction; a context manager that closes the connection."""

    def __init__(self, where: str) -> None:
        self.where = where

    def tickets(self, listing: Listing = Listing(), *, limit: int | None = None,
                chunk: int = DEFAULT_CHUNK) -> Iterator[Ticket]:
        """The tickets of ``listing`` newest first, read ``chunk`` at a time by keyset (``received_at``,
        ``id``) with their events (as ``SqlTicketRepository.stream``); ``limit`` None: all of them."""
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        filters: dict[str, Any] = {
            "status": listing.status and listing.status.value, "customer_id": listing.customer_id,
            "department": listing.department, "channel": listing.channel,
            "overdue_at": listing.overdue_at and self._instant(listing.overdue_at),
        }
        params = {k: v for k, v in filters.items() if v is not None}
        shape = ListingShape(status=listing.status is not None, customer=listing.customer_id is not None,
                             open_only=listing.open_only, department=listing.department is not None,
                             channel=listing.channel is not None, overdue=listing.overdue_at is not None)
        first, after = listing_sql(shape), listing_sql(ListingShape(**(vars(shape) | {"after": True})))
        remaining = limit
        while remaining is None or remaining > 0:
            size = chunk if remaining is None else min(chunk, remaining)
            rows = self._tickets(after if "after_id" in params else first, params | {"limit": size})
            yield from self._with_events(rows)
            if len(rows) < size:
                return
            if remaining is not None:
                remaining -= len(rows)
            params["after_at"], params["after_id"] = self._instant(rows[-1]["received_at"]), rows[-1]["id"]

    def ticket(self, number: str) -> Ticket | None:
        """The ticket ``number`` with its whole event log."""
        found = self._with_events(self._tickets(TICKET_BY_NUMBER, {"number": number}))
        return found[0] if found else None

    def _with_events(self, rows: list[Row]) -> list[Ticket]:
        events: dict[int, list[TicketEvent]] = {row["id"]: [] for row in rows}
        ids = list(events)
        for start in range(0, len(ids), EVENT_IDS_PER_QUERY):
            for event in self._events(ids[start:start + EVENT_IDS_PER_QUERY]):
                events[event["ticket_id"]].append(event_from_row(event))
        return [ticket_from_row(row, events[row["id"]]) for row in rows]

    def __enter__(self) -> TicketReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # what each driver does
    def revision(self) -> list[str] | None:
        """The rows of ``alembic_version`` (None: no such table, or no database yet)."""
        raise NotImplementedError

    def _instant(self, at: datetime) -> Any:
        """``at`` as the driver binds it for a comparison with a stored instant."""
        raise NotImplementedError

    def _tickets(self, sql: str, params: dict[str, Any]) -> list[Row]:
        raise NotImplementedError

    def _events(self, ids: list[int]) -> list[Row]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def open_reader(url: str, *, timeout: float = 10.0) -> TicketReader:
    """A reader of the database at ``url`` (a ``[database] url``, a relative SQLite path already resolved)
    that is at the newest schema revision; raises ``SchemaNotCurrent`` (run ``vocdesk db upgrade``),
    ``DatabaseUnreachable`` or ``UnsupportedDatabase``. ``timeout``: seconds to wait for the database."""
    parts = urlsplit(url)
    if parts.scheme in _SQLITE_SCHEMES:
        reader: TicketReader = SqliteReader(url.partition(":///")[2] if "://" in url else "", timeout)
    elif parts.scheme in _POSTGRES_SCHEMES:
        reader = PostgresReader(url, timeout)
    else:
        from storage.db import UnsupportedDatabase

        raise UnsupportedDatabase(url)
    try:
        check_revision(reader.revision(), reader.where)
    except BaseException:
        reader.close()
        raise
    return reader


# SQLite: instants are stored as naive UTC text (SQLAlchemy's format), JSON as text, booleans as 0/1.

def _sqlite_instant(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_row(row: sqlite3.Row, instants: frozenset[str], documents: frozenset[str],
                flags: frozenset[str] = frozenset()) -> Row:
    decoded = dict(zip(row.keys(), row, strict=True))
    for name in instants:
        if (value := decoded.get(name)) is not None:
            decoded[name] = datetime.fromisoformat(value).replace(tzinfo=UTC)
    for name in documents:
        decoded[name] = json.loads(decoded[name])
    for name in flags:
        decoded[name] = bool(decoded[name])
    return decoded


class SqliteReader(TicketReader):
    def __init__(self, database: str, timeout: float) -> None:
        import sqlite3

        path, _, _ = database.partition("?")
        super().__init__(path or ":memory:")
        self._sqlite = sqlite3
        self._db: sqlite3.Connection | None = None  # none: nothing to read (no file yet, or in memory)
        if path.startswith("file:"):  # a URI of the admin's own (SQLAlchemy passes it with uri=true)
            uri = database
        elif path and path != ":memory:" and Path(path).is_file():
            uri = f"{Path(path).resolve().as_uri()}?mode=ro"
        else:
            return
        try:
            self._db = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None,
                                       check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._db.execute("BEGIN")  # one snapshot for every page, from the first read on
        except sqlite3.Error as exc:
            raise DatabaseUnreachable(self.where, str(exc)) from None

    def revision(self) -> list[str] | None:
        if self._db is None:
            return None
        try:
            return [row[0] for row in self._db.execute(REVISION)]
        except self._sqlite.DatabaseError as exc:
            if "no such table" in str(exc):
                return None
            raise DatabaseUnreachable(self.where, str(exc)) from None

    def _instant(self, at: datetime) -> str:
        return _sqlite_instant(at)

    def _tickets(self, sql: str, params: dict[str, Any]) -> list[Row]:
        assert self._db is not None  # open_reader checked the schema
        return [_sqlite_row(r, TICKET_INSTANTS, TICKET_JSON, TICKET_FLAGS) for r in self._db.execute(sql, params)]

    def _events(self, ids: list[int]) -> list[Row]:
        assert self._db is not None
        marks = ", ".join("?" * len(ids))
        found = self._db.execute(f"SELECT * FROM ticket_events WHERE ticket_id IN ({marks}) ORDER BY id", ids)
        return [_sqlite_row(r, EVENT_INSTANTS, EVENT_JSON) for r in found]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


# PostgreSQL: asyncpg gives aware instants and booleans, and JSON as text; parameters are numbered.

_NAMED = re.compile(r"(?<![:\w]):([a-z_]+)")


def numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with its ``:name`` parameters as asyncpg's ``$1, $2, ...`` and the names in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _NAMED.sub(number, sql), tuple(names)


def _pg_row(record: Mapping[str, Any], documents: frozenset[str]) -> Row:
    decoded = dict(record.items())
    for name in documents:
        decoded[name] = json.loads(decoded[name])
    return decoded


_SQLALCHEMY_ONLY = frozenset({"prepared_statement_cache_size", "prepared_statement_name_func", "async_fallback"})


def connect_args(url: str) -> tuple[dict[str, Any], str]:
    """(the keywords ``asyncpg.connect`` takes for ``url``, the URL without its password for people). As
    SQLAlchemy's asyncpg dialect does, the URL's query parameters are passed on as keywords (``?ssl=require``)."""
    parts = urlsplit(url)
    args: dict[str, Any] = {"host": parts.hostname, "port": parts.port, "user": unquote(parts.username or "") or None,
                            "password": unquote(parts.password or "") or None,
                            "database": unquote(parts.path.lstrip("/")) or None}
    args |= {k: v for k, v in parse_qsl(parts.query) if k not in _SQLALCHEMY_ONLY}
    host = parts.netloc.rpartition("@")[2]
    shown = parts._replace(netloc=f"{parts.username}@{host}" if parts.username else host).geturl()
    return {k: v for k, v in args.items() if v is not None}, shown


class PostgresReader(TicketReader):
    def __init__(self, url: str, timeout: float) -> None:
        import asyncio

        import asyncpg  # type: ignore[import-untyped]  # (no stubs)

        args, shown = connect_args(url)
        super().__init__(shown)
        self._asyncpg = asyncpg
        self._sql: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._loop: asyncio.Runner | None = asyncio.Runner()
        try:
            self._db: Any = self._loop.run(asyncpg.connect(timeout=timeout, **args))
            self._loop.run(self._db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            self._loop.close()
            self._loop = None
            raise DatabaseUnreachable(self.where, f"{type(exc).__name__}: {exc}") from None

    def _fetch(self, sql: str, params: Mapping[str, Any]) -> list[Any]:
        assert self._loop is not None
        if sql not in self._sql:
            self._sql[sql] = numbered(sql)
        text, names = self._sql[sql]
        return self._loop.run(self._db.fetch(text, *(params[n] for n in names)))

    def revision(self) -> list[str] | None:
        assert self._loop is not None
        try:
            return [row[0] for row in self._fetch(REVISION, {})]
        except self._asyncpg.UndefinedTableError:
            return None

    def _instant(self, at: datetime) -> datetime:
        return at

    def _tickets(self, sql: str, params: dict[str, Any]) -> list[Row]:
        return [_pg_row(r, TICKET_JSON) for r in self._fetch(sql, params)]

    def _events(self, ids: list[int]) -> list[Row]:
        # the ids as one text ('{1,2,3}') cast by the server: an int[] parameter makes asyncpg look the array
        # type up in the catalogue first, a query of its own (~7 ms of a one-shot command's run)
        found = self._fetch("SELECT * FROM ticket_events WHERE ticket_id = ANY(CAST(:ids AS text)::int[]) ORDER BY id",
                            {"ids": "{" + ",".join(map(str, ids)) + "}"})
        return [_pg_row(r, EVENT_JSON) for r in found]

    def close(self) -> None:
        if self._loop is None:
            return
        try:
            self._loop.run(self._db.close(timeout=5))
        except (OSError, TimeoutError, self._asyncpg.PostgresError, self._asyncpg.InterfaceError):
            self._db.terminate()
        finally:
            self._loop.close()
            self._loop = None
