"""The staff alerts' repository (``bot.alerts.ports.AlertRepository``) and its SQL, built once per dialect.

The ladder lives in two tables. ``alert_steps`` holds each open ticket's steps still to come, each with its instant
(indexed): a pass queues, in one ``INSERT … SELECT``, the latest step that came of each ticket whose clock runs, and
deletes the steps that came, so it reads only those, however many tickets are open. ``alert_ladder`` marks the
tickets whose steps must be (re)made: the ticket repository writes it with the ticket (``touch``/``forget``), when
a ticket is new or its due instant or department changed; the sweep makes those schedules first (in Python: the
working-time calendar is there) and clears the marks.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from bot.alerts.ladder import OVERDUE, LadderTicket
from bot.alerts.ports import Load, OpenTicket, Schedule, Thread
from bot.casework.tickets import OPEN, Status
from storage.models import Base
from storage.repositories import Work

TICKETS = Base.metadata.tables["tickets"]
LADDER = Base.metadata.tables["alert_ladder"]
STEPS = Base.metadata.tables["alert_steps"]
THREADS = Base.metadata.tables["slack_threads"]
OUTBOX = Base.metadata.tables["outbox"]
IN_LIST = 1000  # numbers per ``IN (…)`` list (asyncpg caps bind parameters at 32,767)
OPEN_STATUSES = sorted(s.value for s in OPEN)
RUNNING = sorted(s.value for s in OPEN if s is not Status.SUPPLEMENT_REQUESTED)  # the clock runs
LADDER_LOCK = 0x766F_6364_6C64  # pg_advisory_xact_lock: one ladder pass at a time (any key unused elsewhere)


class AlertSql:
    def __init__(self, dialect: str) -> None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        t, th, o = TICKETS.c, THREADS.c, OUTBOX.c
        self.queue = insert(OUTBOX).values(
            kind=bindparam("kind"), payload=bindparam("payload"), dedupe_key=bindparam("dedupe_key"),
            created_at=bindparam("created_at"), available_at=bindparam("available_at"), attempts=0,
        ).on_conflict_do_nothing(index_elements=[o.dedupe_key]).returning(o.id)
        self.queued = select(o.id).where(o.dedupe_key.in_(bindparam("keys", expanding=True))).limit(1)
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
        self._ladder(insert, dialect)
        self.thread = select(th.department, th.channel, th.ts).where(th.number == bindparam("number"))
        new_thread = insert(THREADS)
        self.remember_thread = new_thread.on_conflict_do_update(index_elements=[th.number], set_={
            name: new_thread.excluded[name] for name in ("department", "channel", "ts", "updated_at")})


    def _ladder(self, insert: Any, dialect: str) -> None:
        t, lad, st = TICKETS.c, LADDER.c, STEPS.c
        touch = insert(LADDER).values(number=bindparam("number"), due_at=bindparam("due_at"),
                                      department=bindparam("department"), remake_at=bindparam("now"))
        self.touch = touch.on_conflict_do_update(index_elements=[lad.number], set_={
            name: touch.excluded[name] for name in ("due_at", "department", "remake_at")},
            where=or_(lad.due_at != touch.excluded.due_at, lad.department != touch.excluded.department))
        self.forget = [delete(table).where(table.c.number == bindparam("number")) for table in (LADDER, STEPS)]
        self.unscheduled = select(t.number, t.department, t.received_at, t.due_at).select_from(
            LADDER.join(TICKETS, t.number == lad.number)).where(lad.remake_at.is_not(None))
        self.unschedule = delete(STEPS).where(st.number.in_(bindparam("numbers", expanding=True)))
        self.put_steps = insert(STEPS)
        self.scheduled = update(LADDER).where(
            lad.number == bindparam("b_number"), lad.due_at == bindparam("b_due_at"),
            lad.department == bindparam("b_department")).values(remake_at=None)
        now: BindParameter[datetime] = bindparam("now")
        later = STEPS.alias("later")
        json = func.json_build_object if dialect == "postgresql" else func.json_object
        payload = json(*(part for key, value in (
            ("number", st.number), ("department", t.department), ("step", st.step),
            ("escalate", st.step == OVERDUE), ("due_at", st.due_text),
            ("at", bindparam("at_text", type_=String)),
        ) for part in (literal(key, String), value)))
        latest = select(
            bindparam("kind", type_=String), payload, st.dedupe_key, bindparam("created_at"),
            bindparam("created_at"), literal(0, Integer),
        ).select_from(STEPS.join(TICKETS, t.number == st.number)).where(
            st.at <= now, st.due_at == t.due_at, t.status.in_(RUNNING),
            ~exists().where(later.c.number == st.number, later.c.at <= now,
                            or_(later.c.at > st.at, and_(later.c.at == st.at, later.c.rank > st.rank))),
        )
        o = OUTBOX.c
        self.warn = insert(OUTBOX).from_select(
            [o.kind, o.payload, o.dedupe_key, o.created_at, o.available_at, o.attempts], latest,
        ).on_conflict_do_nothing(index_elements=[o.dedupe_key])
        self.passed = delete(STEPS).where(st.at <= now, ~exists().where(
            t.number == st.number, t.status == Status.SUPPLEMENT_REQUESTED.value, t.due_at == st.due_at))
        self.exclusive = text("SELECT pg_advisory_xact_lock(:key)") if dialect == "postgresql" else None


@functools.cache
def alert_sql(dialect: str) -> AlertSql:
    return AlertSql(dialect)


async def touch(work: Work, number: str, due_at: datetime, department: str, is_open: bool) -> None:
    """With every ticket written (``storage.tickets``): an open ticket that is new, or whose due instant or
    department changed, is marked for the next sweep to make its ladder steps; a ticket no longer open leaves the
    ladder."""
    sql = alert_sql(work.connection.dialect.name)
    if is_open:
        await work.execute(sql.touch, {"number": number, "due_at": due_at, "department": department,
                                       "now": work.clock.now()})
    else:
        for statement in sql.forget:
            await work.execute(statement, {"number": number})


class SqlAlertRepository:
    def __init__(self, work: Work) -> None:
        self._work = work
        self._sql = alert_sql(work.connection.dialect.name)

    async def exclusive(self) -> None:
        if self._sql.exclusive is not None:  # SQLite: BEGIN IMMEDIATE took the write lock already
            await self._work.execute(self._sql.exclusive, {"key": LADDER_LOCK})

    async def unscheduled(self) -> builtins.list[LadderTicket]:
        rows = await self._work.execute(self._sql.unscheduled)
        return [LadderTicket(r.number, r.department, r.received_at, r.due_at) for r in rows]

    async def schedule(self, schedules: Sequence[Schedule]) -> None:
        numbers = [s.number for s in schedules]
        for start in range(0, len(numbers), IN_LIST):
            await self._work.execute(self._sql.unschedule, {"numbers": numbers[start:start + IN_LIST]})
        steps = [{"number": s.number, "step": p.step, "rank": p.rank, "due_at": s.due_at, "at": p.at,
                  "dedupe_key": p.key, "due_text": s.due_at.isoformat()} for s in schedules for p in s.steps]
        if steps:
            await self._work.execute(self._sql.put_steps, steps)
        await self._work.execute(self._sql.scheduled, [
            {"b_number": s.number, "b_due_at": s.due_at, "b_department": s.department} for s in schedules])

    async def warn(self, kind: str, now: datetime) -> int:
        created = self._work.clock.now()
        queued: int = (await self._work.execute(self._sql.warn, {
            "kind": kind, "now": now, "at_text": now.isoformat(), "created_at": created})).rowcount
        await self._work.execute(self._sql.passed, {"now": now})
        if queued:
            self._work.outbox_written = True
        return queued

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
