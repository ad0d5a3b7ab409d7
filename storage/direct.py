"""The statements built once (``storage.statements``, ``storage.alerts``), run on the driver's own connection.

SQLAlchemy runs a cached statement for 150 µs (SQLite) to 300 µs (asyncpg) of CPU besides the driver's own
work: the greenlet hop, the cache key, parameter and result processing, the ``Result``. The dialogue's turn
runs three to six statements, and under load the process is CPU-bound, so that cost set the turn's tail (issue
9). A statement registered here is compiled once per engine and set of parameter names by SQLAlchemy itself,
so the SQL and the type processing (JSON, instants on SQLite) are SQLAlchemy's, then run straight on the
sqlite3 or asyncpg connection that holds the unit of work's transaction, and its rows come back as small
named tuples. Whatever does not fit (a statement built per call, several parameter sets, an expanding ``IN``,
Python-side column defaults, a SQLite connection with work queued on aiosqlite's thread) goes through
SQLAlchemy as before. Driver errors come out as SQLAlchemy's ``DBAPIError`` naming the statement, without its
values or PostgreSQL's DETAIL (which repeats the failing row): they may hold personal data."""

from __future__ import annotations

import collections
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import SelectBase, UpdateBase

_MISSING = object()
_STATUS = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")
_WRITES = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE|SHARE|LOCK|NOTIFY)\b|ADVISORY|NEXTVAL|SETVAL|SET_CONFIG",
                     re.IGNORECASE)
"""A SELECT whose SQL holds one of these words may write or lock (a data-modifying CTE, ``FOR UPDATE``,
``FOR SHARE``, an advisory lock, a sequence): it runs in the transaction. A false alarm (the word in a string)
only costs the BEGIN."""


class NotDirect(Exception):
    """This statement (with these parameter names) runs through SQLAlchemy."""


