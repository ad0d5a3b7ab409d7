"""The ticket repository: numbering, optimistic locking, and listings read in chunks with their events."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row

from bot.casework.tickets import OPEN, Status, Ticket, TicketEvent
from bot.errors import ConcurrentUpdate, TicketNotFound
from storage.alerts import touch
from storage.listing import DEFAULT_CHUNK, EVENT_IDS_PER_QUERY
from storage.models import event_values, ticket_values
from storage.repositories import SqlOutboxRepository, Work
from storage.rows import event_from_row, ticket_from_row

NUMBER_TZ = ZoneInfo("Asia/Seoul")
"""Ticket numbers are counted per year in Korean time: a VOC received 2026-12-31 23:30 KST is a 2026 one."""


def ticket_number(year: int, n: int) -> str:
    return f"VOC-{year}-{n:06d}"


class SqlTicketRepository:
    def __init__(self, work: Work) -> None:
        self._work, self._sql = work, work.sql

    async def add(self, ticket: Ticket, *, announce: Mapping[str, Any] | None = None) -> Ticket:
        """Insert ``ticket`` and its pending events, numbering it from ``ticket_sequences`` in this
        transaction: the year row's lock (PostgreSQL) or the write lock (SQLite) serialises concurrent
        creators until they commit, so numbers are unique, gapless among committed tickets and never handed
        out twice. On PostgreSQL that lock is the one place where turns wait for each other, so the number,
        the ticket and its events are one statement there, and callers should add the ticket as late in
        their transaction as they can."""
        if ticket.id is not None:
            raise ValueError(f"ticket {ticket.number} is already stored")
        self._work.no_open_tickets.discard(ticket.customer_id)
        year, now = ticket.received_at.astimezone(NUMBER_TZ).year, self._work.clock.now()
        values = ticket_values(ticket) | {"year": year, "version": 0, "created_at": now, "updated_at": now}
        if self._sql.ticket_open is not None:  # PostgreSQL: all in one statement
            events = [event_values(None, e) | {"at": e.at.isoformat()} for e in ticket.new_events]
            row = (await self._work.execute(self._sql.ticket_open, values | {
                "events": events, "ladder_open": ticket.status in OPEN,
                "ladder_paused": ticket.status is Status.SUPPLEMENT_REQUESTED,
                "announcing": announce is not None, "announce": dict(announce or {})})).one()
            ticket.id, ticket.number = row.id, row.number
            ticket.new_events.clear()
            if row.announced:  # and its NOTIFY
                self._work.outbox_written = self._work.outbox_notified = True
            return ticket  # its ladder row too (storage.alerts.touch)
        n = (await self._work.execute(self._sql.ticket_number, {"year": year})).scalar_one()
        number = ticket_number(year, n)
        ticket.id = (await self._work.execute(self._sql.ticket_insert, values | {"number": number})).scalar_one()
        ticket.number = number
        await self._append_events(ticket)  # its ladder row: the trigger of migration 0008
        if announce is not None:
            await SqlOutboxRepository(self._work).put("ticket_opened", dict(announce) | {"number": number},
                                                      dedupe_key=f"opened:{number}")
        return ticket

    async def save(self, ticket: Ticket) -> None:
        if ticket.id is None:
            raise ValueError("save() needs a stored ticket; use add() for a new one")
        self._work.no_open_tickets.discard(ticket.customer_id)
        values = ticket_values(ticket) | {"version": ticket.version + 1, "updated_at": self._work.clock.now(),
                                          "b_id": ticket.id, "b_version": ticket.version}
        found = (await self._work.execute(self._sql.ticket_update, values)).scalar_one_or_none()
        if found is None:
            exists = (await self._work.execute(self._sql.ticket_exists, {"b_id": ticket.id})).scalar_one_or_none()
            raise ConcurrentUpdate(ticket.number) if exists is not None else TicketNotFound(ticket.number)
        ticket.version += 1
        await self._append_events(ticket)
        await touch(self._work, ticket.number, ticket.due_at, ticket.department, ticket.status)

    async def get(self, number: str) -> Ticket | None:
        rows = (await self._work.execute(self._sql.ticket_by_number, {"number": number})).all()
        tickets = await self._with_events(rows)
        return tickets[0] if tickets else None

    async def list(
        self, *, status: Status | None = None, customer_id: int | None = None, open_only: bool = False,
        department: str | None = None, channel: str | None = None, overdue_at: datetime | None = None,
        limit: int | None = 500,
    ) -> builtins.list[Ticket]:
        """Tickets newest first, events included; ``limit=None``: all of them (``stream`` keeps memory
        bounded instead)."""
        if open_only and customer_id in self._work.no_open_tickets and not (status or department or channel):
            return []  # the customer's read in this unit of work found none, and none was added since
        chunk = DEFAULT_CHUNK if limit is None else max(1, min(limit, DEFAULT_CHUNK))
        return [t async for t in self.stream(
            status=status, customer_id=customer_id, open_only=open_only, department=department,
            channel=channel, overdue_at=overdue_at, limit=limit, chunk=chunk,
        )]

    async def stream(
        self, *, status: Status | None = None, customer_id: int | None = None, open_only: bool = False,
        department: str | None = None, channel: str | None = None, overdue_at: datetime | None = None,
        limit: int | None = None, chunk: int = DEFAULT_CHUNK,
    ) -> AsyncIterator[Ticket]:
        """The tickets of ``list``, read ``chunk`` at a time by keyset (``received_at``, ``id``), each
        chunk's events with it. Runs in the caller's transaction; tickets received meanwhile (newer than
        the first chunk) are not included."""
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        filters: dict[str, Any] = {
            "status": status and status.value, "customer_id": customer_id, "department": department,
            "channel": channel, "overdue_at": overdue_at,
        }
        params = {k: v for k, v in filters.items() if v is not None}
        shape = {"status": status is not None, "customer": customer_id is not None, "open_only": open_only,
                 "department": department is not None, "channel": channel is not None,
                 "overdue": overdue_at is not None}
        remaining = limit
        while remaining is None or remaining > 0:
            size = chunk if remaining is None else min(chunk, remaining)
            query = self._sql.listing(**shape, after="after_id" in params)
            rows = (await self._work.execute(query, params | {"limit": size})).all()
            for ticket in await self._with_events(rows):
                yield ticket
            if len(rows) < size:
                return
            if remaining is not None:
                remaining -= len(rows)
            params["after_at"], params["after_id"] = rows[-1].received_at, rows[-1].id

    async def _with_events(self, rows: Sequence[Row[Any]]) -> builtins.list[Ticket]:
        events: dict[int, builtins.list[TicketEvent]] = {row.id: [] for row in rows}
        ids = builtins.list(events)
        for start in range(0, len(ids), EVENT_IDS_PER_QUERY):
            found = await self._work.execute(self._sql.events_of, {"ids": ids[start:start + EVENT_IDS_PER_QUERY]})
            for event in found:
                events[event.ticket_id].append(event_from_row(event._mapping))
        return [ticket_from_row(row._mapping, events[row.id]) for row in rows]

    async def _append_events(self, ticket: Ticket) -> None:
        if ticket.new_events:
            rows = [event_values(ticket.id, e) for e in ticket.new_events]
            await self._work.execute(self._sql.event_insert, rows if len(rows) > 1 else rows[0])
        ticket.new_events.clear()
