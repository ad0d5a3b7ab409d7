"""The time-driven pass (``vocdesk sweep``): decides, as if it were ``now``, which notices time has made due,
and queues them in the outbox for delivery at once. A repeated sweep at the same instant queues nothing new
(every notice has its dedupe key). Here: the progress notice for tickets still open after 30 days (민원처리법
시행령 제23조); the Slack alerts add their deadline ladder to the same pass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.casework.deadlines import INTERIM_NOTICE_EVERY, interim_notice_times
from bot.casework.workcalendar import WorkCalendar
from bot.ports import UnitOfWorkFactory

EARLIEST = timedelta(days=10)
"""How much earlier than its 30-day instant a moved notice can be (the longest run of non-working days)."""


def progress_times(received_at: datetime, until: datetime, calendar: WorkCalendar) -> list[datetime]:
    """The 30-day progress notice instants whose time has come by ``until``, each moved off a Saturday,
    Sunday or public holiday to the working day before it (``deadlines.interim_notice_times``)."""
    return interim_notice_times(received_at, until, calendar)


@dataclass(frozen=True)
class Swept:
    progress: int = 0


async def sweep(uow: UnitOfWorkFactory, calendar: WorkCalendar, now: datetime) -> Swept:
    """Queue what is due at ``now``; returns how many new notices were queued."""
    queued = 0
    async with uow() as work:
        for number, received_at in await work.deliveries.open_received_before(now - INTERIM_NOTICE_EVERY
                                                                              + EARLIEST):
            for k, at in enumerate(progress_times(received_at, now, calendar), 1):
                queued += await work.outbox.put("progress", {"number": number, "days": 30 * k,
                                                             "at": at.isoformat()},
                                                dedupe_key=f"progress:{number}:{k}")
        await work.commit()
    return Swept(progress=queued)
