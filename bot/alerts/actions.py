"""What staff do from Slack, without Slack: a button pressed on a ticket's card, a form submitted, a ``/voc``
command. ``handlers/slack_inbound.py`` turns Bolt's payloads into ``Click``, ``Submission`` and ``Command`` and a
``Reply`` back into Slack calls.

Only mapped staff act (``[slack.staff]``), and only on their department's tickets unless they are admins; anyone
else is politely refused. Every action goes through ``Staff.act`` with the version the staff member saw, so a
click on a card that changed meanwhile is refused with the card as it is now — never applied to a state nobody
looked at. The ticket's log records the actor as ``<staff id> (slack:<user id>)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.alerts.messages import Cards, Labels, escape
from bot.alerts.modals import FIRST_FIELD, TITLES, Where, modal
from bot.casework.staff import Staff, StaffAction
from bot.casework.tickets import MAX_EXTENSIONS, ExtensionReason, Status, Ticket
from bot.errors import (
    ConcurrentUpdate,
    DatabaseBusy,
    ExtensionRefused,
    IllegalTransition,
    InputRejected,
    TicketChanged,
    TicketNotFound,
)
from bot.ports import UnitOfWorkFactory

if TYPE_CHECKING:
    from bot.config import Settings

Json = dict[str, Any]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LIST_LIMIT = 20
ACTION_WORDS = {"voc_claim": "담당", "voc_close": "종결", "voc_answer": "답변", "voc_supplement": "보완 요청",
                "voc_extend": "기한 연장", "voc_transfer": "이관"}
NOT_STAFF = ("죄송합니다. VOC 처리는 등록된 담당 직원만 할 수 있습니다. Slack 계정을 직원으로 등록하려면 "
             "관리자에게 문의해 주세요.")
HELP = ("`/voc` 내 담당 티켓 · `/voc dept` 우리 부서 티켓 · `/voc show 접수번호` 티켓 보기 · "
        "`/voc stats` 처리 현황")


@dataclass(frozen=True)
class Member:
    """A Slack user mapped to a staff member."""

    user: str
    id: str
    department: str
    admin: bool = False

    @property
    def actor(self) -> str:
        """How the ticket's log names them."""
        return f"{self.id} (slack:{self.user})"

    def may_act_on(self, department: str) -> bool:
        return self.admin or self.department == department


@dataclass(frozen=True)
class Directory:
    members: Mapping[str, Member]

    @classmethod
    def from_settings(cls, settings: Settings) -> Directory:
        return cls({user: Member(user, s.id, s.department, s.role == "admin")
                    for user, s in settings.slack.staff.items()})

    def get(self, user: str) -> Member | None:
        return self.members.get(user)


@dataclass(frozen=True)
class Click:
    """A button on a ticket's card: ``value`` is ``NUMBER|VERSION`` (what the card showed)."""

    user: str
    action: str
    value: str
    trigger_id: str = ""
    channel: str = ""
    ts: str = ""

    @property
    def where(self) -> Where:
        number, _, version = self.value.partition("|")
        return Where(number, int(version) if version.isdigit() else -1, self.channel, self.ts)


@dataclass(frozen=True)
class Submission:
    user: str
    action: str  # a key of modals.TITLES
    where: Where
    values: Mapping[str, str]


@dataclass(frozen=True)
class Command:
    user: str
    text: str


@dataclass(frozen=True)
class Reply:
    """What to answer: ``text`` for the user alone, a form to open (``view``), the ticket's card as it is now
    (``card``, to replace the one clicked), or ``errors`` under the fields of the open form (it stays open)."""

    text: str = ""
    view: Json | None = None
    card: Json | None = None
    errors: Mapping[str, str] = field(default_factory=dict)
    blocks: list[Json] = field(default_factory=list)


