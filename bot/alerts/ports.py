"""What the staff alerts need from storage (``storage/alerts.py`` implements it; ``tests/fakes.py`` too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.alerts.ladder import LadderTicket


@dataclass(frozen=True)
class Planned:
    """One ladder step of a ticket and the instant it comes."""

    step: str
    at: datetime


@dataclass(frozen=True)
class Schedule:
    """The steps of a ticket's ladder for its due instant ``due_at`` and department, in the order they come
    (``bot.alerts.sweep.schedule``). A warning's dedupe key is ``ladder:NUMBER:STEP@DUE_KEY``."""

    number: str
    department: str
    due_at: datetime
    due_key: str
    steps: tuple[Planned, ...]


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
    async def exclusive(self) -> None:
        """Wait until no other pass works on the ladder, and hold it so until this transaction ends."""

    async def unscheduled(self) -> list[LadderTicket]:
        """Open tickets whose schedule is missing or out of date (new, or their due instant or department
        changed since it was made)."""

    async def schedule(self, schedules: Sequence[Schedule]) -> None:
        """Replace the steps of these tickets by ``schedules`` (a schedule made for a due instant or department
        that changed meanwhile stays out of date: the next pass makes it again)."""

    async def warn(self, kind: str, now: datetime) -> int:
        """Queue an outbox row of ``kind`` (in the caller's transaction, for delivery at once) for the latest step
        that has come by ``now`` of each ticket whose clock runs, unless its dedupe key is there already, and pass
        every step that has come (a ticket waiting for a supplement keeps its steps until it resumes). Returns how
        many were queued."""

    async def queue(self, kind: str, items: Sequence[tuple[dict[str, Any], str]]) -> int:
        """Put many outbox rows of ``kind`` at once (``(payload, dedupe_key)``; a key already there is skipped) in
        the caller's transaction; returns how many were new."""

    async def queued(self, keys: Sequence[str]) -> bool:
        """Whether an outbox row has one of these dedupe keys."""

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
