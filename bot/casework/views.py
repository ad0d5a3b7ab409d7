"""Tickets and hand-offs as plain data for the CLI and later for Slack and the HTTP API.

Every instant is shown in the institution's time zone with its offset. Phone numbers are masked unless
the caller reveals them (and records who saw them: ``Staff.reveal_contact``). Lateness is judged by the
legal end of the period (24:00 of its last day for a day-counted one); ``due_at`` is the practical target.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.casework import limits
from bot.casework.deadlines import Law, Regime, Stop, schedule
from bot.casework.tickets import Action, Ticket, TicketEvent
from bot.casework.workcalendar import WorkCalendar
from bot.conversation.customers import Handoff
from bot.conversation.texts import korean_due
from bot.pii import mask_phone


def local_iso(at: datetime, tz: ZoneInfo) -> str:
    """``2026-09-22T10:00:00+09:00``."""
    return at.astimezone(tz).isoformat()


def local_minutes(at: datetime, tz: ZoneInfo) -> str:
    """``2026-09-22 10:00+09:00``, for tables."""
    return at.astimezone(tz).isoformat(sep=" ", timespec="minutes")


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    """Open and past the legal end of its period with the clock running (what ``tickets list --overdue``
    selects): an answer at 19:00 on the due day is still on time."""
    return ticket.is_late(now)


def legal_text(ticket: Ticket, tz: ZoneInfo) -> str:
    """``2026-10-02 24:00+09:00`` for a day-counted period, the due instant for an hour-counted one."""
    if not ticket.due_date_only:
        return local_minutes(ticket.legal_end, tz)
    end = ticket.legal_end.astimezone(tz)
    return f"{end - timedelta(days=1):%Y-%m-%d} 24:00{end.isoformat()[-6:]}"


def due_text(ticket: Ticket, tz: ZoneInfo) -> str:
    """The due for staff; while the clock is stopped, that it is and since when (the due moves when it
    restarts)."""
    due = korean_due(ticket.due_at, ticket.due_date_only, tz)
    since = ticket.paused_since
    if since is None:
        return due
    stops = ", ".join(p.kind.label_ko for p in ticket.open_stops)
    return f"시계 정지 중 ({stops}, {local_minutes(since, tz)}부터) — 재개되면 정지 기간만큼 늦춰짐; 정지 전 기한 {due}"


_ARTICLE_EVENTS = {Action.PAUSE, Action.EXTEND_INVESTIGATION, Action.EXTEND_SUPPLEMENT,
                   Action.RE_REQUEST_SUPPLEMENT, Action.RETURN, Action.THIRD_PARTY_NOTICE}


def event_text(event: TicketEvent) -> str:
    """The words of an event for people: the staff member's reason, what the customer wrote (a message or
    a supplement, kept in ``data["text"]``), who or where a ticket went, why the clock stopped (with the
    article) and any limit that was missed."""
    data = event.data
    parts = [event.reason, data.get("text", "")]
    if event.action is Action.ASSIGN:
        parts.append(f"assignee {data.get('assignee', '')}")
    elif event.action is Action.TRANSFER:
        parts.append(f"{data.get('from', '')} → {data.get('to', '')}")
    elif event.action is Action.TRANSFER_OUT:
        parts.append(f"{data.get('from', '')} → {data.get('agency', '')} (이송)")
    elif event.action is Action.PAUSE:
        parts.append(f"시계 정지: {Stop(data['stop']).label_ko} — {data.get('article', '')}")
    elif event.action is Action.RESUME:
        parts.append("시계 재개: " + ", ".join(Stop(k).label_ko for k in data.get("stops", [])))
    elif event.action in _ARTICLE_EVENTS:
        parts.append(str(data.get("article", "")))
    if "until" in data and event.action is not Action.RETURN:
        parts.append(f"보완기한 {data['until']}")
    if data.get("officer"):
        parts.append(f"담당 {data['officer']}" + (f" {data['officer_contact']}" if data.get("officer_contact") else ""))
    if data.get("late"):
        parts.append(f"⚠ 기한 초과 ({data.get('article', '')}, 한도 {data.get('limit', '')})")
    return "\n".join(str(part) for part in parts if part)


def warnings(ticket: Ticket, now: datetime, tz: ZoneInfo) -> list[str]:
    """What staff must look at: a limit that was missed (intake, transfer), a site investigation past its
    days, a supplement period that ran out."""
    found = [f"{e.action.value}: 기한 초과 ({e.data.get('article', '')}, 한도 {e.data.get('limit', '')})"
             for e in ticket.events if e.data.get("late")]
    for p in ticket.open_stops:
        if p.cap is not None and now > p.cap:
            found.append(f"현장조사 기간 초과 ({Stop.SITE_INVESTIGATION.article}): {local_iso(p.cap, tz)} 이후는 "
                         "처리기간에 산입됨")
    until = ticket.supplement_until
    if until is not None and now > until:
        found.append(f"보완기한 경과 ({local_iso(until, tz)}): 다시 보완 요구(시행령 제24조③) 또는 반려(제25조①)")
    if ticket.is_late(now):
        found.append(f"처리기간 경과 (법정 기한 {legal_text(ticket, tz)})")
    return found


def legal_points(ticket: Ticket, calendar: WorkCalendar) -> dict[str, Any]:
    """The instants the law sets for this ticket besides its due: for 정보공개 both readings of the decision
    period and when the requester may object (정보공개법 제18조①); the intake limit of an electronic filing
    (시행령 제6조⑧)."""
    tz = calendar.tz
    points: dict[str, Any] = {}
    if ticket.policy.law is Law.DISCLOSURE:
        plan = schedule(ticket.received_at, ticket.policy, calendar, paused=ticket.pauses,
                        extensions=[e.period for e in ticket.extensions])
        points["readings"] = {regime.value: local_iso(plan.readings[regime].due_at, tz) for regime in Regime}
        points["objection_from"] = local_iso(limits.objection_from(ticket.received_at, calendar), tz)
    if ticket.arrived_at is not None:
        points["registration_limit"] = local_iso(limits.registration_limit(ticket.arrived_at, calendar), tz)
    return points


def event_json(event: TicketEvent, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "at": local_iso(event.at, tz), "actor": event.actor, "action": event.action.value,
        "from": event.from_status.value if event.from_status else None, "to": event.to_status.value,
        "reason": event.reason, "text": event_text(event), "data": event.data,
    }


def ticket_json(ticket: Ticket, tz: ZoneInfo, now: datetime, *, reveal_phone: bool = False,
                calendar: WorkCalendar | None = None) -> dict[str, Any]:
    """The ticket for people and programs; with the ``calendar``, also its other legal points."""
    data = {
        "number": ticket.number,
        "voc_type": ticket.voc_type.value,
        "intent": ticket.intent,
        "status": ticket.status.value,
        "department": ticket.department,
        "channel": ticket.channel,
        "customer_id": ticket.customer_id,
        "received_at": local_iso(ticket.received_at, tz),
        "arrived_at": local_iso(ticket.arrived_at, tz) if ticket.arrived_at else None,
        "due_at": local_iso(ticket.due_at, tz),
        "due_date_only": ticket.due_date_only,
        "due_text": due_text(ticket, tz),
        "legal_due_at": local_iso(ticket.legal_end, tz),
        "legal_due_text": legal_text(ticket, tz),
        "clock": "running" if ticket.paused_since is None else "stopped",
        "stopped_since": local_iso(ticket.paused_since, tz) if ticket.paused_since else None,
        "overdue": is_overdue(ticket, now),
        "policy": str(ticket.policy),
        "law": ticket.policy.law.value,
        "assignee": ticket.assignee,
        "contact_phone": ticket.contact_phone if reveal_phone else mask_phone(ticket.contact_phone),
        "confidence": round(ticket.confidence, 4),
        "text": ticket.text,
        "answer": ticket.answer,
        "paused": [
            {"start": local_iso(p.start, tz), "end": local_iso(p.end, tz) if p.end else None, "kind": p.kind.value,
             "article": p.kind.article, "limit": local_iso(p.cap, tz) if p.cap else None}
            for p in ticket.pauses
        ],
        "supplement_until": local_iso(until, tz) if (until := ticket.supplement_until) else None,
        "extensions": [
            {"period": str(e.period), "reason": e.reason.value, "detail": e.detail, "consent": e.consent,
             "at": local_iso(e.at, tz)}
            for e in ticket.extensions
        ],
        "warnings": warnings(ticket, now, tz),
        "events": [event_json(e, tz) for e in ticket.events],
    }
    if calendar is not None:
        data |= legal_points(ticket, calendar)
    return data


TICKET_COLUMNS = ("number", "type", "status", "department", "assignee", "received", "due", "overdue")


def ticket_row(ticket: Ticket, tz: ZoneInfo, now: datetime) -> tuple[str, ...]:
    """One line of ``tickets list``, in the order of ``TICKET_COLUMNS``."""
    due = ticket.due_at.astimezone(tz)
    return (
        ticket.number, ticket.voc_type.label_ko, ticket.status.label_ko, ticket.department,
        ticket.assignee or "-", f"{ticket.received_at.astimezone(tz):%Y-%m-%d %H:%M}",
        ("정지 " if ticket.paused_since else "") + (f"{due:%Y-%m-%d}" if ticket.due_date_only
                                                   else f"{due:%Y-%m-%d %H:%M}"),
        "지연" if is_overdue(ticket, now) else "",
    )


def handoff_json(handoff: Handoff, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": handoff.id, "at": local_iso(handoff.at, tz), "customer_id": handoff.customer_id,
        "channel": handoff.channel, "step": handoff.step, "status": handoff.status, "text": handoff.text,
    }
