"""Fan-out: which deliveries one outbox event makes, for whom, through which sink, saying what.

Pure: ``NoticePlanner.plan(event, facts, now)`` decides from the event, what the store knows of its ticket and
customer, and the instant. A new subscriber (the Slack alerts, the satisfaction survey) is one more branch here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot.alerts import messages
from bot.casework.routing import RoutingTable
from bot.config import Settings
from bot.conversation.texts import Catalog, english_due, korean_due
from bot.notices.model import Event, Facts, NewDelivery
from bot.notices.policy import release_at
from bot.notices.templates import ALIMTALK_MAX_CHARS, LMS_MAX_BYTES, Templates, render_text
from bot.standard import notices as standard

if TYPE_CHECKING:
    from bot.alerts.workingtime import WorkingTime

CUSTOMER, STAFF = "customer", "staff"
CONSOLE, SMS, TELEGRAM = "console", "sms", "telegram"
IN_CHANNEL = frozenset({TELEGRAM})
"""Channels whose chat a notice can be sent into; customers elsewhere get AlimTalk/SMS or the console log."""

# outbox kind -> customer notice kind (and whether the customer caused it, so their chat already said it)
CUSTOMER_NOTICES: dict[str, tuple[str, bool]] = {
    "ticket_opened": ("ticket_opened", True),
    "ticket_request_supplement": ("supplement_requested", False),
    "ticket_extend": ("extended", False),
    "ticket_transfer": ("transferred", False),
    "progress": ("progress", False),
    "ticket_answer": ("answered", False),
    "ticket_close": ("closed", False),
    "ticket_withdraw": ("withdrawn", False),
    "ticket_return": ("returned", False),
    "ticket_transfer_out": ("transferred_out", False),
    "ticket_withdrawn": ("withdrawn", True),
    **{kind: ("remedy_outcome", False) for kind in standard.REMEDY_OUTCOMES},
    standard.SURVEY_INVITE: ("survey_invite", False),
}
STAFF_ACTIONS = frozenset(messages.ACTION_WORDS)  # what staff did (``Staff.act``): into the ticket's thread
WARNING, DIGEST = "deadline_warning", "staff_digest"  # queued by the sweep (``bot.alerts.sweep``)
STAFF_EVENTS = frozenset({
    "ticket_opened", "customer_message", "ticket_supplement", "ticket_withdrawn", "handoff", "delivery_dead",
    WARNING, DIGEST,
}) | STAFF_ACTIONS | standard.STANDARD_STAFF_EVENTS
ESCALATION = "!escalation"
"""The target of a staff delivery for the escalation channel (an overdue ticket), not a department's."""
CHANNEL_REPLY = "channel_reply"  # a chat reply the channel could not send at once: delivered in the chat


