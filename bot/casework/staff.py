"""What staff do to a ticket, each in one unit of work with its outbox row (transactional outbox)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from bot.casework.deadlines import Period
from bot.casework.tickets import ExtensionReason, Ticket, TicketEvent
from bot.casework.workcalendar import WorkCalendar
from bot.clock import Clock
from bot.errors import ConcurrentUpdate, InputRejected, TicketChanged, TicketNotFound
from bot.ports import UnitOfWorkFactory

T = TypeVar("T")


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


OPTIONS = {
    "assignee": "--assignee", "department": "--to", "reason": "--reason", "answer": "--answer",
    "extension_reason": "--reason-code", "extension_amount": "--period", "consent": "--consent",
}
"""The command-line option that gives each ``StaffAction`` field (the words of the error messages)."""
_TEXT = ("actor", "reason", "assignee", "department", "answer")

_Handler = Callable[[Ticket, StaffAction, datetime, WorkCalendar], TicketEvent]


@dataclass(frozen=True)
class ActionSpec:
    """One staff action: what it does, which fields it needs and which it may take besides."""

    run: _Handler
    needs: tuple[str, ...] = ()
    takes: tuple[str, ...] = ()

    def usage(self) -> str:
        """``--to, --reason`` (plus ``[--period]`` for what is optional), for the help text."""
        words = [OPTIONS[f] for f in self.needs] + [f"[{OPTIONS[f]}]" for f in self.takes]
        return " ".join(words) or "-"


def _extend(t: Ticket, c: StaffAction, now: datetime, cal: WorkCalendar) -> TicketEvent:
    if c.extension_reason is None:  # a needed field: Staff checks it first
        raise InputRejected("extend needs --reason-code")
    period = Period(c.extension_amount, t.policy.unit, t.policy.regime) if c.extension_amount else t.policy
    return t.extend(now, c.actor, cal, period=period, reason=c.extension_reason, detail=c.reason, consent=c.consent)


SPECS: dict[str, ActionSpec] = {
    "assign": ActionSpec(lambda t, c, now, cal: t.assign(now, c.actor, c.assignee), needs=("assignee",)),
    "start": ActionSpec(lambda t, c, now, cal: t.start(now, c.actor)),
    "request-supplement": ActionSpec(lambda t, c, now, cal: t.request_supplement(now, c.actor, c.reason),
                                     needs=("reason",)),
    "supplement": ActionSpec(lambda t, c, now, cal: t.supplement(now, c.actor, cal, c.reason), takes=("reason",)),
    "extend": ActionSpec(_extend, needs=("reason", "extension_reason"), takes=("extension_amount", "consent")),
    "transfer": ActionSpec(lambda t, c, now, cal: t.transfer(now, c.actor, c.department, c.reason),
                           needs=("department", "reason")),
    "answer": ActionSpec(lambda t, c, now, cal: t.answer_with(now, c.actor, c.answer), needs=("answer",)),
    "close": ActionSpec(lambda t, c, now, cal: t.close(now, c.actor, c.reason), takes=("reason",)),
    "reopen": ActionSpec(lambda t, c, now, cal: t.reopen(now, c.actor, c.reason), needs=("reason",)),
    "withdraw": ActionSpec(lambda t, c, now, cal: t.withdraw(now, c.actor, c.reason), takes=("reason",)),
    "note": ActionSpec(lambda t, c, now, cal: t.note(now, c.actor, c.reason), needs=("reason",)),
}
"""Every staff action: the one table behind ``tickets act``, its help text and its checks."""
ACTIONS = tuple(SPECS)


class Staff:
    def __init__(self, uow: UnitOfWorkFactory, calendar: WorkCalendar, clock: Clock,
                 departments: frozenset[str]) -> None:
        self.uow, self.calendar, self.clock, self.departments = uow, calendar, clock, departments

    async def act(self, number: str, cmd: StaffAction, *, attempts: int = 3,
                  expect_version: int | None = None) -> Ticket:
        """Apply ``cmd`` to ticket ``number``; raises ``InputRejected`` (a missing or unknown option),
        ``IllegalTransition`` or ``ExtensionRefused``.

        When someone else changed the ticket meanwhile (``ConcurrentUpdate``) the action is read and
        checked again on the new state, up to ``attempts`` times. ``expect_version``: the version the staff
        member saw (a Slack card); any other raises ``TicketChanged`` instead of acting on what they did not see."""
        cmd = self._checked(cmd)
        return await _retrying(lambda: self._act_once(number, cmd, expect_version), attempts)

    async def reveal_contact(self, number: str, actor: str, *, attempts: int = 3) -> Ticket:
        """Ticket ``number`` for showing its full contact number to ``actor``, who is recorded in its
        event log in the same unit of work (nothing is recorded when there is no number to show)."""
        if not actor.strip():
            raise InputRejected("the staff member who sees the phone number must be named (--actor)")
        return await _retrying(lambda: self._reveal_once(number, actor.strip()), attempts)

    async def _act_once(self, number: str, cmd: StaffAction, expect_version: int | None = None) -> Ticket:
        now = self.clock.now()
        async with self.uow() as uow:
            ticket = await uow.tickets.get(number)
            if ticket is None:
                raise TicketNotFound(number)
            if expect_version is not None and ticket.version != expect_version:
                raise TicketChanged(number, ticket.status.value)
            event = SPECS[cmd.action].run(ticket, cmd, now, self.calendar)
            await uow.tickets.save(ticket)
            await uow.outbox.put(f"ticket_{event.action.value}", {
                "number": number, "at": now.isoformat(), "status": ticket.status.value,
                "due_at": ticket.due_at.isoformat(), "reason": event.reason, "actor": cmd.actor,
            }, dedupe_key=f"{number}:{len(ticket.events)}")
            await uow.commit()
        return ticket

    async def _reveal_once(self, number: str, actor: str) -> Ticket:
        async with self.uow() as uow:
            ticket = await uow.tickets.get(number)
            if ticket is None:
                raise TicketNotFound(number)
            if ticket.contact_phone:
                ticket.reveal_contact(self.clock.now(), actor)
                await uow.tickets.save(ticket)
                await uow.commit()
        return ticket

    def _checked(self, cmd: StaffAction) -> StaffAction:
        """``cmd`` with its text trimmed, once it gives exactly what its action needs and may take."""
        spec = SPECS.get(cmd.action)
        if spec is None:
            raise InputRejected(f"unknown action {cmd.action!r}; one of {', '.join(SPECS)}")
        cmd = replace(cmd, **{name: getattr(cmd, name).strip() for name in _TEXT})
        given = {name for name in OPTIONS if getattr(cmd, name) not in ("", None, False)}
        missing = [name for name in spec.needs if name not in given]
        if missing:
            raise InputRejected(f"{cmd.action} needs {' and '.join(self._describe(n) for n in missing)}")
        extra = sorted(OPTIONS[name] for name in given - {*spec.needs, *spec.takes})
        if extra:
            raise InputRejected(f"{cmd.action} does not take {', '.join(extra)} (it takes {spec.usage()})")
        if cmd.department and cmd.department not in self.departments:
            raise InputRejected(f"unknown department {cmd.department!r}; one of {', '.join(sorted(self.departments))}")
        return cmd

    def _describe(self, name: str) -> str:
        choices = {"department": sorted(self.departments), "extension_reason": [r.value for r in ExtensionReason]}
        return f"{OPTIONS[name]} ({', '.join(choices[name])})" if name in choices else OPTIONS[name]


async def _retrying(once: Callable[[], Awaitable[T]], attempts: int) -> T:
    for attempt in range(1, attempts + 1):
        try:
            return await once()
        except ConcurrentUpdate:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
