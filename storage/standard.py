"""The service standard's repositories (``bot.standard.ports``): remedy cases and the satisfaction survey, with
their SQL built once per dialect."""

from __future__ import annotations

import builtins
import functools
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.errors import ConcurrentUpdate
from bot.standard.remedies import Approval, Payout, Remedy, RemedyStatus
from bot.standard.rules import RemedyKind
from bot.standard.survey import FollowUp, Survey
from storage.models import Base
from storage.repositories import Work

REMEDIES = Base.metadata.tables["remedies"]
SURVEYS = Base.metadata.tables["surveys"]
TICKETS = Base.metadata.tables["tickets"]
_REMEDY_FIELDS = [c.name for c in REMEDIES.c if c.name not in ("id", "version", "updated_at")]
_SURVEY_FIELDS = [c.name for c in SURVEYS.c if c.name != "id"]
_FIXED = ("ticket_id", "number", "kind", "opened_at")  # set when the case opens


class StandardSql:
    def __init__(self, dialect: str) -> None:
        pg = dialect == "postgresql"
        on_conflict = postgresql.insert if pg else sqlite.insert
        r, s, t = REMEDIES.c, SURVEYS.c, TICKETS.c
        self.remedy_insert = insert(REMEDIES).returning(r.id)
        self.remedy_by_id = select(REMEDIES).where(r.id == bindparam("b_id"))
        changing = [n for n in _REMEDY_FIELDS if n not in _FIXED] + ["version", "updated_at"]
        self.remedy_update = update(REMEDIES).where(
            r.id == bindparam("b_id"), r.version == bindparam("b_version"),
        ).values({n: bindparam(n) for n in changing}).returning(r.id)
        newest = select(REMEDIES).order_by(r.opened_at.desc(), r.id.desc()).limit(bindparam("limit"))
        self.remedies = {
            (by_status, by_number): newest.where(*([r.status == bindparam("status")] if by_status else []),
                                                 *([r.number == bindparam("number")] if by_number else []))
            for by_status in (False, True) for by_number in (False, True)
        }
        self.survey_insert = on_conflict(SURVEYS).on_conflict_do_nothing().returning(s.id)
        self.survey_by_token = select(SURVEYS).where(s.token_hash == bindparam("token_hash"))
        self.survey_by_number = select(SURVEYS).where(s.number == bindparam("number"))
        rating = ("rating", "comment", "rated_at", "via", "follow_up")
        self.survey_rate = update(SURVEYS).where(s.id == bindparam("b_id"), s.rating.is_(None)).values(
            {n: bindparam(n) for n in rating}).returning(s.id)
        self.survey_follow_up = update(SURVEYS).where(s.id == bindparam("b_id")).values(
            follow_up=bindparam("follow_up")).returning(s.id)
        self.rated_between = select(SURVEYS, t.department, t.voc_type).join(TICKETS, t.id == s.ticket_id).where(
            s.rated_at >= bindparam("start"), s.rated_at < bindparam("end")).order_by(s.rated_at, s.id)


@functools.cache
def standard_sql(dialect: str) -> StandardSql:
    return StandardSql(dialect)


def remedy_values(m: Remedy) -> dict[str, Any]:
    return {
        "ticket_id": m.ticket_id, "number": m.number, "kind": m.kind.value, "department": m.department,
        "owner": m.owner, "status": m.status.value, "amount": m.amount, "visits": m.visits, "opened_at": m.opened_at,
        "due_at": m.due_at, "due_date_only": m.due_date_only, "legal_due_at": m.legal_due_at, "steps": m.steps,
        "approval": m.approval.value, "approved_by": m.approved_by, "approved_at": m.approved_at,
        "payout": m.payout.value, "paid_at": m.paid_at, "decision": m.decision,
    }


def remedy_from_row(row: Row[Any]) -> Remedy:
    return Remedy(
        number=row.number, kind=RemedyKind(row.kind), department=row.department, opened_at=row.opened_at,
        due_at=row.due_at, due_date_only=row.due_date_only, legal_due_at=row.legal_due_at, amount=row.amount,
        owner=row.owner, status=RemedyStatus(row.status), visits=row.visits, steps=dict(row.steps),
        approval=Approval(row.approval), approved_by=row.approved_by, approved_at=row.approved_at,
        payout=Payout(row.payout), paid_at=row.paid_at, decision=row.decision, ticket_id=row.ticket_id, id=row.id,
        version=row.version,
    )