class AlertDesk:
    def __init__(self, staff: Staff, uow: UnitOfWorkFactory, directory: Directory, cards: Cards,
                 labels: Labels) -> None:
        self.staff, self.uow, self.directory, self.cards, self.labels = staff, uow, directory, cards, labels

    # -- buttons -----------------------------------------------------------------------------------------------
    async def click(self, click: Click) -> Reply:
        member = self.directory.get(click.user)
        if member is None:
            return Reply(NOT_STAFF)
        where = click.where
        ticket = await self._ticket(where.number)
        if ticket is None:
            return Reply(f"{where.number} 티켓을 찾을 수 없습니다.")
        refused = self._refusal(member, ticket)
        if refused:
            return Reply(refused)
        if ticket.version != where.version:
            return self._changed(ticket)
        action = click.action.removeprefix("voc_")
        if action in TITLES:
            if action == "extend" and len(ticket.extensions) >= MAX_EXTENSIONS:
                return Reply(f"{ticket.number}은(는) 이미 {MAX_EXTENSIONS}번 연장했습니다 (민원처리법 시행령 제21조).")
            return Reply(view=modal(action, ticket, where, self.labels.departments))
        if action == "claim":
            cmd = StaffAction("assign", member.actor, assignee=member.id)
        elif action == "close":
            cmd = StaffAction("close", member.actor)
        else:
            return Reply(f"알 수 없는 동작입니다: {click.action}")
        try:
            done = await self.staff.act(ticket.number, cmd, expect_version=where.version)
        except TicketChanged:
            return await self._changed_now(ticket.number)
        except (IllegalTransition, ConcurrentUpdate, InputRejected, TicketNotFound, DatabaseBusy) as exc:
            return Reply(self._problem(exc, ticket, ACTION_WORDS.get(click.action, action)))
        word = "담당자로 지정되었습니다" if action == "claim" else "종결했습니다"
        return Reply(f"{done.number}: {word}.", card=self.cards(done))

    # -- forms -------------------------------------------------------------------------------------------------
    async def submit(self, sub: Submission) -> Reply:
        first = FIRST_FIELD.get(sub.action, "answer")
        member = self.directory.get(sub.user)
        if member is None:
            return Reply(errors={first: NOT_STAFF})
        ticket = await self._ticket(sub.where.number)
        if ticket is None:
            return Reply(errors={first: f"{sub.where.number} 티켓을 찾을 수 없습니다."})
        refused = self._refusal(member, ticket)
        if refused:
            return Reply(errors={first: refused})
        try:
            cmd = self._command(sub, member)
            done = await self.staff.act(ticket.number, cmd, expect_version=sub.where.version)
        except TicketChanged as exc:
            return Reply(errors={first: f"{ticket.number}은(는) 그 사이 변경되었습니다(현재 "
                                        f"{Status(exc.status).label_ko}). 창을 닫고 카드를 확인해 주세요."})
        except ExtensionRefused as exc:
            return Reply(errors=_extension_error(exc, ticket))
        except (IllegalTransition, ConcurrentUpdate, InputRejected, TicketNotFound, DatabaseBusy) as exc:
            return Reply(errors={first: self._problem(exc, ticket, TITLES.get(sub.action, sub.action))})
        said = {"answer": "답변을 등록했습니다. 고객에게 전달됩니다", "supplement": "고객에게 보완을 요청했습니다",
                "extend": "처리기한을 연장했습니다. 고객에게 사유와 새 기한이 통지됩니다",
                "transfer": f"{self.labels.department(done.department)}(으)로 이관했습니다"}[sub.action]
        return Reply(f"{done.number}: {said}.", card=self.cards(done))

    def _command(self, sub: Submission, member: Member) -> StaffAction:
        v = sub.values
        if sub.action == "answer":
            return StaffAction("answer", member.actor, answer=v.get("answer", ""))
        if sub.action == "supplement":
            return StaffAction("request-supplement", member.actor, reason=v.get("reason", ""))
        if sub.action == "transfer":
            return StaffAction("transfer", member.actor, department=v.get("department", ""),
                               reason=v.get("reason", ""))
        if sub.action == "extend":
            try:
                reason = ExtensionReason(v.get("reason_code", ""))
            except ValueError:
                raise InputRejected("연장 사유를 선택해 주세요") from None
            period = v.get("period", "")
            return StaffAction("extend", member.actor, reason=v.get("detail", ""), extension_reason=reason,
                               extension_amount=int(period) if period.isdigit() else None,
                               consent=v.get("consent", "") == "yes")
        raise InputRejected(f"unknown form {sub.action!r}")

    # -- /voc --------------------------------------------------------------------------------------------------
    async def command(self, cmd: Command) -> Reply:
        member = self.directory.get(cmd.user)
        if member is None:
            return Reply(NOT_STAFF)
        words = cmd.text.split()
        what = words[0].lower() if words else "me"
        if what in ("me", "my", "내"):
            async with self.uow() as uow:
                mine = await uow.alerts.assigned(member.id, LIST_LIMIT)
            return Reply(self._listing(f"*{member.id}* 님이 담당한 처리 중 티켓", mine))
        if what in ("dept", "부서"):
            async with self.uow() as uow:
                found = await uow.alerts.due_by(EPOCH, self.cards.clock.now() + timedelta(days=3660), LIST_LIMIT,
                                                member.department)
                loads = await uow.alerts.load(self.cards.clock.now(), self.cards.clock.now(), member.department)
            total = loads[0].open if loads else 0
            title = f"*{self.labels.department(member.department)}* 처리 중 티켓 {total}건 (기한 순)"
            return Reply(self._listing(title, found))
        if what in ("show", "보기") and len(words) > 1:
            return await self._show(member, words[1].upper())
        if what in ("stats", "통계"):
            return await self._stats(member)
        return Reply(HELP)

    async def _show(self, member: Member, number: str) -> Reply:
        ticket = await self._ticket(number)
        if ticket is None:
            return Reply(f"{number} 티켓을 찾을 수 없습니다.")
        refused = self._refusal(member, ticket)
        if refused:
            return Reply(refused)
        card = self.cards(ticket)
        tz = self.labels.tz
        events = [f"• {e.at.astimezone(tz):%m/%d %H:%M} {escape(e.actor)} {e.action.value}"
                  + (f": {escape(e.reason)}" if e.reason else "") for e in ticket.events[-5:]]
        blocks = [*card["blocks"], {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(events)}}]
        return Reply(card["text"], blocks=blocks)

    async def _stats(self, member: Member) -> Reply:
        now = self.cards.clock.now()
        soon = now + timedelta(days=1)
        async with self.uow() as uow:
            loads = await uow.alerts.load(now, soon, None if member.admin else member.department)
        if not loads:
            return Reply("처리 중인 티켓이 없습니다.")
        lines = [f"• {self.labels.department(x.department)}: 처리 중 {x.open}건 · 24시간 내 기한 {x.soon}건 · "
                 f"기한 경과 {x.overdue}건" for x in loads]
        return Reply("*처리 현황*\n" + "\n".join(lines))

    def _listing(self, title: str, tickets: list[Any]) -> str:
        if not tickets:
            return f"{title}: 없습니다."
        tz = self.labels.tz
        lines = []
        for t in tickets:
            due = t.due_at.astimezone(tz)
            when = f"{due:%m/%d}" if t.due_date_only else f"{due:%m/%d %H:%M}"
            lines.append(f"• *{t.number}* {Status(t.status).label_ko} · {self.labels.department(t.department)} · "
                         f"기한 {when} ({self.cards.left(t.due_at)})")
        return f"{title}\n" + "\n".join(lines)

    # -- common ------------------------------------------------------------------------------------------------
    async def _ticket(self, number: str) -> Ticket | None:
        async with self.uow() as uow:
            return await uow.tickets.get(number)

    def _refusal(self, member: Member, ticket: Ticket) -> str:
        if member.may_act_on(ticket.department):
            return ""
        return (f"죄송합니다. {ticket.number}은(는) {self.labels.department(ticket.department)} 소관이라 처리할 수 "
                f"없습니다. 소속 부서({self.labels.department(member.department)})의 티켓만 처리할 수 있습니다.")

    def _changed(self, ticket: Ticket) -> Reply:
        return Reply(f"{ticket.number}은(는) 그 사이 변경되었습니다(현재 {ticket.status.label_ko}). 카드를 새로 "
                     "고쳤으니 확인한 뒤 다시 눌러 주세요.", card=self.cards(ticket))

    async def _changed_now(self, number: str) -> Reply:
        ticket = await self._ticket(number)
        return self._changed(ticket) if ticket else Reply(f"{number} 티켓을 찾을 수 없습니다.")

    @staticmethod
    def _problem(exc: Exception, ticket: Ticket, what: str) -> str:
        if isinstance(exc, IllegalTransition):
            return f"{ticket.number}은(는) 지금 상태({ticket.status.label_ko})에서는 {what}할 수 없습니다."
        if isinstance(exc, ConcurrentUpdate):
            return f"{ticket.number}을(를) 다른 분이 동시에 변경하고 있습니다. 잠시 후 다시 시도해 주세요."
        if isinstance(exc, DatabaseBusy):
            return "지금은 처리할 수 없습니다. 잠시 후 다시 시도해 주세요."
        return str(exc)


def _extension_error(exc: ExtensionRefused, ticket: Ticket) -> dict[str, str]:
    """A refused extension under the field it is about, in Korean."""
    problem = exc.problem
    if "twice" in problem:
        return {"reason_code": f"이미 {MAX_EXTENSIONS}번 연장했습니다 (민원처리법 시행령 제21조)."}
    if "consent" in problem:
        return {"consent": "두 번째 연장에는 고객의 동의가 필요합니다."}
    if "exceed" in problem:
        return {"period": f"한 번에 원래 기간({ticket.policy}) 이내로만 연장할 수 있습니다."}
    if "reason" in problem:
        return {"detail": "고객에게 알릴 사유를 적어 주세요."}
    return {"reason_code": problem}
