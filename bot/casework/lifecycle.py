"""The ticket lifecycle as data: statuses, actions, which statuses each action may start from and where it
leads (``TRANSITIONS``), and the records a ticket keeps (events, extensions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.casework.deadlines import Period


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
    PAUSE = "pause"
    RESUME = "resume"
    EXTEND_INVESTIGATION = "extend_investigation"
    EXTEND_SUPPLEMENT = "extend_supplement"
    RE_REQUEST_SUPPLEMENT = "re_request_supplement"
    RETURN = "return"
    TRANSFER_OUT = "transfer_out"
    THIRD_PARTY_NOTICE = "third_party_notice"
    REMEDY = "remedy"  # a step of a remedy case (bot.standard.remedies)
    SURVEY = "survey"  # the satisfaction survey: invited, rated (bot.standard.survey)


_WORKING = frozenset({Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS})
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
    Action.PAUSE: (OPEN, None),
    Action.RESUME: (OPEN, None),
    Action.EXTEND_INVESTIGATION: (OPEN, None),
    Action.EXTEND_SUPPLEMENT: (frozenset({Status.SUPPLEMENT_REQUESTED}), None),
    Action.RE_REQUEST_SUPPLEMENT: (frozenset({Status.SUPPLEMENT_REQUESTED}), None),
    Action.RETURN: (frozenset({Status.SUPPLEMENT_REQUESTED}), Status.CLOSED),
    Action.TRANSFER_OUT: (_WORKING, Status.CLOSED),
    Action.THIRD_PARTY_NOTICE: (OPEN, None),
    Action.REMEDY: (frozenset(Status), None),
    Action.SURVEY: (frozenset(Status) - {Status.WITHDRAWN}, None),
}

MAX_EXTENSIONS = 2
"""시행령 제21조①: one extension, and one more with the customer's consent."""
MAX_DISCLOSURE_EXTENSIONS = 1
"""정보공개법 제11조②: one extension of at most 10 days."""


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
