"""The VOC report's figures (``bot.standard.report``), aggregated by the database: every statement groups or counts
over the tickets received in the period, so Python only ever sees a few hundred aggregate rows, whatever the number
of tickets (a million on PostgreSQL in seconds). Built once per dialect."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
)

from bot.standard.report import Figures
from storage.models import Base
from storage.repositories import Work

TICKETS = Base.metadata.tables["tickets"]
EVENTS = Base.metadata.tables["ticket_events"]
SURVEYS = Base.metadata.tables["surveys"]
REMEDIES = Base.metadata.tables["remedies"]
WORKING = ("received", "assigned", "in_progress")
OVERDUE_LISTED = 500


class ReportSql:
    def __init__(self, dialect: str, tz: str) -> None:
        t = TICKETS.c
        self.pg = dialect == "postgresql"
        self.by_department = {}
        for dept in (False, True):
            where: list[ColumnElement[bool]] = [t.received_at >= bindparam("start"), t.received_at < bindparam("end")]
            if dept:
                where.append(t.department == bindparam("department"))
            self.by_department[dept] = self._build(where, tz)

    def _build(self, where: list[ColumnElement[bool]], tz: str) -> dict[str, Any]:
        t, e, s, r = TICKETS.c, EVENTS.c, SURVEYS.c, REMEDIES.c
        period = and_(*where)
        offset = ZoneInfo(tz).utcoffset(datetime(2026, 1, 1)) or timedelta()  # SQLite keeps UTC, no zone rules
        month = (func.to_char(func.timezone(tz, t.received_at), "YYYY-MM") if self.pg
                 else func.strftime("%Y-%m", t.received_at, f"{offset.total_seconds() / 3600:+g} hours"))
        q: dict[str, Any] = {}
        q["groups"] = select(t.voc_type, t.intent, t.department, t.channel, func.count().label("n")).where(
            period).group_by(t.voc_type, t.intent, t.department, t.channel)
        q["months"] = select(month.label("month"), func.count().label("n")).where(period).group_by(month)
        first = select(e.ticket_id.label("id"), func.min(e.at).label("answered_at")).join(
            TICKETS, t.id == e.ticket_id).where(period, e.action == "answer").group_by(e.ticket_id).subquery("first")
        answered = select(t.id, t.received_at, t.department, func.coalesce(t.legal_due_at, t.due_at).label("legal"),
                          first.c.answered_at).join(first, first.c.id == t.id).subquery("answered")
        on_time = case((answered.c.answered_at <= answered.c.legal, 1), else_=0)
        q["answered"] = select(answered.c.department, func.count().label("n"), func.sum(on_time).label("on_time")
                               ).group_by(answered.c.department)
        if self.pg:
            days = func.extract("epoch", answered.c.answered_at - answered.c.received_at) / 86400.0
            q["median"] = select(func.percentile_cont(0.5).within_group(days))
        else:
            days = func.julianday(answered.c.answered_at) - func.julianday(answered.c.received_at)
            q["days"] = select(cast(days, Float).label("d")).order_by(literal_column("d")).limit(
                bindparam("limit")).offset(bindparam("offset"))
            q["count"] = select(func.count()).select_from(answered)
        q["overdue"] = select(t.number, t.department, t.status, t.due_at).where(
            period, t.status.in_(WORKING), t.due_at < bindparam("now")).order_by(t.due_at, t.id).limit(OVERDUE_LISTED)
        q["overdue_count"] = select(func.count()).where(period, t.status.in_(WORKING), t.due_at < bindparam("now"))
        reason = e.data["reason_code"].as_string()
        q["extensions"] = select(reason.label("reason"), func.count().label("n")).join(
            TICKETS, t.id == e.ticket_id).where(period, e.action == "extend").group_by(reason)
        q["survey"] = select(func.count().label("invited"), func.count(s.rating).label("rated"),
                             func.avg(s.rating).label("mean"), func.sum(case((s.rating <= 2, 1), else_=0)).label("low")
                             ).join(TICKETS, t.id == s.ticket_id).where(period)
        q["ratings"] = select(s.rating, func.count().label("n")).join(TICKETS, t.id == s.ticket_id).where(
            period, s.rating.is_not(None)).group_by(s.rating)
        paid = case((r.payout == "paid", r.amount), else_=0)
        q["remedies"] = select(r.kind, r.status, func.count().label("n"), func.sum(paid).label("paid")).join(
            TICKETS, t.id == r.ticket_id).where(period).group_by(r.kind, r.status)
        return q


@functools.cache
def report_sql(dialect: str, tz: str) -> ReportSql:
    return ReportSql(dialect, tz)


class SqlReportRepository:
    def __init__(self, work: Work) -> None:
        self._work = work

    async def figures(self, start: datetime, end: datetime, department: str | None, now: datetime, tz: str,
                      step: Callable[[str], None] = lambda _: None) -> Figures:
        """Every figure of the report for tickets received in [start, end) (of ``department``)."""
        sql = report_sql(self._work.connection.dialect.name, tz)
        q = sql.by_department[department is not None]
        params: dict[str, Any] = {"start": start, "end": end, "now": now}
        if department is not None:
            params["department"] = department

        async def rows(name: str, extra: dict[str, Any] | None = None) -> list[Any]:
            found = list(await self._work.execute(q[name], params | (extra or {})))
            step(name)
            return found

        groups = [tuple(row) for row in await rows("groups")]
        months = {row.month: row.n for row in await rows("months")}
        answered = {row.department: (row.n, int(row.on_time or 0)) for row in await rows("answered")}
        median = await self._median(q, params, sum(n for n, _ in answered.values()))
        step("median")
        overdue = [(row.number, row.department, row.status, row.due_at) for row in await rows("overdue")]
        overdue_count = (await rows("overdue_count"))[0][0]
        extensions = {str(row.reason or ""): row.n for row in await rows("extensions")}
        survey = (await rows("survey"))[0]
        ratings = {int(row.rating): row.n for row in await rows("ratings")}
        remedies = [(row.kind, row.status, row.n, int(row.paid or 0)) for row in await rows("remedies")]
        return Figures(groups=groups, months=months, answered=answered, median_days=median, overdue=overdue,
                       overdue_count=int(overdue_count), extensions=extensions, invited=int(survey.invited),
                       rated=int(survey.rated), mean=float(survey.mean) if survey.mean is not None else None,
                       low=int(survey.low or 0), ratings=ratings, remedies=remedies)

    async def _median(self, q: dict[str, Any], params: dict[str, Any], count: int) -> float | None:
        if count == 0:
            return None
        if "median" in q:
            value = (await self._work.execute(q["median"], params)).scalar_one()
            return float(value) if value is not None else None
        # SQLite has no percentile: the middle one or two of the sorted durations, read by offset
        middle = (await self._work.execute(q["days"], params | {"limit": 2 - count % 2,
                                                                 "offset": (count - 1) // 2})).scalars().all()
        return sum(float(d) for d in middle) / len(middle)
