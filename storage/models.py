"""Tables (SQLAlchemy 2 typed declarative) and the explicit mapping between rows and domain objects.

No relationships: repositories load what they need explicitly, so nothing can lazy-load.
Keep ``migrations/versions`` in step (a test compares the migrated schema with these models)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bot.casework.deadlines import Interval
from bot.casework.tickets import Ticket, TicketEvent
from bot.conversation.customers import Customer, Handoff
from storage.listing import OPEN_WHERE

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC. Naive datetimes are refused on write; reads are aware UTC (SQLite
    keeps no offset, so the value is written as naive UTC there and tagged UTC on the way back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive or non-datetime value: {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(), dict[str, Any]: JSON(), list[Any]: JSON(),
    }


class CustomerRow(Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(16))
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), unique=True)
    step: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, server_default="0")
    """Bumped by every write: a turn writes only over the version it read (``storage.repositories``)."""


class DepartmentRow(Base):
    __tablename__ = "departments"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    slack_channel: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean)


class TicketRow(Base):
    """Listings read newest first (``received_at``, then ``id``), filtered by status or not; the index on
    ``(status, received_at)`` also serves lookups by status alone."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_received_at", "status", "received_at"),
        # open tickets only: the morning digest counts them per department from this index alone and reads the
        # first few due of each in order (the statuses are written into those queries: storage.statements)
        Index("ix_tickets_open_department_due_at", "department", "due_at", "id",
              postgresql_where=text(OPEN_WHERE), sqlite_where=text(OPEN_WHERE)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    voc_type: Mapped[str] = mapped_column(String(32))
    intent: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(index=True)
    due_at: Mapped[datetime] = mapped_column(index=True)
    due_date_only: Mapped[bool] = mapped_column(Boolean)
    policy_amount: Mapped[int] = mapped_column(Integer)
    policy_unit: Mapped[str] = mapped_column(String(16))
    policy_regime: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    assignee: Mapped[str] = mapped_column(String(200))
    contact_phone: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    answer: Mapped[str] = mapped_column(Text)
    pauses: Mapped[list[Any]]
    extensions: Mapped[list[Any]]
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # 0004: the law that sets the period, the legal end of the period (compliance; due_at is the practical
    # target), and when the filing arrived before its 접수 (NULL: at 접수)
    policy_law: Mapped[str] = mapped_column(String(16), server_default="minwon")
    legal_due_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]


class TicketEventRow(Base):
    """Append-only audit trail: rows are inserted, never updated or deleted."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_action_ticket_id", "action", "ticket_id", "at"),)  # 0007: the report

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]]


class TicketSequenceRow(Base):
    """The last ticket number handed out per year; only ever incremented."""

    __tablename__ = "ticket_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime]
    available_at: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)  # fanned out into deliveries
    claimed_until: Mapped[datetime | None]


class HandoffRow(Base):
    """A customer asked for a person (``bot.conversation.customers.Handoff``); staff work through the open ones."""

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_status_at", "status", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    step: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))


class DeliveryRow(Base):
    """One delivery of an outbox event to one subscriber (``bot.notices``): its own state, attempts and
    next attempt, so a failing sink never blocks or duplicates another. The recipient's address is not
    kept here: it is read from the customer at send time."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    subscriber: Mapped[str] = mapped_column(String(16))
    sink: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    sms_text: Mapped[str] = mapped_column(Text)
    template_id: Mapped[str] = mapped_column(String(64))
    variables: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    recorded: Mapped[int] = mapped_column(Integer)  # attempts whose outcome was stored; fewer = one was cut off
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text)
    ref: Mapped[str] = mapped_column(String(255))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


LADDER_SLOTS = 8
"""Steps of one ticket's ladder kept in its ``alert_ladder`` row (``bot.alerts.ladder.MAX_STEPS``)."""
LADDER_FILLFACTOR = 50
"""Percent of each ``alert_ladder`` page filled on PostgreSQL: the rest is room for moving rows on in place."""


class AlertLadderRow(Base):
    """The deadline-warning ladder of one open ticket, written with the ticket (``storage.alerts.touch``).

    ``step_N``/``at_N``: its steps in the order they come, each with its instant (epoch microseconds);
    ``next_at``: the instant of the first step still to come (NULL: none left). On SQLite it is indexed, so that a
    sweep reads only the tickets with a step come. On PostgreSQL it is not, and the table leaves half of each page
    free (``fillfactor``): a pass that moves ``next_at`` on then rewrites each row in its own page without touching
    an index (a HOT update), which costs less than the index saves; a pass reads the whole table instead (every
    open ticket's row: about 10 ms per 100,000). ``remake_at``: set when the ticket is new or its due instant or
    department changed; the sweep then makes the steps again (in Python: the working-time calendar is there).
    ``paused``: the ticket waits for a supplement (its clock is stopped: no warning)."""

    __table__ = Table(
        "alert_ladder", Base.metadata,
        Column("number", String(32), primary_key=True),
        Column("due_at", UtcDateTime(), nullable=False),
        Column("department", String(64), nullable=False),
        Column("paused", Boolean, nullable=False),
        Column("remake_at", UtcDateTime(), nullable=True),
        Column("next_at", BigInteger, nullable=True),
        Column("due_key", String(16), nullable=False),  # the due instant in the warnings' dedupe keys
        Column("due_text", String(40), nullable=False),  # the due instant in the warnings' payload (ISO 8601)
        *(column for n in range(1, LADDER_SLOTS + 1)
          for column in (Column(f"step_{n}", String(16)), Column(f"at_{n}", BigInteger))),
        # only the rows to make: a pass moving ``next_at`` on does not touch this index
        Index("ix_alert_ladder_remake_at", "remake_at", sqlite_where=text("remake_at IS NOT NULL"),
              postgresql_where=text("remake_at IS NOT NULL")),
        Index("ix_alert_ladder_next_at", "next_at").ddl_if(dialect="sqlite"),
        postgresql_with={"fillfactor": LADDER_FILLFACTOR},
    )


