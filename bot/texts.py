"""What the bot says, in Korean and English, and how it writes dates."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

_WEEKDAYS_KO = "월화수목금토일"
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_LATIN = re.compile(r"[A-Za-z]")


def korean_due(due_at: datetime, date_only: bool, tz: ZoneInfo) -> str:
    """``2026년 10월 2일(금)까지`` (with ``16:30`` when the deadline is hour-counted)."""
    local = due_at.astimezone(tz)
    day = f"{local.year}년 {local.month}월 {local.day}일({_WEEKDAYS_KO[local.weekday()]})"
    return f"{day}까지" if date_only else f"{day} {local:%H:%M}까지"


def english_due(due_at: datetime, date_only: bool, tz: ZoneInfo) -> str:
    local = due_at.astimezone(tz)
    day = f"{local:%a} {local.day} {local:%b} {local.year}"
    return f"by {day}" if date_only else f"by {day}, {local:%H:%M}"


def guess_locale(text: str, hint: str | None = None) -> str | None:
    """'en' for text written in English, 'ko' for Korean, None when the text does not tell."""
    hangul, latin = len(_HANGUL.findall(text)), len(_LATIN.findall(text))
    if hangul:
        return "ko"
    if latin >= 3:
        return "en"
    return hint


KO: dict[str, str] = {
    "greeting": "안녕하세요, {institution}입니다. 고객의 소리(문의·불만·제안·칭찬)를 접수해 드립니다.",
    "consent": (
        "접수를 위해 개인정보 수집·이용에 동의해 주세요.\n"
        "- 목적: 고객의 소리 접수·처리 및 결과 안내\n"
        "- 항목: 메신저 계정 식별자, 이름(표시명), 접수 내용, 선택 시 휴대전화번호\n"
        "- 보유기간: {retention}\n"
        "동의하지 않으실 수 있으며, 이 경우 메신저 접수는 어렵습니다."
    ),
    "consent_yes": "동의합니다",
    "consent_no": "동의하지 않습니다",
    "consent_declined": (
        "동의하지 않으셔서 접수하지 않았고, 보내신 내용도 저장하지 않았습니다. "
        "마음이 바뀌시면 언제든 동의해 주세요. 전화나 방문으로도 접수하실 수 있습니다."
    ),
    "ask_text": "어떤 내용인지 자유롭게 적어 주세요.",
    "resend": "동의해 주셔서 감사합니다. 동의 전에 보내신 내용은 저장하지 않았으니, 접수하실 내용을 다시 보내 주세요.",
    "understood": "말씀하신 내용을 [{voc_type} · {label}](으)로 이해했습니다. 이대로 접수할까요?",
    "confirm_yes": "네, 접수합니다",
    "confirm_other": "다른 유형입니다",
    "pick": "어떤 내용에 가까운지 골라 주세요.",
    "pick_none": "해당 없음",
    "pick_type": "고객의 소리 유형을 골라 주세요.",
    "ask_contact": (
        "처리 상황을 알림톡·문자로 받으실 휴대전화번호를 입력해 주세요. "
        "원하지 않으시면 '건너뛰기'를 눌러 주세요."
    ),
    "contact_skip": "건너뛰기",
    "contact_invalid": (
        "휴대전화번호 형식이 아닙니다 (예: 010-1234-5678). 다시 입력하시거나 '건너뛰기'를 눌러 주세요."
    ),
    "opened": (
        "접수되었습니다.\n- 접수번호: {number}\n- 유형: {voc_type} · {label}\n- 담당부서: {department}\n"
        "- 처리기한: {due}\n처리 상황은 '/status {number}'로 확인하실 수 있습니다."
    ),
    "remedy": "안내: {remedy}",
    "status_line": "{number} [{status}] {voc_type} · {label} — {department}, 처리기한 {due}",
    "status_none": "진행 중인 접수 건이 없습니다.",
    "status_unknown": "{number} 접수 건을 찾을 수 없습니다. 접수번호를 확인해 주세요.",
    "cancel_draft": "작성 중이던 접수를 취소했습니다.",
    "cancel_ask": "{number} 접수 건을 취하할까요?",
    "cancel_yes": "네, 취하합니다",
    "cancel_keep": "아니요, 유지합니다",
    "cancel_done": "{number} 접수 건을 취하했습니다.",
    "cancel_kept": "취하하지 않았습니다. {number} 건은 계속 처리됩니다.",
    "cancel_nothing": "취소할 접수 건이 없습니다.",
    "cancel_which": "어느 접수 건을 취하할까요?",
    "append_ask": "진행 중인 {number} 건에 덧붙이는 내용인가요, 새로운 접수인가요?",
    "append_to": "{number} 건에 추가",
    "append_new": "새로 접수",
    "appended": "{number} 건에 내용을 추가했습니다. 담당부서에 전달됩니다.",
    "help": (
        "고객의 소리를 적어 보내시면 접수해 드립니다.\n"
        "/status [접수번호] 처리 상황 확인\n/cancel 작성 취소 또는 접수 취하\n"
        "/help 도움말\n'상담원 연결'이라고 보내시면 직원에게 연결해 드립니다."
    ),
    "handoff": "상담 직원에게 연결을 요청했습니다. 근무시간({hours})에 순서대로 연락드리겠습니다.",
    "goodbye": "이용해 주셔서 감사합니다. 좋은 하루 보내세요.",
    "out_of_scope": (
        "죄송합니다, 고객의 소리(문의·불만·제안·칭찬)만 접수해 드릴 수 있습니다. 내용을 다시 적어 주시겠어요?"
    ),
    "empty": "내용이 비어 있습니다. 접수하실 내용을 적어 주세요.",
    "too_long": (
        "메시지가 너무 깁니다({length:,}자). {limit:,}자 이하로 나누어 보내 주세요. "
        "보내신 내용은 접수되지 않았습니다."
    ),
    "choose_listed": "아래 선택지 중에서 골라 주세요.",
}

EN: dict[str, str] = {
    "greeting": "Hello, this is {institution}. We take your inquiries, complaints, suggestions and praise.",
    "consent": (
        "To file your case we need your consent to collect and use personal information.\n"
        "- Purpose: receiving and handling your case and telling you the result\n"
        "- Items: messenger account id, display name, what you write, your mobile number if you give it\n"
        "- Kept: {retention}\n"
        "You may refuse; then we cannot take your case on the messenger."
    ),
    "consent_yes": "I agree",
    "consent_no": "I do not agree",
    "consent_declined": (
        "You did not agree, so nothing was filed and what you wrote was not stored. "
        "You can agree at any time, or contact us by phone or in person."
    ),
    "ask_text": "Please tell us what it is about, in your own words.",
    "resend": "Thank you. What you wrote before agreeing was not stored; please send it again.",
    "understood": "I understood this as [{voc_type} · {label}]. Shall I file it?",
    "confirm_yes": "Yes, file it",
    "confirm_other": "It is something else",
    "pick": "Which of these is closest?",
    "pick_none": "None of these",
    "pick_type": "Please choose the kind of feedback.",
    "ask_contact": "Enter a mobile number for KakaoTalk/SMS status notices, or press 'Skip'.",
    "contact_skip": "Skip",
    "contact_invalid": "That is not a mobile number (e.g. 010-1234-5678). Try again or press 'Skip'.",
    "opened": (
        "Your case is filed.\n- Number: {number}\n- Type: {voc_type} · {label}\n- Department: {department}\n"
        "- Due: {due}\nCheck its progress with '/status {number}'."
    ),
    "remedy": "Note: {remedy}",
    "status_line": "{number} [{status}] {voc_type} · {label} — {department}, due {due}",
    "status_none": "You have no open cases.",
    "status_unknown": "No case {number} was found. Please check the number.",
    "cancel_draft": "The case you were writing is cancelled.",
    "cancel_ask": "Withdraw case {number}?",
    "cancel_yes": "Yes, withdraw",
    "cancel_keep": "No, keep it",
    "cancel_done": "Case {number} is withdrawn.",
    "cancel_kept": "Not withdrawn; case {number} goes on.",
    "cancel_nothing": "There is nothing to cancel.",
    "cancel_which": "Which case do you want to withdraw?",
    "append_ask": "Does this add to your open case {number}, or is it a new case?",
    "append_to": "Add to {number}",
    "append_new": "New case",
    "appended": "Added to case {number}; the department will see it.",
    "help": (
        "Write your inquiry, complaint, suggestion or praise and we file it.\n"
        "/status [number] progress of a case\n/cancel cancel what you are writing or withdraw a case\n"
        "/help this help\nWrite 'talk to a person' to reach our staff."
    ),
    "handoff": "We asked a staff member to contact you. They answer in working hours ({hours}), in turn.",
    "goodbye": "Thank you for contacting us. Have a good day.",
    "out_of_scope": "Sorry, I can only take inquiries, complaints, suggestions and praise. Could you write it again?",
    "empty": "The message is empty. Please write what you want to file.",
    "too_long": "The message is too long ({length:,} characters). Please send at most {limit:,} per message; "
                "nothing was filed.",
    "choose_listed": "Please pick one of the choices below.",
}

VOC_TYPE_EN = {"inquiry": "Inquiry", "complaint": "Complaint", "suggestion": "Suggestion", "praise": "Praise"}
STATUS_EN = {
    "received": "received", "assigned": "assigned", "in_progress": "in progress",
    "supplement_requested": "waiting for your documents", "answered": "answered", "closed": "closed",
    "withdrawn": "withdrawn",
}


def text(locale: str, key: str, **values: object) -> str:
    table = EN if locale == "en" else KO
    return table[key].format(**values)
