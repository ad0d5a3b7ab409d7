"""The ports the core needs from storage. ``storage/`` implements them with SQLAlchemy;
``tests/fakes.py`` implements them in memory for unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from bot.casework.tickets import Status, Ticket
from bot.conversation.customers import ConversationState, Customer, Handoff

if TYPE_CHECKING:
    from bot.alerts.ports import AlertRepository
    from bot.notices.ports import DeliveryRepository  # (its planner types import the config: keep --help fast)
    from bot.standard.ports import RemedyRepository, ReportRepository, SurveyRepository


class TicketRepository(Protocol):
    async def add(self, ticket: Ticket, *, announce: Mapping[str, Any] | None = None) -> Ticket:
        """Insert a new ticket, give it its number (unique per year, never reused) and id,
        and write its pending events. With ``announce``, also its ``ticket_opened`` outbox row: that payload
        with the ``number``, deduplicated by ``opened:<number>`` (on PostgreSQL in the statement that numbers
        the ticket, so the year's number row stays locked one round trip less)."""

    async def get(self, number: str) -> Ticket | None:
        """The ticket with all its events, or None."""

    async def save(self, ticket: Ticket) -> None:
        """Write the ticket's fields and append its pending ``new_events`` (then cleared). Raises
        ``ConcurrentUpdate`` when the stored ticket changed since it was read (its ``version``)."""

    async def list(
        self, *, status: Status | None = None, customer_id: int | None = None,
        open_only: bool = False, department: str | None = None, channel: str | None = None,
        overdue_at: datetime | None = None, limit: int | None = 500,
    ) -> list[Ticket]:
        """Tickets newest first (events included). ``overdue_at``: only open tickets whose due instant
        is before it. ``limit=None``: all of them."""

    def stream(
        self, *, status: Status | None = None, customer_id: int | None = None,
        open_only: bool = False, department: str | None = None, channel: str | None = None,
        overdue_at: datetime | None = None, limit: int | None = None, chunk: int = 1000,
    ) -> AsyncIterator[Ticket]:
        """The same tickets as ``list``, newest first, read ``chunk`` at a time (events included), so a
        listing of any size runs in bounded memory."""


class CustomerRepository(Protocol):
    async def get_or_create(self, channel: str, external_id: str, *, display_name: str = "",
                            locale: str = "ko", lock: bool = False) -> Customer:
        """``lock``: no other unit of work changes this customer or their conversation until this one ends
        (by default a conflicting write is refused at the commit instead: ``ConcurrentUpdate``)."""

    async def get(self, customer_id: int) -> Customer | None: ...

    async def save(self, customer: Customer) -> None: ...


class ConversationRepository(Protocol):
    async def load(self, customer_id: int) -> ConversationState | None: ...

    async def save(self, customer_id: int, state: ConversationState) -> None: ...

    async def purge(self, before: datetime, steps: Collection[str]) -> int:
        """Delete the stored states whose step is one of ``steps`` and that were last updated before
        ``before`` (abandoned drafts); returns how many."""


class HandoffRepository(Protocol):
    async def add(self, handoff: Handoff) -> Handoff:
        """Store a request to talk to a person; gives it its id."""

    async def list(self, *, open_only: bool = True, limit: int | None = 500) -> list[Handoff]:
        """Hand-off requests, newest first."""


class OutboxRepository(Protocol):
    async def put(self, kind: str, payload: dict[str, Any], *, dedupe_key: str | None = None,
                  available_at: datetime | None = None) -> bool:
        """Queue a notification/alert in the caller's transaction (transactional outbox). A second put with
        the same dedupe_key is ignored (and returns False)."""

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

    @property
    def handoffs(self) -> HandoffRepository: ...

    @property
    def deliveries(self) -> DeliveryRepository: ...

    @property
    def alerts(self) -> AlertRepository: ...

    @property
    def remedies(self) -> RemedyRepository: ...

    @property
    def surveys(self) -> SurveyRepository: ...

    @property
    def report(self) -> ReportRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        """Roll back whatever was not committed."""

    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
