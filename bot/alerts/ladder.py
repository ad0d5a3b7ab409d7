"""The deadline-warning ladder: which warning a ticket is due at an instant. Pure: ``decide(ticket, now, ...)``.

A ladder is a list of steps, configurable per department (``[slack] ladder``, ``[slack.ladders]``):

=============  ======================================================================================
``half``       half of the working time from receipt to the due instant has passed (``"75%"``: that share)
``1d``, ``4h`` at most that many working days / hours are left before the due instant
``due_day``    the due date has begun (its first working window)
``overdue``    the due instant has passed; this step is also escalated
=============  ======================================================================================

Time is counted in working time on the deadline calendar (``bot.casework.workcalendar``): with 09:00–18:00
windows, one working day before a Monday 18:00 deadline is the Friday before at 18:00. Each step is sent at
most once per ticket and due instant; a pass that finds several steps come at once (the sweep did not run for a
while) sends the latest of them and counts the others as passed. A step that falls before the receipt (``1d``
on a three-hour case) never comes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.alerts.workingtime import WorkingTime

DEFAULT_LADDER = ("half", "1d", "due_day", "overdue")
MAX_STEPS = 8  # steps per ladder (each ticket's are stored in one row: ``storage.models.LADDER_SLOTS``)
OVERDUE = "overdue"
_SHAPE = re.compile(r"^(?:(?P<share>\d{1,2})%|(?P<amount>\d{1,3})(?P<unit>[dh])|half|due_day|overdue)$")


class Kind(StrEnum):
    ELAPSED = "elapsed"  # a share of the time has passed
    LEFT = "left"  # at most this much working time is left
    DUE_DAY = "due_day"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Step:
    name: str
    kind: Kind
    share: float = 0.0  # ELAPSED: the share of the time that has passed
    days: float = 0.0  # LEFT: working days (a day is the calendar's working hours)
    hours: float = 0.0  # LEFT: working hours

    @classmethod
    def parse(cls, name: str) -> Step:
        m = _SHAPE.match(name)
        if m is None:
            raise ValueError(f"{name!r} is not a ladder step: use \"half\", \"NN%\", \"Nd\", \"Nh\", \"due_day\" "
                             "or \"overdue\"")
        if name == "half":
            return cls(name, Kind.ELAPSED, share=0.5)
        if m["share"]:
            share = int(m["share"]) / 100
            if not 0 < share < 1:
                raise ValueError(f"{name!r}: the share must be between 1% and 99%")
            return cls(name, Kind.ELAPSED, share=share)
        if m["amount"]:
            amount = int(m["amount"])
            if amount < 1:
                raise ValueError(f"{name!r}: at least 1")
            return cls(name, Kind.LEFT, days=amount) if m["unit"] == "d" else cls(name, Kind.LEFT, hours=amount)
        return cls(name, Kind(name))

    def lead(self, day: float) -> float:
        """LEFT: the working seconds left when the step comes (``day`` = seconds in a working day)."""
        return self.days * day + self.hours * 3600.0

    @property
    def escalates(self) -> bool:
        return self.kind is Kind.OVERDUE


@dataclass(frozen=True)
class Ladder:
    steps: tuple[Step, ...]

    @functools.cached_property
    def order(self) -> dict[str, int]:
        """Each step's place in the ladder."""
        return {step.name: i for i, step in enumerate(self.steps)}

    @classmethod
    def parse(cls, names: Sequence[str]) -> Ladder:
        steps = tuple(Step.parse(n) for n in names)
        seen = [s.name for s in steps]
        if len(set(seen)) != len(seen):
            raise ValueError(f"a step appears twice in {list(names)}")
        if len(steps) > MAX_STEPS:
            raise ValueError(f"at most {MAX_STEPS} steps in a ladder, not {len(steps)}")
        return cls(steps)


@dataclass(frozen=True)
class Ladders:
    """The ladder of each department (``default`` for those without their own)."""

    default: Ladder
    departments: Mapping[str, Ladder] = field(default_factory=dict)

    @classmethod
    def parse(cls, default: Sequence[str], departments: Mapping[str, Sequence[str]]) -> Ladders:
        return cls(Ladder.parse(default), {k: Ladder.parse(v) for k, v in departments.items()})

    def of(self, department: str) -> Ladder:
        return self.departments.get(department, self.default)


@dataclass(frozen=True)
class LadderTicket:
    """What the ladder reads of an open ticket. ``passed``: the steps already sent (or passed over) for this
    due instant."""

    number: str
    department: str
    received_at: datetime
    due_at: datetime
    passed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Decision:
    """``send``: the step to send now (or None); ``passed``: every step whose time has come, ``send`` included;
    ``next_at``: when the next step will come (None when none is left)."""

    send: Step | None
    passed: frozenset[str]
    next_at: datetime | None
    left: timedelta  # working time left at ``now`` (negative when overdue)


def instants(ticket: LadderTicket, ladder: Ladder, time: WorkingTime) -> list[tuple[Step, float]]:
    """When each step comes for ``ticket`` (epoch seconds), earliest first; steps before the receipt are left
    out."""
    received = ticket.received_at.timestamp()
    w_due, anchored = _anchored(ladder, ticket.due_at.timestamp(), time)
    found = [(step, at) for step, at in anchored if at > received or step.kind is Kind.OVERDUE]
    shares = [step for step in ladder.steps if step.kind is Kind.ELAPSED]
    if shares:
        w_received = time.seconds(received)
        for step in shares:
            at = time.instant(w_received + step.share * (w_due - w_received))
            if at > received:
                found.append((step, at))
    found.sort(key=lambda pair: pair[1])
    return found


def decide(ticket: LadderTicket, now: datetime, ladder: Ladder, time: WorkingTime) -> Decision:
    """The warning to send for ``ticket`` at ``now``: the latest step that has come and was not sent yet."""
    epoch = now.timestamp()
    steps = instants(ticket, ladder, time)
    came = [step for step, at in steps if at <= epoch]
    fresh = [step for step in came if step.name not in ticket.passed]
    upcoming = [at for step, at in steps if at > epoch and step.name not in ticket.passed]
    passed = ticket.passed | {step.name for step in came}
    w_due, _ = _anchored(ladder, ticket.due_at.timestamp(), time)
    left = timedelta(seconds=w_due - time.seconds(epoch))
    next_at = datetime.fromtimestamp(min(upcoming), ticket.due_at.tzinfo) if upcoming else None
    return Decision(fresh[-1] if fresh else None, frozenset(passed), next_at, left)


def _anchored(ladder: Ladder, due: float, time: WorkingTime) -> tuple[float, list[tuple[Step, float]]]:
    """The count at ``due`` and the instants of the steps counted back from it (remembered: many tickets share a
    due instant)."""
    key = (id(ladder), due)
    found: tuple[float, list[tuple[Step, float]]] | None = time.memo.get(key)
    if found is None:
        w_due = time.seconds(due)
        steps = []
        for step in ladder.steps:
            if step.kind is Kind.OVERDUE:
                steps.append((step, due + 0.000001))  # strictly after the due instant
            elif step.kind is Kind.DUE_DAY:
                steps.append((step, time.opening(due)))
            elif step.kind is Kind.LEFT:
                steps.append((step, time.instant(w_due - step.lead(time.day))))
        found = time.remember(key, (w_due, steps))
    return found

