"""The satisfaction survey in units of work: the invitation written with the answer that causes it, a rating taken
once (from the web form or the chat), a low one alerting the department and offering a second look, which reopens
the ticket. Every step is logged on the ticket with its actor; alerts and notices go through the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.casework.tickets import Action, Ticket, TicketEvent
from bot.clock import Clock
from bot.errors import SurveyRefused, TicketNotFound
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.standard.notices import SURVEY_INVITE, SURVEY_LOW, SURVEY_REOPENED
from bot.standard.survey import Survey, invite, new_token, token_hash

INVITED_AFTER = frozenset({Action.ANSWER, Action.CLOSE})
Queued = tuple[str, dict[str, Any], str]  # outbox kind, payload, dedupe key


@dataclass(frozen=True)
class SurveyTerms:
    enabled: bool = True
    low_score: int = 2
    valid_days: int = 30


class Inviter:
    """Hooked into ``Staff``: after an answer (or a closing), the ticket's one invitation, in the same unit of work."""

    def __init__(self, terms: SurveyTerms, token: Callable[[], str] = new_token) -> None:
        self.terms, self.token = terms, token

    async def __call__(self, uow: UnitOfWork, ticket: Ticket, event: TicketEvent, now: datetime) -> list[Queued]:
        if not self.terms.enabled or event.action not in INVITED_AFTER or ticket.id is None:
            return []
        customer = await uow.customers.get(ticket.customer_id)
        token = self.token()
        survey = invite(number=ticket.number, ticket_id=ticket.id, customer_id=ticket.customer_id,
                        channel=customer.channel if customer else ticket.channel, token=token, now=now,
                        valid_days=self.terms.valid_days)
        if not await uow.surveys.add(survey):
            return []  # once per ticket: it was invited before
        ticket.record_standard(Action.SURVEY, now, "system", "", {"survey": "invited",
                                                                   "expires_at": survey.expires_at.isoformat()})
        return [(SURVEY_INVITE, {"number": ticket.number, "token": token, "at": now.isoformat()},
                 f"survey:{ticket.number}:invite")]


@dataclass(frozen=True)
class Rated:
    number: str
    rating: int
    low: bool


async def rate_in(uow: UnitOfWork, survey: Survey, rating: int, comment: str, via: str, now: datetime,
                  low_score: int) -> Rated:
    """Take the rating in ``uow`` (``SurveyRefused``: rated before, expired, out of range); a low one queues the
    department's alert."""
    low = survey.rate(rating, comment, now, via, low_score)
    if not await uow.surveys.save(survey):
        raise SurveyRefused(f"{survey.number} has already been rated")
    ticket = await _ticket(uow, survey.number)
    ticket.record_standard(Action.SURVEY, now, f"customer:{survey.customer_id}", survey.comment,
                           {"survey": "rated", "rating": rating, "via": via, "low": low})
    await uow.tickets.save(ticket)
    if low:
        await uow.outbox.put(SURVEY_LOW, {"number": survey.number, "rating": rating, "comment": survey.comment,
                                          "department": ticket.department, "at": now.isoformat()},
                             dedupe_key=f"survey:{survey.number}:low")
    return Rated(survey.number, rating, low)


async def reopen_in(uow: UnitOfWork, survey: Survey, actor: str, now: datetime, reason: str) -> Ticket:
    """The second look a low rating offered: the ticket goes back to work (``reopen``)."""
    survey.reopened()
    await uow.surveys.save(survey)
    ticket = await _ticket(uow, survey.number)
    ticket.reopen(now, actor, reason)
    await uow.tickets.save(ticket)
    await uow.outbox.put(SURVEY_REOPENED, {"number": survey.number, "actor": actor, "at": now.isoformat(),
                                           "department": ticket.department},
                         dedupe_key=f"survey:{survey.number}:reopen")
    return ticket


async def _ticket(uow: UnitOfWork, number: str) -> Ticket:
    ticket = await uow.tickets.get(number)
    if ticket is None:
        raise TicketNotFound(number)
    return ticket


@dataclass(frozen=True)
class SurveyView:
    """What the form shows: the ticket, and whether it can still be rated."""

    number: str
    rated: bool
    expired: bool
    follow_up: str
    locale: str


class SurveyDesk:
    """The web form's side (``handlers.survey_web``) and the staff's: read an invitation (never writes), rate once,
    ask for a second look."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, terms: SurveyTerms) -> None:
        self.uow, self.clock, self.terms = uow, clock, terms

    async def view(self, token: str) -> SurveyView | None:
        async with self.uow() as uow:
            survey = await uow.surveys.by_token(token_hash(token))
            if survey is None:
                return None
            customer = await uow.customers.get(survey.customer_id)
        return SurveyView(survey.number, survey.rated, self.clock.now() > survey.expires_at, survey.follow_up.value,
                          customer.locale if customer else "ko")

    async def rate(self, token: str, rating: int, comment: str) -> Rated:
        now = self.clock.now()
        async with self.uow() as uow:
            survey = await self._by_token(uow, token)
            rated = await rate_in(uow, survey, rating, comment, "web", now, self.terms.low_score)
            await uow.commit()
        return rated

    async def follow_up(self, token: str) -> Ticket:
        now = self.clock.now()
        async with self.uow() as uow:
            survey = await self._by_token(uow, token)
            ticket = await reopen_in(uow, survey, f"customer:{survey.customer_id}", now, "만족도 조사 후 재검토 요청")
            await uow.commit()
        return ticket

    async def reopen(self, number: str, actor: str, reason: str) -> Ticket:
        """Staff reopen a ticket from its low rating (``vocdesk survey reopen``)."""
        now = self.clock.now()
        async with self.uow() as uow:
            survey = await uow.surveys.by_number(number)
            if survey is None:
                raise SurveyRefused(f"{number} has no survey")
            ticket = await reopen_in(uow, survey, actor, now, reason or "만족도 조사 후 재검토")
            await uow.commit()
        return ticket

    async def _by_token(self, uow: UnitOfWork, token: str) -> Survey:
        survey = await uow.surveys.by_token(token_hash(token))
        if survey is None:
            raise SurveyRefused("no such survey")
        return survey
