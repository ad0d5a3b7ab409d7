"""What staff do to a ticket, each in one unit of work with its outbox row (transactional outbox)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.deadlines import Period
from bot.errors import ConcurrentUpdate, InputRejected, TicketNotFound
from bot.ports import UnitOfWorkFactory
from bot.tickets import ExtensionReason, Ticket, TicketEvent
from bot.workcalendar import WorkCalendar


@dataclass(frozen=True)
class StaffAction:
    action: str
    actor: str
    reason: str = ""
    assignee: str = ""
    department: str = ""
    answer: str = ""
    extension_amount: int | None = None  # in the ticket's own unit; None = as long as the original period
    extension_reason: ExtensionReason | None = None
    consent: bool = False


class Staff:
    def __init__(self, uow: UnitOfWorkFactory, calendar: WorkCalendar, clock: Clock,
                 departments: frozenset[str]) -> None:
        self.uow, self.calendar, self.clock, self.departments = uow, calendar, clock, departments

    async def act(self, number: str, cmd: StaffAction, *, attempts: int = 3) -> Ticket:
        """Apply ``cmd`` to ticket ``number``; raises ``IllegalTransition`` / ``ExtensionRefused``.

        When someone else changed the ticket meanwhile (``ConcurrentUpdate``) the action is read and
        checked again on the new state, up to ``attempts`` times."""
        for attempt in range(1, attempts + 1):
            try:
                return await self._act_once(number, cmd)
            except ConcurrentUpdate:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    async def _act_once(self, number: str, cmd: StaffAction) -> Ticket:
        now = self.clock.now()
        async with self.uow() as uow:
            ticket = await uow.tickets.get(number)
            if ticket is None:
                raise TicketNotFound(number)
            event = self._apply(ticket, cmd, now)
            await uow.tickets.save(ticket)
            await uow.outbox.put(f"ticket_{event.action.value}", {
                "number": number, "at": now.isoformat(), "status": ticket.status.value,
                "due_at": ticket.due_at.isoformat(), "reason": event.reason,
            }, dedupe_key=f"{number}:{len(ticket.events)}")
            await uow.commit()
        return ticket

    def _apply(self, t: Ticket, cmd: StaffAction, now: datetime) -> TicketEvent:
        handler = _HANDLERS.get(cmd.action)
        if handler is None:
            raise InputRejected(f"unknown action {cmd.action!r}; one of {', '.join(_HANDLERS)}")
        if cmd.action == "transfer" and cmd.department not in self.departments:
            raise InputRejected(f"unknown department {cmd.department!r}; one of {sorted(self.departments)}")
        return handler(t, cmd, now, self.calendar)


_Handler = Callable[[Ticket, StaffAction, datetime, WorkCalendar], TicketEvent]
_HANDLERS: dict[str, _Handler] = {
    "assign": lambda t, c, now, cal: t.assign(now, c.actor, _need(c.assignee, "--assignee")),
    "start": lambda t, c, now, cal: t.start(now, c.actor),
    "request-supplement": lambda t, c, now, cal: t.request_supplement(
        now, c.actor, _need(c.reason, "--reason"),
    ),
    "supplement": lambda t, c, now, cal: t.supplement(now, c.actor, cal, c.reason),
    "extend": lambda t, c, now, cal: t.extend(
        now, c.actor, cal,
        period=Period(c.extension_amount, t.policy.unit, t.policy.regime) if c.extension_amount else t.policy,
        reason=c.extension_reason or ExtensionReason.COMPARABLE, detail=_need(c.reason, "--reason"),
        consent=c.consent,
    ),
    "transfer": lambda t, c, now, cal: t.transfer(now, c.actor, c.department, _need(c.reason, "--reason")),
    "answer": lambda t, c, now, cal: t.answer_with(now, c.actor, _need(c.answer, "--answer")),
    "close": lambda t, c, now, cal: t.close(now, c.actor, c.reason),
    "reopen": lambda t, c, now, cal: t.reopen(now, c.actor, _need(c.reason, "--reason")),
    "withdraw": lambda t, c, now, cal: t.withdraw(now, c.actor, c.reason),
    "note": lambda t, c, now, cal: t.note(now, c.actor, _need(c.reason, "--reason")),
}
ACTIONS = tuple(_HANDLERS)


def _need(value: str, option: str) -> str:
    if not value.strip():
        raise InputRejected(f"{option} is required for this action")
    return value.strip()
