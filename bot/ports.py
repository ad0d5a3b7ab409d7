"""The ports the core needs from storage. ``storage/`` implements them with SQLAlchemy;
``tests/fakes.py`` implements them in memory for unit tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from bot.customers import ConversationState, Customer
from bot.tickets import Status, Ticket


class TicketRepository(Protocol):
    async def add(self, ticket: Ticket) -> Ticket:
        """Insert a new ticket, give it its number (unique per year, never reused) and id,
        and write its pending events."""

    async def get(self, number: str) -> Ticket | None:
        """The ticket with all its events, or None."""

    async def save(self, ticket: Ticket) -> None:
        """Write the ticket's fields and append its pending ``new_events`` (then cleared). Raises
        ``ConcurrentUpdate`` when the stored ticket changed since it was read (its ``version``)."""

    async def list(
        self, *, status: Status | None = None, customer_id: int | None = None,
        open_only: bool = False, limit: int = 500,
    ) -> list[Ticket]:
        """Tickets newest first (events included)."""


class CustomerRepository(Protocol):
    async def get_or_create(self, channel: str, external_id: str, *, display_name: str = "",
                            locale: str = "ko") -> Customer: ...

    async def get(self, customer_id: int) -> Customer | None: ...

    async def save(self, customer: Customer) -> None: ...


class ConversationRepository(Protocol):
    async def load(self, customer_id: int) -> ConversationState | None: ...

    async def save(self, customer_id: int, state: ConversationState) -> None: ...


class OutboxRepository(Protocol):
    async def put(self, kind: str, payload: dict[str, Any], *, dedupe_key: str | None = None,
                  available_at: datetime | None = None) -> None:
        """Queue a notification/alert in the caller's transaction (transactional outbox).
        A second put with the same dedupe_key is ignored."""

    async def pending(self, limit: int = 100) -> list[dict[str, Any]]: ...


class InboundRepository(Protocol):
    async def first_time(self, channel: str, key: str) -> bool:
        """Record that inbound message ``key`` of ``channel`` was handled; False if it already was
        (a redelivered webhook or a replayed update)."""


class UnitOfWork(Protocol):
    @property
    def tickets(self) -> TicketRepository: ...

    @property
    def customers(self) -> CustomerRepository: ...

    @property
    def conversations(self) -> ConversationRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def inbound(self) -> InboundRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        """Roll back whatever was not committed."""

    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
