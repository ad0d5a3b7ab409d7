"""The weekly digest: each Monday from the morning digest's time, one message per department with last week's
numbers and one chart (text bars: Slack shows no SVG), queued in the outbox by the sweep like the daily digest."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from bot.casework.workcalendar import WorkCalendar
from bot.ports import UnitOfWorkFactory
from bot.standard.report import Labels, make_report

WEEKLY = "weekly_digest"


def last_week(now: datetime, digest_at: time | None, calendar: WorkCalendar) -> tuple[date, date] | None:
    """Monday at or after ``digest_at`` (institution time): the week before, Monday to Sunday; else None."""
    local = calendar.to_local(now)
    if digest_at is None or local.weekday() != 0 or local.time() < digest_at:
        return None
    monday = local.date() - timedelta(days=7)
    return monday, monday + timedelta(days=6)


def payload(report: dict[str, Any], department: str, first: date, last: date, now: datetime) -> dict[str, Any]:
    return {"department": department, "from": first.isoformat(), "to": last.isoformat(), "at": now.isoformat(),
            "total": report["total"], "answered": report["answered"], "on_time_rate": report["on_time_rate"],
            "overdue": report["overdue_count"], "mean": report["satisfaction"]["mean"],
            "by_type": report["by_type"], "remedies": report["remedies"]["count"]}


async def queue_weekly(uow: UnitOfWorkFactory, now: datetime, digest_at: time | None, departments: tuple[str, ...],
                       calendar: WorkCalendar) -> int:
    week = last_week(now, digest_at, calendar)
    if week is None or not departments:
        return 0
    first, last = week
    keys = {d: f"weekly:{first.isoformat()}:{d}" for d in departments}
    async with uow() as work:
        if await work.alerts.queued(list(keys.values())):
            return 0  # this week's are out
    queued = 0
    for department in departments:
        report = await make_report(uow, first, last, department, now, calendar.tz, Labels())
        async with uow() as work:
            queued += await work.outbox.put(WEEKLY, payload(report, department, first, last, now),
                                            dedupe_key=keys[department])
            await work.commit()
    return queued
