"""The SQL unit of work (``bot.ports.UnitOfWork``) and ``Database``, the handle the composition root opens
once and closes in the app's lifespan."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from storage.db import make_engine, make_session_factory
from storage.repositories import (
    DepartmentLike,
    SqlConversationRepository,
    SqlCustomerRepository,
    SqlInboundRepository,
    SqlOutboxRepository,
    SqlTicketRepository,
    sync_departments,
)


class SqlUnitOfWork:
    """One ``AsyncSession`` (and so one transaction) per ``async with``; leaving the block rolls back
    whatever was not committed and closes the session. Not to be shared between concurrent tasks."""

    tickets: SqlTicketRepository
    customers: SqlCustomerRepository
    conversations: SqlConversationRepository
    outbox: SqlOutboxRepository
    inbound: SqlInboundRepository

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], clock: Clock | None = None) -> None:
        self._session_factory = session_factory
        self._clock = clock or SystemClock()
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        session = self._session = self._session_factory()
        self.tickets = SqlTicketRepository(session, self._clock)
        self.customers = SqlCustomerRepository(session, self._clock)
        self.conversations = SqlConversationRepository(session, self._clock)
        self.outbox = SqlOutboxRepository(session, self._clock)
        self.inbound = SqlInboundRepository(session, self._clock)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            await session.rollback()
        finally:
            await session.close()

    async def commit(self) -> None:
        await self._open().commit()

    async def rollback(self) -> None:
        await self._open().rollback()

    def _open(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use the unit of work inside 'async with'")
        return self._session


class Database:
    """An engine and its session factory. Building it does not connect; ``close`` disposes the pool."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock | None = None) -> None:
        self.engine = engine
        self.session_factory = make_session_factory(engine)
        self.clock = clock or SystemClock()

    @classmethod
    def from_url(cls, url: str, *, clock: Clock | None = None) -> Database:
        return cls(make_engine(url), clock=clock)

    def uow(self) -> SqlUnitOfWork:
        """A new unit of work (a ``bot.ports.UnitOfWorkFactory``)."""
        return SqlUnitOfWork(self.session_factory, self.clock)

    async def sync_departments(self, departments: Mapping[str, DepartmentLike]) -> None:
        """Bring the ``departments`` table in line with config, in its own transaction."""
        async with self.session_factory() as session, session.begin():
            await sync_departments(session, departments)

    async def close(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()
