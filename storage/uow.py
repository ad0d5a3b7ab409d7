"""The SQL unit of work (``bot.ports.UnitOfWork``) and ``Database``, the handle the composition root opens
once and closes in the app's lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Self

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.clock import Clock, SystemClock
from bot.errors import DatabaseBusy
from storage.admission import Admission
from storage.alerts import SqlAlertRepository, alert_sql
from storage.db import (
    DEFAULT_ACQUIRE_TIMEOUT,
    DEFAULT_POOL_SIZE,
    SQLITE_OPTIMIZE_ON_CLOSE,
    SQLITE_OPTIMIZE_ON_OPEN,
    make_engine,
    make_session_factory,
    sqlite_locked,
)
from storage.deliveries import SqlDeliveryRepository
from storage.direct import DirectStatements
from storage.report import SqlReportRepository
from storage.repositories import (
    DepartmentLike,
    SqlConversationRepository,
    SqlCustomerRepository,
    SqlHandoffRepository,
    SqlInboundRepository,
    SqlOutboxRepository,
    Work,
    sync_departments,
)
from storage.standard import SqlRemedyRepository, SqlSurveyRepository, standard_sql
from storage.statements import OUTBOX_CHANNEL, statements
from storage.tickets import SqlTicketRepository


class SqlUnitOfWork:
    """One connection and one transaction per ``async with``; leaving the block rolls back whatever was
    not committed and gives the connection back. Entering waits, first come first served, for one of the
    database's slots (``Database.admission``) and raises ``DatabaseBusy`` after ``acquire_timeout``.
    Not to be shared between concurrent tasks, nor nested inside another unit of work of the same
    database in one task (on SQLite the inner one would wait for the outer one)."""

    tickets: SqlTicketRepository
    customers: SqlCustomerRepository
    conversations: SqlConversationRepository
    outbox: SqlOutboxRepository
    inbound: SqlInboundRepository
    handoffs: SqlHandoffRepository
    deliveries: SqlDeliveryRepository
    alerts: SqlAlertRepository
    remedies: SqlRemedyRepository
    surveys: SqlSurveyRepository
    report: SqlReportRepository
    work: Work

    def __init__(self, database: Database) -> None:
        self._database = database
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open")
        database = self._database
        await database.admission.enter()
        try:
            connection = await database.connect()
        except BaseException:
            database.admission.leave()
            raise
        self._connection = connection
        work = self.work = Work(connection, database.statements, database.clock, direct=database.direct)
        self.tickets = SqlTicketRepository(work)
        self.customers = SqlCustomerRepository(work)
        self.conversations = SqlConversationRepository(work)
        self.outbox = SqlOutboxRepository(work)
        self.inbound = SqlInboundRepository(work)
        self.handoffs = SqlHandoffRepository(work)
        self.deliveries = SqlDeliveryRepository(work)
        self.alerts = SqlAlertRepository(work)
        self.remedies = SqlRemedyRepository(work)
        self.surveys = SqlSurveyRepository(work)
        self.report = SqlReportRepository(work)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                await connection.rollback()
        finally:
            try:
                await connection.close()
            finally:
                self._database.admission.leave()

    async def commit(self) -> None:
        """Commit; when outbox rows were written, wake the dispatchers (this process's at once; other
        processes' through PostgreSQL ``NOTIFY``, which is delivered only if this transaction commits)."""
        connection = self._open()
        await self.work.settle()
        woke = self.work.outbox_written
        if woke and not self._database.sqlite and not self.work.outbox_notified:
            await connection.exec_driver_sql(f"NOTIFY {OUTBOX_CHANNEL}")
        await connection.commit()
        self.work.outbox_notified = False
        if woke:
            self.work.outbox_written = False
            self._database.outbox_committed()

    async def rollback(self) -> None:
        connection = self._open()
        self.work.discard()
        await connection.rollback()

    def _open(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("use the unit of work inside 'async with'")
        return self._connection


class Database:
    """An engine, its admission gate and its statements. Building it does not connect; ``close``
    disposes the pool.

    The gate admits ``pool_size`` units of work at a time on PostgreSQL and one on SQLite (every
    transaction there takes the write lock), first come first served."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock | None = None, pool_size: int = DEFAULT_POOL_SIZE,
                 acquire_timeout: float = DEFAULT_ACQUIRE_TIMEOUT) -> None:
        self.engine = engine
        self.session_factory = make_session_factory(engine)
        self.clock = clock or SystemClock()
        self.sqlite = engine.dialect.name == "sqlite"
        self.statements = statements(engine.dialect.name)
        self.direct = DirectStatements(engine.dialect)
        self.direct.allow(self.statements.built())
        for built in (alert_sql(engine.dialect.name), standard_sql(engine.dialect.name)):
            self.direct.allow(vars(built).values())
        self.acquire_timeout = acquire_timeout
        self.admission = Admission(1 if self.sqlite else pool_size, acquire_timeout)
        self._outbox_events: list[asyncio.Event] = []

    @classmethod
    def from_url(cls, url: str, *, clock: Clock | None = None, pool_size: int = DEFAULT_POOL_SIZE,
                 acquire_timeout: float = DEFAULT_ACQUIRE_TIMEOUT) -> Database:
        engine = make_engine(url, pool_size=pool_size, acquire_timeout=acquire_timeout)
        return cls(engine, clock=clock, pool_size=pool_size, acquire_timeout=acquire_timeout)

    def uow(self) -> SqlUnitOfWork:
        """A new unit of work (a ``bot.ports.UnitOfWorkFactory``)."""
        return SqlUnitOfWork(self)

    async def connect(self) -> AsyncConnection:
        """A pooled connection with its transaction begun (on SQLite: holding the write lock). Waiting
        longer than ``acquire_timeout`` (pool exhausted, or another process writing to SQLite) raises
        ``DatabaseBusy``."""
        try:
            connection = await self.engine.connect()
        except sa_exc.TimeoutError:
            raise DatabaseBusy(self.acquire_timeout) from None
        try:
            await connection.begin()
        except BaseException as error:
            await connection.close()
            if sqlite_locked(error):
                raise DatabaseBusy(self.acquire_timeout) from None
            raise
        return connection

    def outbox_committed(self) -> None:
        for event in self._outbox_events:
            event.set()

    async def listen_outbox(self, event: asyncio.Event) -> Callable[[], Awaitable[None]]:
        """Set ``event`` whenever outbox rows are committed: by this process, and on PostgreSQL by any
        process (``LISTEN``, on a connection of its own, outside the pool: the pool's ``pool_size``
        connections stay for the units of work the admission gate lets in). Returns the coroutine function
        that stops it."""
        self._outbox_events.append(event)
        if self.sqlite:
            async def stop_local() -> None:
                self._outbox_events.remove(event)
            return stop_local
        import asyncpg  # type: ignore[import-untyped]  # (no stubs; the driver SQLAlchemy uses)

        dsn = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        raw = await asyncpg.connect(dsn, timeout=self.acquire_timeout)

        def notified(*_: object) -> None:
            event.set()

        await raw.add_listener(OUTBOX_CHANNEL, notified)

        async def stop() -> None:
            self._outbox_events.remove(event)
            try:
                await raw.remove_listener(OUTBOX_CHANNEL, notified)
            finally:
                await raw.close()
        return stop

    async def sync_departments(self, departments: Mapping[str, DepartmentLike]) -> None:
        """Bring the ``departments`` table in line with config, in its own transaction."""
        async with self.uow() as uow:
            await sync_departments(uow.work, departments)
            await uow.commit()

    async def optimize(self) -> None:
        """SQLite: refresh the planner's statistics where they are missing or stale (``PRAGMA optimize``;
        the first connection does this too). PostgreSQL: nothing (autovacuum analyzes)."""
        await self._pragmas(SQLITE_OPTIMIZE_ON_OPEN)

    async def _pragmas(self, pragmas: tuple[str, ...]) -> None:
        if not self.sqlite:
            return
        async with self.uow() as uow:  # committed: ANALYZE writes its statistics in the transaction
            for pragma in pragmas:
                await uow.work.connection.exec_driver_sql(pragma)
            await uow.commit()

    async def close(self) -> None:
        """Run ``PRAGMA optimize`` (SQLite, on the connection the queries ran on) and dispose the pool."""
        try:
            await self._pragmas(SQLITE_OPTIMIZE_ON_CLOSE)
        finally:
            await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

