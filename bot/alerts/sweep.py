"""The staff alerts' share of the time-driven pass (``vocdesk sweep``): deadline warnings by the ladder and the
morning digest, queued in the outbox in the sweep's unit of work. The dispatcher delivers them like any notice,
so a Slack outage delays them and never loses them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot.alerts.ladder import Ladder, Ladders, LadderTicket, instants
from bot.alerts.ports import Planned, Schedule
from bot.alerts.workingtime import WorkingTime
from bot.casework.workcalendar import WorkCalendar
from bot.ports import UnitOfWork

WARNING, DIGEST = "deadline_warning", "staff_digest"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DIGEST_ITEMS = 10  # tickets listed per department and heading (the counts are whole)


@dataclass(frozen=True)
class AlertPlan:
    """What the sweep needs for the alerts: the ladders, and the time of the morning digest (None: no digest)."""

    ladders: Ladders
    digest_at: time | None = None
    departments: tuple[str, ...] = ()


@functools.lru_cache(maxsize=4096)  # many tickets share a due instant
def due_key(due_at: datetime) -> str:
    return f"{due_at.astimezone(UTC):%Y%m%dT%H%MZ}"


def dedupe_key(number: str, step: str, due_at: datetime) -> str:
    """``ladder:VOC-2026-000001:1d@20261002T0900Z``: once per ticket, step and due instant (an extension starts
    the ladder again). The database builds the same key from the ladder row (``storage.alerts``)."""
    return f"ladder:{number}:{step}@{due_key(due_at)}"


def schedule(ticket: LadderTicket, ladder: Ladder, working: WorkingTime) -> Schedule:
    """The steps of ``ladder`` for ``ticket`` in the order they come (``ladder.instants``; at the same instant, in
    the ladder's order)."""
    order = ladder.order
    found = sorted(instants(ticket, ladder, working), key=lambda pair: (pair[1], order[pair[0].name]))
    tz = ticket.due_at.tzinfo
    return Schedule(ticket.number, ticket.department, ticket.due_at, due_key(ticket.due_at), tuple(
        Planned(step.name, datetime.fromtimestamp(at, tz)) for step, at in found))


async def queue_warnings(uow: UnitOfWork, now: datetime, plan: AlertPlan, working: WorkingTime) -> int:
    """Make the schedules of the tickets written since the last pass, then queue the warnings that came: the
    latest step come of each ticket (the others are passed over). The decision is the database's, in one statement
    over each ticket's next step's instant (``storage.alerts``): no object per open ticket."""
    await uow.alerts.exclusive()
    if unscheduled := await uow.alerts.unscheduled():
        await uow.alerts.schedule([schedule(t, plan.ladders.of(t.department), working) for t in unscheduled])
    return await uow.alerts.warn(WARNING, now)


async def queue_digests(uow: UnitOfWork, now: datetime, plan: AlertPlan, calendar: WorkCalendar) -> int:
    """Once a working day, from ``digest_at`` on: one digest per department with open tickets."""
    local = calendar.to_local(now)
    if plan.digest_at is None or local.time() < plan.digest_at or not calendar.is_working_day(local.date()):
        return 0
    day = local.date().isoformat()
    if await uow.alerts.queued([f"digest:{day}:{key}" for key in plan.departments]):
        return 0  # today's are out (the queries below read every open ticket: once a day is enough)
    soon = calendar.end_of_day(calendar.next_working_day(local.date()))  # due today or the next working day
    loads = await uow.alerts.load(now, soon)
    listed: dict[tuple[str, bool], list[tuple[str, str]]] = {}
    for load in loads:
        for overdue, (after, before) in ((True, (EPOCH, now)), (False, (now, soon + timedelta(seconds=1)))):
            for t in await uow.alerts.due_by(after, before, DIGEST_ITEMS, load.department):
                due = calendar.to_local(t.due_at)
                listed.setdefault((t.department, overdue), []).append(
                    (t.number, f"{due:%m/%d}" if t.due_date_only else f"{due:%m/%d %H:%M}"))
    digests = []
    for load in loads:
        late, coming = listed.get((load.department, True), []), listed.get((load.department, False), [])
        digests.append(({
            "department": load.department, "day": day, "at": now.isoformat(),
            "open": load.open, "soon": load.soon, "overdue": load.overdue,
            "soon_list": coming, "overdue_list": late,
        }, f"digest:{day}:{load.department}"))
    return await uow.alerts.queue(DIGEST, digests)
