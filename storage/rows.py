"""Stored rows → domain tickets: the one read mapping, shared by the SQLAlchemy repository
(``storage.tickets``) and the light read path of the CLI (``storage.readonly``), so it imports no driver.

A row is a mapping from column name to a Python value: instants aware (UTC), JSON columns parsed,
booleans as ``bool`` (what SQLAlchemy's column types give; ``storage.readonly`` decodes its drivers' raw
values to the same). The write side (``ticket_values``) lives with the tables in ``storage.models``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.casework.deadlines import Interval, Law, Period, Regime, Stop, Unit
from bot.casework.tickets import Action, Extension, ExtensionReason, Status, Ticket, TicketEvent
from bot.conversation.classification import VocType

Row = Mapping[Any, Any]  # a SQLAlchemy RowMapping, a dict of decoded driver values

TICKET_INSTANTS = frozenset({"received_at", "due_at", "created_at", "updated_at", "legal_due_at", "arrived_at"})
TICKET_JSON = frozenset({"pauses", "extensions"})
TICKET_FLAGS = frozenset({"due_date_only"})
EVENT_INSTANTS = frozenset({"at"})
EVENT_JSON = frozenset({"data"})
"""The columns whose stored form is not their Python value (a test holds these to ``storage.models``)."""


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _pause(data: dict[str, Any]) -> Interval:
    """A stored pause; one stored before pauses had kinds is a supplement."""
    cap = data.get("cap")
    return Interval(_instant(data["start"]), data["end"] and _instant(data["end"]),
                    Stop(data.get("kind", Stop.SUPPLEMENT.value)), cap and _instant(cap))


def ticket_from_row(row: Row, events: list[TicketEvent]) -> Ticket:
    return Ticket(
        customer_id=row["customer_id"], channel=row["channel"], voc_type=VocType(row["voc_type"]),
        intent=row["intent"], department=row["department"], text=row["text"], received_at=row["received_at"],
        policy=Period(row["policy_amount"], Unit(row["policy_unit"]), Regime(row["policy_regime"]),
                      Law(row["policy_law"])),
        due_at=row["due_at"], due_date_only=row["due_date_only"], number=row["number"],
        status=Status(row["status"]), assignee=row["assignee"], contact_phone=row["contact_phone"],
        confidence=row["confidence"], answer=row["answer"],
        pauses=[_pause(p) for p in row["pauses"]],
        extensions=[Extension(
            Period(e["amount"], Unit(e["unit"]), Regime(e["regime"])), ExtensionReason(e["reason"]),
            e["detail"], e["consent"], _instant(e["at"]),
        ) for e in row["extensions"]],
        events=events, id=row["id"], version=row["version"], legal_due_at=row["legal_due_at"],
        arrived_at=row["arrived_at"],
    )


def event_from_row(row: Row) -> TicketEvent:
    return TicketEvent(
        at=row["at"], actor=row["actor"], action=Action(row["action"]),
        from_status=Status(row["from_status"]) if row["from_status"] else None,
        to_status=Status(row["to_status"]), reason=row["reason"], data=dict(row["data"]),
    )
