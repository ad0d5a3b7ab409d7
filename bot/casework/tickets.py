"""VOC tickets and their lifecycle.

The lifecycle is a table (``TRANSITIONS``): which statuses an action may start from and where it
leads. Every change goes through ``Ticket._apply`` so every change writes one ``TicketEvent`` (the
audit trail) and an illegal change raises ``IllegalTransition``. The domain does no I/O; the
deadline is recomputed from the pure functions in ``bot.casework.deadlines``, and the other legal
clocks (intake, transfers, the customer's supplement period) come from ``bot.casework.limits``.

Two instants per deadline: ``due_at`` is the practical target that alerts use (18:00 of the last day
for a day-counted period), ``legal_end`` the instant compliance is judged by (24:00 of that day,
행정기본법 제6조① → 민법 제159조).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.casework import limits
from bot.casework.clocks import LegalClocks
from bot.casework.deadlines import Interval, Law, Period, Stop, schedule
from bot.casework.lifecycle import (
    CLOCK_STOPPED,
    MAX_DISCLOSURE_EXTENSIONS,
    MAX_EXTENSIONS,
    OPEN,
    TRANSITIONS,
    Action,
    Extension,
    ExtensionReason,
    Status,
    TicketEvent,
)
from bot.casework.workcalendar import WorkCalendar
from bot.conversation.classification import VocType
from bot.errors import ActionRefused, ExtensionRefused, IllegalTransition
from bot.pii import mask

__all__ = [
    "CLOCK_STOPPED", "MAX_DISCLOSURE_EXTENSIONS", "MAX_EXTENSIONS", "OPEN", "TRANSITIONS", "Action", "Extension",
    "ExtensionReason", "Status", "Ticket", "TicketEvent",
]

UNMASKED_DATA = frozenset({"officer_contact"})
"""Event data kept as typed: the handling officer's work contact, which the customer must be given
(시행령 제31조), is not personal data to redact."""


@dataclass
class Ticket(LegalClocks):
    """One VOC case. ``number`` is given by storage when the ticket is first saved. ``received_at`` is the
    접수 instant the legal clock runs from; ``arrived_at`` when the filing reached the institution (None:
    at 접수)."""

    customer_id: int
    channel: str
    voc_type: VocType
    intent: str
    department: str
    text: str
    received_at: datetime
    policy: Period
    due_at: datetime
    due_date_only: bool
    number: str = ""
    status: Status = Status.RECEIVED
    assignee: str = ""
    contact_phone: str = ""
    confidence: float = 0.0
    answer: str = ""
    pauses: list[Interval] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    events: list[TicketEvent] = field(default_factory=list)
    new_events: list[TicketEvent] = field(default_factory=list)
    id: int | None = None
    version: int = 0  # bumped by every save; a stale save raises ConcurrentUpdate
    arrived_at: datetime | None = None
    legal_due_at: datetime | None = None

    @classmethod
    def open(
        cls, *, customer_id: int, channel: str, voc_type: VocType, intent: str, department: str,
        text: str, received_at: datetime, policy: Period, calendar: WorkCalendar, actor: str,
        contact_phone: str = "", confidence: float = 0.0, arrived_at: datetime | None = None,
    ) -> Ticket:
        """A new ticket registered (접수) at ``received_at``. A filing that reached the 전자민원창구 earlier,
        at ``arrived_at``, is checked against the 8-working-hour intake limit (시행령 제6조⑧)."""
        plan = schedule(received_at, policy, calendar)
        ticket = cls(
            customer_id=customer_id, channel=channel, voc_type=voc_type, intent=intent,
            department=department, text=mask(text), received_at=received_at, policy=policy,
            due_at=plan.due.due_at, due_date_only=plan.due.date_only, legal_due_at=plan.legal_end,
            contact_phone=contact_phone, confidence=confidence, arrived_at=arrived_at,
        )
        data: dict[str, Any] = {
            "intent": intent, "department": department, "due_at": plan.due.due_at.isoformat(),
            "policy": str(policy), "legal_due_at": plan.legal_end.isoformat(),
        }
        if arrived_at is not None:
            limit = limits.registration_limit(arrived_at, calendar)
            data |= {"arrived_at": arrived_at.isoformat(), "limit": limit.isoformat(),
                     "late": received_at > limit, "article": "시행령 제6조⑧"}
        ticket._record(Action.RECEIVE, received_at, actor, None, reason="", data=data)
        return ticket

    # ----- what the clock says --------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def legal_end(self) -> datetime:
        """When the period legally ends, which compliance is judged by (``due_at`` for a ticket stored
        before the legal end was kept: never later than the true end)."""
        return self.legal_due_at or self.due_at

    @property
    def open_stops(self) -> list[Interval]:
        return [p for p in self.pauses if p.end is None]

    @property
    def paused_since(self) -> datetime | None:
        """Since when the clock has been stopped (None while it runs)."""
        return min((p.start for p in self.open_stops), default=None)

    def is_late(self, now: datetime) -> bool:
        """Open and past the legal end of its period. A clock stopped before that end keeps the period
        running: the end moves back by the stop once the clock resumes."""
        return self.is_open and self._past_legal_end(now)

    def _past_legal_end(self, at: datetime) -> bool:
        if at <= self.legal_end:
            return False
        since = self.paused_since
        return since is None or since >= self.legal_end

    @property
    def supplement_request(self) -> str:
        """What staff asked the customer to supply, while the ticket waits for it."""
        asked = self._supplement_events()
        return asked[0].reason if asked else ""

    @property
    def supplement_until(self) -> datetime | None:
        """End of the customer's supplement period (시행령 제24조), while the ticket waits for the supplement
        and a period was given."""
        untils = [e.data["until"] for e in self._supplement_events() if "until" in e.data]
        return datetime.fromisoformat(untils[-1]) if untils else None

    def _supplement_events(self) -> list[TicketEvent]:
        """The request the ticket waits on and what followed it (longer periods, a second request)."""
        if self.status is not Status.SUPPLEMENT_REQUESTED:
            return []
        starts = [i for i, e in enumerate(self.events) if e.action is Action.REQUEST_SUPPLEMENT]
        return self.events[starts[-1]:] if starts else []

    # ----- staff and customer actions ------------------------------------------------------------------

    def assign(self, at: datetime, actor: str, assignee: str) -> TicketEvent:
        """Give the ticket to ``assignee``; work already in progress changes hands and stays in progress."""
        self._check(Action.ASSIGN)
        previous, self.assignee = self.assignee, assignee
        data = {"assignee": assignee, "previous": previous}
        if self.status is Status.IN_PROGRESS:
            return self._record(Action.ASSIGN, at, actor, self.status, reason="", data=data)
        return self._apply(Action.ASSIGN, at, actor, data=data)

    def start(self, at: datetime, actor: str) -> TicketEvent:
        return self._apply(Action.START, at, actor)

    def request_supplement(self, at: datetime, actor: str, reason: str, *, calendar: WorkCalendar | None = None,
                           within: int | None = None, officer: str = "", contact: str = "") -> TicketEvent:
        """Stop the clock until the customer supplies what was asked (시행령 제20조, 행정절차법 시행령 제11조
        제1호: the request day and the arrival day are both left out). ``within``: the days the customer is
        given (법 제22조①, counted under 민법: 시행령 제24조④). The notice names the officer (시행령 제31조)."""
        self._check(Action.REQUEST_SUPPLEMENT)
        data = self._officer(officer, contact)
        if within is not None:
            data |= self._customer_period(at, within, calendar)
        self.pauses.append(Interval(at, None, Stop.SUPPLEMENT))
        return self._apply(Action.REQUEST_SUPPLEMENT, at, actor, reason=reason, data=data)

    def supplement(self, at: datetime, actor: str, calendar: WorkCalendar, text: str = "") -> TicketEvent:
        self._check(Action.SUPPLEMENT)
        until = self.supplement_until
        self._close_stops(at, {Stop.SUPPLEMENT})
        self._recompute_due(calendar, at)
        data: dict[str, Any] = {"due_at": self.due_at.isoformat(), "text": text,
                                "legal_due_at": self.legal_end.isoformat()}
        if until is not None and at > until:
            data["after_period"] = True
        return self._apply(Action.SUPPLEMENT, at, actor, data=data)

    def extend(
        self, at: datetime, actor: str, calendar: WorkCalendar, *, period: Period,
        reason: ExtensionReason, detail: str, consent: bool = False, officer: str = "", contact: str = "",
    ) -> TicketEvent:
        """Extend the deadline, only while the period runs (민원처리법 시행령 제21조①): at most twice, each no
        longer than the original period, the second only with the customer's consent, always with a
        reason. A 정보공개 decision period is extended once, by at most 10 days (정보공개법 제11조②). The
        notice gives the reason, the new completion date and the handling officer (제21조③, 제31조)."""
        self._check(Action.EXTEND)
        disclosure = self.policy.law is Law.DISCLOSURE
        allowed = MAX_DISCLOSURE_EXTENSIONS if disclosure else MAX_EXTENSIONS
        if len(self.extensions) >= allowed:
            raise ExtensionRefused(self.number, "정보공개법 제11조② allows one extension" if disclosure
                                   else "already extended twice (시행령 제21조)")
        if period.unit != self.policy.unit or period.amount > self.policy.amount:
            raise ExtensionRefused(self.number, f"an extension may not exceed the original period {self.policy}")
        if self.extensions and not consent:
            raise ExtensionRefused(self.number, "a second extension needs the customer's consent")
        if not detail.strip():
            raise ExtensionRefused(self.number, "the reason must be stated for the customer's notice")
        running = schedule(self.received_at, self.policy, calendar, paused=self.pauses,
                           extensions=[e.period for e in self.extensions], now=at)
        if at > running.legal_end:
            article = "정보공개법 제11조②" if disclosure else "시행령 제21조①"
            raise ExtensionRefused(self.number, f"the period already ended at {running.legal_end.isoformat()}; "
                                                f"a period is extended only while it runs ({article})")
        self.extensions.append(Extension(Period(period.amount, period.unit, period.regime), reason,
                                         detail.strip(), consent, at))
        self._recompute_due(calendar, at)
        return self._apply(Action.EXTEND, at, actor, reason=detail.strip(), data={
            "period": str(period), "reason_code": reason.value, "consent": consent,
            "due_at": self.due_at.isoformat(), "legal_due_at": self.legal_end.isoformat(),
            "count": len(self.extensions), **self._officer(officer, contact),
        })

    def answer_with(self, at: datetime, actor: str, answer: str, *,
                    calendar: WorkCalendar | None = None) -> TicketEvent:
        """Answer the customer. On time means by the legal end of the period (24:00 of the last day of a
        day-counted period); a clock still stopped restarts now (with a ``calendar``, the due is moved)."""
        self._check(Action.ANSWER)
        self.answer = mask(answer)
        if self.open_stops and calendar is not None:
            self._close_stops(at, set(Stop))
            self._recompute_due(calendar, at)
        return self._apply(Action.ANSWER, at, actor, data={"on_time": not self._past_legal_end(at)})

    def close(self, at: datetime, actor: str, reason: str = "") -> TicketEvent:
        return self._apply(Action.CLOSE, at, actor, reason=reason)

    def reopen(self, at: datetime, actor: str, reason: str) -> TicketEvent:
        return self._apply(Action.REOPEN, at, actor, reason=reason)

    def withdraw(self, at: datetime, actor: str, reason: str = "") -> TicketEvent:
        self._check(Action.WITHDRAW)
        self._close_stops(at, set(Stop))
        return self._apply(Action.WITHDRAW, at, actor, reason=reason)

    def add_customer_message(self, at: datetime, actor: str, text: str) -> TicketEvent:
        return self._apply(Action.CUSTOMER_MESSAGE, at, actor, data={"text": text})

    def note(self, at: datetime, actor: str, text: str) -> TicketEvent:
        return self._apply(Action.NOTE, at, actor, reason=text)

    def record_standard(self, action: Action, at: datetime, actor: str, reason: str,
                        data: dict[str, Any]) -> TicketEvent:
        """Log a step of the service standard (a remedy case, the satisfaction survey) on the ticket; the
        status does not change."""
        if action not in (Action.REMEDY, Action.SURVEY):
            raise ValueError(f"{action.value} is not a service-standard event")
        return self._apply(action, at, actor, reason=reason, data=data)

    def reveal_contact(self, at: datetime, actor: str) -> TicketEvent:
        """Record that ``actor`` was shown the customer's full contact number (the access record that
        개인정보의 안전성 확보조치 기준 asks for); the status does not change."""
        return self._apply(Action.REVEAL_CONTACT, at, actor)

    # ----- helpers ------------------------------------------------------------------------------------------

    def _officer(self, officer: str, contact: str) -> dict[str, Any]:
        """Who handles the ticket, for a notice that must name them (시행령 제31조: 소속·성명·연락처); an
        empty contact leaves the institution's number to the notice."""
        data = {"officer": officer.strip() or self.assignee, "officer_department": self.department}
        if contact.strip():
            data["officer_contact"] = contact.strip()
        return data

    def _customer_period(self, at: datetime, days: int, calendar: WorkCalendar | None) -> dict[str, Any]:
        if calendar is None:
            raise ValueError("a supplement period needs the working calendar")
        if days < 1:
            raise ActionRefused(self.number, "request-supplement", "a supplement period is at least 1 day")
        until = limits.customer_period_end(at, days, calendar)
        return {"within": days, "until": until.isoformat()}

    def _close_stops(self, at: datetime, kinds: set[Stop]) -> None:
        self.pauses = [Interval(p.start, max(at, p.start), p.kind, p.cap) if p.end is None and p.kind in kinds
                       else p for p in self.pauses]

    def _check(self, action: Action) -> Status:
        allowed, target = TRANSITIONS[action]
        if self.status not in allowed:
            raise IllegalTransition(self.number, self.status.value, action.value)
        return target or self.status

    def _apply(self, action: Action, at: datetime, actor: str, *, reason: str = "",
               data: dict[str, Any] | None = None) -> TicketEvent:
        target = self._check(action)
        previous, self.status = self.status, target
        return self._record(action, at, actor, previous, reason=reason, data=data or {})

    def _record(self, action: Action, at: datetime, actor: str, previous: Status | None, *,
                reason: str, data: dict[str, Any]) -> TicketEvent:
        # Personal numbers never reach the audit trail, whoever typed them (customer or staff).
        data = {k: mask(v) if isinstance(v, str) and k not in UNMASKED_DATA else v for k, v in data.items()}
        event = TicketEvent(at, actor, action, previous, self.status, mask(reason), data)
        self.events.append(event)
        self.new_events.append(event)
        return event

    def _recompute_due(self, calendar: WorkCalendar, now: datetime) -> None:
        plan = schedule(
            self.received_at, self.policy, calendar, paused=self.pauses,
            extensions=[e.period for e in self.extensions], now=now,
        )
        self.due_at, self.due_date_only, self.legal_due_at = plan.due.due_at, plan.due.date_only, plan.legal_end
