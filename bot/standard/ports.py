"""What the service standard needs from storage (``storage/standard.py``; ``tests/fakes.py`` in memory)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.standard.remedies import Remedy, RemedyStatus
    from bot.standard.report import Figures
    from bot.standard.survey import Survey


class RemedyRepository(Protocol):
    async def add(self, remedy: Remedy) -> Remedy:
        """Insert a new case (its ticket already stored); gives it its id."""

    async def get(self, remedy_id: int) -> Remedy | None: ...

    async def save(self, remedy: Remedy) -> None:
        """Write the case; ``ConcurrentUpdate`` when it changed since it was read (its ``version``)."""

    async def list(self, *, status: RemedyStatus | None = None, number: str | None = None,
                   limit: int | None = 500) -> list[Remedy]:
        """Cases, newest first."""


class SurveyRepository(Protocol):
    async def add(self, survey: Survey) -> bool:
        """Insert an invitation; False when the ticket already has one (one per ticket)."""

    async def by_token(self, token_hash: str) -> Survey | None: ...

    async def by_number(self, number: str) -> Survey | None: ...

    async def save(self, survey: Survey) -> bool:
        """Write a rating: False when the stored survey was rated meanwhile (a rating is taken once)."""

    async def rated_between(self, start: datetime, end: datetime) -> list[tuple[Survey, str, str]]:
        """(survey, department, voc_type) of every rating given in [start, end), oldest first."""


class ReportRepository(Protocol):
    async def figures(self, start: datetime, end: datetime, department: str | None, now: datetime, tz: str,
                      step: Callable[[str], None] = ...) -> Figures:
        """The report's aggregates over tickets received in [start, end); ``step`` is told each query done."""
