"""A ticket's other legal clocks, as staff actions (mixed into ``Ticket``): stopping and restarting the
processing clock (시행령 제20조, 제17조④⑤), the customer's supplement period after its request (시행령
제24·25조), transfers and their limits (시행령 제13조), and the notice to a 정보공개 third party (정보공개법
제11조③)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from bot.casework import limits
from bot.casework.deadlines import Interval, Law, Period, Stop
from bot.casework.lifecycle import Action, Status, TicketEvent
from bot.casework.workcalendar import WorkCalendar
from bot.errors import ActionRefused


class _Ticket(Protocol):
    """What these actions use of a ``Ticket``."""

    number: str
    department: str
    assignee: str
    received_at: datetime
    due_at: datetime
    policy: Period
    pauses: list[Interval]
    events: list[TicketEvent]

    @property
    def open_stops(self) -> list[Interval]: ...

    @property
    def supplement_until(self) -> datetime | None: ...

    @property
    def legal_end(self) -> datetime: ...

    def _supplement_events(self) -> list[TicketEvent]: ...

    def _customer_period(self, at: datetime, days: int, calendar: WorkCalendar | None) -> dict[str, Any]: ...

    def _transfer_check(self, at: datetime, scope: limits.TransferScope, calendar: WorkCalendar, *,
                        far: bool = False) -> dict[str, Any]: ...

    def _close_stops(self, at: datetime, kinds: set[Stop]) -> None: ...

    def _check(self, action: Action) -> Status: ...

    def _apply(self, action: Action, at: datetime, actor: str, *, reason: str = "",
               data: dict[str, Any] | None = None) -> TicketEvent: ...

    def _recompute_due(self, calendar: WorkCalendar, now: datetime) -> None: ...


def _period_not_over(until: datetime | None, article: str) -> str:
    if until is None:
        return f"no supplement period was given, so none has run out ({article})"
    return f"the customer's supplement period runs until {until.isoformat()} ({article})"


class LegalClocks:
    """The staff actions of a ticket's other legal clocks."""

    def extend_supplement(self: _Ticket, at: datetime, actor: str, calendar: WorkCalendar, *, within: int,
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

    def re_request_supplement(self: _Ticket, at: datetime, actor: str, calendar: WorkCalendar, *, within: int,
                              reason: str) -> TicketEvent:
        """Ask once more, within at most 10 days, for a supplement the customer did not make in time
        (시행령 제24조③)."""
        self._check(Action.RE_REQUEST_SUPPLEMENT)
        until = self.supplement_until
        if until is None or at <= until:
            raise ActionRefused(self.number, "re-request-supplement", _period_not_over(until, "시행령 제24조③"))
        if any(e.action is Action.RE_REQUEST_SUPPLEMENT for e in self._supplement_events()):
            raise ActionRefused(self.number, "re-request-supplement",
                                "the supplement has already been asked for again (시행령 제24조③)")
        if within > limits.RE_REQUEST_MAX_DAYS:
            raise ActionRefused(self.number, "re-request-supplement",
                                f"a second request gives at most {limits.RE_REQUEST_MAX_DAYS} days (시행령 제24조③)")
        data = self._customer_period(at, within, calendar) | {"article": "시행령 제24조③"}
        return self._apply(Action.RE_REQUEST_SUPPLEMENT, at, actor, reason=reason, data=data)

    def return_filing(self: _Ticket, at: datetime, actor: str, reason: str) -> TicketEvent:
        """Return the filing, with the reasons, once the customer's supplement period ran out without the
        supplement (시행령 제25조①); the customer is told why."""
        self._check(Action.RETURN)
        until = self.supplement_until
        if until is None or at <= until:
            raise ActionRefused(self.number, "return", _period_not_over(until, "시행령 제25조①"))
        self._close_stops(at, set(Stop))
        return self._apply(Action.RETURN, at, actor, reason=reason,
                           data={"until": until.isoformat(), "article": "시행령 제25조①"})

    def stop_clock(self: _Ticket, at: datetime, actor: str, calendar: WorkCalendar, *, kind: Stop,
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

    def extend_investigation(self: _Ticket, at: datetime, actor: str, calendar: WorkCalendar,
                             reason: str) -> TicketEvent:
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

    def resume_clock(self: _Ticket, at: datetime, actor: str, calendar: WorkCalendar, reason: str = "") -> TicketEvent:
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

    def transfer(self: _Ticket, at: datetime, actor: str, department: str, reason: str, *,
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

    def transfer_out(self: _Ticket, at: datetime, actor: str, calendar: WorkCalendar, *, agency: str,
                     reason: str) -> TicketEvent:
        """Transfer the 민원 to the agency it belongs to, within 8 working hours, and tell the customer
        (시행령 제13조③); the ticket is closed here (the period runs from that agency's 접수)."""
        self._check(Action.TRANSFER_OUT)
        data = {"agency": agency, "from": self.department}
        data |= self._transfer_check(at, limits.TransferScope.AGENCY, calendar)
        self._close_stops(at, set(Stop))
        return self._apply(Action.TRANSFER_OUT, at, actor, reason=reason, data=data)

    def notify_third_party(self: _Ticket, at: datetime, actor: str, reason: str) -> TicketEvent:
        """Record that a third party the requested information concerns was told without delay
        (정보공개법 제11조③); ``reason`` says who and about what. The decision period does not stop."""
        self._check(Action.THIRD_PARTY_NOTICE)
        if self.policy.law is not Law.DISCLOSURE:
            raise ActionRefused(self.number, "notify-third-party", "only a 정보공개 request has third parties to tell")
        return self._apply(Action.THIRD_PARTY_NOTICE, at, actor, reason=reason,
                           data={"article": "정보공개법 제11조③"})


    def _transfer_check(self: _Ticket, at: datetime, scope: limits.TransferScope, calendar: WorkCalendar, *,
                        far: bool = False) -> dict[str, Any]:
        moves = [e.at for e in self.events if e.action is Action.TRANSFER]
        held_since = moves[-1] if moves else self.received_at
        limit = limits.transfer_limit(held_since, scope, calendar, far=far)
        return {"scope": scope.value, "limit": limit.isoformat(), "late": at > limit, "article": scope.article}
