"""The staff alerts' repository (``bot.alerts.ports.AlertRepository``) and its SQL, built once per dialect.

The ladder's query is a range on ``tickets.due_at`` (indexed) up to the ladder's horizon, joined to each
ticket's ladder memory so that only tickets with something to decide come back: a pass over 100,000 open
tickets reads the few whose next step has come, not all of them.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Integer, Select, bindparam, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.alerts.ladder import LadderTicket
from bot.alerts.ports import Load, Mark, OpenTicket, Thread
from bot.casework.tickets import OPEN, Status
from storage.models import Base
from storage.repositories import Work

TICKETS = Base.metadata.tables["tickets"]
LADDER = Base.metadata.tables["alert_ladder"]
THREADS = Base.metadata.tables["slack_threads"]
OUTBOX = Base.metadata.tables["outbox"]
OPEN_STATUSES = sorted(s.value for s in OPEN)
RUNNING = sorted(s.value for s in OPEN if s is not Status.SUPPLEMENT_REQUESTED)  # the clock runs


class AlertSql:
    def __init__(self, dialect: str) -> None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        t, lad, th = TICKETS.c, LADDER.c, THREADS.c
        self.ladder = select(
            t.number, t.department, t.received_at, t.due_at, (lad.due_at == t.due_at).label("same_due"), lad.passed,
        ).select_from(TICKETS.outerjoin(LADDER, lad.number == t.number)).where(
            t.due_at <= bindparam("horizon"), t.status.in_(RUNNING),
            or_(lad.number.is_(None), lad.due_at != t.due_at, lad.next_at <= bindparam("now")),
        ).order_by(t.due_at, t.id)
        o = OUTBOX.c
        self.queue = insert(OUTBOX).values(
            kind=bindparam("kind"), payload=bindparam("payload"), dedupe_key=bindparam("dedupe_key"),
            created_at=bindparam("created_at"), available_at=bindparam("available_at"), attempts=0,
        ).on_conflict_do_nothing(index_elements=[o.dedupe_key]).returning(o.id)
        self.queued = select(o.id).where(o.dedupe_key.in_(bindparam("keys", expanding=True))).limit(1)
        new_mark = insert(LADDER)
        self.mark = new_mark.on_conflict_do_update(index_elements=[lad.number], set_={
            "due_at": new_mark.excluded.due_at, "passed": new_mark.excluded.passed,
            "next_at": new_mark.excluded.next_at})
        now: BindParameter[datetime] = bindparam("now")
        soon: BindParameter[datetime] = bindparam("soon")
        counts = (t.department, func.count().label("open"),
                  func.sum(case((t.due_at < now, 1), else_=0)).label("overdue"),
                  func.sum(case(((t.due_at >= now) & (t.due_at <= soon), 1), else_=0)).label("soon"))
        self.load = {
            one: select(*counts).where(t.status.in_(OPEN_STATUSES), *([t.department == bindparam("department")]
                                                                      if one else []))
            .group_by(t.department).order_by(t.department)
            for one in (False, True)
        }
        light = (t.number, t.department, t.status, t.assignee, t.due_at, t.due_date_only)
        self.due_by: dict[bool, Select[Any]] = {}
        for one in (False, True):
            rank = func.row_number().over(partition_by=t.department, order_by=(t.due_at, t.id)).label("rank")
            ranked = select(*light, rank).where(
                t.status.in_(OPEN_STATUSES), t.due_at >= bindparam("after"), t.due_at < bindparam("before"),
                *([t.department == bindparam("department")] if one else []),
            ).subquery()
            self.due_by[one] = select(*(ranked.c[c.name] for c in light)).where(
                ranked.c.rank <= bindparam("per", type_=Integer)).order_by(ranked.c.due_at, ranked.c.number)
        self.assigned = select(*light).where(t.status.in_(OPEN_STATUSES), t.assignee == bindparam("assignee")
                                             ).order_by(t.due_at, t.id).limit(bindparam("limit"))
        self.thread = select(th.department, th.channel, th.ts).where(th.number == bindparam("number"))
        new_thread = insert(THREADS)
        self.remember_thread = new_thread.on_conflict_do_update(index_elements=[th.number], set_={
            name: new_thread.excluded[name] for name in ("department", "channel", "ts", "updated_at")})


@functools.cache
def alert_sql(dialect: str) -> AlertSql:
    return AlertSql(dialect)


class SqlAlertRepository:
    def __init__(self, work: Work) -> None:
        self._work = work
        self._sql = alert_sql(work.connection.dialect.name)

    async def ladder(self, horizon: datetime, now: datetime) -> builtins.list[LadderTicket]:
        rows = await self._work.execute(self._sql.ladder, {"horizon": horizon, "now": now})
        return [LadderTicket(
            r.number, r.department, r.received_at, r.due_at,
            frozenset(r.passed.split(",")) if r.passed and r.same_due else frozenset(),
        ) for r in rows]

    async def queue(self, kind: str, items: Sequence[tuple[dict[str, Any], str]]) -> int:
        if not items:
            return 0
        now = self._work.clock.now()
        rows = await self._work.execute(self._sql.queue, [
            {"kind": kind, "payload": payload, "dedupe_key": key, "created_at": now, "available_at": now}
            for payload, key in items])
        self._work.outbox_written = True
        return len(rows.all())

    async def queued(self, keys: Sequence[str]) -> bool:
        if not keys:
            return False
        return (await self._work.execute(self._sql.queued, {"keys": list(keys)})).first() is not None

    async def mark(self, marks: Sequence[Mark]) -> None:
        if marks:
            await self._work.execute(self._sql.mark, [{
                "number": m.number, "due_at": m.due_at, "passed": ",".join(sorted(m.passed)), "next_at": m.next_at,
            } for m in marks])

    async def load(self, now: datetime, soon: datetime, department: str | None = None) -> builtins.list[Load]:
        params = {"now": now, "soon": soon} | ({"department": department} if department else {})
        rows = await self._work.execute(self._sql.load[department is not None], params)
        return [Load(r.department, r.open, int(r.soon or 0), int(r.overdue or 0)) for r in rows]

    async def due_by(self, after: datetime, before: datetime, per_department: int,
                     department: str | None = None) -> builtins.list[OpenTicket]:
        params = {"after": after, "before": before, "per": per_department}
        if department:
            params["department"] = department
        return [_open(r) for r in await self._work.execute(self._sql.due_by[department is not None], params)]

    async def assigned(self, assignee: str, limit: int) -> builtins.list[OpenTicket]:
        rows = await self._work.execute(self._sql.assigned, {"assignee": assignee, "limit": limit})
        return [_open(r) for r in rows]

    async def thread(self, number: str) -> Thread | None:
        row = (await self._work.execute(self._sql.thread, {"number": number})).one_or_none()
        return Thread(row.department, row.channel, row.ts) if row else None

    async def remember_thread(self, number: str, thread: Thread) -> None:
        await self._work.execute(self._sql.remember_thread, {
            "number": number, "department": thread.department, "channel": thread.channel, "ts": thread.ts,
            "updated_at": self._work.clock.now()})


def _open(r: Any) -> OpenTicket:
    return OpenTicket(r.number, r.department, r.status, r.assignee, r.due_at, r.due_date_only)
