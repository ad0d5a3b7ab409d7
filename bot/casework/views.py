"""Tickets and hand-offs as plain data for the CLI and later for Slack and the HTTP API.

Every instant is shown in the institution's time zone with its offset. Phone numbers are masked unless
the caller reveals them (and records who saw them: ``Staff.reveal_contact``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.casework.tickets import Action, Ticket, TicketEvent
from bot.conversation.customers import Handoff
from bot.conversation.texts import korean_due
from bot.pii import mask_phone


def local_iso(at: datetime, tz: ZoneInfo) -> str:
    """``2026-09-22T10:00:00+09:00``."""
    return at.astimezone(tz).isoformat()


def local_minutes(at: datetime, tz: ZoneInfo) -> str:
    """``2026-09-22 10:00+09:00``, for tables."""
    return at.astimezone(tz).isoformat(sep=" ", timespec="minutes")


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    """Open and past its due instant (what ``tickets list --overdue`` selects)."""
    return ticket.is_open and ticket.due_at < now


def event_text(event: TicketEvent) -> str:
    """The words of an event for people: the staff member's reason, what the customer wrote (a message or
    a supplement, kept in ``data["text"]``), and who or where a ticket went."""
    data = event.data
    parts = [event.reason, data.get("text", "")]
    if event.action is Action.ASSIGN:
        parts.append(f"assignee {data.get('assignee', '')}")
    elif event.action is Action.TRANSFER:
        parts.append(f"{data.get('from', '')} → {data.get('to', '')}")
    return "\n".join(str(part) for part in parts if part)


def event_json(event: TicketEvent, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "at": local_iso(event.at, tz), "actor": event.actor, "action": event.action.value,
        "from": event.from_status.value if event.from_status else None, "to": event.to_status.value,
        "reason": event.reason, "text": event_text(event), "data": event.data,
    }


def ticket_json(ticket: Ticket, tz: ZoneInfo, now: datetime, *, reveal_phone: bool = False) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "voc_type": ticket.voc_type.value,
        "intent": ticket.intent,
        "status": ticket.status.value,
        "department": ticket.department,
        "channel": ticket.channel,
        "customer_id": ticket.customer_id,
        "received_at": local_iso(ticket.received_at, tz),
        "due_at": local_iso(ticket.due_at, tz),
        "due_date_only": ticket.due_date_only,
        "due_text": korean_due(ticket.due_at, ticket.due_date_only, tz),
        "overdue": is_overdue(ticket, now),
        "policy": str(ticket.policy),
        "assignee": ticket.assignee,
        "contact_phone": ticket.contact_phone if reveal_phone else mask_phone(ticket.contact_phone),
        "confidence": round(ticket.confidence, 4),
        "text": ticket.text,
        "answer": ticket.answer,
        "paused": [
            {"start": local_iso(p.start, tz), "end": local_iso(p.end, tz) if p.end else None}
            for p in ticket.pauses
        ],
        "extensions": [
            {"period": str(e.period), "reason": e.reason.value, "detail": e.detail, "consent": e.consent,
             "at": local_iso(e.at, tz)}
            for e in ticket.extensions
        ],
        "events": [event_json(e, tz) for e in ticket.events],
    }


TICKET_COLUMNS = ("number", "type", "status", "department", "assignee", "received", "due", "overdue")


def ticket_row(ticket: Ticket, tz: ZoneInfo, now: datetime) -> tuple[str, ...]:
    """One line of ``tickets list``, in the order of ``TICKET_COLUMNS``."""
    due = ticket.due_at.astimezone(tz)
    return (
        ticket.number, ticket.voc_type.label_ko, ticket.status.label_ko, ticket.department,
        ticket.assignee or "-", f"{ticket.received_at.astimezone(tz):%Y-%m-%d %H:%M}",
        f"{due:%Y-%m-%d}" if ticket.due_date_only else f"{due:%Y-%m-%d %H:%M}",
        "지연" if is_overdue(ticket, now) else "",
    )


def handoff_json(handoff: Handoff, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": handoff.id, "at": local_iso(handoff.at, tz), "customer_id": handoff.customer_id,
        "channel": handoff.channel, "step": handoff.step, "status": handoff.status, "text": handoff.text,
    }