class SlackThreadRow(Base):
    """The Slack message that opened a ticket's thread: every later message about the ticket goes under it."""

    __tablename__ = "slack_threads"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    department: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class RemedyRow(Base):
    """A remedy case for wrong service (``bot.standard.remedies``), one or more per ticket."""

    __tablename__ = "remedies"
    __table_args__ = (Index("ix_remedies_status_opened_at", "status", "opened_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)  # won
    visits: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime]
    due_at: Mapped[datetime]
    due_date_only: Mapped[bool] = mapped_column(Boolean)
    legal_due_at: Mapped[datetime]
    steps: Mapped[dict[str, Any]]
    approval: Mapped[str] = mapped_column(String(16))
    approved_by: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[datetime | None]
    payout: Mapped[str] = mapped_column(String(16))
    paid_at: Mapped[datetime | None]
    decision: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class SurveyRow(Base):
    """The satisfaction survey of one ticket (``bot.standard.survey``): the invitation (its token only hashed)
    and the rating, taken once."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(index=True)
    via: Mapped[str] = mapped_column(String(16))
    follow_up: Mapped[str] = mapped_column(String(16))


class InboundMessageRow(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime]


# Rows ⇄ domain objects, by hand (enums as their values, datetimes in JSON as UTC ISO 8601). The
# repositories run Core statements, so a "row" here is a result ``Row`` with the table's column names.


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _pause_json(p: Interval) -> dict[str, Any]:
    data: dict[str, Any] = {"start": _iso(p.start), "end": p.end and _iso(p.end), "kind": p.kind.value}
    if p.cap is not None:
        data["cap"] = _iso(p.cap)
    return data


def ticket_values(t: Ticket) -> dict[str, Any]:
    return {
        "customer_id": t.customer_id, "channel": t.channel, "voc_type": t.voc_type.value,
        "intent": t.intent, "department": t.department, "text": t.text, "received_at": t.received_at,
        "due_at": t.due_at, "due_date_only": t.due_date_only, "policy_amount": t.policy.amount,
        "policy_unit": t.policy.unit.value, "policy_regime": t.policy.regime.value,
        "status": t.status.value, "assignee": t.assignee, "contact_phone": t.contact_phone,
        "confidence": t.confidence, "answer": t.answer,
        "pauses": [_pause_json(p) for p in t.pauses],
        "extensions": [{
            "amount": e.period.amount, "unit": e.period.unit.value, "regime": e.period.regime.value,
            "reason": e.reason.value, "detail": e.detail, "consent": e.consent, "at": _iso(e.at),
        } for e in t.extensions],
        "policy_law": t.policy.law.value, "legal_due_at": t.legal_due_at, "arrived_at": t.arrived_at,
    }


def event_values(ticket_id: int | None, e: TicketEvent) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id, "at": e.at, "actor": e.actor, "action": e.action.value,
        "from_status": e.from_status.value if e.from_status else None, "to_status": e.to_status.value,
        "reason": e.reason, "data": e.data,
    }


def customer_from_row(row: Row[Any]) -> Customer:
    return Customer(
        channel=row.channel, external_id=row.external_id, display_name=row.display_name,
        locale=row.locale, consent_at=row.consent_at, consent_version=row.consent_version,
        phone=row.phone, id=row.id,
    )


def outbox_item(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id, "kind": row.kind, "payload": row.payload, "dedupe_key": row.dedupe_key,
        "created_at": row.created_at, "available_at": row.available_at, "attempts": row.attempts,
        "last_error": row.last_error, "claimed_until": row.claimed_until,
    }


def handoff_values(h: Handoff) -> dict[str, Any]:
    return {"customer_id": h.customer_id, "channel": h.channel, "text": h.text, "step": h.step, "at": h.at,
            "status": h.status}


def handoff_from_row(row: Row[Any]) -> Handoff:
    return Handoff(customer_id=row.customer_id, channel=row.channel, text=row.text, step=row.step, at=row.at,
                   status=row.status, id=row.id)


def made_on(dialect: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` for a database of ``dialect``: leaves out what the models make only on another
    one (an index with ``ddl_if(dialect=...)``), which autogenerate would otherwise see as missing."""

    def include(obj: Any, _name: str | None, _type: str, reflected: bool, _compare_to: Any) -> bool:
        only = getattr(obj, "_ddl_if", None)
        return reflected or only is None or only.dialect in (None, dialect)

    return include
