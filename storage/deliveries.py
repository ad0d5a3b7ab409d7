"""The deliveries repository (``bot.notices.ports.DeliveryRepository``) and its SQL, built once per dialect.

Claims on PostgreSQL take ``FOR UPDATE SKIP LOCKED`` so several dispatchers share the work; SQLite's single
writer already serialises them. A claim is a lease (``claimed_until``) committed before anything is sent; a
delivery whose lease ran out while ``recorded < attempts`` was cut off mid-send, and is handed out again with
``maybe_sent`` so the sink can ask its provider first.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Boolean, bindparam, case, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.notices.model import Event, Facts, NewDelivery
from bot.notices.ports import DEAD, PENDING, Delivery, DeliveryRow, Recorded
from bot.pii import mask_phone
from storage.models import Base
from storage.repositories import Work
from storage.statements import OPEN_LITERALS

OUTBOX = Base.metadata.tables["outbox"]
DELIVERIES = Base.metadata.tables["deliveries"]
TICKETS = Base.metadata.tables["tickets"]
CUSTOMERS = Base.metadata.tables["customers"]
CHUNK = 500  # bind parameters per IN list


class DeliverySql:
    def __init__(self, dialect: str) -> None:
        pg = dialect == "postgresql"
        insert = postgresql.insert if pg else sqlite.insert
        o, d, t, c = OUTBOX.c, DELIVERIES.c, TICKETS.c, CUSTOMERS.c
        events = select(o.id, o.kind, o.payload).where(o.delivered_at.is_(None)).order_by(o.id).limit(
            bindparam("limit"))
        self.events = events.with_for_update(skip_locked=True) if pg else events
        self.facts = select(
            t.number, t.voc_type, t.intent, t.department, t.status, t.due_at, t.due_date_only, t.received_at,
            t.assignee, t.answer, t.customer_id, c.channel, c.locale, (c.phone != literal("")).label("has_phone"),
        ).join(CUSTOMERS, CUSTOMERS.c.id == t.customer_id).where(t.number.in_(bindparam("numbers", expanding=True)))
        self.customers = select(c.id, c.channel, c.locale, c.phone, c.external_id).where(
            c.id.in_(bindparam("ids", expanding=True)))
        self.insert = insert(DELIVERIES).on_conflict_do_nothing(index_elements=[d.key])
        self.dispatched = update(OUTBOX).where(o.id.in_(bindparam("ids", expanding=True))).values(
            delivered_at=bindparam("now"))
        now: BindParameter[datetime] = bindparam("now")
        due = select(d.id).where(
            d.state == PENDING, d.next_attempt_at <= now, or_(d.claimed_until.is_(None), d.claimed_until <= now),
        ).order_by(d.next_attempt_at, d.id).limit(bindparam("limit"))
        if pg:
            due = due.with_for_update(skip_locked=True)
        self.claim = update(DELIVERIES).where(d.id.in_(due.scalar_subquery())).values(
            claimed_until=bindparam("until"), attempts=d.attempts + 1).returning(*DELIVERIES.c)
        self.record = update(DELIVERIES).where(d.id == bindparam("b_id"), d.state == PENDING).values(
            state=bindparam("state"), last_error=bindparam("error"), ref=bindparam("ref"),
            sent_at=bindparam("sent_at"),
            # typed: inside coalesce an untyped parameter would reach SQLite unconverted (not as UTC)
            next_attempt_at=func.coalesce(bindparam("next_at", type_=d.next_attempt_at.type), d.next_attempt_at),
            claimed_until=None, recorded=case((bindparam("unsure", type_=Boolean), d.recorded), else_=d.attempts))
        # a leased delivery is not due before its lease ends (a waiting worker would spin until then)
        due_at = case((d.claimed_until > d.next_attempt_at, d.claimed_until), else_=d.next_attempt_at)
        self.next_delivery = select(func.min(due_at)).where(d.state == PENDING)
        self.next_event = select(func.min(o.available_at)).where(o.delivered_at.is_(None))
        self.rows = {state: select(DELIVERIES).where(d.state == bindparam("state")) if state else select(DELIVERIES)
                     for state in (True, False)}
        self.queued = select(o.id, o.kind, o.payload, o.created_at, o.available_at).where(o.delivered_at.is_(None))
        self.retry = update(DELIVERIES).where(d.id == bindparam("b_id"), d.state == DEAD).values(
            state=PENDING, attempts=0, recorded=0, next_attempt_at=bindparam("now"), last_error="",
            claimed_until=None).returning(d.id)
        self.open_before = select(t.number, t.received_at).where(
            t.status.in_(OPEN_LITERALS), t.received_at < bindparam("before")).order_by(t.received_at, t.id)
        self.pg = pg


@functools.cache
def delivery_sql(dialect: str) -> DeliverySql:
    return DeliverySql(dialect)


class SqlDeliveryRepository:
    def __init__(self, work: Work) -> None:
        self._work = work
        self._sql = delivery_sql(work.connection.dialect.name)

    async def events(self, limit: int) -> builtins.list[tuple[Event, Facts]]:
        rows = (await self._work.execute(self._sql.events, {"limit": limit})).all()
        events = [Event(r.id, r.kind, dict(r.payload)) for r in rows]
        numbers = sorted({str(e.payload["number"]) for e in events if e.payload.get("number")})
        by_number: dict[str, Facts] = {}
        for part in _chunks(numbers):
            for r in await self._work.execute(self._sql.facts, {"numbers": part}):
                by_number[r.number] = Facts(
                    number=r.number, voc_type=r.voc_type, intent=r.intent, department=r.department,
                    status=r.status, due_at=r.due_at, due_date_only=r.due_date_only, received_at=r.received_at,
                    assignee=r.assignee, answer=r.answer, customer_id=r.customer_id, channel=r.channel,
                    locale=r.locale, has_phone=bool(r.has_phone),
                )
        ids = sorted({int(e.payload["customer_id"]) for e in events
                      if e.payload.get("customer_id") and not e.payload.get("number")})
        by_customer = {r.id: Facts(customer_id=r.id, channel=r.channel, locale=r.locale, has_phone=bool(r.phone))
                       for part in _chunks(ids) for r in await self._work.execute(self._sql.customers, {"ids": part})}
        found = []
        for e in events:
            number, customer = e.payload.get("number"), e.payload.get("customer_id")
            if number:
                facts = by_number.get(str(number), Facts(number=str(number)))
            elif customer:
                facts = by_customer.get(int(customer), Facts())
            else:
                facts = Facts()
            found.append((e, facts))
        return found

    async def fan_out(self, deliveries: Sequence[NewDelivery], events: Sequence[int], now: datetime) -> None:
        if deliveries:
            await self._work.execute(self._sql.insert, [{
                "outbox_id": d.outbox_id, "key": d.key, "subscriber": d.subscriber, "sink": d.sink, "kind": d.kind,
                "number": d.number, "customer_id": d.customer_id,
                "target": d.target, "locale": d.locale, "text": d.text, "sms_text": d.sms_text,
                "template_id": d.template_id, "variables": d.variables, "state": PENDING, "attempts": 0,
                "recorded": 0, "next_attempt_at": d.not_before or now, "claimed_until": None, "last_error": "",
                "ref": "", "sent_at": None, "created_at": now,
            } for d in deliveries])
        for part in _chunks(list(events)):
            await self._work.execute(self._sql.dispatched, {"ids": part, "now": now})

    async def claim(self, now: datetime, limit: int, lease_until: datetime) -> builtins.list[Delivery]:
        rows = (await self._work.execute(self._sql.claim, {"now": now, "limit": limit, "until": lease_until})).all()
        ids = sorted({r.customer_id for r in rows if r.customer_id is not None})
        customers = {r.id: r for part in _chunks(ids)
                     for r in await self._work.execute(self._sql.customers, {"ids": part})}
        claimed = [Delivery(
            id=r.id, key=r.key, outbox_id=r.outbox_id, subscriber=r.subscriber, sink=r.sink, kind=r.kind,
            number=r.number, to=_address(r, customers.get(r.customer_id)), locale=r.locale, text=r.text,
            sms_text=r.sms_text, template_id=r.template_id, variables=dict(r.variables), attempts=r.attempts,
            maybe_sent=r.attempts - 1 > r.recorded,
        ) for r in rows]
        return sorted(claimed, key=lambda d: d.id)

    async def record(self, results: Sequence[Recorded], now: datetime) -> None:
        if results:
            await self._work.execute(self._sql.record, [{
                "b_id": r.id, "state": r.state, "error": r.error[:2000], "ref": r.ref[:255],
                "sent_at": now if r.state == "sent" else None, "next_at": r.next_attempt_at, "unsure": r.unsure,
            } for r in results])

    async def next_due(self) -> datetime | None:
        delivery = (await self._work.execute(self._sql.next_delivery)).scalar_one_or_none()
        event = (await self._work.execute(self._sql.next_event)).scalar_one_or_none()
        due = [t for t in (delivery, event) if t is not None]
        return min(due) if due else None

    async def rows(self, state: str | None, limit: int | None) -> builtins.list[DeliveryRow]:
        d = DELIVERIES.c
        query = self._sql.rows[bool(state)].order_by(d.id.desc())
        if limit:
            query = query.limit(limit)
        params = {"state": state} if state else {}
        found = [DeliveryRow(
            id=r.id, outbox_id=r.outbox_id, kind=r.kind, number=r.number, subscriber=r.subscriber, sink=r.sink,
            state=r.state, attempts=r.attempts, next_attempt_at=r.next_attempt_at, last_error=r.last_error,
            sent_at=r.sent_at, created_at=r.created_at,
        ) for r in await self._work.execute(query, params)]
        if state in (None, PENDING):
            queued = self._sql.queued.order_by(OUTBOX.c.id.desc())
            found += [DeliveryRow(
                id=0, outbox_id=r.id, kind=r.kind, number=str(r.payload.get("number", "")), subscriber="", sink="",
                state="queued", attempts=0, next_attempt_at=r.available_at, last_error="", sent_at=None,
                created_at=r.created_at,
            ) for r in await self._work.execute(queued.limit(limit) if limit else queued)]
        return found[:limit] if limit else found

    async def open_received_before(self, before: datetime) -> builtins.list[tuple[str, datetime]]:
        rows = await self._work.execute(self._sql.open_before, {"before": before})
        return [(r.number, r.received_at) for r in rows]

    async def retry(self, delivery_id: int, now: datetime) -> bool:
        found = await self._work.execute(self._sql.retry, {"b_id": delivery_id, "now": now})
        return found.scalar_one_or_none() is not None


def _address(row: Any, customer: Any) -> str:
    """Where a delivery goes: the phone for AlimTalk/SMS, the chat for Telegram, the department for staff."""
    if row.sink == "sms":
        return str(customer.phone) if customer is not None else ""
    if row.sink == "telegram":
        return row.target or (str(customer.external_id) if customer is not None else "")
    if row.subscriber == "staff" or row.target:
        return str(row.target)
    if customer is not None and customer.phone:
        return mask_phone(customer.phone)
    return f"customer:{row.customer_id}" if row.customer_id else ""


def _chunks(values: builtins.list[Any]) -> builtins.list[builtins.list[Any]]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]
