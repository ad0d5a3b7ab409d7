"""Every statement the repositories run, built once per dialect with bind parameters.

Building a statement costs as much CPU as running it, and SQLAlchemy finds its compiled form in the cache
only after it has built the statement and computed its cache key. So the statements are built once here
(``statements(dialect)``), the repositories pass values as parameters, and listings keep one statement
per combination of filters. Both dialects speak ``INSERT ... ON CONFLICT`` and ``RETURNING``.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BindParameter,
    Boolean,
    ColumnElement,
    Delete,
    Insert,
    Integer,
    Table,
    TextualSelect,
    Update,
    bindparam,
    column,
    delete,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from storage.listing import OPEN_STATUSES, ListingShape, listing_sql
from storage.models import Base

CUSTOMERS = Base.metadata.tables["customers"]
CONVERSATIONS = Base.metadata.tables["conversations"]
TICKETS = Base.metadata.tables["tickets"]
EVENTS = Base.metadata.tables["ticket_events"]
SEQUENCES = Base.metadata.tables["ticket_sequences"]
OUTBOX = Base.metadata.tables["outbox"]
INBOUND = Base.metadata.tables["inbound_messages"]
HANDOFFS = Base.metadata.tables["handoffs"]
DEPARTMENTS = Base.metadata.tables["departments"]

OUTBOX_CHANNEL = "vocdesk_outbox"  # PostgreSQL NOTIFY channel: outbox rows were committed
OPEN_LITERALS: list[ColumnElement[str]] = [literal_column(f"'{s}'") for s in OPEN_STATUSES]
"""The open statuses written into the SQL: a list of values would be an expanding parameter, re-rendered into
the statement at every execution (the customer upsert runs at every turn)."""
CUSTOMER_FIELDS = ("display_name", "locale", "consent_at", "consent_version", "phone")
STATE = ("step", "data", "updated_at")
VERSION = "version"  # read with the state; every write bumps it
READ = (*STATE, VERSION)
STATE_PREFIX = "conversation_"
OPEN_TICKETS = "open_tickets"  # read with the customer: a customer with none needs no listing query


def _binds(table: Table, *skip: str) -> dict[str, Any]:
    """``{column: bindparam(column)}`` for every column of ``table`` but ``skip``."""
    return {c.name: bindparam(c.name) for c in table.c if c.name not in skip}


@functools.cache
def statements(dialect: str) -> Statements:
    return Statements(dialect)


class Statements:
    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.postgresql = dialect == "postgresql"
        insert = postgresql.insert if self.postgresql else sqlite.insert

        # customers (and, read in the same statement, their conversation state)
        # the row being returned (a subquery in RETURNING does not correlate by itself)
        upserted: ColumnElement[int] = literal_column("customers.id")
        state = [
            select(CONVERSATIONS.c[name]).where(CONVERSATIONS.c.customer_id == upserted)
            .scalar_subquery().label(STATE_PREFIX + name)
            for name in READ
        ]
        new_customer = insert(CUSTOMERS).values(_binds(CUSTOMERS, "id"))
        open_tickets = select(func.count()).select_from(TICKETS).where(
            TICKETS.c.customer_id == upserted, TICKETS.c.status.in_(OPEN_LITERALS),
        ).scalar_subquery().label(OPEN_TICKETS)
        self.customer_upsert = new_customer.on_conflict_do_update(
            index_elements=[CUSTOMERS.c.channel, CUSTOMERS.c.external_id],
            set_={"channel": new_customer.excluded.channel},  # a write that changes nothing, but returns the row
        ).returning(*CUSTOMERS.c, *state, open_tickets)
        self.customer_read = select(*CUSTOMERS.c, *state, open_tickets).where(
            CUSTOMERS.c.channel == bindparam("channel"), CUSTOMERS.c.external_id == bindparam("external_id"))
        self.customer = select(CUSTOMERS).where(CUSTOMERS.c.id == bindparam("b_id"))
        self.customer_update: Update = update(CUSTOMERS).where(CUSTOMERS.c.id == bindparam("b_id")).values(
            {name: bindparam(name) for name in CUSTOMER_FIELDS})

        # conversations
        self.conversation = select(*(CONVERSATIONS.c[name] for name in READ)).where(
            CONVERSATIONS.c.customer_id == bindparam("customer_id"))
        self.conversation_lock = self.conversation.with_for_update()
        new_state = insert(CONVERSATIONS).values(_binds(CONVERSATIONS, "id", VERSION))
        self.conversation_upsert = new_state.on_conflict_do_update(
            index_elements=[CONVERSATIONS.c.customer_id],
            set_={**{name: new_state.excluded[name] for name in STATE}, VERSION: CONVERSATIONS.c.version + 1},
        )
        self.conversation_insert = new_state.on_conflict_do_nothing(index_elements=[CONVERSATIONS.c.customer_id])
        self.conversation_update: Update = update(CONVERSATIONS).where(
            CONVERSATIONS.c.customer_id == bindparam("b_customer_id"),
            CONVERSATIONS.c.version == bindparam("b_was"),
        ).values({**{name: bindparam(name) for name in STATE}, VERSION: CONVERSATIONS.c.version + 1})
        # a turn's two closing writes as one statement (``Work.settle``): the customer is written only if the
        # conversation was, so the pair's one row is the conversation's check
        self.paired: dict[tuple[int, int], Update] = {}
        if self.postgresql:
            moved = self.conversation_update.returning(CONVERSATIONS.c.customer_id).cte("moved")
            both = update(CUSTOMERS).where(
                CUSTOMERS.c.id == bindparam("b_id"), CUSTOMERS.c.id.in_(select(moved.c.customer_id)),
            ).values({name: bindparam(name) for name in CUSTOMER_FIELDS})
            self.conversation_and_customer_update = both
            self.paired[id(self.conversation_update), id(self.customer_update)] = both
        self.conversation_purge: Delete = delete(CONVERSATIONS).where(
            CONVERSATIONS.c.step.in_(bindparam("steps", expanding=True)),
            CONVERSATIONS.c.updated_at < bindparam("before"),
        )

        # tickets
        self.ticket_number = insert(SEQUENCES).values(year=bindparam("year"), last_value=1).on_conflict_do_update(
            index_elements=[SEQUENCES.c.year], set_={"last_value": SEQUENCES.c.last_value + 1},
        ).returning(SEQUENCES.c.last_value)
        self.ticket_insert: Insert = TICKETS.insert().values(_binds(TICKETS, "id")).returning(TICKETS.c.id)
        self.ticket_update: Update = update(TICKETS).where(
            TICKETS.c.id == bindparam("b_id"), TICKETS.c.version == bindparam("b_version"),
        ).values(_binds(TICKETS, "id", "number", "year", "created_at")).returning(TICKETS.c.id)
        self.ticket_exists = select(TICKETS.c.id).where(TICKETS.c.id == bindparam("b_id"))
        self.ticket_by_number = select(TICKETS).where(TICKETS.c.number == bindparam("number"))
        self.event_insert: Insert = EVENTS.insert()
        self.events_of = select(EVENTS).where(EVENTS.c.ticket_id.in_(bindparam("ids", expanding=True))).order_by(
            EVENTS.c.id)
        self._listings: dict[ListingShape, TextualSelect] = {}
        self.ticket_open = _ticket_open() if self.postgresql else None

        # outbox
        put = insert(OUTBOX).values(_binds(OUTBOX, "id", "last_error", "delivered_at", "claimed_until")
                                    ).on_conflict_do_nothing(index_elements=[OUTBOX.c.dedupe_key]).returning(OUTBOX.c.id)
        self.outbox_put: Any = put
        if self.postgresql:  # the NOTIFY rides along (delivered at commit, once however many rows)
            added = put.cte("added")
            self.outbox_put = select(added.c.id, func.pg_notify(OUTBOX_CHANNEL, "").label("woke")).select_from(added)
        self.outbox_pending = select(OUTBOX).where(OUTBOX.c.delivered_at.is_(None)).order_by(
            OUTBOX.c.available_at, OUTBOX.c.id).limit(bindparam("limit"))
        now: BindParameter[datetime] = bindparam("now")
        due = select(OUTBOX.c.id).where(
            OUTBOX.c.delivered_at.is_(None), OUTBOX.c.available_at <= now,
            or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until <= now),
        ).order_by(OUTBOX.c.available_at, OUTBOX.c.id).limit(bindparam("limit"))
        if self.postgresql:
            due = due.with_for_update(skip_locked=True)
        self.outbox_claim = update(OUTBOX).where(OUTBOX.c.id.in_(due.scalar_subquery())).values(
            claimed_until=bindparam("until"), attempts=OUTBOX.c.attempts + 1).returning(*OUTBOX.c)
        self.outbox_delivered = update(OUTBOX).where(
            OUTBOX.c.id == bindparam("b_id"), OUTBOX.c.delivered_at.is_(None),
        ).values(delivered_at=bindparam("at"), claimed_until=None).returning(OUTBOX.c.id)
        self.outbox_failed = update(OUTBOX).where(
            OUTBOX.c.id == bindparam("b_id"), OUTBOX.c.delivered_at.is_(None),
        ).values(last_error=bindparam("error"), available_at=bindparam("retry_at"), claimed_until=None)

        # inbound message keys, hand-offs, departments
        self.inbound_first = insert(INBOUND).values(_binds(INBOUND, "id")).on_conflict_do_nothing(
            index_elements=[INBOUND.c.channel, INBOUND.c.key]).returning(INBOUND.c.id)
        self.handoff_insert: Insert = HANDOFFS.insert().values(_binds(HANDOFFS, "id")).returning(HANDOFFS.c.id)
        newest_handoffs = select(HANDOFFS).order_by(HANDOFFS.c.at.desc(), HANDOFFS.c.id.desc())
        self.handoffs = {
            (open_only, limited): (newest_handoffs.where(HANDOFFS.c.status == "open") if open_only else newest_handoffs)
            .limit(bindparam("limit") if limited else None)
            for open_only in (False, True) for limited in (False, True)
        }
        new_department = insert(DEPARTMENTS).values(_binds(DEPARTMENTS))
        self.department_upsert = new_department.on_conflict_do_update(
            index_elements=[DEPARTMENTS.c.key],
            set_={c.name: new_department.excluded[c.name] for c in DEPARTMENTS.c if c.name != "key"},
        )
        self.departments_retire = update(DEPARTMENTS).where(
            DEPARTMENTS.c.key.not_in(bindparam("keys", expanding=True))).values(active=False)

    def built(self) -> list[Any]:
        """The statements built here (``storage.direct`` runs them on the driver's connection)."""
        return list(vars(self).values())

    def listing(self, *, status: bool, customer: bool, open_only: bool, department: bool, channel: bool,
                overdue: bool, after: bool) -> TextualSelect:
        """Tickets newest first, one page (``:limit``) after the keyset ``(:after_at, :after_id)``; each
        filter named True takes its bind parameter of the same name (``overdue``: ``:overdue_at``). The SQL
        is ``storage.listing``'s, which the CLI's light read path runs too."""
        shape = ListingShape(status, customer, open_only, department, channel, overdue, after)
        query = self._listings.get(shape)
        if query is None:
            query = self._listings[shape] = _build_listing(shape)
        return query


def _build_listing(shape: ListingShape) -> TextualSelect:
    instant = TICKETS.c.received_at.type  # instants bind as they are stored (UTC; naive on SQLite)
    binds = [bindparam(name, type_=instant) for name, used in (("overdue_at", shape.overdue),
                                                                 ("after_at", shape.after)) if used]
    sql = listing_sql(shape, ", ".join(c.name for c in TICKETS.c))
    return text(sql).bindparams(*binds).columns(*TICKETS.c)


def _ticket_open() -> TextualSelect:
    """PostgreSQL: number, insert, first events, deadline-ladder row (if open: ``storage.alerts.touch``,
    made by the next sweep from ``:created_at``) and, if ``:announcing``, the ``ticket_opened`` outbox row with
    its NOTIFY (``announced``: 1) of a new ticket in one statement, so the year's sequence row is
    locked for as few round trips as possible before commit (every other creator waits for it).
    ``:events`` is a JSON array of ``event_values`` (``at`` as ISO 8601). The number is formatted as
    ``storage.tickets.ticket_number`` does (a test holds them together)."""
    columns = [c for c in TICKETS.c if c.name not in ("id", "number")]
    n = "sequence.last_value::text"
    sql = f"""
        WITH sequence AS (
            INSERT INTO ticket_sequences (year, last_value) VALUES (:year, 1)
            ON CONFLICT (year) DO UPDATE SET last_value = ticket_sequences.last_value + 1
            RETURNING last_value
        ), ticket AS (
            INSERT INTO tickets (number, {", ".join(c.name for c in columns)})
            SELECT 'VOC-' || :year || '-' || lpad({n}, greatest(6, length({n})), '0'),
                   {", ".join(":" + c.name for c in columns)}
            FROM sequence
            RETURNING id, number
        ), events AS (
            INSERT INTO ticket_events (ticket_id, at, actor, action, from_status, to_status, reason, data)
            SELECT ticket.id, (e.value ->> 'at')::timestamptz, e.value ->> 'actor', e.value ->> 'action',
                   e.value ->> 'from_status', e.value ->> 'to_status', e.value ->> 'reason', e.value -> 'data'
            FROM ticket, json_array_elements(CAST(:events AS json)) WITH ORDINALITY AS e(value, n)
            ORDER BY e.n
        ), ladder AS (
            INSERT INTO alert_ladder (number, due_at, department, paused, remake_at, due_key, due_text)
            SELECT ticket.number, :due_at, :department, :ladder_paused, :created_at, '', '' FROM ticket
            WHERE :ladder_open
        ), opened AS (
            INSERT INTO outbox (kind, payload, dedupe_key, created_at, available_at, attempts)
            SELECT 'ticket_opened',
                   CAST(CAST(:announce AS jsonb) || jsonb_build_object('number', ticket.number) AS json),
                   'opened:' || ticket.number, :created_at, :created_at, 0
            FROM ticket WHERE :announcing
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING id
        )
        SELECT id, number,
               (SELECT count(pg_notify('{OUTBOX_CHANNEL}', '')::text) FROM opened) AS announced
        FROM ticket
    """
    binds = [bindparam(c.name, type_=c.type) for c in columns] + [
        bindparam("events", type_=JSON()), bindparam("ladder_open", type_=Boolean()),
        bindparam("ladder_paused", type_=Boolean()), bindparam("announcing", type_=Boolean()),
        bindparam("announce", type_=JSON())]
    return text(sql).bindparams(*binds).columns(TICKETS.c.id, TICKETS.c.number, column("announced", Integer))
