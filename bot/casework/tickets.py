"""VOC tickets and their lifecycle.

The lifecycle is a table (``TRANSITIONS``): which statuses an action may start from and where it
leads. Every change goes through ``Ticket._apply`` so every change writes one ``TicketEvent`` (the
audit trail) and an illegal change raises ``IllegalTransition``. The domain does no I/O; the
deadline is recomputed from the pure functions in ``bot.casework.deadlines``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.casework.deadlines import Interval, Period, compute_due
from bot.casework.workcalendar import WorkCalendar
from bot.conversation.classification import VocType
from bot.errors import ExtensionRefused, IllegalTransition
from bot.pii import mask


class Status(StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    ANSWERED = "answered"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"

    @property
    def label_ko(self) -> str:
        return _STATUS_KO[self]


_STATUS_KO = {
    Status.RECEIVED: "접수",
    Status.ASSIGNED: "담당자 배정",
    Status.IN_PROGRESS: "처리 중",
    Status.SUPPLEMENT_REQUESTED: "보완 요청",
    Status.ANSWERED: "답변 완료",
    Status.CLOSED: "종결",
    Status.WITHDRAWN: "취하",
}

OPEN = frozenset({
    Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS, Status.SUPPLEMENT_REQUESTED,
})
CLOCK_STOPPED = frozenset({Status.ANSWERED, Status.CLOSED, Status.WITHDRAWN})


class Action(StrEnum):
    RECEIVE = "receive"
    ASSIGN = "assign"
    START = "start"
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLEMENT = "supplement"
    EXTEND = "extend"
    TRANSFER = "transfer"
    ANSWER = "answer"
    CLOSE = "close"
    REOPEN = "reopen"
    WITHDRAW = "withdraw"
    CUSTOMER_MESSAGE = "customer_message"
    NOTE = "note"
    REVEAL_CONTACT = "reveal_contact"


# action -> (statuses it may start from, status it leads to; None keeps the status)
TRANSITIONS: dict[Action, tuple[frozenset[Status], Status | None]] = {
    Action.ASSIGN: (frozenset({Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS}), Status.ASSIGNED),
    Action.START: (frozenset({Status.RECEIVED, Status.ASSIGNED}), Status.IN_PROGRESS),
    Action.REQUEST_SUPPLEMENT: (
        frozenset({Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS}), Status.SUPPLEMENT_REQUESTED,
    ),
    Action.SUPPLEMENT: (frozenset({Status.SUPPLEMENT_REQUESTED}), Status.IN_PROGRESS),
    Action.EXTEND: (OPEN, None),
    Action.TRANSFER: (frozenset({Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS}), Status.RECEIVED),
    Action.ANSWER: (frozenset({Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS}), Status.ANSWERED),
    Action.CLOSE: (frozenset({Status.ANSWERED}), Status.CLOSED),
    Action.REOPEN: (frozenset({Status.ANSWERED, Status.CLOSED}), Status.IN_PROGRESS),
    Action.WITHDRAW: (OPEN, Status.WITHDRAWN),
    Action.CUSTOMER_MESSAGE: (OPEN | {Status.ANSWERED}, None),
    Action.NOTE: (frozenset(Status), None),
    Action.REVEAL_CONTACT: (frozenset(Status), None),
}

MAX_EXTENSIONS = 2


class ExtensionReason(StrEnum):
    """The reasons 민원처리법 시행령 제21조① (as amended 2026-05-06) allows. Workload, a late
    assignment or the handler's absence are forbidden reasons (제21조②) and have no code here."""

    COOPERATION = "cooperation"  # 다른 기관·부서의 협조가 필요한 경우
    FACT_CHECK = "fact_check"  # 사실 확인·현장 조사가 필요한 경우
    FORCE_MAJEURE = "force_majeure"  # 천재지변 등 불가항력
    COMPARABLE = "comparable"  # 그 밖에 이에 준하는 사유


@dataclass(frozen=True)
class Extension:
    period: Period
    reason: ExtensionReason
    detail: str
    consent: bool
    at: datetime


