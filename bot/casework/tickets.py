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
class Ticket:
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

    def extend_supplement(self, at: datetime, actor: str, calendar: WorkCalendar, *, within: int,
                          reason: str) -> TicketEvent:
        """Give the customer a new supplement period at their request, which must say how long they need
        (시행령 제24조②: at most twice)."""
        self._check(Action.EXTEND_SUPPLEMENT)
        waiting = self._supplement_events()
        if self.supplement_until is None:
            raise ActionRefused(self.number, "extend-supplement", "no supplement period was given to extend")
        asked = sum(1 for e in waiting if e.action is Action.EXTEND_SUPPLEMENT)
        if asked >= limits.MAX_SUPPLEMENT_EXTENSIONS:
            raise ActionRefused(self.number, "extend-supplement",
                                "the customer has already asked twice for more time (시행령 제24조②)")
        if any(e.action is Action.RE_REQUEST_SUPPLEMENT for e in waiting):
            raise ActionRefused(self.number, "extend-supplement",
                                "the supplement has already been asked for again (시행령 제24조③)")
        data = self._customer_period(at, within, calendar) | {"count": asked + 1, "article": "시행령 제24조②"}
        return self._apply(Action.EXTEND_SUPPLEMENT, at, actor, reason=reason, data=data)

    def re_request_supplement(self, at: datetime, actor: str, calendar: WorkCalendar, *, within: int,
                              reason: str) -> TicketEvent:
        """Ask once more, within at most 10 days, for a supplement the customer did not make in time
        (시행령 제24조③)."""
        self._check(Action.RE_REQUEST_SUPPLEMENT)
        until = self.supplement_until
        if until is None or at <= until:
            raise ActionRefused(self.number, "re-request-supplement", self._period_not_over(until, "시행령 제24조③"))
        if any(e.action is Action.RE_REQUEST_SUPPLEMENT for e in self._supplement_events()):
            raise ActionRefused(self.number, "re-request-supplement",
                                "the supplement has already been asked for again (시행령 제24조③)")
        if within > limits.RE_REQUEST_MAX_DAYS:
            raise ActionRefused(self.number, "re-request-supplement",
                                f"a second request gives at most {limits.RE_REQUEST_MAX_DAYS} days (시행령 제24조③)")
        data = self._customer_period(at, within, calendar) | {"article": "시행령 제24조③"}
        return self._apply(Action.RE_REQUEST_SUPPLEMENT, at, actor, reason=reason, data=data)

    def return_filing(self, at: datetime, actor: str, reason: str) -> TicketEvent:
        """Return the filing, with the reasons, once the customer's supplement period ran out without the
        supplement (시행령 제25조①); the customer is told why."""
        self._check(Action.RETURN)
        until = self.supplement_until
        if until is None or at <= until:
            raise ActionRefused(self.number, "return", self._period_not_over(until, "시행령 제25조①"))
        self._close_stops(at, set(Stop))
        return self._apply(Action.RETURN, at, actor, reason=reason,
                           data={"until": until.isoformat(), "article": "시행령 제25조①"})

    def stop_clock(self, at: datetime, actor: str, calendar: WorkCalendar, *, kind: Stop,
                   reason: str) -> TicketEvent:
        """Stop the clock for a period the law does not count (``Stop``: 시행령 제20조, 제17조⑤, 제7조의2③),
        until ``resume_clock``. A 고충민원 site investigation counts for at most 14 days (시행령 제17조④)."""
        self._check(Action.PAUSE)
        if kind is Stop.SUPPLEMENT:
            raise ActionRefused(self.number, "pause", "a supplement stops the clock through request-supplement")
        if any(p.kind is kind for p in self.open_stops):
            raise ActionRefused(self.number, "pause", f"the clock is already stopped for {kind.label_ko}")
        cap = None
        if kind is Stop.SITE_INVESTIGATION:
            if any(p.kind is kind for p in self.pauses):
                raise ActionRefused(self.number, "pause",
                                    "a 고충민원 has one site investigation period (시행령 제17조④)")
            cap = limits.investigation_limit(at, calendar)
        self.pauses.append(Interval(at, None, kind, cap))
        data: dict[str, Any] = {"stop": kind.value, "article": kind.article}
        if cap is not None:
            data["limit"] = cap.isoformat()
        return self._apply(Action.PAUSE, at, actor, reason=reason, data=data)

    def extend_investigation(self, at: datetime, actor: str, calendar: WorkCalendar, reason: str) -> TicketEvent:
        """Extend a running site investigation once by 7 days for an unavoidable reason (시행령 제17조④)."""
        self._check(Action.EXTEND_INVESTIGATION)
        running = [i for i, p in enumerate(self.pauses) if p.end is None and p.kind is Stop.SITE_INVESTIGATION]
        if not running:
            raise ActionRefused(self.number, "extend-investigation", "no site investigation is running")
        if any(e.action is Action.EXTEND_INVESTIGATION for e in self.events):
            raise ActionRefused(self.number, "extend-investigation",
                                "a site investigation is extended only once (시행령 제17조④)")
        pause = self.pauses[running[0]]
        if pause.cap is not None and at > pause.cap:
            raise ActionRefused(self.number, "extend-investigation",
                                f"its 14 days ended at {pause.cap.isoformat()} (시행령 제17조④)")
        cap = limits.investigation_limit(pause.start, calendar, extended=True)
        self.pauses[running[0]] = Interval(pause.start, None, pause.kind, cap)
        return self._apply(Action.EXTEND_INVESTIGATION, at, actor, reason=reason,
                           data={"limit": cap.isoformat(), "article": "시행령 제17조④"})

    def resume_clock(self, at: datetime, actor: str, calendar: WorkCalendar, reason: str = "") -> TicketEvent:
        """Restart the clock stopped by ``stop_clock`` (a supplement resumes when it arrives); the due moves
        back by the stopped time."""
        self._check(Action.RESUME)
        kinds = [p.kind.value for p in self.open_stops if p.kind is not Stop.SUPPLEMENT]
        if not kinds:
            raise ActionRefused(self.number, "resume", "the clock is not stopped (but for a supplement)")
        self._close_stops(at, set(Stop) - {Stop.SUPPLEMENT})
        self._recompute_due(calendar, at)
        return self._apply(Action.RESUME, at, actor, reason=reason, data={
            "stops": kinds, "due_at": self.due_at.isoformat(), "legal_due_at": self.legal_end.isoformat()})

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

    def transfer(self, at: datetime, actor: str, department: str, reason: str, *,
                 calendar: WorkCalendar | None = None, from_desk: bool = False, far: bool = False) -> TicketEvent:
        """Send the ticket to ``department``. With a ``calendar`` the transfer is checked against its limit
        (시행령 제13조: 1 working hour from the 민원실, 3 when far or from a department it does not belong
        to), counted from when the current department got it."""
        self._check(Action.TRANSFER)
        data: dict[str, Any] = {"from": self.department, "to": department}
        if calendar is not None:
            scope = limits.TransferScope.DESK if from_desk else limits.TransferScope.INTERNAL
            data |= self._transfer_check(at, scope, calendar, far=far)
        self.department, self.assignee = department, ""
        return self._apply(Action.TRANSFER, at, actor, reason=reason, data=data)

    def transfer_out(self, at: datetime, actor: str, calendar: WorkCalendar, *, agency: str,
                     reason: str) -> TicketEvent:
        """Transfer the 민원 to the agency it belongs to, within 8 working hours, and tell the customer
        (시행령 제13조③); the ticket is closed here (the period runs from that agency's 접수)."""
        self._check(Action.TRANSFER_OUT)
        data = {"agency": agency, "from": self.department}
        data |= self._transfer_check(at, limits.TransferScope.AGENCY, calendar)
        self._close_stops(at, set(Stop))
        return self._apply(Action.TRANSFER_OUT, at, actor, reason=reason, data=data)

    def notify_third_party(self, at: datetime, actor: str, reason: str) -> TicketEvent:
        """Record that a third party the requested information concerns was told without delay
        (정보공개법 제11조③); ``reason`` says who and about what. The decision period does not stop."""
        self._check(Action.THIRD_PARTY_NOTICE)
        if self.policy.law is not Law.DISCLOSURE:
            raise ActionRefused(self.number, "notify-third-party", "only a 정보공개 request has third parties to tell")
        return self._apply(Action.THIRD_PARTY_NOTICE, at, actor, reason=reason,
                           data={"article": "정보공개법 제11조③"})

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

    @staticmethod
    def _period_not_over(until: datetime | None, article: str) -> str:
        if until is None:
            return f"no supplement period was given, so none has run out ({article})"
        return f"the customer's supplement period runs until {until.isoformat()} ({article})"

    def _transfer_check(self, at: datetime, scope: limits.TransferScope, calendar: WorkCalendar, *,
                        far: bool = False) -> dict[str, Any]:
        moves = [e.at for e in self.events if e.action is Action.TRANSFER]
        held_since = moves[-1] if moves else self.received_at
        limit = limits.transfer_limit(held_since, scope, calendar, far=far)
        return {"scope": scope.value, "limit": limit.isoformat(), "late": at > limit, "article": scope.article}

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
