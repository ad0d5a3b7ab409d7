"""The repositories behind ``bot.ports`` (tickets: ``storage.tickets``): rows ⇄ domain objects by hand,
SQL from ``storage.statements``.

Every repository works inside the caller's connection and transaction (one per unit of work) and never
commits. Customers and conversation states remember what they were when read, so saving an unchanged one
writes nothing.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.conversation.customers import ConversationState, Customer, Handoff
from bot.errors import ConcurrentUpdate
from storage.direct import DirectStatements, Driver, driver_of
from storage.models import customer_from_row, handoff_from_row, handoff_values, outbox_item
from storage.statements import CUSTOMER_FIELDS, OPEN_TICKETS, READ, STATE_PREFIX, Statements


class ConversationChanged(ConcurrentUpdate):
    """Another turn of the same customer committed between this turn's read of the conversation and its
    write (two messages handled at once on PostgreSQL). A ``ConcurrentUpdate``, so the dialogue runs the
    turn again on the fresh state."""

    def __str__(self) -> str:
        return f"the conversation of customer {self.number} changed meanwhile; try again"


StateKey = tuple[str, str, datetime | None]


def _state_key(step: str, data: dict[str, Any], updated_at: datetime | None) -> StateKey:
    return step, json.dumps(data, sort_keys=True, ensure_ascii=False), updated_at


def _state_of(row: Any, prefix: str = "") -> tuple[ConversationState, int] | None:
    step, data, updated_at, version = (getattr(row, prefix + name) for name in READ)
    return None if step is None else (ConversationState(step, dict(data), updated_at), version)


Check = Callable[[Any], None]
"""Looks at a deferred write's result and raises when the write was refused (nothing was stored)."""


@dataclass
class Work:
    """What one unit of work shares between its repositories: its connection, statements and clock, and
    what it has read (to skip writes that change nothing and to check conversation writes).

    On PostgreSQL the transaction begins at the first statement that needs one (``storage.direct.Driver``):
    a unit of work's leading reads run without it, and its closing writes (``execute_last``) wait for the
    commit, where one alone is sent by itself: a turn that only moves its conversation on is then two round
    trips (read, write) instead of four (BEGIN, read, write, COMMIT)."""

    connection: AsyncConnection
    sql: Statements
    clock: Clock
    customers: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    conversations: dict[int, tuple[StateKey, int] | None] = field(default_factory=dict)  # as read: state, version
    prefetched: dict[int, tuple[ConversationState, int] | None] = field(default_factory=dict)
    no_open_tickets: set[int] = field(default_factory=set)  # customers read with no open ticket, none added
    outbox_written: bool = False  # the commit wakes the dispatchers
    outbox_notified: bool = False  # ... and on PostgreSQL a statement of this transaction queued the NOTIFY
    direct: DirectStatements | None = None  # statements run on the driver's connection (storage.direct)
    _driver: Driver | None = None
    _deferred: list[tuple[Any, Any, Check | None]] = field(default_factory=list)

    async def execute(self, statement: Any, params: Any = None, *, outside: bool = False) -> Any:
        """Run ``statement``, after the writes deferred so far. ``outside``: it may run by itself when no
        transaction has begun yet (a write whose effect may stand alone, such as creating a customer); a read
        may anyway."""
        if self._deferred:
            await self._flush()
        prepared = self.direct.prepared(statement, params) if self.direct is not None else None
        if prepared is not None:
            driver = await self._driver_of()
            arguments = prepared.arguments(params or {}) if driver.ready() else None
            if arguments is not None:
                sync = self.connection.sync_connection
                if sync is not None and sync.dispatch.before_cursor_execute:  # who counts statements sees these too
                    sync.dispatch.before_cursor_execute(sync, None, prepared.sql, arguments, None, False)
                return await driver.run(prepared, arguments, outside=outside or prepared.reads)
        return await self.connection.execute(statement, params)

    async def execute_last(self, statement: Any, params: Any, check: Check | None = None) -> None:
        """Run a write whose result nobody reads before the commit: on PostgreSQL it waits for the commit (or
        for the next statement, which runs after it). ``check`` sees its result and raises if it was refused;
        the error comes from here, the next statement, or ``commit``."""
        self._deferred.append((statement, params, check))
        if not (await self._driver_of()).lazy:
            await self._flush()

    async def settle(self) -> None:
        """Before the commit: send the deferred writes. With no transaction begun, one alone is the whole unit
        of work and runs by itself, atomic as any statement: no BEGIN, no COMMIT; so do two that have a
        combined statement (``Statements.paired``, in which the second is written only if the first was)."""
        deferred = self._deferred
        if not deferred or (await self._driver_of()).in_transaction():
            await self._flush()
            return
        if len(deferred) == 1:
            statement, params, check = deferred[0]
        elif len(deferred) == 2 and (both := self.sql.paired.get((id(deferred[0][0]), id(deferred[1][0])))) is not None:
            statement, params, check = both, deferred[0][1] | deferred[1][1], _both(deferred[0][2], deferred[1][2])
        else:
            await self._flush()
            return
        self._deferred = []
        await self._checked(statement, params, check, outside=True)

    def discard(self) -> None:
        """Forget the deferred writes (the unit of work rolls back)."""
        self._deferred.clear()

    async def _flush(self) -> None:
        deferred, self._deferred = self._deferred, []
        for statement, params, check in deferred:
            await self._checked(statement, params, check)

    async def _checked(self, statement: Any, params: Any, check: Check | None, *, outside: bool = False) -> None:
        result = await self.execute(statement, params, outside=outside)
        if check is not None:
            check(result)

    async def _driver_of(self) -> Driver:
        if self._driver is None:
            self._driver = await driver_of(self.connection)
        return self._driver


