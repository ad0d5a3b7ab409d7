"""All of vocdesk's SQL: the repositories behind ``bot.ports``, mapping rows ⇄ domain objects by hand.

Every repository works inside the caller's session (one per unit of work) and never commits.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.customers import ConversationState, Customer
from bot.errors import ConcurrentUpdate, TicketNotFound
from bot.tickets import OPEN, Status, Ticket, TicketEvent
from storage.models import (
    Base,
    ConversationRow,
    CustomerRow,
    DepartmentRow,
    InboundMessageRow,
    OutboxRow,
    TicketEventRow,
    TicketRow,
    TicketSequenceRow,
    customer_from_row,
    event_from_row,
    event_values,
    outbox_item,
    ticket_from_row,
    ticket_values,
)

NUMBER_TZ = ZoneInfo("Asia/Seoul")
"""Ticket numbers are counted per year in Korean time: a VOC received 2026-12-31 23:30 KST is a 2026 one."""


def ticket_number(year: int, n: int) -> str:
    return f"VOC-{year}-{n:06d}"


def _insert(session: AsyncSession, entity: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """INSERT with the dialect's ``ON CONFLICT`` support (both dialects speak the same clause)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(entity)
    return sqlite.insert(entity)


class SqlTicketRepository:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session, self._clock = session, clock

    async def add(self, ticket: Ticket) -> Ticket:
        """Insert ``ticket``, numbering it from ``ticket_sequences`` in this transaction: the year row's
        lock (PostgreSQL) or the write lock (SQLite) serialises concurrent creators until they commit,
        so numbers are unique, gapless among committed tickets and never handed out twice."""
        if ticket.id is not None:
            raise ValueError(f"ticket {ticket.number} is already stored")
        year = ticket.received_at.astimezone(NUMBER_TZ).year
        await self._session.execute(
            _insert(self._session, TicketSequenceRow).values(year=year, last_value=0)
            .on_conflict_do_nothing(index_elements=["year"])
        )
        seq = TicketSequenceRow.last_value
        n = (await self._session.execute(
            update(TicketSequenceRow).where(TicketSequenceRow.year == year).values(last_value=seq + 1)
            .returning(seq)
        )).scalar_one()
        number, now = ticket_number(year, n), self._clock.now()
        values = ticket_values(ticket) | {"number": number, "year": year, "version": 0, "created_at": now,
                                          "updated_at": now}
        ticket.id = (await self._session.execute(
            _insert(self._session, TicketRow).values(values).returning(TicketRow.id)
        )).scalar_one()
        ticket.number = number
        await self._append_events(ticket)
        return ticket

    async def save(self, ticket: Ticket) -> None:
        if ticket.id is None:
            raise ValueError("save() needs a stored ticket; use add() for a new one")
        found = (await self._session.execute(
            update(TicketRow).where(TicketRow.id == ticket.id, TicketRow.version == ticket.version)
            .values(ticket_values(ticket) | {"version": ticket.version + 1, "updated_at": self._clock.now()})
            .returning(TicketRow.id)
        )).scalar_one_or_none()
        if found is None:
            exists = await self._session.scalar(select(TicketRow.id).where(TicketRow.id == ticket.id))
            raise ConcurrentUpdate(ticket.number) if exists is not None else TicketNotFound(ticket.number)
        ticket.version += 1
        await self._append_events(ticket)

    async def get(self, number: str) -> Ticket | None:
        tickets = await self._load(select(TicketRow).where(TicketRow.number == number))
        return tickets[0] if tickets else None

    async def list(
        self, *, status: Status | None = None, customer_id: int | None = None,
        open_only: bool = False, limit: int = 500,
    ) -> builtins.list[Ticket]:
        query = select(TicketRow)
        if status is not None:
            query = query.where(TicketRow.status == status.value)
        if customer_id is not None:
            query = query.where(TicketRow.customer_id == customer_id)
        if open_only:
            query = query.where(TicketRow.status.in_([s.value for s in OPEN]))
        newest_first = (TicketRow.received_at.desc(), TicketRow.id.desc())
        return await self._load(query.order_by(*newest_first).limit(limit))

    async def _load(self, query: Any) -> builtins.list[Ticket]:
        rows = (await self._session.scalars(query, execution_options={"populate_existing": True})).all()
        events: dict[int, builtins.list[TicketEvent]] = {row.id: [] for row in rows}
        if rows:
            found = await self._session.scalars(
                select(TicketEventRow).where(TicketEventRow.ticket_id.in_(events))
                .order_by(TicketEventRow.id), execution_options={"populate_existing": True},
            )
            for event in found:
                events[event.ticket_id].append(event_from_row(event))
        return [ticket_from_row(row, events[row.id]) for row in rows]

    async def _append_events(self, ticket: Ticket) -> None:
        if ticket.new_events:
            await self._session.execute(
                _insert(self._session, TicketEventRow),
                [event_values(ticket.id, e) for e in ticket.new_events],
            )
        ticket.new_events.clear()


class SqlCustomerRepository:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session, self._clock = session, clock

    async def get_or_create(self, channel: str, external_id: str, *, display_name: str = "",
                            locale: str = "ko") -> Customer:
        """The customer of this channel identity; created (race-free) on first contact."""
        await self._session.execute(
            _insert(self._session, CustomerRow).values(
                channel=channel, external_id=external_id, display_name=display_name, locale=locale,
                consent_at=None, consent_version="", phone="", created_at=self._clock.now(),
            ).on_conflict_do_nothing(index_elements=["channel", "external_id"])
        )
        row = (await self._session.scalars(
            select(CustomerRow).where(CustomerRow.channel == channel, CustomerRow.external_id == external_id),
            execution_options={"populate_existing": True},
        )).one()
        return customer_from_row(row)

    async def get(self, customer_id: int) -> Customer | None:
        row = await self._session.get(CustomerRow, customer_id, populate_existing=True)
        return customer_from_row(row) if row else None

    async def save(self, customer: Customer) -> None:
        if customer.id is None:
            raise ValueError("save() needs a stored customer; use get_or_create() first")
        await self._session.execute(update(CustomerRow).where(CustomerRow.id == customer.id).values(
            display_name=customer.display_name, locale=customer.locale, consent_at=customer.consent_at,
            consent_version=customer.consent_version, phone=customer.phone,
        ))


