"""What the staff alerts need from storage (``storage/alerts.py`` implements it; ``tests/fakes.py`` too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.alerts.ladder import LadderTicket


@dataclass(frozen=True)
class Mark:
    """The ladder's memory of one ticket: the steps passed for the due instant ``due_at``, and when the next one
    comes (None: none left)."""

    number: str
    due_at: datetime
    passed: frozenset[str]
    next_at: datetime | None


@dataclass(frozen=True)
class Thread:
    """The Slack message that opened a ticket's thread (its channel id and ``ts``), posted for ``department``
    (a transferred ticket gets a new card in its new department's channel)."""

    department: str
    channel: str
    ts: str


@dataclass(frozen=True)
class OpenTicket:
    """A line of a digest or of ``/voc``: an open ticket, lightly."""

    number: str
    department: str
    status: str
    assignee: str
    due_at: datetime
    due_date_only: bool


@dataclass(frozen=True)
class Load:
    """Open tickets of one department: how many, how many are due soon (not yet overdue), how many overdue."""

    department: str
    open: int
    soon: int
    overdue: int


class AlertRepository(Protocol):
    async def ladder(self, horizon: datetime, now: datetime) -> list[LadderTicket]:
        """Open tickets whose clock runs (not waiting for a supplement), due by ``horizon``, that the ladder must
        look at: never looked at, due instant changed since, or their next step come by ``now``. Each carries
        the steps already passed for its current due instant."""

    async def queue(self, kind: str, items: Sequence[tuple[dict[str, Any], str]]) -> int:
        """Put many outbox rows of ``kind`` at once (``(payload, dedupe_key)``; a key already there is skipped) in
        the caller's transaction; returns how many were new."""

    async def queued(self, keys: Sequence[str]) -> bool:
        """Whether an outbox row has one of these dedupe keys."""

    async def mark(self, marks: Sequence[Mark]) -> None:
        """Remember each ticket's passed steps (replacing what was there)."""

    async def load(self, now: datetime, soon: datetime, department: str | None = None) -> list[Load]:
        """Open tickets per department (only ``department`` when given), departments without any left out."""

    async def due_by(self, after: datetime, before: datetime, per_department: int,
                     department: str | None = None) -> list[OpenTicket]:
        """Open tickets due from ``after`` until before ``before``, soonest first, at most ``per_department`` of
        each department."""

    async def assigned(self, assignee: str, limit: int) -> list[OpenTicket]:
        """Open tickets of ``assignee``, soonest due first."""

    async def thread(self, number: str) -> Thread | None: ...

    async def remember_thread(self, number: str, thread: Thread) -> None: ...
