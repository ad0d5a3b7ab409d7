"""What ``/metrics`` reads from the database at scrape time (the same for every worker process, unlike the
process's own counters): tickets opened by VOC type, overdue tickets, the outbox backlog and its failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from bot.notices.ports import DEAD, PENDING
from storage.models import Base
from storage.statements import OPEN_LITERALS
from storage.uow import Database

TICKETS = Base.metadata.tables["tickets"]
OUTBOX = Base.metadata.tables["outbox"]
DELIVERIES = Base.metadata.tables["deliveries"]

_BY_TYPE = select(TICKETS.c.voc_type, func.count()).group_by(TICKETS.c.voc_type)
_OVERDUE = select(func.count()).select_from(TICKETS).where(TICKETS.c.status.in_(OPEN_LITERALS))
_EVENTS = select(func.count()).select_from(OUTBOX).where(OUTBOX.c.delivered_at.is_(None))
_DELIVERIES = select(DELIVERIES.c.state, func.count()).where(
    DELIVERIES.c.state.in_([PENDING, DEAD])).group_by(DELIVERIES.c.state)
_FAILING = select(func.count()).select_from(DELIVERIES).where(
    DELIVERIES.c.state == PENDING, DELIVERIES.c.attempts > 0, DELIVERIES.c.last_error != "")


@dataclass(frozen=True)
class DeskGauges:
    tickets_by_type: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    events_waiting: int = 0  # outbox events not yet fanned out into deliveries
    deliveries_pending: int = 0
    deliveries_failing: int = 0  # pending, but the last attempt failed (to be retried)
    deliveries_dead: int = 0


async def read_gauges(database: Database, now: datetime) -> DeskGauges:
    """One short read-only unit of work: five aggregate queries."""
    async with database.uow() as uow:
        run = uow.work.execute
        by_type = {str(kind): int(n) for kind, n in (await run(_BY_TYPE)).all()}
        overdue = (await run(_OVERDUE.where(TICKETS.c.due_at < now))).scalar_one()
        events = (await run(_EVENTS)).scalar_one()
        states = {str(state): int(n) for state, n in (await run(_DELIVERIES)).all()}
        failing = (await run(_FAILING)).scalar_one()
    return DeskGauges(by_type, int(overdue), int(events), states.get(PENDING, 0), int(failing), states.get(DEAD, 0))


async def ping(database: Database) -> None:
    """``SELECT 1`` in a unit of work: the database answers (the caller bounds the wait)."""
    async with database.uow() as uow:
        await uow.work.connection.exec_driver_sql("SELECT 1")
