"""The forms staff fill in Slack (Block Kit modal views as dicts): answer, request a supplement, extend, transfer.

Each input block's ``block_id`` names the field it gives (``answer``, ``reason``, ``reason_code``, ``period``,
``consent``, ``department``), so a refusal can be shown under the field it is about. ``private_metadata``
carries the ticket and the version the staff member saw, and where the card is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.casework.tickets import MAX_EXTENSIONS, ExtensionReason, Ticket

Json = dict[str, Any]
EXTENSION_REASONS = {  # 민원처리법 시행령 제21조①: the only reasons an extension may give
    ExtensionReason.COOPERATION: "다른 기관·부서의 협조가 필요함",
    ExtensionReason.FACT_CHECK: "사실 확인·현장 조사가 필요함",
    ExtensionReason.FORCE_MAJEURE: "천재지변 등 불가항력",
    ExtensionReason.COMPARABLE: "그 밖에 이에 준하는 사유",
}
TITLES = {"answer": "답변", "supplement": "보완 요청", "extend": "기한 연장", "transfer": "이관"}
FIRST_FIELD = {"answer": "answer", "supplement": "reason", "extend": "reason_code", "transfer": "department"}


@dataclass(frozen=True)
class Where:
    """Which ticket a form is about, the version its card showed, and where that card is."""

    number: str
    version: int
    channel: str = ""
    ts: str = ""

    def encode(self) -> str:
        return f"{self.number}|{self.version}|{self.channel}|{self.ts}"

    @classmethod
    def decode(cls, text: str) -> Where:
        number, version, channel, ts = [*text.split("|"), "", "", "", ""][:4]
        return cls(number, int(version) if version.isdigit() else -1, channel, ts)


def _plain(text: str) -> Json:
    return {"type": "plain_text", "text": text}


def _text_input(block_id: str, label: str, *, multiline: bool = False, max_length: int = 3000,
                optional: bool = False, hint: str = "") -> Json:
    block: Json = {"type": "input", "block_id": block_id, "label": _plain(label), "optional": optional,
                   "element": {"type": "plain_text_input", "action_id": "value", "multiline": multiline,
                               "max_length": max_length}}
    if hint:
        block["hint"] = _plain(hint)
    return block


def _select(block_id: str, label: str, options: Mapping[str, str]) -> Json:
    return {"type": "input", "block_id": block_id, "label": _plain(label), "element": {
        "type": "static_select", "action_id": "value", "placeholder": _plain("선택"),
        "options": [{"text": _plain(text[:75]), "value": value} for value, text in options.items()]}}


def modal(action: str, ticket: Ticket, where: Where, departments: Mapping[str, str]) -> Json:
    """The form of ``action`` (one of ``TITLES``) for ``ticket``."""
    blocks: list[Json] = [{"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"*{ticket.number}* · {ticket.status.label_ko}"}]}]
    if action == "answer":
        blocks.append(_text_input("answer", "고객에게 보낼 답변", multiline=True,
                                  hint="알림톡·문자 또는 고객의 채팅으로 전달됩니다. 개인정보는 가려서 저장됩니다."))
    elif action == "supplement":
        blocks.append(_text_input("reason", "고객에게 요청할 보완 내용", multiline=True, max_length=1000,
                                  hint="보완을 기다리는 동안 처리기한은 멈춥니다."))
    elif action == "extend":
        count = len(ticket.extensions) + 1
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"{count}차 연장 (최대 {MAX_EXTENSIONS}회, 한 번에 원래 기간 {ticket.policy} 이내; "
            "민원처리법 시행령 제21조). 고객에게 사유와 새 기한이 통지됩니다.")}]})
        blocks.append(_select("reason_code", "연장 사유", {r.value: t for r, t in EXTENSION_REASONS.items()}))
        blocks.append(_text_input("detail", "고객에게 알릴 구체적 사유", multiline=True, max_length=1000))
        blocks.append({"type": "input", "block_id": "period", "optional": True,
                       "label": _plain(f"연장 기간 ({ticket.policy.unit.value})"),
                       "hint": _plain(f"비우면 원래 기간({ticket.policy})만큼 연장합니다."),
                       "element": {"type": "number_input", "action_id": "value", "is_decimal_allowed": False,
                                   "min_value": "1", "max_value": str(max(ticket.policy.amount, 1))}})
        if ticket.extensions:
            blocks.append({"type": "input", "block_id": "consent", "label": _plain("고객 동의"),
                           "element": {"type": "checkboxes", "action_id": "value", "options": [{
                               "text": _plain("두 번째 연장에 고객이 동의했습니다"), "value": "yes"}]}})
    elif action == "transfer":
        others = {k: v for k, v in departments.items() if k != ticket.department}
        blocks.append(_select("department", "이관할 부서", others))
        blocks.append(_text_input("reason", "이관 사유", multiline=True, max_length=1000))
    else:
        raise ValueError(f"no form for {action!r}")
    return {"type": "modal", "callback_id": f"voc_{action}", "private_metadata": where.encode(),
            "title": _plain(f"{TITLES[action]} {ticket.number}"[:24]), "submit": _plain("보내기"),
            "close": _plain("취소"), "blocks": blocks}
