"""The staff alerts' repository (``bot.alerts.ports.AlertRepository``) and its SQL, built once per dialect.

Each open ticket has one ``alert_ladder`` row (``storage.models.AlertLadderRow``) written with the ticket
(``touch``): its ladder's steps in the order they come, each with its instant, and the next one's instant
(``next_at``). A pass queues, in one ``INSERT … SELECT``, a warning for the latest step come of each ticket whose
``next_at`` has come, and moves ``next_at`` on (on PostgreSQL in place: the model says why ``next_at`` is indexed
only on SQLite); it builds no object per ticket. Rows marked by ``touch`` (a new ticket, a due instant or
department changed) get their steps first, in Python (the working-time calendar is there).
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Integer,
    Select,
    String,
    bindparam,
    case,
    delete,
    false,
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
from storage.models import LADDER_SLOTS, Base
from storage.repositories import Work
from storage.statements import OPEN_LITERALS

TICKETS = Base.metadata.tables["tickets"]
LADDER = Base.metadata.tables["alert_ladder"]
THREADS = Base.metadata.tables["slack_threads"]
OUTBOX = Base.metadata.tables["outbox"]
SCHEDULE = ("next_at", "due_key", "due_text",
            *(f"{kind}_{n}" for n in range(1, LADDER_SLOTS + 1) for kind in ("step", "at")))
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
            one: select(*counts).where(t.status.in_(OPEN_LITERALS), *([t.department == bindparam("department")]
                                                                      if one else []))
            .group_by(t.department).order_by(t.department)
            for one in (False, True)
        }
        light = (t.number, t.department, t.status, t.assignee, t.due_at, t.due_date_only)
        due = (t.status.in_(OPEN_LITERALS), t.due_at >= bindparam("after"), t.due_at < bindparam("before"))
        rank = func.row_number().over(partition_by=t.department, order_by=(t.due_at, t.id)).label("rank")
        ranked = select(*light, rank).where(*due).subquery()
        self.due_by: dict[bool, Select[Any]] = {  # one department: the first few, in the open tickets' index
            False: select(*(ranked.c[c.name] for c in light)).where(
                ranked.c.rank <= bindparam("per", type_=Integer)).order_by(ranked.c.due_at, ranked.c.number),
            True: select(*light).where(*due, t.department == bindparam("department")).order_by(t.due_at, t.id)
            .limit(bindparam("per", type_=Integer)),
        }
        self.assigned = select(*light).where(t.status.in_(OPEN_LITERALS), t.assignee == bindparam("assignee")
                                             ).order_by(t.due_at, t.id).limit(bindparam("limit"))
        self._ladder(insert, dialect)
        self.thread = select(th.department, th.channel, th.ts).where(th.number == bindparam("number"))
        new_thread = insert(THREADS)
        self.remember_thread = new_thread.on_conflict_do_update(index_elements=[th.number], set_={
            name: new_thread.excluded[name] for name in ("department", "channel", "ts", "updated_at")})


    def _ladder(self, insert: Any, dialect: str) -> None:
        t, lad = TICKETS.c, LADDER.c
        new = insert(LADDER).values(number=bindparam("number"), due_at=bindparam("due_at"),
                                    department=bindparam("department"), paused=bindparam("paused"),
                                    remake_at=bindparam("now"), due_key="", due_text="")
        changed = or_(lad.due_at != new.excluded.due_at, lad.department != new.excluded.department)
        self.touch = new.on_conflict_do_update(index_elements=[lad.number], set_={
            "due_at": new.excluded.due_at, "department": new.excluded.department, "paused": new.excluded.paused,
            "remake_at": case((changed, new.excluded.remake_at), else_=lad.remake_at),
            "next_at": case((changed, None), else_=lad.next_at),  # no warning from steps made for another due
        }, where=or_(changed, lad.paused != new.excluded.paused))
        self.forget = delete(LADDER).where(lad.number == bindparam("number"))
        self.unscheduled = select(t.number, t.department, t.received_at, t.due_at).select_from(
            LADDER.join(TICKETS, t.number == lad.number)).where(lad.remake_at.is_not(None))
        self.scheduled = update(LADDER).where(  # unless touched meanwhile: remade next pass
            lad.number == bindparam("b_number"), lad.due_at == bindparam("b_due_at"),
            lad.department == bindparam("b_department"),
        ).values(remake_at=None, **{name: bindparam(name) for name in SCHEDULE})
        now = bindparam("now", type_=BigInteger)
        slots = range(1, LADDER_SLOTS + 1)
        latest = case(*((lad[f"at_{n}"] <= now, lad[f"step_{n}"]) for n in reversed(slots)))
        following = case(*((lad[f"at_{n}"] > now, lad[f"at_{n}"]) for n in slots), else_=None)
        ready = (lad.next_at <= now, lad.paused == false())
        advance = update(LADDER).where(*ready).values(next_at=following)
        if dialect == "postgresql":  # one statement: what is queued is exactly what moved on
            came = advance.returning(lad.number, lad.department, lad.due_key, lad.due_text,
                                     latest.label("step")).cte("came")
            self.advance = None
            rows = select(*_warning(came.c, func.json_build_object)).select_from(came)
        else:  # SQLite: BEGIN IMMEDIATE holds the write lock, so the two statements see the same rows
            self.advance = advance
            rows = select(*_warning({**{c.name: c for c in LADDER.c}, "step": latest}, func.json_object)).where(
                *ready)
        o = OUTBOX.c
        self.ready = select(lad.number).where(*ready)  # the tickets a pass reads (the benchmark explains it)
        self.warn = insert(OUTBOX).from_select(
            [o.kind, o.payload, o.dedupe_key, o.created_at, o.available_at, o.attempts], rows,
        ).on_conflict_do_nothing(index_elements=[o.dedupe_key])
        self.exclusive = text("SELECT pg_advisory_xact_lock(:key)") if dialect == "postgresql" else None


def _warning(c: Any, json: Any) -> tuple[Any, ...]:
    """The columns of a warning's outbox row, from a ladder row's number, department, due_key, due_text and the
    latest step come (``step``); the dedupe key is ``bot.alerts.sweep.dedupe_key``'s."""
    created = bindparam("created_at", type_=OUTBOX.c.created_at.type)
    payload = json(*(part for key, value in (
        ("number", c["number"]), ("department", c["department"]), ("step", c["step"]),
        ("escalate", c["step"] == OVERDUE), ("due_at", c["due_text"]), ("at", bindparam("at_text", type_=String)),
    ) for part in (literal(key, String), value)))
    key = literal("ladder:", String) + c["number"] + ":" + c["step"] + "@" + c["due_key"]
    return bindparam("kind", type_=String), payload, key, created, created, literal(0, Integer)