@dataclass(frozen=True)
class TicketEvent:
    at: datetime
    actor: str
    action: Action
    from_status: Status | None
    to_status: Status
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ticket:
    """One VOC case. ``number`` is given by storage when the ticket is first saved."""

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

    @classmethod
    def open(
        cls, *, customer_id: int, channel: str, voc_type: VocType, intent: str, department: str,
        text: str, received_at: datetime, policy: Period, calendar: WorkCalendar, actor: str,
        contact_phone: str = "", confidence: float = 0.0,
    ) -> Ticket:
        deadline = compute_due(received_at, policy, calendar)
        ticket = cls(
            customer_id=customer_id, channel=channel, voc_type=voc_type, intent=intent,
            department=department, text=mask(text), received_at=received_at, policy=policy,
            due_at=deadline.due_at, due_date_only=deadline.date_only,
            contact_phone=contact_phone, confidence=confidence,
        )
        ticket._record(Action.RECEIVE, received_at, actor, None, reason="", data={
            "intent": intent, "department": department, "due_at": deadline.due_at.isoformat(),
            "policy": str(policy),
        })
        return ticket

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def paused_since(self) -> datetime | None:
        return self.pauses[-1].start if self.pauses and self.pauses[-1].end is None else None

    @property
    def supplement_request(self) -> str:
        """What staff asked the customer to supply, while the ticket waits for it."""
        if self.status is not Status.SUPPLEMENT_REQUESTED:
            return ""
        asked = [e for e in self.events if e.action is Action.REQUEST_SUPPLEMENT]
        return asked[-1].reason if asked else ""

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

    def request_supplement(self, at: datetime, actor: str, reason: str) -> TicketEvent:
        """Stop the clock until the customer supplies what was asked (시행령 제20조, 행정절차법 시행령 제11조)."""
        self._check(Action.REQUEST_SUPPLEMENT)
        self.pauses.append(Interval(at, None))
        return self._apply(Action.REQUEST_SUPPLEMENT, at, actor, reason=reason)

    def supplement(self, at: datetime, actor: str, calendar: WorkCalendar, text: str = "") -> TicketEvent:
        self._check(Action.SUPPLEMENT)
        self.pauses[-1] = Interval(self.pauses[-1].start, at)
        self._recompute_due(calendar, at)
        return self._apply(Action.SUPPLEMENT, at, actor, data={"due_at": self.due_at.isoformat(), "text": text})

    def extend(
        self, at: datetime, actor: str, calendar: WorkCalendar, *, period: Period,
        reason: ExtensionReason, detail: str, consent: bool = False,
    ) -> TicketEvent:
        """Extend the deadline (민원처리법 시행령 제21조): at most twice, each no longer than the original
        period, the second only with the customer's consent, always with a reason."""
        self._check(Action.EXTEND)
        if len(self.extensions) >= MAX_EXTENSIONS:
            raise ExtensionRefused(self.number, "already extended twice (시행령 제21조)")
        if period.unit != self.policy.unit or period.amount > self.policy.amount:
            raise ExtensionRefused(self.number, f"an extension may not exceed the original period {self.policy}")
        if self.extensions and not consent:
            raise ExtensionRefused(self.number, "a second extension needs the customer's consent")
        if not detail.strip():
            raise ExtensionRefused(self.number, "the reason must be stated for the customer's notice")
        self.extensions.append(Extension(period, reason, detail.strip(), consent, at))
        self._recompute_due(calendar, at)
        return self._apply(Action.EXTEND, at, actor, reason=detail.strip(), data={
            "period": str(period), "reason_code": reason.value, "consent": consent,
            "due_at": self.due_at.isoformat(), "count": len(self.extensions),
        })

    def transfer(self, at: datetime, actor: str, department: str, reason: str) -> TicketEvent:
        self._check(Action.TRANSFER)
        previous, self.department, self.assignee = self.department, department, ""
        return self._apply(Action.TRANSFER, at, actor, reason=reason,
                           data={"from": previous, "to": department})

    def answer_with(self, at: datetime, actor: str, answer: str) -> TicketEvent:
        self._check(Action.ANSWER)
        self.answer = mask(answer)
        return self._apply(Action.ANSWER, at, actor, data={"on_time": at <= self.due_at})

    def close(self, at: datetime, actor: str, reason: str = "") -> TicketEvent:
        return self._apply(Action.CLOSE, at, actor, reason=reason)

    def reopen(self, at: datetime, actor: str, reason: str) -> TicketEvent:
        return self._apply(Action.REOPEN, at, actor, reason=reason)

    def withdraw(self, at: datetime, actor: str, reason: str = "") -> TicketEvent:
        self._check(Action.WITHDRAW)
        if self.paused_since is not None:
            self.pauses[-1] = Interval(self.pauses[-1].start, at)
        return self._apply(Action.WITHDRAW, at, actor, reason=reason)

    def add_customer_message(self, at: datetime, actor: str, text: str) -> TicketEvent:
        return self._apply(Action.CUSTOMER_MESSAGE, at, actor, data={"text": text})

    def note(self, at: datetime, actor: str, text: str) -> TicketEvent:
        return self._apply(Action.NOTE, at, actor, reason=text)

    def reveal_contact(self, at: datetime, actor: str) -> TicketEvent:
        """Record that ``actor`` was shown the customer's full contact number (the access record that
        개인정보의 안전성 확보조치 기준 asks for); the status does not change."""
        return self._apply(Action.REVEAL_CONTACT, at, actor)

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
        data = {k: mask(v) if isinstance(v, str) else v for k, v in data.items()}
        event = TicketEvent(at, actor, action, previous, self.status, mask(reason), data)
        self.events.append(event)
        self.new_events.append(event)
        return event

    def _recompute_due(self, calendar: WorkCalendar, now: datetime) -> None:
        deadline = compute_due(
            self.received_at, self.policy, calendar, paused=self.pauses,
            extensions=[e.period for e in self.extensions], now=now,
        )
        self.due_at, self.due_date_only = deadline.due_at, deadline.date_only
