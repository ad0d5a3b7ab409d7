"""The time-driven pass (``vocdesk sweep``): decides, as if it were ``now``, which notices time has made due,
and queues them in the outbox for delivery at once. A repeated sweep at the same instant queues nothing new
(every notice has its dedupe key). Here: the progress notice for tickets still open after 30 days (민원처리법
시행령 제23조); the staff alerts (``bot.alerts.sweep``) add their deadline warnings and morning digest to the
same pass. ``Sweeper`` runs it on an interval (``vocdesk dispatch`` does, every ``[notify] sweep_minutes``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.casework.deadlines import INTERIM_NOTICE_EVERY, interim_notice_times
from bot.casework.workcalendar import WorkCalendar
from bot.clock import Clock
from bot.ports import UnitOfWorkFactory

if TYPE_CHECKING:
    from bot.alerts.sweep import AlertPlan
    from bot.alerts.workingtime import WorkingTime

log = logging.getLogger("vocdesk.sweep")

EARLIEST = timedelta(days=10)
"""How much earlier than its 30-day instant a moved notice can be (the longest run of non-working days)."""


def progress_times(received_at: datetime, until: datetime, calendar: WorkCalendar) -> list[datetime]:
    """The 30-day progress notice instants whose time has come by ``until``, each moved off a Saturday,
    Sunday or public holiday to the working day before it (``deadlines.interim_notice_times``)."""
    return interim_notice_times(received_at, until, calendar)


@dataclass(frozen=True)
class Swept:
    progress: int = 0
    warnings: int = 0
    digests: int = 0
    weekly: int = 0  # the weekly digests (bot.standard.weekly), Mondays

    def __str__(self) -> str:
        weekly = f", {self.weekly} weekly digests" if self.weekly else ""
        return (f"{self.progress} progress notices, {self.warnings} deadline warnings, {self.digests} digests"
                f"{weekly} queued")


async def sweep(uow: UnitOfWorkFactory, calendar: WorkCalendar, now: datetime, alerts: AlertPlan | None = None,
                working: WorkingTime | None = None) -> Swept:
    """Queue what is due at ``now`` (with ``alerts``: the staff alerts too), in one unit of work; returns how many
    new notices were queued."""
    queued = warnings = digests = 0
    async with uow() as work:
        for number, received_at in await work.deliveries.open_received_before(now - INTERIM_NOTICE_EVERY
                                                                              + EARLIEST):
            for k, at in enumerate(progress_times(received_at, now, calendar), 1):
                queued += await work.outbox.put("progress", {"number": number, "days": 30 * k,
                                                             "at": at.isoformat()},
                                                dedupe_key=f"progress:{number}:{k}")
        if alerts is not None:
            from bot.alerts.sweep import queue_digests, queue_warnings
            from bot.alerts.workingtime import WorkingTime

            warnings = await queue_warnings(work, now, alerts, working or WorkingTime(calendar))
            digests = await queue_digests(work, now, alerts, calendar)
        await work.commit()
    weekly = 0
    if alerts is not None:  # after the commit: the report reads in units of work of its own
        from bot.standard.weekly import queue_weekly

        weekly = await queue_weekly(uow, now, alerts.digest_at, alerts.departments, calendar)
    return Swept(progress=queued, warnings=warnings, digests=digests, weekly=weekly)


class Sweeper:
    """Sweeps at the clock's now, once (``run_once``) or every ``interval`` seconds until ``stop``."""

    def __init__(self, uow: UnitOfWorkFactory, calendar: WorkCalendar, clock: Clock,
                 alerts: AlertPlan | None = None) -> None:
        from bot.alerts.workingtime import WorkingTime

        self.uow, self.calendar, self.clock, self.alerts = uow, calendar, clock, alerts
        self.working = WorkingTime(calendar)

    async def run_once(self) -> Swept:
        return await sweep(self.uow, self.calendar, self.clock.now(), self.alerts, self.working)

    async def run(self, stop: asyncio.Event, interval: float, *,
                  on_pass: Callable[[Swept], None] | None = None) -> None:
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception as exc:  # a database hiccup: the next pass tries again
                log.error("sweep failed: %s", type(exc).__name__)
            else:
                if on_pass is not None:
                    on_pass(done)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
