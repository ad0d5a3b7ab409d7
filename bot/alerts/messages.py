"""What staff read about a ticket, as plain data: the ticket card (Slack Block Kit as dicts; the Slack sink sends
it, updates it, and puts every later message in its thread) and the one-line texts of warnings, digests and
actions (also what the console shows without Slack). No personal number reaches a message: the summary is
masked again with ``bot.pii.mask``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.casework.tickets import Status, Ticket
from bot.conversation.classification import VocType
from bot.conversation.texts import korean_due
from bot.pii import mask

if TYPE_CHECKING:
    from bot.casework.workcalendar import WorkCalendar
    from bot.clock import Clock
    from bot.config import Settings

Json = dict[str, Any]
SUMMARY_CHARS = 300
ACTION_BLOCK = "voc_ticket"
_SLACK_ACTOR = re.compile(r"slack:(U[A-Z0-9]+)")


@dataclass(frozen=True)
class Labels:
    """The words for keys: department names, intent labels; and the institution's time zone."""

    departments: Mapping[str, str]
    intents: Mapping[str, str]
    tz: ZoneInfo

    @classmethod
    def from_settings(cls, settings: Settings) -> Labels:
        return cls({k: d.name for k, d in settings.departments.items()},
                   {k: m.label for k, m in settings.intents.items()}, ZoneInfo(settings.institution.timezone))

    def department(self, key: str) -> str:
        return self.departments.get(key, key)

    def kind(self, voc_type: str, intent: str) -> str:
        try:
            kind = VocType(voc_type).label_ko
        except ValueError:
            kind = voc_type
        return " · ".join(w for w in (kind, self.intents.get(intent, intent)) if w)


def escape(text: str) -> str:
    """Text for Slack's mrkdwn: ``&``, ``<`` and ``>`` escaped (Slack reads them as markup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mentions(text: str) -> str:
    """Escaped text with each ``slack:U…`` actor shown as a Slack mention."""
    return _SLACK_ACTOR.sub(r"<@\1>", escape(text))


def working_left(left: timedelta, day_hours: float, *, overdue: bool = False) -> str:
    """``근무시간 2일 3시간 남음`` / ``근무시간 5시간 초과`` (a day is ``day_hours`` working hours); ``기한 경과`` when
    the due instant has passed but no working time since (the evening after a deadline)."""
    if overdue and left >= timedelta():
        return "기한 경과"
    minutes = round(abs(left).total_seconds() / 60)
    day = round(day_hours * 60)
    days, rest = divmod(minutes, day) if day else (0, minutes)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}일" if days else "", f"{hours}시간" if hours else "", f"{mins}분" if mins and not days else ""]
    amount = " ".join(p for p in parts if p) or "0분"
    return f"근무시간 {amount} {'초과' if left < timedelta() else '남음'}"


# -- the ticket card ------------------------------------------------------------------------------------------

BUTTONS: dict[str, tuple[str, str | None]] = {  # action id -> (label, style)
    "voc_claim": ("담당하기", "primary"),
    "voc_answer": ("답변", None),
    "voc_supplement": ("보완 요청", None),
    "voc_extend": ("기한 연장", None),
    "voc_transfer": ("이관", None),
    "voc_close": ("종결", "danger"),
}
_WORKING = frozenset({Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS})


def buttons_for(status: Status) -> list[str]:
    """The actions the card offers in ``status`` (the lifecycle table decides; this only hides what cannot be)."""
    if status in _WORKING:
        return ["voc_claim", "voc_answer", "voc_supplement", "voc_extend", "voc_transfer"]
    if status is Status.SUPPLEMENT_REQUESTED:
        return ["voc_extend"]
    if status is Status.ANSWERED:
        return ["voc_close"]
    return []


def button_value(ticket: Ticket) -> str:
    """What a button carries: the ticket and the version the card shows (a click on an older one is refused)."""
    return f"{ticket.number}|{ticket.version}"


def card(ticket: Ticket, now: datetime, left: timedelta, labels: Labels, day_hours: float) -> Json:
    """The ticket's card: ``chat.postMessage``/``chat.update`` arguments besides the channel."""
    kind = labels.kind(ticket.voc_type.value, ticket.intent)
    due = korean_due(ticket.due_at, ticket.due_date_only, labels.tz)
    if ticket.is_open and ticket.status is not Status.SUPPLEMENT_REQUESTED:
        when = f"{due} ({working_left(left, day_hours, overdue=now > ticket.due_at)})"
    elif ticket.status is Status.SUPPLEMENT_REQUESTED:
        when = f"{due} (보완 대기: 기한 정지)"
    else:
        when = due
    fields = [("상태", ticket.status.label_ko), ("담당부서", labels.department(ticket.department)),
              ("담당자", ticket.assignee or "-"), ("처리기한", when)]
    summary = mask(ticket.text)
    if len(summary) > SUMMARY_CHARS:
        summary = summary[:SUMMARY_CHARS] + "…"
    received = ticket.received_at.astimezone(labels.tz)
    notes = [f"접수 {received:%Y-%m-%d %H:%M}", f"기준 {ticket.policy}"]
    if ticket.extensions:
        notes.append(f"연장 {len(ticket.extensions)}회")
    blocks: list[Json] = [
        {"type": "section", "block_id": "voc_title",
         "text": {"type": "mrkdwn", "text": f"*{ticket.number}* · {escape(kind)}"}},
        {"type": "section", "block_id": "voc_fields",
         "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{escape(value)}"} for name, value in fields]},
        {"type": "section", "block_id": "voc_summary",
         "text": {"type": "mrkdwn", "text": "> " + escape(summary).replace("\n", "\n> ")}},
        {"type": "context", "block_id": "voc_notes", "elements": [{"type": "mrkdwn", "text": " · ".join(notes)}]},
    ]
    actions = buttons_for(ticket.status)
    if actions:
        blocks.append({"type": "actions", "block_id": ACTION_BLOCK, "elements": [
            _button(action, ticket) for action in actions]})
    text = f"VOC {ticket.number} ({kind}) {ticket.status.label_ko}: 처리기한 {due}"
    return {"text": text, "blocks": blocks}