@functools.cache
def alert_sql(dialect: str) -> AlertSql:
    return AlertSql(dialect)


async def touch(work: Work, number: str, due_at: datetime, department: str, status: Status) -> None:
    """With every ticket written (``storage.tickets``): an open ticket that is new, or whose due instant or
    department changed, is marked for the next sweep to make its ladder steps; a ticket no longer open leaves the
    ladder."""
    sql = alert_sql(work.connection.dialect.name)
    if status in OPEN:
        await work.execute(sql.touch, {"number": number, "due_at": due_at, "department": department,
                                       "paused": status is Status.SUPPLEMENT_REQUESTED, "now": work.clock.now()})
    else:
        await work.execute(sql.forget, {"number": number})


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
        if schedules:
            await self._work.execute(self._sql.scheduled, [_row(s) for s in schedules])

    async def warn(self, kind: str, now: datetime) -> int:
        params = {"kind": kind, "now": _micros(now), "at_text": now.isoformat(), "created_at": self._work.clock.now()}
        queued: int = (await self._work.execute(self._sql.warn, params)).rowcount
        if self._sql.advance is not None:
            await self._work.execute(self._sql.advance, {"now": params["now"]})
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


def _micros(at: datetime) -> int:
    return round(at.timestamp() * 1_000_000)


def _row(s: Schedule) -> dict[str, Any]:
    """The ladder row's values for a schedule (``step_N``/``at_N`` beyond its steps: NULL)."""
    row: dict[str, Any] = {"b_number": s.number, "b_due_at": s.due_at, "b_department": s.department,
                           "next_at": _micros(s.steps[0].at) if s.steps else None, "due_key": s.due_key,
                           "due_text": s.due_at.isoformat()}
    for n in range(1, LADDER_SLOTS + 1):
        planned = s.steps[n - 1] if n <= len(s.steps) else None
        row[f"step_{n}"], row[f"at_{n}"] = (planned.step, _micros(planned.at)) if planned else (None, None)
    return row


def _open(r: Any) -> OpenTicket:
    return OpenTicket(r.number, r.department, r.status, r.assignee, r.due_at, r.due_date_only)
