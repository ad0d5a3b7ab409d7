"""What ``/metrics`` reads from the database at scrape time, and ``/healthz``'s ping, on both databases."""

from __future__ import annotations

from datetime import timedelta

from storage.gauges import DeskGauges, ping, read_gauges
from storage.uow import Database
from tests.integration.test_listing import START, fill


async def test_an_empty_desk_reads_all_zero(database: Database) -> None:
    await ping(database)
    assert await read_gauges(database, START) == DeskGauges()


async def test_tickets_by_type_overdue_and_the_outbox_backlog(database: Database) -> None:
    await fill(database, 6)  # complaints; every third one closed; each due 9 days after it came in
    async with database.uow() as uow:
        for n in range(2):
            await uow.outbox.put("ticket_opened", {"number": f"VOC-2026-00000{n + 1}"})
        await uow.commit()
    before_due = await read_gauges(database, START + timedelta(days=1))
    assert before_due.tickets_by_type == {"complaint": 6}
    assert before_due.overdue == 0 and before_due.events_waiting == 2
    assert (await read_gauges(database, START + timedelta(days=30))).overdue == 4
