"""initial schema: customers, conversations, departments, tickets and their events, numbering, outbox,
inbound message keys

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _at(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _json(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.JSON(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "customers", _id(), _str("channel", 32), _str("external_id", 255), _text("display_name"),
        _str("locale", 16), _at("consent_at", nullable=True), _str("consent_version", 64),
        _str("phone", 64), _at("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("channel", "external_id", name=op.f("uq_customers_channel_external_id")),
    )
    op.create_table(
        "conversations", _id(), sa.Column("customer_id", sa.Integer(), nullable=False),
        _str("step", 64), _json("data"), _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_conversations_customer_id")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE",
                                name=op.f("fk_conversations_customer_id_customers")),
    )
    op.create_table(
        "departments", _str("key", 64), _str("name", 200), _str("name_en", 200),
        _str("slack_channel", 200), sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_departments")),
    )
    op.create_table(
        "tickets", _id(), _str("number", 32), sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False), _str("channel", 32),
        _str("voc_type", 32), _str("intent", 64), _str("department", 64), _text("text"),
        _at("received_at"), _at("due_at"), sa.Column("due_date_only", sa.Boolean(), nullable=False),
        sa.Column("policy_amount", sa.Integer(), nullable=False), _str("policy_unit", 16),
        _str("policy_regime", 16), _str("status", 32), _str("assignee", 200),
        _str("contact_phone", 64), sa.Column("confidence", sa.Float(), nullable=False),
        _text("answer"), _json("pauses"), _json("extensions"),
        sa.Column("version", sa.Integer(), nullable=False), _at("created_at"), _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_tickets_customer_id_customers")),
    )
    op.create_index(op.f("ix_tickets_status"), "tickets", ["status"])
    op.create_index(op.f("ix_tickets_due_at"), "tickets", ["due_at"])
    op.create_index(op.f("ix_tickets_customer_id"), "tickets", ["customer_id"])
    op.create_table(
        "ticket_events", _id(), sa.Column("ticket_id", sa.Integer(), nullable=False), _at("at"),
        _str("actor", 200), _str("action", 32), _str("from_status", 32, nullable=True),
        _str("to_status", 32), _text("reason"), _json("data"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_events_ticket_id_tickets")),
    )
    op.create_index(op.f("ix_ticket_events_ticket_id"), "ticket_events", ["ticket_id"])
    op.create_table(
        "ticket_sequences", sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_ticket_sequences")),
    )
    op.create_table(
        "outbox", _id(), _str("kind", 64), _json("payload"), _str("dedupe_key", 255, nullable=True),
        _at("created_at"), _at("available_at"), sa.Column("attempts", sa.Integer(), nullable=False),
        _text("last_error", nullable=True), _at("delivered_at", nullable=True),
        _at("claimed_until", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    op.create_index(op.f("ix_outbox_available_at"), "outbox", ["available_at"])
    op.create_table(
        "inbound_messages", _id(), _str("channel", 32), _str("key", 255), _at("received_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("channel", "key", name=op.f("uq_inbound_messages_channel_key")),
    )


def downgrade() -> None:
    for table in ("inbound_messages", "outbox", "ticket_sequences", "ticket_events", "tickets",
                  "departments", "conversations", "customers"):
        op.drop_table(table)
