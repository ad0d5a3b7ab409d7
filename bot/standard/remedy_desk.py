"""Remedy cases in units of work: opened with their ticket (same transaction), moved by staff. Every change logs
a ticket event with its actor and queues ``remedy_<action>`` in the outbox (Slack; the customer for an outcome)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.casework.tickets import Action, Ticket
from bot.casework.workcalendar import WorkCalendar
from bot.clock import Clock
from bot.errors import ConcurrentUpdate, RemedyNotFound, TicketNotFound
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.standard.remedies import Remedy, RemedyChange, RemedyCommand, RemedyStatus
from bot.standard.rules import RemedyRules, Terms

OUTCOMES = frozenset({"approve", "reject", "decide", "pay"})
"""The actions whose outcome the customer is told."""


def plan_remedy(ticket: Ticket, terms: Terms, at: datetime, calendar: WorkCalendar) -> Remedy:
    """The case a new ticket opens, its opening logged on the ticket before it is stored (so the event is one of
    the ticket's first)."""
    remedy, change = Remedy.open(terms, number=ticket.number, department=ticket.department, owner=ticket.assignee,
                                 at=at, calendar=calendar)
    _log(ticket, change, terms)
    return remedy


async def store_remedy(uow: UnitOfWork, ticket: Ticket, remedy: Remedy) -> Remedy:
    """Store the case of a ticket just added in this unit of work, and queue its Slack alert."""
    remedy.number, remedy.ticket_id = ticket.number, ticket.id
    await uow.remedies.add(remedy)
    await uow.outbox.put("remedy_open", _payload(remedy, "open", remedy.opened_at, "system", ""),
                         dedupe_key=f"remedy:{remedy.id}:open")
    return remedy


def case_file(ticket: Ticket) -> dict[str, Any]:
    """What goes to the 민원조정위원회 with a referral: the ticket as filed and its log, without personal numbers
    (the ticket's text and events are masked when written)."""
    return {"number": ticket.number, "voc_type": ticket.voc_type.value, "intent": ticket.intent,
            "received_at": ticket.received_at.isoformat(), "text": ticket.text, "events": len(ticket.events),
            "answer": ticket.answer}


class RemedyDesk:
    def __init__(self, uow: UnitOfWorkFactory, rules: RemedyRules, clock: Clock) -> None:
        self.uow, self.rules, self.clock = uow, rules, clock

    async def act(self, remedy_id: int, cmd: RemedyCommand, *, attempts: int = 3) -> Remedy:
        """Apply ``cmd``; ``RemedyRefused`` when its kind or status does not allow it. A ticket or case changed
        meanwhile (``ConcurrentUpdate``) is read again and the action re-checked."""
        cmd = replace(cmd, actor=cmd.actor.strip() or "staff:cli", reason=cmd.reason.strip())
        for attempt in range(1, attempts + 1):
            try:
                return await self._act_once(remedy_id, cmd)
            except ConcurrentUpdate:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    async def _act_once(self, remedy_id: int, cmd: RemedyCommand) -> Remedy:
        now = self.clock.now()
        async with self.uow() as uow:
            remedy = await uow.remedies.get(remedy_id)
            if remedy is None:
                raise RemedyNotFound(remedy_id)
            ticket = await uow.tickets.get(remedy.number)
            if ticket is None:
                raise TicketNotFound(remedy.number)
            terms = self.rules.terms[remedy.kind]
            change = remedy.act(cmd, terms, now)
            if change.action == "refer":
                change = replace(change, data=change.data | {"case_file": case_file(ticket)})
            _log(ticket, change, terms)
            await uow.tickets.save(ticket)
            await uow.remedies.save(remedy)
            await uow.outbox.put(f"remedy_{change.action}", _payload(remedy, change.action, now, cmd.actor,
                                                                     change.reason),
                                 dedupe_key=f"remedy:{remedy.id}:{remedy.version}")
            await uow.commit()
        return remedy

    async def list(self, status: RemedyStatus | None = None, limit: int | None = 500) -> list[Remedy]:
        async with self.uow() as uow:
            return await uow.remedies.list(status=status, limit=limit)


def _log(ticket: Ticket, change: RemedyChange, terms: Terms) -> None:
    ticket.record_standard(Action.REMEDY, change.at, change.actor, change.reason,
                           {"remedy": change.action, "label": terms.label, **change.data})


def _payload(remedy: Remedy, action: str, at: datetime, actor: str, reason: str) -> dict[str, Any]:
    return {"number": remedy.number, "remedy_id": remedy.id, "kind": remedy.kind.value, "action": action,
            "status": remedy.status.value, "amount": remedy.amount, "payout": remedy.payout.value,
            "department": remedy.department, "owner": remedy.owner, "due_at": remedy.due_at.isoformat(),
            "at": at.isoformat(), "actor": actor, "reason": reason, "decision": remedy.decision}