def _both(first: Check | None, second: Check | None) -> Check | None:
    checks = [c for c in (first, second) if c is not None]
    if len(checks) < 2:
        return checks[0] if checks else None

    def check(result: Any) -> None:
        for each in checks:
            each(result)
    return check


class SqlCustomerRepository:
    def __init__(self, work: Work) -> None:
        self._work, self._sql = work, work.sql

    async def get_or_create(self, channel: str, external_id: str, *, display_name: str = "",
                            locale: str = "ko", lock: bool = False) -> Customer:
        """The customer of this channel identity, created (race-free) on first contact, in one statement
        that also reads the customer's conversation state for ``conversations.load``.

        On PostgreSQL an existing customer is only read, in no transaction yet, and a write of the
        conversation that another turn overtook is refused at the commit (``ConversationChanged``). With
        ``lock`` (the dialogue's second attempt) the customer's row and conversation are locked until the
        commit instead, so that attempt cannot be overtaken. On SQLite the transaction holds the write lock."""
        sql = self._sql
        row = None
        if sql.postgresql and not lock:
            row = (await self._work.execute(sql.customer_read, {
                "channel": channel, "external_id": external_id})).one_or_none()
        if row is None:
            row = (await self._work.execute(sql.customer_upsert, {
                "channel": channel, "external_id": external_id, "display_name": display_name, "locale": locale,
                "consent_at": None, "consent_version": "", "phone": "", "created_at": self._work.clock.now(),
            }, outside=not lock)).one()
        state = _state_of(row, STATE_PREFIX)
        if lock and sql.postgresql:  # read again once locked: the upsert's snapshot was taken before it waited
            held = (await self._work.execute(sql.conversation_lock, {"customer_id": row.id})).one_or_none()
            state = None if held is None else _state_of(held)
        self._work.prefetched[row.id] = state
        if not getattr(row, OPEN_TICKETS):
            self._work.no_open_tickets.add(row.id)
        return self._remember(customer_from_row(row))

    async def get(self, customer_id: int) -> Customer | None:
        row = (await self._work.execute(self._sql.customer, {"b_id": customer_id})).one_or_none()
        return self._remember(customer_from_row(row)) if row else None

    async def save(self, customer: Customer) -> None:
        """Write the customer's details, unless they are what this unit of work read or wrote last."""
        if customer.id is None:
            raise ValueError("save() needs a stored customer; use get_or_create() first")
        values = _customer_values(customer)
        if self._work.customers.get(customer.id) == tuple(values.values()):
            return
        await self._work.execute_last(self._sql.customer_update, values | {"b_id": customer.id})
        self._remember(customer)

    def _remember(self, customer: Customer) -> Customer:
        assert customer.id is not None
        self._work.customers[customer.id] = tuple(_customer_values(customer).values())
        return customer


def _customer_values(customer: Customer) -> dict[str, Any]:
    return {name: getattr(customer, name) for name in CUSTOMER_FIELDS}


class SqlConversationRepository:
    def __init__(self, work: Work) -> None:
        self._work, self._sql = work, work.sql

    async def load(self, customer_id: int) -> ConversationState | None:
        if customer_id in self._work.prefetched:  # read with the customer, in this unit of work
            read = self._work.prefetched.pop(customer_id)
        else:
            row = (await self._work.execute(self._sql.conversation, {"customer_id": customer_id})).one_or_none()
            read = None if row is None else _state_of(row)
        if read is None:
            self._work.conversations[customer_id] = None
            return None
        state, version = read
        self._work.conversations[customer_id] = (_state_key(state.step, state.data, state.updated_at), version)
        return state

    async def save(self, customer_id: int, state: ConversationState) -> None:
        """Store the state. The caller's ``updated_at`` wins (the dialogue stamps its turn's instant);
        when it is None the clock's now is stored and set on ``state``.

        A state this unit of work loaded is written only if it changed, and only if the stored one is
        still the one loaded (else ``ConversationChanged``, which the dialogue retries). On PostgreSQL the
        write waits for the commit (``Work.execute_last``), which is where a refusal is raised."""
        if state.updated_at is None:
            state.updated_at = self._work.clock.now()
        self._work.prefetched.pop(customer_id, None)
        key = _state_key(state.step, state.data, state.updated_at)
        # the data as it is now: the write may wait for the commit, and the caller may change ``state`` meanwhile
        values = {"customer_id": customer_id, "step": state.step, "data": json.loads(key[1]),
                  "updated_at": state.updated_at}
        if customer_id not in self._work.conversations:
            await self._work.execute_last(self._sql.conversation_upsert, values)
            return  # its version is not known, so it is not remembered: a second save upserts too
        was = self._work.conversations[customer_id]
        if was is None:
            await self._work.execute_last(self._sql.conversation_insert, values, _one_row(customer_id))
            version = 0
        elif was[0] == key:
            return
        else:
            await self._work.execute_last(self._sql.conversation_update, {
                "step": state.step, "data": values["data"], "updated_at": state.updated_at,
                "b_customer_id": customer_id, "b_was": was[1],
            }, _one_row(customer_id))
            version = was[1] + 1
        self._work.conversations[customer_id] = (key, version)

    async def purge(self, before: datetime, steps: Collection[str]) -> int:
        """Delete abandoned drafts: states in one of ``steps`` last updated before ``before``."""
        if not steps:
            return 0
        result = await self._work.execute(self._sql.conversation_purge, {"steps": sorted(steps), "before": before})
        return int(result.rowcount)


