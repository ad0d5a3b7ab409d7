"""What staff do to a ticket, each in one unit of work with its outbox row (transactional outbox)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from bot.casework.deadlines import Period, Stop
from bot.casework.tickets import ExtensionReason, Ticket, TicketEvent
from bot.casework.workcalendar import WorkCalendar
from bot.clock import Clock
from bot.errors import ConcurrentUpdate, InputRejected, TicketChanged, TicketNotFound
from bot.ports import UnitOfWork, UnitOfWorkFactory

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
    stop: Stop | None = None  # why the clock stops (pause)
    within: int | None = None  # days given to the customer for a supplement
    officer: str = ""  # the handling officer named in the notice (시행령 제31조); default: the assignee
    contact: str = ""  # the officer's contact; default: the institution's number
    agency: str = ""  # the agency a 민원 is transferred to
    far: bool = False  # the department is far from the 민원실 (시행령 제13조① 단서)


OPTIONS = {
    "assignee": "--assignee", "department": "--to", "reason": "--reason", "answer": "--answer",
    "extension_reason": "--reason-code", "extension_amount": "--period", "consent": "--consent",
    "stop": "--stop", "within": "--within", "officer": "--officer", "contact": "--contact",
    "agency": "--agency", "far": "--far",
}
"""The command-line option that gives each ``StaffAction`` field (the words of the error messages)."""
_TEXT = ("actor", "reason", "assignee", "department", "answer", "officer", "contact", "agency")

_Handler = Callable[[Ticket, StaffAction, datetime, WorkCalendar, str], TicketEvent]
AfterAction = Callable[[UnitOfWork, Ticket, TicketEvent, datetime], Awaitable[list[tuple[str, dict[str, Any], str]]]]
"""What else an action causes in its unit of work (the satisfaction survey's invitation after an answer): it may
log on the ticket before it is saved, and returns outbox rows (kind, payload, dedupe key) queued after the action's."""
"""(ticket, action, now, calendar, the desk department) → the event it wrote."""


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


def _extend(t: Ticket, c: StaffAction, now: datetime, cal: WorkCalendar, desk: str) -> TicketEvent:
    if c.extension_reason is None:  # a needed field: Staff checks it first
        raise InputRejected("extend needs --reason-code")
    period = Period(c.extension_amount, t.policy.unit, t.policy.regime) if c.extension_amount else t.policy
    return t.extend(now, c.actor, cal, period=period, reason=c.extension_reason, detail=c.reason, consent=c.consent,
                    officer=c.officer, contact=c.contact)


def _pause(t: Ticket, c: StaffAction, now: datetime, cal: WorkCalendar, desk: str) -> TicketEvent:
    if c.stop is None:  # a needed field: Staff checks it first
        raise InputRejected("pause needs --stop")
    return t.stop_clock(now, c.actor, cal, kind=c.stop, reason=c.reason)


def _days(c: StaffAction) -> int:
    if c.within is None:  # a needed field: Staff checks it first
        raise InputRejected(f"{c.action} needs --within")
    return c.within


SPECS: dict[str, ActionSpec] = {
    "assign": ActionSpec(lambda t, c, now, cal, desk: t.assign(now, c.actor, c.assignee), needs=("assignee",)),
    "start": ActionSpec(lambda t, c, now, cal, desk: t.start(now, c.actor)),
    "request-supplement": ActionSpec(
        lambda t, c, now, cal, desk: t.request_supplement(now, c.actor, c.reason, calendar=cal, within=c.within,
                                                          officer=c.officer, contact=c.contact),
        needs=("reason",), takes=("within", "officer", "contact")),
    "supplement": ActionSpec(lambda t, c, now, cal, desk: t.supplement(now, c.actor, cal, c.reason),
                             takes=("reason",)),
    "extend-supplement": ActionSpec(
        lambda t, c, now, cal, desk: t.extend_supplement(now, c.actor, cal, within=_days(c), reason=c.reason),
        needs=("within", "reason")),
    "re-request-supplement": ActionSpec(
        lambda t, c, now, cal, desk: t.re_request_supplement(now, c.actor, cal, within=_days(c), reason=c.reason),
        needs=("within", "reason")),
    "return": ActionSpec(lambda t, c, now, cal, desk: t.return_filing(now, c.actor, c.reason), needs=("reason",)),
    "pause": ActionSpec(_pause, needs=("stop", "reason")),
    "extend-investigation": ActionSpec(
        lambda t, c, now, cal, desk: t.extend_investigation(now, c.actor, cal, c.reason), needs=("reason",)),
    "resume": ActionSpec(lambda t, c, now, cal, desk: t.resume_clock(now, c.actor, cal, c.reason),
                         takes=("reason",)),
    "extend": ActionSpec(_extend, needs=("reason", "extension_reason"),
                         takes=("extension_amount", "consent", "officer", "contact")),
    "transfer": ActionSpec(
        lambda t, c, now, cal, desk: t.transfer(now, c.actor, c.department, c.reason, calendar=cal,
                                                from_desk=t.department == desk, far=c.far),
        needs=("department", "reason"), takes=("far",)),
    "transfer-out": ActionSpec(
        lambda t, c, now, cal, desk: t.transfer_out(now, c.actor, cal, agency=c.agency, reason=c.reason),
        needs=("agency", "reason")),
    "notify-third-party": ActionSpec(lambda t, c, now, cal, desk: t.notify_third_party(now, c.actor, c.reason),
                                     needs=("reason",)),
    "answer": ActionSpec(lambda t, c, now, cal, desk: t.answer_with(now, c.actor, c.answer, calendar=cal),
                         needs=("answer",)),
    "close": ActionSpec(lambda t, c, now, cal, desk: t.close(now, c.actor, c.reason), takes=("reason",)),
    "reopen": ActionSpec(lambda t, c, now, cal, desk: t.reopen(now, c.actor, c.reason), needs=("reason",)),
    "withdraw": ActionSpec(lambda t, c, now, cal, desk: t.withdraw(now, c.actor, c.reason), takes=("reason",)),
    "note": ActionSpec(lambda t, c, now, cal, desk: t.note(now, c.actor, c.reason), needs=("reason",)),
}
"""Every staff action: the one table behind ``tickets act``, its help text and its checks."""
ACTIONS = tuple(SPECS)
NOTICE_FIELDS = ("officer", "officer_department", "officer_contact", "legal_due_at", "until", "agency")
"""Event data a notice needs besides the reason (시행령 제21조③, 제24조, 제31조, 제13조③), copied into the
outbox payload."""


class Staff:
    def __init__(self, uow: UnitOfWorkFactory, calendar: WorkCalendar, clock: Clock,
                 departments: frozenset[str], *, desk: str = "", after: AfterAction | None = None) -> None:
        """``desk``: the department key of the 민원실, whose transfers must be made within 1 working hour
        (시행령 제13조①); transfers from elsewhere have 3. ``after``: see ``AfterAction``."""
        self.uow, self.calendar, self.clock, self.departments = uow, calendar, clock, departments
        self.desk, self.after = desk, after

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
            event = SPECS[cmd.action].run(ticket, cmd, now, self.calendar, self.desk)
            caused = await self.after(uow, ticket, event, now) if self.after is not None else []
            await uow.tickets.save(ticket)
            notice = {k: event.data[k] for k in NOTICE_FIELDS if k in event.data}
            await uow.outbox.put(f"ticket_{event.action.value}", {
                "number": number, "at": now.isoformat(), "status": ticket.status.value,
                "due_at": ticket.due_at.isoformat(), "reason": event.reason, "actor": cmd.actor, **notice,
            }, dedupe_key=f"{number}:{len(ticket.events)}")
            for kind, payload, key in caused:
                await uow.outbox.put(kind, payload, dedupe_key=key)
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
        choices = {"department": sorted(self.departments), "extension_reason": [r.value for r in ExtensionReason],
                   "stop": [s.value for s in Stop if s is not Stop.SUPPLEMENT]}
        return f"{OPTIONS[name]} ({', '.join(choices[name])})" if name in choices else OPTIONS[name]


async def _retrying(once: Callable[[], Awaitable[T]], attempts: int) -> T:
    for attempt in range(1, attempts + 1):
        try:
            return await once()
        except ConcurrentUpdate:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
