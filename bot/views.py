"""Tickets as plain data for the CLI and later for Slack and the HTTP API. Phone numbers are masked."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.pii import mask_phone
from bot.texts import korean_due
from bot.tickets import Ticket, TicketEvent


def event_json(event: TicketEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(), "actor": event.actor, "action": event.action.value,
        "from": event.from_status.value if event.from_status else None, "to": event.to_status.value,
        "reason": event.reason, "data": event.data,
    }


def ticket_json(ticket: Ticket, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "voc_type": ticket.voc_type.value,
        "intent": ticket.intent,
        "status": ticket.status.value,
        "department": ticket.department,
        "channel": ticket.channel,
        "customer_id": ticket.customer_id,
        "received_at": ticket.received_at.astimezone(tz).isoformat(),
        "due_at": ticket.due_at.astimezone(tz).isoformat(),
        "due_date_only": ticket.due_date_only,
        "due_text": korean_due(ticket.due_at, ticket.due_date_only, tz),
        "policy": str(ticket.policy),
        "assignee": ticket.assignee,
        "contact_phone": mask_phone(ticket.contact_phone),
        "confidence": round(ticket.confidence, 4),
        "text": ticket.text,
        "answer": ticket.answer,
        "paused": [
            {"start": p.start.isoformat(), "end": p.end.isoformat() if p.end else None} for p in ticket.pauses
        ],
        "extensions": [
            {"period": str(e.period), "reason": e.reason.value, "detail": e.detail, "consent": e.consent,
             "at": e.at.isoformat()}
            for e in ticket.extensions
        ],
        "events": [event_json(e) for e in ticket.events],
    }
