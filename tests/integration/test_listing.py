"""Listing more tickets than a statement may carry bind parameters (asyncpg: 32,767), on both databases, through
the repository and through the CLI's light read path.

The tickets are written straight into the tables (COPY on PostgreSQL, executemany on SQLite): the
dialogue would take minutes to file 33,000 of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert

from storage.models import CustomerRow, TicketEventRow, TicketRow
from storage.readonly import Listing, open_reader
from storage.uow import Database

MANY = 33_000  # above asyncpg's 32,767 bind parameters
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def rows(n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    tickets, events = [], []
    for i in range(1, n + 1):
        at = START + timedelta(minutes=i)
        tickets.append({
            "id": i, "number": f"VOC-2026-{i:06d}", "year": 2026, "customer_id": 1 + i % 10, "channel": "web",
            "voc_type": "complaint", "intent": "delay_complaint", "department": "voc_desk",
            "text": f"처리가 늦어요 {i}", "received_at": at, "due_at": at + timedelta(days=9),
            "due_date_only": True, "policy_amount": 7, "policy_unit": "days", "policy_regime": "civil",
            "status": "received" if i % 3 else "closed", "assignee": "", "contact_phone": "",
            "confidence": 0.9, "answer": "", "pauses": [], "extensions": [], "version": 0, "created_at": at,
            "updated_at": at,
        })
        events.append({"id": i, "ticket_id": i, "at": at, "actor": "customer:1", "action": "receive",
                       "from_status": None, "to_status": "received", "reason": str(i), "data": {}})
    return tickets, events


async def fill(database: Database, n: int) -> None:
    customers = [{"id": c, "channel": "web", "external_id": str(c), "display_name": "", "locale": "ko",
                  "consent_at": None, "consent_version": "", "phone": "", "created_at": START} for c in range(1, 11)]
    tickets, events = rows(n)
    async with database.engine.begin() as connection:
        await connection.execute(insert(CustomerRow.__table__), customers)
        if database.sqlite:
            await connection.execute(insert(TicketRow.__table__), tickets)
            await connection.execute(insert(TicketEventRow.__table__), events)
            return
        copy = (await connection.get_raw_connection()).driver_connection
        assert copy is not None
        for table, data in (("tickets", tickets), ("ticket_events", events)):
            columns = list(data[0])
            await copy.copy_records_to_table(table, columns=columns, records=[
                tuple("[]" if isinstance(v, list) else "{}" if isinstance(v, dict) else v for v in row.values())
                for row in data])


def largest_parameter_count(database: Database) -> list[int]:
    counts = [0]

    def on_execute(_c: Any, _cur: Any, _statement: str, parameters: Any, *_: Any) -> None:
        if isinstance(parameters, Sequence | dict):
            counts[0] = max(counts[0], len(parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", on_execute)
    return counts


async def test_listing_more_tickets_than_bind_parameters_allow(database: Database) -> None:
    await fill(database, MANY)
    largest = largest_parameter_count(database)
    async with database.uow() as uow:
        everything = await uow.tickets.list(limit=None)
        assert len(everything) == MANY
        assert [t.number for t in everything[:2]] == ["VOC-2026-033000", "VOC-2026-032999"]
        assert all(len(t.events) == 1 and int(t.events[0].reason) == int(t.number[-6:]) for t in everything)
        del everything
        assert largest[0] <= 1001
        newest = await uow.tickets.list()
        assert len(newest) == 500 and newest[-1].number == "VOC-2026-032501"
        numbers = [int(t.number[-6:]) async for t in uow.tickets.stream(open_only=True, limit=6_000, chunk=5_000)]
        expected = [i for i in range(MANY, 0, -1) if i % 3][:6_000]
        assert numbers == expected


def read_everything(url: str) -> tuple[int, list[str], int]:
    """(how many tickets, the first two numbers, how many with their one event) read by ``storage.readonly``,
    without keeping them all."""
    count, first, whole = 0, [], 0
    with open_reader(url) as reader:
        for ticket in reader.tickets(limit=None):
            count += 1
            first += [ticket.number] if count <= 2 else []
            whole += len(ticket.events) == 1 and int(ticket.events[0].reason) == int(ticket.number[-6:])
        opened = [int(t.number[-6:]) for t in reader.tickets(Listing(open_only=True), limit=6_000, chunk=5_000)]
    assert opened == [i for i in range(MANY, 0, -1) if i % 3][:6_000]
    return count, first, whole


async def test_the_light_read_path_lists_more_tickets_than_bind_parameters_allow(database_url: str,
                                                                                 database: Database) -> None:
    await fill(database, MANY)
    count, first, whole = await asyncio.to_thread(read_everything, database_url)
    assert (count, first, whole) == (MANY, ["VOC-2026-033000", "VOC-2026-032999"], MANY)