def survey_from_row(row: Row[Any]) -> Survey:
    return Survey(
        number=row.number, ticket_id=row.ticket_id, customer_id=row.customer_id, channel=row.channel,
        token_hash=row.token_hash, invited_at=row.invited_at, expires_at=row.expires_at, rating=row.rating,
        comment=row.comment, rated_at=row.rated_at, via=row.via, follow_up=FollowUp(row.follow_up), id=row.id,
    )


class SqlRemedyRepository:
    def __init__(self, work: Work) -> None:
        self._work = work
        self._sql = standard_sql(work.connection.dialect.name)

    async def add(self, remedy: Remedy) -> Remedy:
        if remedy.ticket_id is None:
            raise ValueError("a remedy needs its stored ticket")
        values = remedy_values(remedy) | {"version": 0, "updated_at": self._work.clock.now()}
        remedy.id = (await self._work.execute(self._sql.remedy_insert, values)).scalar_one()
        return remedy

    async def get(self, remedy_id: int) -> Remedy | None:
        row = (await self._work.execute(self._sql.remedy_by_id, {"b_id": remedy_id})).one_or_none()
        return remedy_from_row(row) if row else None

    async def save(self, remedy: Remedy) -> None:
        values = remedy_values(remedy) | {"version": remedy.version + 1, "updated_at": self._work.clock.now(),
                                          "b_id": remedy.id, "b_version": remedy.version}
        for name in _FIXED:
            values.pop(name)
        if (await self._work.execute(self._sql.remedy_update, values)).scalar_one_or_none() is None:
            raise ConcurrentUpdate(f"remedy {remedy.id}")
        remedy.version += 1

    async def list(self, *, status: RemedyStatus | None = None, number: str | None = None,
                   limit: int | None = 500) -> builtins.list[Remedy]:
        params: dict[str, Any] = {"limit": limit}
        if status is not None:
            params["status"] = status.value
        if number is not None:
            params["number"] = number
        query = self._sql.remedies[(status is not None, number is not None)]
        return [remedy_from_row(r) for r in await self._work.execute(query, params)]


class SqlSurveyRepository:
    def __init__(self, work: Work) -> None:
        self._work = work
        self._sql = standard_sql(work.connection.dialect.name)

    async def add(self, survey: Survey) -> bool:
        values = {name: getattr(survey, name) for name in _SURVEY_FIELDS}
        values["follow_up"] = survey.follow_up.value
        found = (await self._work.execute(self._sql.survey_insert, values)).scalar_one_or_none()
        survey.id = found
        return found is not None

    async def by_token(self, token_hash: str) -> Survey | None:
        row = (await self._work.execute(self._sql.survey_by_token, {"token_hash": token_hash})).one_or_none()
        return survey_from_row(row) if row else None

    async def by_number(self, number: str) -> Survey | None:
        row = (await self._work.execute(self._sql.survey_by_number, {"number": number})).one_or_none()
        return survey_from_row(row) if row else None

    async def save(self, survey: Survey) -> bool:
        """A rating is written once (the statement only matches an unrated survey); a follow-up afterwards."""
        if survey.follow_up is FollowUp.REOPENED:
            done = await self._work.execute(self._sql.survey_follow_up, {"b_id": survey.id,
                                                                         "follow_up": survey.follow_up.value})
            return done.scalar_one_or_none() is not None
        done = await self._work.execute(self._sql.survey_rate, {
            "b_id": survey.id, "rating": survey.rating, "comment": survey.comment, "rated_at": survey.rated_at,
            "via": survey.via, "follow_up": survey.follow_up.value})
        return done.scalar_one_or_none() is not None

    async def rated_between(self, start: datetime, end: datetime) -> builtins.list[tuple[Survey, str, str]]:
        rows = await self._work.execute(self._sql.rated_between, {"start": start, "end": end})
        return [(survey_from_row(r), r.department, r.voc_type) for r in rows]
