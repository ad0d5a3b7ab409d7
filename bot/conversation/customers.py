"""Customers (one row per channel identity) and the stored state of their conversation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Customer:
    channel: str
    external_id: str
    display_name: str = ""
    locale: str = "ko"
    consent_at: datetime | None = None
    consent_version: str = ""
    phone: str = ""
    id: int | None = None

    @property
    def has_consent(self) -> bool:
        return self.consent_at is not None


@dataclass
class ConversationState:
    """Where a customer's dialogue stands. ``data`` must stay JSON-serialisable."""

    step: str = "new"
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


@dataclass
class Handoff:
    """A customer asked to talk to a person. ``text`` is what they last wrote (personal numbers already
    masked); ``step`` is where the conversation stood."""

    customer_id: int
    channel: str
    text: str
    step: str
    at: datetime
    status: str = "open"  # open | done
    id: int | None = None