def _one_row(customer_id: int) -> Check:
    def check(result: Any) -> None:
        if result.rowcount != 1:
            raise ConversationChanged(str(customer_id))
    return check


class SqlHandoffRepository:
    def __init__(self, work: Work) -> None:
        self._work, self._sql = work, work.sql

    async def add(self, handoff: Handoff) -> Handoff:
        handoff.id = (await self._work.execute(self._sql.handoff_insert, handoff_values(handoff))).scalar_one()
        return handoff

    async def list(self, *, open_only: bool = True, limit: int | None = 500) -> builtins.list[Handoff]:
        """Hand-off requests, newest first."""
        query = self._sql.handoffs[open_only, limit is not None]
        rows = await self._work.execute(query, {"limit": limit} if limit is not None else None)
        return [handoff_from_row(row) for row in rows]


class SqlOutboxRepository:
    """The transactional outbox. Rows are put in the caller's transaction; workers ``claim`` a batch
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write lock already serialises claimers), commit
    the claim, deliver, then ``mark_delivered`` or ``mark_failed``. A claim expires after its lease, so
    a crashed worker's rows come back; delivery must therefore be idempotent downstream."""

    def __init__(self, work: Work) -> None:
        self._work, self._sql = work, work.sql

    async def put(self, kind: str, payload: dict[str, Any], *, dedupe_key: str | None = None,
                  available_at: datetime | None = None) -> bool:
        now = self._work.clock.now()
        self._work.outbox_written = True
        added = (await self._work.execute(self._sql.outbox_put, {
            "kind": kind, "payload": payload, "dedupe_key": dedupe_key, "created_at": now,
            "available_at": available_at or now, "attempts": 0,
        })).first() is not None
        self._work.outbox_notified |= added and self._sql.postgresql
        return added

    async def pending(self, limit: int = 100) -> builtins.list[dict[str, Any]]:
        """Undelivered rows, oldest first, whether or not they are available yet."""
        return [outbox_item(r) for r in await self._work.execute(self._sql.outbox_pending, {"limit": limit})]

    async def claim(self, now: datetime, limit: int = 10,
                    lease: timedelta = timedelta(minutes=5)) -> builtins.list[dict[str, Any]]:
        """Lease up to ``limit`` available rows until ``now + lease``, counting an attempt on each."""
        rows = await self._work.execute(self._sql.outbox_claim, {"now": now, "limit": limit, "until": now + lease})
        return sorted((outbox_item(r) for r in rows), key=lambda i: (i["available_at"], i["id"]))

    async def mark_delivered(self, id: int, at: datetime) -> bool:
        """Record delivery once; False if the row was already delivered (or does not exist)."""
        found = await self._work.execute(self._sql.outbox_delivered, {"b_id": id, "at": at})
        return found.scalar_one_or_none() is not None

    async def mark_failed(self, id: int, error: str, retry_at: datetime) -> None:
        await self._work.execute(self._sql.outbox_failed, {"b_id": id, "error": error, "retry_at": retry_at})


class SqlInboundRepository:
    def __init__(self, work: Work) -> None:
        self._work, self._sql = work, work.sql

    async def first_time(self, channel: str, key: str) -> bool:
        inserted = await self._work.execute(self._sql.inbound_first, {
            "channel": channel, "key": key, "received_at": self._work.clock.now()})
        return inserted.scalar_one_or_none() is not None


class DepartmentLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def name_en(self) -> str: ...
    @property
    def slack_channel(self) -> str: ...


async def sync_departments(work: Work, departments: Mapping[str, DepartmentLike]) -> None:
    """Make ``departments`` match config: upsert every key as active, deactivate the others (tickets
    keep their department key, so rows are never deleted)."""
    rows = [{"key": key, "name": d.name, "name_en": d.name_en, "slack_channel": d.slack_channel, "active": True}
            for key, d in departments.items()]
    if rows:
        await work.execute(work.sql.department_upsert, rows)
    await work.execute(work.sql.departments_retire, {"keys": builtins.list(departments)})