class SqlConversationRepository:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session, self._clock = session, clock

    async def load(self, customer_id: int) -> ConversationState | None:
        row = (await self._session.scalars(
            select(ConversationRow).where(ConversationRow.customer_id == customer_id),
            execution_options={"populate_existing": True},
        )).one_or_none()
        return ConversationState(row.step, dict(row.data), row.updated_at) if row else None

    async def save(self, customer_id: int, state: ConversationState) -> None:
        """Upsert the state. The caller's ``updated_at`` wins (the dialogue stamps its turn's
        instant); when it is None the clock's now is stored and set on ``state``."""
        if state.updated_at is None:
            state.updated_at = self._clock.now()
        values = {"step": state.step, "data": state.data, "updated_at": state.updated_at}
        await self._session.execute(
            _insert(self._session, ConversationRow).values(customer_id=customer_id, **values)
            .on_conflict_do_update(index_elements=["customer_id"], set_=values)
        )


class SqlOutboxRepository:
    """The transactional outbox. Rows are put in the caller's transaction; workers ``claim`` a batch
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write lock already serialises claimers), commit
    the claim, deliver, then ``mark_delivered`` or ``mark_failed``. A claim expires after its lease, so
    a crashed worker's rows come back; delivery must therefore be idempotent downstream."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session, self._clock = session, clock

    async def put(self, kind: str, payload: dict[str, Any], *, dedupe_key: str | None = None,
                  available_at: datetime | None = None) -> None:
        now = self._clock.now()
        await self._session.execute(
            _insert(self._session, OutboxRow).values(
                kind=kind, payload=payload, dedupe_key=dedupe_key, created_at=now,
                available_at=available_at or now, attempts=0,
            ).on_conflict_do_nothing(index_elements=["dedupe_key"])
        )

    async def pending(self, limit: int = 100) -> builtins.list[dict[str, Any]]:
        """Undelivered rows, oldest first, whether or not they are available yet."""
        rows = await self._session.scalars(
            select(OutboxRow).where(OutboxRow.delivered_at.is_(None))
            .order_by(OutboxRow.available_at, OutboxRow.id).limit(limit),
            execution_options={"populate_existing": True},
        )
        return [outbox_item(r) for r in rows]

    async def claim(self, now: datetime, limit: int = 10,
                    lease: timedelta = timedelta(minutes=5)) -> builtins.list[dict[str, Any]]:
        """Lease up to ``limit`` available rows until ``now + lease``, counting an attempt on each."""
        due = (select(OutboxRow.id).where(
            OutboxRow.delivered_at.is_(None), OutboxRow.available_at <= now,
            or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until <= now),
        ).order_by(OutboxRow.available_at, OutboxRow.id).limit(limit))
        if self._session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        rows = await self._session.scalars(
            update(OutboxRow).where(OutboxRow.id.in_(due))
            .values(claimed_until=now + lease, attempts=OutboxRow.attempts + 1).returning(OutboxRow),
            execution_options={"synchronize_session": False, "populate_existing": True},
        )
        return sorted((outbox_item(r) for r in rows), key=lambda i: (i["available_at"], i["id"]))

    async def mark_delivered(self, id: int, at: datetime) -> bool:
        """Record delivery once; False if the row was already delivered (or does not exist)."""
        return (await self._session.execute(
            update(OutboxRow).where(OutboxRow.id == id, OutboxRow.delivered_at.is_(None))
            .values(delivered_at=at, claimed_until=None).returning(OutboxRow.id)
        )).scalar_one_or_none() is not None

    async def mark_failed(self, id: int, error: str, retry_at: datetime) -> None:
        await self._session.execute(
            update(OutboxRow).where(OutboxRow.id == id, OutboxRow.delivered_at.is_(None))
            .values(last_error=error, available_at=retry_at, claimed_until=None)
        )


class SqlInboundRepository:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session, self._clock = session, clock

    async def first_time(self, channel: str, key: str) -> bool:
        inserted = (await self._session.execute(
            _insert(self._session, InboundMessageRow)
            .values(channel=channel, key=key, received_at=self._clock.now())
            .on_conflict_do_nothing(index_elements=["channel", "key"]).returning(InboundMessageRow.id)
        )).scalar_one_or_none()
        return inserted is not None


class DepartmentLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def name_en(self) -> str: ...
    @property
    def slack_channel(self) -> str: ...


async def sync_departments(session: AsyncSession, departments: Mapping[str, DepartmentLike]) -> None:
    """Make ``departments`` match config: upsert every key as active, deactivate the others (tickets
    keep their department key, so rows are never deleted)."""
    for key, dept in departments.items():
        values = {"name": dept.name, "name_en": dept.name_en, "slack_channel": dept.slack_channel,
                  "active": True}
        await session.execute(
            _insert(session, DepartmentRow).values(key=key, **values)
            .on_conflict_do_update(index_elements=["key"], set_=values)
        )
    await session.execute(
        update(DepartmentRow).where(DepartmentRow.key.not_in(list(departments))).values(active=False)
    )
