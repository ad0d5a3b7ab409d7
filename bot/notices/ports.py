"""What the dispatcher needs from storage (``storage/deliveries.py`` implements it; ``tests/fakes.py`` too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.notices.model import Event, Facts, NewDelivery

PENDING, SENT, DEAD = "pending", "sent", "dead"


@dataclass(frozen=True)
class Delivery:
    """A claimed delivery, with its address resolved (the customer's phone or chat id, read at send time so
    no copy of it is kept). ``maybe_sent``: an earlier claim expired unrecorded (its worker died), so the
    provider may already have it."""

    id: int
    key: str
    outbox_id: int
    subscriber: str
    sink: str
    kind: str
    number: str
    to: str
    locale: str
    text: str
    sms_text: str
    template_id: str
    variables: dict[str, str]
    attempts: int
    maybe_sent: bool = False


@dataclass(frozen=True)
class Recorded:
    id: int
    state: str  # PENDING (try again at next_attempt_at), SENT or DEAD
    error: str = ""
    ref: str = ""
    next_attempt_at: datetime | None = None
    unsure: bool = False  # the attempt may have reached the provider: the next claim is ``maybe_sent``


@dataclass(frozen=True)
class DeliveryRow:
    """One line of ``vocdesk outbox list``: a delivery, or an event not yet fanned out (``sink`` "")."""

    id: int
    outbox_id: int
    kind: str
    number: str
    subscriber: str
    sink: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    sent_at: datetime | None
    created_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


class DeliveryRepository(Protocol):
    async def events(self, limit: int) -> list[tuple[Event, Facts]]:
        """Outbox events not yet fanned out, oldest first, locked for this transaction (``SKIP LOCKED`` on
        PostgreSQL), each with what the store knows of its ticket and customer."""

    async def fan_out(self, deliveries: Sequence[NewDelivery], events: Sequence[int], now: datetime) -> None:
        """Insert the deliveries (a key already there is skipped) and mark the events fanned out."""

    async def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[Delivery]:
        """Lease up to ``limit`` pending deliveries due at ``now``, counting an attempt on each."""

    async def record(self, results: Sequence[Recorded], now: datetime) -> None:
        """Store each outcome; a result for a delivery no longer leased to us still counts (idempotent)."""

    async def next_due(self) -> datetime | None:
        """When the earliest pending delivery is due (None when there is none)."""

    async def rows(self, state: str | None, limit: int | None) -> list[DeliveryRow]: ...

    async def open_received_before(self, before: datetime) -> list[tuple[str, datetime]]:
        """(number, received_at) of every open ticket received before ``before`` (the sweep's query)."""

    async def retry(self, delivery_id: int, now: datetime) -> bool:
        """A dead delivery pending again, due now, with its attempts reset; False if there is no dead one."""
