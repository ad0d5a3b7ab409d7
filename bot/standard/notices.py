"""How the service standard's outbox events read: the staff alerts (Slack, in the ticket's thread) and the values
of the customer's notices (``remedy_outcome``, ``survey_invite``). Used by ``bot.notices.plan``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.conversation.texts import Catalog
from bot.standard.remedies import ACTIONS, RemedyStatus
from bot.standard.survey import RATINGS, rating_choice

REMEDY_EVENTS = frozenset({"remedy_open", *(f"remedy_{a}" for a in ACTIONS)})
REMEDY_OUTCOMES = frozenset({"remedy_approve", "remedy_reject", "remedy_decide", "remedy_pay"})
SURVEY_INVITE, SURVEY_LOW, SURVEY_REOPENED = "survey_invite", "survey_low", "survey_reopened"
WEEKLY = "weekly_digest"
STANDARD_STAFF_EVENTS = REMEDY_EVENTS | {SURVEY_LOW, SURVEY_REOPENED, WEEKLY}
_TYPE_KO = {"inquiry": "문의", "complaint": "불만", "suggestion": "제안", "praise": "칭찬"}

_ACTION_KO = {
    "open": "보상 절차 개시", "assign": "담당자 지정", "visits": "방문 횟수 기록", "training": "CS교육 실시 기록",
    "apology": "사과 기록", "approve": "사실 확인·보상 승인", "reject": "미해당 결정", "refer": "민원조정위원회 회부",
    "decide": "민원조정위원회 결정", "pay": "보상 지급", "close": "보상 절차 종결",
}
_KIND_KO = {"kindness": "친절서비스 보증", "accuracy": "서비스 정확성 보증", "damage": "피해보상"}


def won(amount: int) -> str:
    return f"{amount:,}원"


def remedy_staff_text(kind: str, p: Mapping[str, Any], due_text: str) -> str:
    """``VOC-…: 친절서비스 보증 #3 — 사실 확인·보상 승인 (kim): 10,000원 [보상 승인]``."""
    action = kind.removeprefix("remedy_")
    label = _KIND_KO.get(str(p.get("kind", "")), str(p.get("kind", "")))
    status = str(p.get("status", ""))
    status_ko = RemedyStatus(status).label_ko if status in RemedyStatus.__members__.values() else status
    by = f" ({p['actor']})" if p.get("actor") and p.get("actor") != "system" else ""
    parts = [f"{p.get('number', '')}: {label} #{p.get('remedy_id', '')} — {_ACTION_KO.get(action, action)}{by}"]
    amount = int(p.get("amount", 0) or 0)
    details = [won(amount)] if amount else []
    if action == "open":
        details.append(f"조사기한 {due_text}")
    if p.get("reason"):
        details.append(str(p["reason"]))
    details.append(f"[{status_ko}]")
    return parts[0] + ": " + " · ".join(details)


def survey_staff_text(kind: str, p: Mapping[str, Any]) -> str:
    number = p.get("number", "")
    if kind == SURVEY_LOW:
        comment = f" — “{p['comment']}”" if p.get("comment") else ""
        return f"⚠ {number}: 만족도 {p.get('rating', '')}점{comment}. 고객에게 재검토를 안내했습니다."
    return f"🔁 {number}: 고객이 만족도 조사 후 재검토를 요청해 다시 처리 중으로 돌렸습니다."


def outcome_values(p: Mapping[str, Any], locale: str, texts: Catalog) -> dict[str, str]:
    """The customer's ``remedy_outcome`` notice: what was decided, in their language."""
    action = str(p.get("action", "")) or "approve"
    if action == "decide":
        action = "upheld" if p.get("status") == RemedyStatus.APPROVED.value else "dismissed"
    amount = int(p.get("amount", 0) or 0)
    return {"보상": texts.text(locale, f"remedy_kind.{p.get('kind', 'kindness')}"),
            "결과": texts.text(locale, f"remedy_outcome.{action}", amount=f"{amount:,}")}


def invite_values(p: Mapping[str, Any], locale: str, texts: Catalog, base_url: str) -> dict[str, str]:
    token = str(p.get("token", ""))
    link = f"{base_url.rstrip('/')}/survey/{token}" if base_url and token else ""
    return {"링크": link or texts.text(locale, "survey.in_chat")}


def invite_buttons(number: str, locale: str, texts: Catalog) -> str:
    """The rating buttons of a chat invitation, as JSON ``[[choice id, label], ...]`` (the sink builds them)."""
    return json.dumps([[rating_choice(number, r), texts.text(locale, f"survey.rating_{r}")] for r in reversed(RATINGS)],
                      ensure_ascii=False)


def weekly_text(p: Mapping[str, Any], department: str) -> str:
    """The weekly digest: the numbers, then one chart (text bars of the week's VOC by type)."""
    rate = p.get("on_time_rate")
    mean = p.get("mean")
    lines = [f"📊 {p.get('from', '')}~{p.get('to', '')} {department} 주간 VOC: 접수 {p.get('total', 0)}건, "
             f"답변 {p.get('answered', 0)}건, 기한 내 처리율 {'-' if rate is None else f'{rate * 100:.1f}%'}, "
             f"기한 경과 미처리 {p.get('overdue', 0)}건, 만족도 {'-' if mean is None else f'{mean:.2f}'}, "
             f"보상 {p.get('remedies', 0)}건"]
    by_type: Mapping[str, int] = p.get("by_type") or {}
    top = max(by_type.values(), default=0) or 1
    lines += [f"`{_TYPE_KO.get(k, k):<3} {'█' * max(1, round(12 * n / top))} {n}`" for k, n in by_type.items()]
    return "\n".join(lines)
