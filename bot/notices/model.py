"""What a sink is asked to send and what it answers. Sinks (``handlers/``) translate their provider's errors
into these outcomes at the boundary, so the dispatcher never sees an HTTP status or an SDK exception."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class AlimTalk:
    """A KakaoTalk AlimTalk: a registered template and its ``#{variable}`` values, with the SMS/LMS text sent
    instead when Kakao cannot deliver it (SOLAPI's automatic fallback)."""

    template_id: str
    variables: dict[str, str]
    fallback_text: str


@dataclass(frozen=True)
class Outgoing:
    """One message for one recipient. ``key`` is the delivery's idempotency key: a provider that supports one
    gets it, and a sink must never send the same key twice on purpose."""

    key: str
    kind: str
    channel: str  # the sink: "console", "sms" (AlimTalk with SMS fallback), "telegram", "slack", ...
    to: str  # phone number, chat id, Slack channel
    text: str
    alimtalk: AlimTalk | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    key: str
    ref: str = ""  # the provider's message id


@dataclass(frozen=True)
class Retry:
    """A transient failure (5xx, timeout, 408, 429): try again, not before ``after`` seconds when the
    provider said so (``Retry-After``). ``unsure``: the provider may have accepted it all the same (a timeout
    after the request went out), so the next attempt asks the sink first, as after a killed worker."""

    key: str
    reason: str
    after: float | None = None
    unsure: bool = False


@dataclass(frozen=True)
class Dead:
    """A permanent failure (a 4xx other than 408/429, or the provider's per-message failure code)."""

    key: str
    reason: str


Outcome = Sent | Retry | Dead


class Sink(Protocol):
    """Sends a batch; answers one outcome per message, in any order. Never raises for a provider failure."""

    name: str
    batch_size: int

    async def send(self, batch: Sequence[Outgoing]) -> list[Outcome]: ...


# What the fan-out reads and writes (see ``bot.notices.plan``).


@dataclass(frozen=True)
class Facts:
    """What the store knows of an event's ticket and customer (None where the event has none)."""

    number: str = ""
    voc_type: str = ""
    intent: str = ""
    department: str = ""
    status: str = ""
    due_at: datetime | None = None
    due_date_only: bool = True
    received_at: datetime | None = None
    assignee: str = ""
    answer: str = ""
    customer_id: int | None = None
    channel: str = ""
    locale: str = "ko"
    has_phone: bool = False


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class NewDelivery:
    key: str  # unique: the idempotency key of the send
    outbox_id: int
    subscriber: str
    sink: str
    kind: str
    customer_id: int | None
    target: str  # staff: the department key; customer: "" (the address is the customer's, read at send time)
    locale: str
    text: str
    number: str = ""
    sms_text: str = ""
    template_id: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    not_before: datetime | None = None
