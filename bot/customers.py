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
