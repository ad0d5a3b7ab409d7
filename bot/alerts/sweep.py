"""The staff alerts' share of the time-driven pass (``vocdesk sweep``): deadline warnings by the ladder and the
morning digest, queued in the outbox in the sweep's unit of work. The dispatcher delivers them like any notice,
so a Slack outage delays them and never loses them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot.alerts.ladder import Ladders, decide
from bot.alerts.ports import Mark
from bot.alerts.workingtime import WorkingTime
from bot.casework.deadlines import Period, compute_due
from bot.casework.tickets import MAX_EXTENSIONS
from bot.casework.workcalendar import WorkCalendar
from bot.ports import UnitOfWork

WARNING, DIGEST = "deadline_warning", "staff_digest"
PAUSES = timedelta(days=30)
"""Allowance for the clock stopped while a supplement is awaited, in the horizon of the share steps."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DIGEST_ITEMS = 10  # tickets listed per department and heading (the counts are whole)


@dataclass(frozen=True)
class AlertPlan:
    """What the sweep needs for the alerts: the ladders, the deadline policies (how far ahead a share step can
    look), and the time of the morning digest (None: no digest)."""

    ladders: Ladders
    policies: Sequence[Period] = ()
    digest_at: time | None = None
    departments: tuple[str, ...] = ()


def longest_span(policies: Sequence[Period], calendar: WorkCalendar, now: datetime) -> timedelta:
    """The longest a ticket can run from receipt to due under ``policies``: twice extended, plus the pauses."""
    spans = [compute_due(now, p, calendar, extensions=[p] * MAX_EXTENSIONS).due_at - now for p in policies]
    return max(spans, default=timedelta(days=90)) + PAUSES


def dedupe_key(number: str, step: str, due_at: datetime) -> str:
    """``ladder:VOC-2026-000001:1d@20261002T0900Z``: once per ticket, step and due instant (an extension starts
    the ladder again)."""
    return f"ladder:{number}:{step}@{due_at.astimezone(UTC):%Y%m%dT%H%MZ}"


async def queue_warnings(uow: UnitOfWork, now: datetime, plan: AlertPlan, working: WorkingTime) -> int:
    """Decide every ticket the ladder must look at, queue the warnings due, remember what passed."""
    horizon = plan.ladders.horizon(now, working, longest_span(plan.policies, working.calendar, now))
    marks, warnings = [], []
    for ticket in await uow.alerts.ladder(horizon, now):
        decision = decide(ticket, now, plan.ladders.of(ticket.department), working)
        step = decision.send
        if step is not None:
            warnings.append(({
                "number": ticket.number, "department": ticket.department, "step": step.name,
                "escalate": step.escalates, "due_at": ticket.due_at.isoformat(), "at": now.isoformat(),
                "left_minutes": round(decision.left.total_seconds() / 60),
            }, dedupe_key(ticket.number, step.name, ticket.due_at)))
        marks.append(Mark(ticket.number, ticket.due_at, decision.passed, decision.next_at))
    queued = await uow.alerts.queue(WARNING, warnings)
    await uow.alerts.mark(marks)
    return queued


async def queue_digests(uow: UnitOfWork, now: datetime, plan: AlertPlan, calendar: WorkCalendar) -> int:
    """Once a working day, from ``digest_at`` on: one digest per department with open tickets."""
    local = calendar.to_local(now)
    if plan.digest_at is None or local.time() < plan.digest_at or not calendar.is_working_day(local.date()):
        return 0
    day = local.date().isoformat()
    if await uow.alerts.queued([f"digest:{day}:{key}" for key in plan.departments]):
        return 0  # today's are out (the queries below read every open ticket: once a day is enough)
    soon = calendar.end_of_day(calendar.next_working_day(local.date()))  # due today or the next working day
    listed: dict[tuple[str, bool], list[tuple[str, str]]] = {}
    for overdue, (after, before) in ((True, (EPOCH, now)), (False, (now, soon + timedelta(seconds=1)))):
        for t in await uow.alerts.due_by(after, before, DIGEST_ITEMS):
            due = calendar.to_local(t.due_at)
            listed.setdefault((t.department, overdue), []).append(
                (t.number, f"{due:%m/%d}" if t.due_date_only else f"{due:%m/%d %H:%M}"))
    digests = []
    for load in await uow.alerts.load(now, soon):
        late, coming = listed.get((load.department, True), []), listed.get((load.department, False), [])
        digests.append(({
            "department": load.department, "day": day, "at": now.isoformat(),
            "open": load.open, "soon": load.soon, "overdue": load.overdue,
            "soon_list": coming, "overdue_list": late,
        }, f"digest:{day}:{load.department}"))
    return await uow.alerts.queue(DIGEST, digests)