class Prepared:
    """One statement compiled for one dialect and one set of parameter names."""

    __slots__ = ("binders", "defaults", "names", "readers", "reads", "returns_rows", "row", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect, keys: Iterable[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        if not isinstance(compiled, SQLCompiler) or not isinstance(statement, SelectBase | UpdateBase):
            raise NotDirect  # DDL, or a bare text(): whether it returns rows is not known
        binds = compiled.binds
        positions = compiled.positiontup
        if (positions is None or compiled.insert_prefetch or compiled.update_prefetch
                or compiled.escaped_bind_names or getattr(compiled, "literal_execute_params", None)
                or any(b.expanding or b.literal_execute or b.callable is not None for b in binds.values())):
            raise NotDirect
        self.sql: str = compiled.string
        self.reads = isinstance(statement, SelectBase) and not _WRITES.search(self.sql)
        """Only reads, locking nothing: under READ COMMITTED (every statement its own snapshot) it may run
        before the unit of work's transaction begins, without one (``Driver.run``)."""
        self.names = tuple(positions)
        self.defaults = tuple(_MISSING if binds[n].required else binds[n].value for n in self.names)
        self.binders = tuple(binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in self.names)
        # rows: what a SELECT selects, or the RETURNING columns (explicit, or the primary key that PostgreSQL's
        # INSERT returns implicitly)
        columns: list[Any] = (list(statement.exported_columns) if isinstance(statement, SelectBase)
                              else list(compiled.effective_returning or ()))
        self.returns_rows = isinstance(statement, SelectBase) or bool(columns)
        names = [getattr(c, "key", None) for c in columns]
        if not all(isinstance(n, str) for n in names):
            raise NotDirect  # an unnamed column
        try:
            self.readers = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        except Exception:  # a processor that needs the driver's column type (asyncpg's numbers)
            raise NotDirect from None
        try:
            self.row: type[tuple[Any, ...]] = _row_type([str(n) for n in names])
        except ValueError:  # a column name that is not an identifier
            raise NotDirect from None

    def arguments(self, params: Mapping[str, Any]) -> list[Any] | None:
        """The positional arguments, processed as SQLAlchemy would; None when a required one is missing (so
        that SQLAlchemy says which)."""
        values = []
        for name, default, bind in zip(self.names, self.defaults, self.binders, strict=True):
            value = params.get(name, default)
            if value is _MISSING:
                return None
            try:
                values.append(value if bind is None or value is None else bind(value))
            except Exception as error:  # as SQLAlchemy reports it, without the values
                raise StatementError(f"parameter {name!r}: {error}", self.sql, None, error,
                                     hide_parameters=True) from error
        return values

    def rows(self, raw: Iterable[Any]) -> list[Any]:
        make, readers = self.row._make, self.readers  # type: ignore[attr-defined]
        if not any(readers):
            return [make(r) for r in raw]
        return [make([v if f is None or v is None else f(v) for f, v in zip(readers, r, strict=True)])
                for r in raw]


def _row_type(keys: list[str]) -> type[tuple[Any, ...]]:
    base = collections.namedtuple("Row", keys)  # type: ignore[misc]  # raises ValueError for a bad name

    class Row(base):
        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(zip(self._fields, self, strict=True))

    return Row


class DirectResult:
    """What the repositories use of SQLAlchemy's ``Result``."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows, self.rowcount = rows, rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> list[Any]:
        return list(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def one_or_none(self) -> Any:
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        if not self._rows:
            raise NoResultFound("No row was found when one was required")
        return self.one_or_none()

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar_one_or_none(self) -> Any:
        row = self.one_or_none()
        return None if row is None else row[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> DirectResult:
        """The first column's values (``all``, ``first``, ``one``... then give values, not rows)."""
        return DirectResult([r[0] for r in self._rows], self.rowcount)


class DirectStatements:
    """The registered statements of one engine and their compiled forms (``None``: through SQLAlchemy)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._allowed: dict[int, ClauseElement] = {}  # holds them, so their ids are never reused
        self._prepared: dict[tuple[int, frozenset[str]], Prepared | None] = {}

    def allow(self, statements: Iterable[Any]) -> None:
        """Run these (and the statements in these dicts) on the driver: they live as long as the process."""
        for statement in statements:
            if isinstance(statement, dict):
                self.allow(statement.values())
            elif isinstance(statement, ClauseElement):
                self._allowed[id(statement)] = statement

    def prepared(self, statement: Any, params: Any) -> Prepared | None:
        if id(statement) not in self._allowed or not isinstance(params, Mapping | None):
            return None
        params = params or {}
        key = (id(statement), frozenset(params))
        try:
            return self._prepared[key]
        except KeyError:
            pass
        try:
            found: Prepared | None = Prepared(statement, self.dialect, params)
        except NotDirect:
            found = None
        self._prepared[key] = found
        return found


class Driver:
    """How a unit of work's connection runs a prepared statement; when not ``ready``, SQLAlchemy does.

    ``lazy``: the transaction begins at the first statement that needs it (PostgreSQL). Until then a
    statement may run by itself, in its own implicit transaction (``outside``): a read, or one write that
    is the whole of what the unit of work stores. That saves the BEGIN and COMMIT round trips of a turn
    that only moves a conversation on (issue 9). On SQLite the transaction holds the write lock from the
    start (``storage.db``), so nothing runs outside it."""

    lazy = False

    def ready(self) -> bool:
        return False

    def in_transaction(self) -> bool:
        return True

    async def run(self, prepared: Prepared, arguments: list[Any], *, outside: bool = False) -> DirectResult:
        raise NotImplementedError


class AsyncpgDriver(Driver):
    lazy = True

    def __init__(self, adapted: Any) -> None:
        self._adapted = adapted  # SQLAlchemy's adapter around the asyncpg connection

    def ready(self) -> bool:
        return True

    def in_transaction(self) -> bool:
        return self._adapted._transaction is not None

    async def run(self, prepared: Prepared, arguments: list[Any], *, outside: bool = False) -> DirectResult:
        adapted = self._adapted
        if adapted._transaction is None and not outside:
            # SQLAlchemy's adapter begins the asyncpg transaction at its first statement; begin it the same
            # way here, so that its commit and rollback end it.
            await adapted._start_transaction()
        return await run_asyncpg(adapted._connection, prepared, arguments)


class SqliteDriver(Driver):
    def __init__(self, connection: Any) -> None:
        self._connection = connection  # storage.sqlite_trips.InPlaceConnection

    def ready(self) -> bool:
        """Nothing of this connection is queued on aiosqlite's thread (``storage.sqlite_trips``)."""
        return bool(self._connection._in_place())

    async def run(self, prepared: Prepared, arguments: list[Any], *, outside: bool = False) -> DirectResult:
        return run_sqlite(self._connection._conn, prepared, arguments)


async def driver_of(connection: AsyncConnection) -> Driver:
    raw = await connection.get_raw_connection()
    adapted = raw.dbapi_connection
    name = connection.dialect.name
    if name == "postgresql" and hasattr(adapted, "_start_transaction") and hasattr(adapted, "_transaction"):
        return AsyncpgDriver(adapted)
    driver = raw.driver_connection
    if name == "sqlite" and hasattr(driver, "_in_place"):
        return SqliteDriver(driver)
    return Driver()


async def run_asyncpg(connection: Any, prepared: Prepared, arguments: list[Any]) -> DirectResult:
    """On an asyncpg connection inside its transaction."""
    try:
        if prepared.returns_rows:
            records = await connection.fetch(prepared.sql, *arguments)
        else:
            status = await connection.execute(prepared.sql, *arguments)
    except Exception as error:
        raise _failed(prepared, error) from None
    if prepared.returns_rows:
        return DirectResult(prepared.rows(records), len(records))
    found = _STATUS.match(status or "")
    return DirectResult([], int(found.group(1)) if found else -1)


def run_sqlite(connection: Any, prepared: Prepared, arguments: list[Any]) -> DirectResult:
    """On a sqlite3 connection inside its transaction (in place: it holds the write lock)."""
    cursor = connection.cursor()
    try:
        cursor.execute(prepared.sql, arguments)
        raw = cursor.fetchall() if cursor.description else []
        rowcount = cursor.rowcount
    except Exception as error:
        raise _failed(prepared, error) from None
    finally:
        cursor.close()
    return DirectResult(prepared.rows(raw), len(raw) if prepared.returns_rows else rowcount)


class DriverError(Exception):
    """What the driver said, without the values: PostgreSQL's DETAIL repeats the failing row ("Failing row contains
    (..., 010-1234-5678, ...)"). The driver's own exception is ``driver_error``."""

    def __init__(self, error: Exception) -> None:
        message = getattr(error, "message", None) or str(error).split("\n", 1)[0]
        code = getattr(error, "sqlstate", None)
        super().__init__(f"{type(error).__name__}: {message}" + (f" (SQLSTATE {code})" if code else ""))
        self.driver_error = error


def _failed(prepared: Prepared, error: Exception) -> DBAPIError:
    """SQLAlchemy's error for a failed statement, naming the statement but neither its values nor the row."""
    return DBAPIError(prepared.sql, None, DriverError(error), hide_parameters=True)
