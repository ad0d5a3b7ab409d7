"""Remedy cases as plain data for the CLI (and later Slack and the HTTP API), in the institution's time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.standard.remedies import Remedy

REMEDY_COLUMNS = ("id", "ticket", "kind", "status", "amount", "payout", "owner", "due", "overdue")


def remedy_json(remedy: Remedy, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    return {
        "id": remedy.id, "number": remedy.number, "kind": remedy.kind.value, "department": remedy.department,
        "owner": remedy.owner, "status": remedy.status.value, "amount_won": remedy.amount, "visits": remedy.visits,
        "opened_at": remedy.opened_at.astimezone(tz).isoformat(), "due_at": remedy.due_at.astimezone(tz).isoformat(),
        "legal_due_at": remedy.legal_due_at.astimezone(tz).isoformat(), "overdue": remedy.is_overdue(now),
        "approval": remedy.approval.value, "approved_by": remedy.approved_by,
        "approved_at": remedy.approved_at.astimezone(tz).isoformat() if remedy.approved_at else None,
        "payout": remedy.payout.value, "paid_at": remedy.paid_at.astimezone(tz).isoformat() if remedy.paid_at else None,
        "decision": remedy.decision, "steps": remedy.steps,
    }


def remedy_row(remedy: Remedy, tz: ZoneInfo, now: datetime) -> tuple[str, ...]:
    due = remedy.due_at.astimezone(tz)
    shown = f"{due:%Y-%m-%d}" if remedy.due_date_only else f"{due:%Y-%m-%d %H:%M}"
    return (str(remedy.id), remedy.number, remedy.kind.value, remedy.status.value, f"{remedy.amount:,}원",
            remedy.payout.value, remedy.owner or "-", shown, "지연" if remedy.is_overdue(now) else "")
