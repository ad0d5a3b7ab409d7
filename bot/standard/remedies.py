"""A remedy case for wrong service (KODIT 고객응대 서비스 이행표준, 잘못된 서비스 시정조치), as a state machine.

Pure: every change is a method taking the instant, checked against ``ACTIONS`` (which kinds and statuses an
action may start from), and returns the ``RemedyChange`` the caller logs on the ticket and queues for Slack and,
for an outcome, for the customer. The investigation's due instant comes from the deadline engine.

- 친절서비스 보증 (kindness): facts checked within 7 days, CS training for the staff member, the branch head's
  apology, 10,000 won.
- 서비스 정확성 보증 (accuracy): a repeat visit by staff error or a missed appointment: a written apology and
  10,000 won; three or more visits 20,000 won.
- 피해보상 (damage): referral to the 민원조정위원회 with the case file; its decision recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.casework.deadlines import schedule
from bot.casework.workcalendar import WorkCalendar
from bot.errors import RemedyRefused
from bot.pii import mask
from bot.standard.rules import RemedyKind, Terms


class RemedyStatus(StrEnum):
    INVESTIGATING = "investigating"
    REFERRED = "referred"  # with the 민원조정위원회
    APPROVED = "approved"  # facts confirmed (or the committee upheld the claim): compensation approved
    REJECTED = "rejected"  # not confirmed, or dismissed
    PAID = "paid"
    CLOSED = "closed"

    @property
    def label_ko(self) -> str:
        return _STATUS_KO[self]


_STATUS_KO = {
    RemedyStatus.INVESTIGATING: "사실조사 중", RemedyStatus.REFERRED: "민원조정위원회 심의 중",
    RemedyStatus.APPROVED: "보상 승인", RemedyStatus.REJECTED: "미해당·기각", RemedyStatus.PAID: "보상 지급",
    RemedyStatus.CLOSED: "종결",
}
OPEN_REMEDY = frozenset({RemedyStatus.INVESTIGATING, RemedyStatus.REFERRED, RemedyStatus.APPROVED})


class Approval(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Payout(StrEnum):
    NONE = "none"  # nothing to pay (yet, or at all)
    PENDING = "pending"  # approved, not paid
    PAID = "paid"


@dataclass(frozen=True)
class RemedyCommand:
    action: str
    actor: str
    owner: str = ""
    staff: str = ""  # the staff member who took the CS training
    by: str = ""  # who apologised (the branch head)
    visits: int | None = None
    reason: str = ""
    decision: str = ""  # the committee: upheld | dismissed
    amount: int | None = None  # won, the committee's award


@dataclass(frozen=True)
class RemedyChange:
    """What one action did: logged on the ticket (``Action.REMEDY``) and queued as ``remedy_<action>``."""

    action: str
    at: datetime
    actor: str
    reason: str
    data: dict[str, Any]
    outcome: bool = False  # the customer is told (approved, rejected, decided, paid)


@dataclass
class Remedy:
    number: str
    kind: RemedyKind
    department: str
    opened_at: datetime
    due_at: datetime
    due_date_only: bool
    legal_due_at: datetime
    amount: int
    owner: str = ""
    status: RemedyStatus = RemedyStatus.INVESTIGATING
    visits: int = 0
    steps: dict[str, dict[str, str]] = field(default_factory=dict)
    approval: Approval = Approval.PENDING
    approved_by: str = ""
    approved_at: datetime | None = None
    payout: Payout = Payout.NONE
    paid_at: datetime | None = None
    decision: str = ""
    ticket_id: int | None = None
    id: int | None = None
    version: int = 0

    @classmethod
    def open(cls, terms: Terms, *, number: str, department: str, owner: str, at: datetime,
             calendar: WorkCalendar) -> tuple[Remedy, RemedyChange]:
        """A new case for ticket ``number``; the investigation is due ``terms.investigate`` after ``at``,
        counted by the deadline engine (민원처리법 제19조)."""
        plan = schedule(at, terms.investigate, calendar)
        remedy = cls(number=number, kind=terms.kind, department=terms.department or department, opened_at=at,
                     due_at=plan.due.due_at, due_date_only=plan.due.date_only, legal_due_at=plan.legal_end,
                     amount=terms.amount if terms.kind is not RemedyKind.DAMAGE else 0, owner=owner)
        return remedy, remedy._change("open", at, "system", "", label=terms.label)

    # -- what it says ------------------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REMEDY

    def is_overdue(self, now: datetime) -> bool:
        """The investigation (or the referral) is not done by the legal end of its period."""
        waiting = self.status is RemedyStatus.INVESTIGATING
        return waiting and now > self.legal_due_at

    def missing_steps(self, terms: Terms) -> list[str]:
        return [s for s in terms.steps if s not in self.steps]

    # -- actions -----------------------------------------------------------------------------------------------
    def act(self, cmd: RemedyCommand, terms: Terms, now: datetime) -> RemedyChange:
        spec = ACTIONS.get(cmd.action)
        if spec is None:
            raise RemedyRefused(self.id or 0, cmd.action, f"unknown action; one of {', '.join(ACTIONS)}")
        if spec.kinds and self.kind not in spec.kinds:
            raise RemedyRefused(self.id or 0, cmd.action, f"not an action of a {self.kind.value} remedy")
        if self.status not in spec.starts:
            raise RemedyRefused(self.id or 0, cmd.action, f"not allowed while {self.status.value}")
        missing = [n for n in spec.needs if getattr(cmd, n) in ("", None)]
        if missing:
            raise RemedyRefused(self.id or 0, cmd.action, f"needs --{missing[0]}")
        return spec.run(self, cmd, terms, now)

    def _assign(self, cmd: RemedyCommand, terms: Terms, now: datetime) -> RemedyChange:
        previous, self.owner = self.owner, cmd.owner.strip()
        return self._change("assign", now, cmd.actor, "", owner=self.owner, previous=previous)

    def _visits(self, cmd: RemedyCommand, terms: Terms, now: datetime) -> RemedyChange:
        visits = cmd.visits or 0
        if visits < 1:
            raise RemedyRefused(self.id or 0, "visits", "--visits must be at least 1")
        self.visits, self.amount = visits, terms.amount_for(visits)
        return self._change("visits", now, cmd.actor, cmd.reason, visits=visits)

    def _training(self, cmd: RemedyCommand, terms: Terms, now: datetime) -> RemedyChange:
        self._step("cs_training", now, cmd.actor, cmd.staff)
        return self._change("training", now, cmd.actor, cmd.reason, staff=cmd.staff)

    def _apology(self, cmd: RemedyCommand, terms: Terms, now: datetime) -> RemedyChange:
        step = "written_apology" if self.kind is RemedyKind.ACCURACY else "apology"
        self._step(step, now, cmd.actor, cmd.by)
        return self._change("apology", now, cmd.actor, cmd.reason, by=cmd.by, step=step)

    def _approve(self, cmd: RemedyCommand, terms: Terms, now: datetime) -> RemedyChange:
        self._step("investigation", now, cmd.actor, cmd.reason or "confirmed")
        self._approved(cmd.actor, now)
        return self._change("approve", now, cmd.actor, cmd.reason, outcome=True)

    def _reject(self, cmd: RemedyCommand, terms: Terms, now: datetime) -> RemedyChange:
        self._step("investigation", now, cmd.actor, cmd.reason)
        self.status, self.approval, self.amount, self.payout = (RemedyStatus.REJECTED, Approval.REJECTED, 0,
                                                                Payout.NONE)
        self.approved_by, self.approved_at = cmd.actor, now
        return self._change("reject", now, cmd.actor, cmd.reason, outcome=True)

    def _refer(self, cmd: RemedyCommand, terms: Terms, now: datetime) -> RemedyChange:
        self._step("referral", now, cmd.actor, cmd.reason)
        self.status = RemedyStatus.REFERRED
        return self._change("refer", now, cmd.actor, cmd.reason, committee="민원조정위원회")

    def _decide(self, cmd: RemedyCommand, terms: Terms, now: datetime) -> RemedyChange:
        if cmd.decision not in ("upheld", "dismissed"):
            raise RemedyRefused(self.id or 0, "decide", "--decision is upheld or dismissed")
        self._step("decision", now, cmd.actor, f"{cmd.decision}: {cmd.reason}")
        self.decision = mask(cmd.reason)
        if cmd.decision == "dismissed":
            self.status, self.approval, self.amount = RemedyStatus.REJECTED, Approval.REJECTED, 0
            self.approved_by, self.approved_at = cmd.actor, now
        else:
            self.amount = cmd.amount or 0
            self._approved(cmd.actor, now)
        return self._change("decide", now, cmd.actor, cmd.reason, decision=cmd.decision, outcome=True)

    def _pay(self, cmd: RemedyCommand, terms: Terms, now: datetime) -> RemedyChange:
        if self.payout is not Payout.PENDING:
            raise RemedyRefused(self.id or 0, "pay", "nothing approved to pay")
        self._step("compensation", now, cmd.actor, f"{self.amount} won")
        self.payout, self.paid_at, self.status = Payout.PAID, now, RemedyStatus.PAID
        return self._change("pay", now, cmd.actor, cmd.reason, outcome=True)

    def _close(self, cmd: RemedyCommand, terms: Terms, now: datetime) -> RemedyChange:
        if self.payout is Payout.PENDING:
            raise RemedyRefused(self.id or 0, "close", f"{self.amount:,} won approved and not paid yet")
        missing = [] if self.status is RemedyStatus.REJECTED else [
            s for s in self.missing_steps(terms) if not (s == "compensation" and self.amount == 0)]
        if missing:
            raise RemedyRefused(self.id or 0, "close", f"steps not done: {', '.join(missing)}")
        self.status = RemedyStatus.CLOSED
        return self._change("close", now, cmd.actor, cmd.reason)

    # -- helpers -----------------------------------------------------------------------------------------------
    def _approved(self, actor: str, now: datetime) -> None:
        self.status, self.approval = RemedyStatus.APPROVED, Approval.APPROVED
        self.approved_by, self.approved_at = actor, now
        self.payout = Payout.PENDING if self.amount > 0 else Payout.NONE

    def _step(self, step: str, at: datetime, actor: str, detail: str) -> None:
        self.steps[step] = {"at": at.isoformat(), "actor": actor, "detail": mask(detail)}

    def _change(self, action: str, at: datetime, actor: str, reason: str, *, outcome: bool = False,
                **data: Any) -> RemedyChange:
        base = {"remedy_id": self.id, "kind": self.kind.value, "status": self.status.value, "amount": self.amount,
                "payout": self.payout.value, "due_at": self.due_at.isoformat(), "owner": self.owner}
        return RemedyChange(action, at, actor, reason, base | data, outcome)


_Run = Callable[[Remedy, RemedyCommand, Terms, datetime], RemedyChange]
_ALL_KINDS: frozenset[RemedyKind] = frozenset()
_DAMAGE = frozenset({RemedyKind.DAMAGE})
_ACCOUNTABLE = frozenset({RemedyKind.KINDNESS, RemedyKind.ACCURACY})


@dataclass(frozen=True)
class ActionSpec:
    run: _Run
    starts: frozenset[RemedyStatus]
    kinds: frozenset[RemedyKind] = _ALL_KINDS  # empty: every kind
    needs: tuple[str, ...] = ()


_I, _R, _A, _P, _X = (RemedyStatus.INVESTIGATING, RemedyStatus.REFERRED, RemedyStatus.APPROVED, RemedyStatus.PAID,
                      RemedyStatus.REJECTED)
ACTIONS: dict[str, ActionSpec] = {
    "assign": ActionSpec(Remedy._assign, frozenset({_I, _R, _A, _P}), needs=("owner",)),
    "visits": ActionSpec(Remedy._visits, frozenset({_I}), frozenset({RemedyKind.ACCURACY}), needs=("visits",)),
    "training": ActionSpec(Remedy._training, frozenset({_I, _A, _P}), frozenset({RemedyKind.KINDNESS}),
                           needs=("staff",)),
    "apology": ActionSpec(Remedy._apology, frozenset({_I, _A, _P}), _ACCOUNTABLE, needs=("by",)),
    "approve": ActionSpec(Remedy._approve, frozenset({_I}), _ACCOUNTABLE),
    "reject": ActionSpec(Remedy._reject, frozenset({_I}), needs=("reason",)),
    "refer": ActionSpec(Remedy._refer, frozenset({_I}), _DAMAGE),
    "decide": ActionSpec(Remedy._decide, frozenset({_R}), _DAMAGE, needs=("decision", "reason")),
    "pay": ActionSpec(Remedy._pay, frozenset({_A})),
    "close": ActionSpec(Remedy._close, frozenset({_A, _P, _X})),
}
"""Every remedy action: the table behind ``vocdesk remedies act`` and Slack."""