class Cards:
    """Renders a ticket's card as it is now (time left counted on the deadline calendar)."""

    def __init__(self, labels: Labels, calendar: WorkCalendar, clock: Clock) -> None:
        from bot.alerts.workingtime import WorkingTime

        self.labels, self.clock = labels, clock
        self.working = WorkingTime(calendar)

    @property
    def day_hours(self) -> float:
        return self.working.day / 3600

    def __call__(self, ticket: Ticket) -> Json:
        now = self.clock.now()
        return card(ticket, now, self.working.left(now, ticket.due_at), self.labels, self.day_hours)

    def left(self, due_at: datetime) -> str:
        now = self.clock.now()
        return working_left(self.working.left(now, due_at), self.day_hours, overdue=now > due_at)


def _button(action: str, ticket: Ticket) -> Json:
    label, style = BUTTONS[action]
    button: Json = {"type": "button", "action_id": action, "text": {"type": "plain_text", "text": label},
                    "value": button_value(ticket)}
    if style:
        button["style"] = style
    if action == "voc_close":
        button["confirm"] = {"title": {"type": "plain_text", "text": "종결"},
                             "text": {"type": "plain_text", "text": f"{ticket.number}을(를) 종결할까요?"},
                             "confirm": {"type": "plain_text", "text": "종결"},
                             "deny": {"type": "plain_text", "text": "취소"}}
    return button


# -- one-line texts (thread replies, the console) --------------------------------------------------------------

STEP_WORDS = {
    "half": "처리기한의 절반이 지났습니다", "due_day": "오늘이 처리기한입니다", "overdue": "처리기한이 지났습니다",
}


def warning_text(number: str, step: str, due_text: str, left: timedelta, day_hours: float) -> str:
    """A deadline warning: ``⏰ VOC-…: 처리기한까지 근무시간 1일 남음 (2026년 10월 2일(금)까지)``."""
    if step in STEP_WORDS:
        what = STEP_WORDS[step]
    elif step.endswith("%"):
        what = f"처리기한의 {step}가 지났습니다"
    else:
        what = "처리기한이 다가옵니다"
    icon = "🚨" if step == "overdue" else "⏰"
    return f"{icon} {number}: {what} — {working_left(left, day_hours, overdue=step == 'overdue')} ({due_text})"


def digest_text(department: str, local_day: str, load: Mapping[str, int],
                soon: Sequence[tuple[str, str]], overdue: Sequence[tuple[str, str]]) -> str:
    """The morning digest of one department: counts, then the tickets due soon and overdue (number, due)."""
    lines = [f"📋 {local_day} {department} 민원 현황: 처리 중 {load.get('open', 0)}건, "
             f"기한 임박 {load.get('soon', 0)}건, 기한 경과 {load.get('overdue', 0)}건"]
    headings = (("기한 경과", overdue, load.get("overdue", 0)), ("기한 임박", soon, load.get("soon", 0)))
    for title, items, total in headings:
        if items:
            more = f" 외 {total - len(items)}건" if total > len(items) else ""
            lines.append(f"• {title}: " + ", ".join(f"{n} ({d})" for n, d in items) + more)
    return "\n".join(lines)


ACTION_WORDS = {
    "ticket_assign": "담당자 배정", "ticket_start": "처리 시작", "ticket_request_supplement": "보완 요청",
    "ticket_extend": "처리기한 연장", "ticket_transfer": "이관", "ticket_answer": "답변 완료",
    "ticket_close": "종결", "ticket_reopen": "재개", "ticket_withdraw": "취하 처리", "ticket_note": "메모",
}


def action_text(kind: str, number: str, payload: Mapping[str, Any], *, assignee: str, department: str,
                due_text: str) -> str:
    """A staff action on a ticket, for its thread: what, by whom, with the reason given."""
    what = ACTION_WORDS.get(kind, kind)
    details = []
    if kind == "ticket_assign" and assignee:
        details.append(f"담당자 {assignee}")
    if kind == "ticket_transfer":
        details.append(f"→ {department}")
    if kind in ("ticket_extend", "ticket_request_supplement", "ticket_transfer") or payload.get("reason"):
        details.append(str(payload.get("reason", "")))
    if kind == "ticket_extend":
        details.append(f"새 기한 {due_text}")
    actor = str(payload.get("actor", ""))
    by = f" ({actor})" if actor else ""
    body = " — ".join(d for d in details if d)
    return f"{number}: {what}{by}" + (f": {body}" if body else "")