class NoticePlanner:
    def __init__(self, settings: Settings, routing: RoutingTable, templates: Templates, texts: Catalog,
                 quiet: tuple[time, time] | None, tz: Any) -> None:
        self.settings, self.routing, self.templates, self.texts = settings, routing, templates, texts
        self.quiet, self.tz = quiet, tz
        self._working: WorkingTime | None = None
        self.day_hours = sum((datetime.combine(date.min, end) - datetime.combine(date.min, start)
                              for start, end in settings.calendar.windows()), timedelta()) / timedelta(hours=1)

    def plan(self, event: Event, facts: Facts, now: datetime) -> list[NewDelivery]:
        planned: list[NewDelivery] = []
        if event.kind == CHANNEL_REPLY:
            planned.append(self._reply(event, facts))
        elif event.kind in CUSTOMER_NOTICES and facts.customer_id is not None:
            notice = self._customer(event, facts, now)
            if notice is not None:
                planned.append(notice)
        if event.kind in STAFF_EVENTS:
            planned += self._staff(event, facts)
        return planned

    # -- the customer ------------------------------------------------------------------------------------
    def _customer(self, event: Event, facts: Facts, now: datetime) -> NewDelivery | None:
        kind, customer_caused = CUSTOMER_NOTICES[event.kind]
        in_channel = facts.channel in IN_CHANNEL
        if in_channel and customer_caused:
            return None  # their chat already told them
        sink = TELEGRAM if in_channel else SMS if facts.has_phone else CONSOLE
        template = self.templates.get(kind, facts.locale)
        values = self._values(kind, event, facts, now)
        text, sms = template.render(values)
        if kind == "answered":
            text, sms = self._fit_answer(template.text, template.sms, values, facts)
        not_before = now if template.urgent else release_at(now, self.quiet, self.tz)
        variables = values if sink == SMS else {}
        if kind == "survey_invite" and sink == TELEGRAM:  # the rating buttons, under the invitation
            variables = {"choices": standard.invite_buttons(facts.number, facts.locale, self.texts)}
        return NewDelivery(
            key=f"{event.id}:{CUSTOMER}", outbox_id=event.id, subscriber=CUSTOMER, sink=sink, kind=kind,
            customer_id=facts.customer_id, target="", locale=facts.locale, text=text, sms_text=sms, number=facts.number,
            template_id=template.alimtalk if sink == SMS else "", variables=variables, not_before=not_before,
        )

    def _values(self, kind: str, event: Event, facts: Facts, now: datetime) -> dict[str, str]:
        en = facts.locale == "en"
        inst = self.settings.institution
        values = {"기관": inst.name_en if en else inst.name, "접수번호": facts.number,
                  "담당부서": self._department(facts.department, en), "처리기한": self._due(facts, en)}
        payload = event.payload
        if kind == "ticket_opened":
            values["유형"] = self._type(facts, en)
        elif kind == "supplement_requested":
            values["보완내용"] = str(payload.get("reason", ""))
        elif kind == "extended":  # 민원처리법 시행령 제21조③: the reason, the new date, who handles it
            values["사유"] = str(payload.get("reason", ""))
            values["담당자"] = str(payload.get("officer") or facts.assignee or values["담당부서"])
            values["연락처"] = str(payload.get("officer_contact") or inst.phone)
        elif kind == "returned":  # 제25조①: the filing is returned, with the reason
            values["사유"] = str(payload.get("reason", ""))
        elif kind == "transferred_out":  # 제13조③: the customer is told where it went
            values["기관명"] = str(payload.get("agency", ""))
            values["사유"] = str(payload.get("reason", ""))
        elif kind == "progress":
            values["상태"] = self.texts.text(facts.locale, f"status.{facts.status}") if facts.status else ""
            days = (now - facts.received_at).days if facts.received_at else 0
            values["경과일"] = str(payload.get("days", days))
        elif kind == "answered":
            values["답변"], values["안내"] = facts.answer, ""
        elif kind == "remedy_outcome":
            values |= standard.outcome_values(payload, facts.locale, self.texts)
        elif kind == "survey_invite":
            values |= standard.invite_values(payload, facts.locale, self.texts, self.settings.survey.base_url)
        allowed = self.templates.get(kind, facts.locale).variables
        return {k: v for k, v in values.items() if k in allowed}

    def _fit_answer(self, text_t: str, sms_t: str, values: dict[str, str],
                    facts: Facts) -> tuple[str, str]:
        """The answer whole when it fits AlimTalk (1,000 characters) and LMS (2,000 bytes); otherwise its first
        part and how to read the rest."""
        more = self.texts.text(facts.locale, "notice.answer_more", number=facts.number)
        answer = facts.answer

        def fits(limit: int, measure: Any, template: str) -> str:
            whole = render_text(template, values)
            if measure(whole) <= limit:
                return whole
            cut = answer
            while cut and measure(render_text(template, values | {"답변": cut + "…", "안내": more})) > limit:
                cut = cut[: max(len(cut) - max(len(cut) // 8, 1), 0)]
            return render_text(template, values | {"답변": cut + "…", "안내": more})

        text = fits(ALIMTALK_MAX_CHARS, len, text_t)
        sms = fits(LMS_MAX_BYTES, lambda s: len(s.encode("cp949", errors="replace")), sms_t)
        return text, sms

    # -- staff -------------------------------------------------------------------------------------------
    def _staff(self, event: Event, facts: Facts) -> list[NewDelivery]:
        department = facts.department or str(event.payload.get("department", "")) or self.settings.desk_department
        if event.kind in (DIGEST, standard.WEEKLY):
            department = str(event.payload.get("department", department))
        text = self._staff_text(event, facts)
        targets = [(STAFF, department)]
        if event.kind == WARNING and event.payload.get("escalate"):
            targets.append(("escalation", ESCALATION))
        return [NewDelivery(
            key=f"{event.id}:{suffix}", outbox_id=event.id, subscriber=STAFF, sink=STAFF, kind=event.kind,
            customer_id=facts.customer_id, target=target, locale="ko", text=text,
            number=facts.number or str(event.payload.get("number", "")),
        ) for suffix, target in targets]

    def _left(self, p: dict[str, Any], due: datetime) -> timedelta:
        """The working time left at the warning's instant (``at``), on the deadline calendar."""
        if "left_minutes" in p:  # queued before the sweep left it to the delivery
            return timedelta(minutes=int(p["left_minutes"]))
        if self._working is None:
            from bot.alerts.workingtime import WorkingTime

            self._working = WorkingTime(self.settings.work_calendar())
        return self._working.left(datetime.fromisoformat(str(p["at"])), due)

    def _staff_text(self, event: Event, facts: Facts) -> str:
        p = event.payload
        if event.kind == WARNING:
            due = datetime.fromisoformat(str(p["due_at"]))
            return messages.warning_text(str(p["number"]), str(p["step"]), korean_due(due, facts.due_date_only,
                                                                                      self.tz),
                                         self._left(p, due), self.day_hours)
        if event.kind == DIGEST:
            counts = {k: int(p.get(k, 0)) for k in ("open", "soon", "overdue")}
            return messages.digest_text(self._department(str(p.get("department", "")), False), str(p.get("day", "")),
                                        counts, [tuple(x) for x in p.get("soon_list", [])],
                                        [tuple(x) for x in p.get("overdue_list", [])])
        if event.kind in STAFF_ACTIONS:
            return messages.action_text(event.kind, facts.number or str(p.get("number", "")), p,
                                        assignee=facts.assignee, department=self._department(facts.department, False),
                                        due_text=self._due(facts, False))
        if event.kind in standard.REMEDY_EVENTS:
            until = korean_due(datetime.fromisoformat(str(p["due_at"])), True, self.tz) if p.get("due_at") else ""
            return standard.remedy_staff_text(event.kind, p, until)
        if event.kind == standard.WEEKLY:
            return standard.weekly_text(p, self._department(str(p.get("department", "")), False))
        if event.kind in (standard.SURVEY_LOW, standard.SURVEY_REOPENED):
            return standard.survey_staff_text(event.kind, p)
        if event.kind == "handoff":
            return f"상담원 연결 요청 #{p.get('handoff_id', '')} ({p.get('channel', '')}): {p.get('text', '')}"
        if event.kind == "delivery_dead":
            return f"알림 전달 실패 {p.get('number', '')} [{p.get('kind', '')}]: {p.get('reason', '')}"
        label = f"{facts.number} {self._type(facts, False)}" if facts.number else str(p.get("number", ""))
        what = {
            "ticket_opened": f"새 접수 — 처리기한 {self._due(facts, False)}",
            "customer_message": f"고객 추가 내용: {p.get('text', '')}",
            "ticket_supplement": f"고객 보완 제출: {p.get('text', '')}",
            "ticket_withdrawn": "고객이 취하함",
        }.get(event.kind, event.kind)
        return f"{label}: {what}"

    # -- a chat reply that could not be sent at once ---------------------------------------------------
    def _reply(self, event: Event, facts: Facts) -> NewDelivery:
        return NewDelivery(
            key=f"{event.id}:{CUSTOMER}", outbox_id=event.id, subscriber=CUSTOMER,
            sink=str(event.payload.get("channel", TELEGRAM)), kind=CHANNEL_REPLY, customer_id=facts.customer_id,
            target=str(event.payload.get("chat_id", "")), locale=facts.locale, text=str(event.payload.get("text", "")),
            number=facts.number,
        )

    # -- wording -----------------------------------------------------------------------------------------
    def _department(self, key: str, en: bool) -> str:
        dept = self.settings.departments.get(key)
        if dept is None:
            return key
        return (dept.name_en or dept.name) if en else dept.name

    def _type(self, facts: Facts, en: bool) -> str:
        locale = "en" if en else "ko"
        kind = self.texts.text(locale, f"voc_type.{facts.voc_type}") if facts.voc_type else ""
        if facts.intent in self.routing:
            route = self.routing.route(facts.intent)
            return f"{kind} · {route.label_en if en else route.label}"
        return kind

    def _due(self, facts: Facts, en: bool) -> str:
        if facts.due_at is None:
            return ""
        return (english_due if en else korean_due)(facts.due_at, facts.due_date_only, self.tz)
