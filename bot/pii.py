"""Korean personal data: find it in what people write and redact it before anything is stored or logged.

Patterns follow ``shared/reference/protocols.md`` §6. A resident registration number (주민등록번호, detected
by shape: the checksum is unreliable since 2020) is removed outright: a public body may not keep one without
a legal basis (개인정보 보호법 제24조의2). A card number (confirmed by the Luhn check) and a bank account
number keep their last four digits; a phone number is masked in the middle (``010-****-5678``).
Redaction is idempotent: redacted text contains none of the shapes it looks for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    RRN = "rrn"
    CARD = "card"
    ACCOUNT = "account"
    PHONE = "phone"


RRN_PLACEHOLDER = "[주민등록번호 삭제]"
RRN = re.compile(r"(?<![\d-])\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[-\s]?[1-8]\d{6}(?![\d-])")
# +82 10-1234-5678, 82-10-..., 010 1234 5678, 01012345678
MOBILE = re.compile(
    r"(?<![\d+])(?:\+?82[-.\s]?0?|0)(1[016789])[-.\s]?(\d{3,4})[-.\s]?(\d{4})(?!\d)"
)
LANDLINE = re.compile(r"(?<![\d-])(0(?:2|[3-6][1-5]|70))[-.)\s](\d{3,4})[-.\s](\d{4})(?![\d-])")
CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
# Hyphenated digit groups the way Korean banks print account numbers (3-3-6, 4-3-6, 6-2-6, 3-4-4-2 ...).
HYPHENATED = re.compile(r"(?<![\w-])\d{2,6}(?:-\d{2,7}){2,3}(?![\w-])")
# A digit run right after a word that says it is an account ("계좌", "국민은행", "account").
ACCOUNT_CUE = re.compile(
    r"(계좌|통장|은행|뱅크|농협|신협|수협|새마을금고|우체국|account|acct|bank)(\D{0,12}?)(\d[\d -]{8,18}\d)",
    re.IGNORECASE,
)
_BUSINESS_NO = re.compile(r"\d{3}-\d{2}-\d{5}")  # 사업자등록번호: staff need it, and it is not personal data


@dataclass(frozen=True)
class Redacted:
    text: str
    found: frozenset[Kind]


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _last4(raw: str) -> str:
    digits = re.sub(r"\D", "", raw)
    return "*" * max(len(digits) - 4, 4) + digits[-4:]


def redact(text: str) -> Redacted:
    """``text`` without resident registration numbers, with card and account numbers cut to their last four
    digits and phone numbers masked in the middle; ``found`` says which kinds were there."""
    found: set[Kind] = set()

    def rrn(m: re.Match[str]) -> str:
        found.add(Kind.RRN)
        return RRN_PLACEHOLDER

    def card(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        if not _luhn(digits):
            return m.group(0)
        found.add(Kind.CARD)
        return f"****-****-****-{digits[-4:]}"

    def phone(m: re.Match[str]) -> str:
        found.add(Kind.PHONE)
        return _masked_mobile(m)

    def landline(m: re.Match[str]) -> str:
        found.add(Kind.PHONE)
        return f"{m.group(1)}-****-{m.group(3)}"

    def account_cue(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(3))
        if not 10 <= len(digits) <= 16:
            return m.group(0)
        found.add(Kind.ACCOUNT)
        return f"{m.group(1)}{m.group(2)}{_last4(digits)}"

    def hyphenated(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        if not 10 <= len(digits) <= 14 or _BUSINESS_NO.fullmatch(m.group(0)):
            return m.group(0)
        found.add(Kind.ACCOUNT)
        return _last4(digits)

    text = RRN.sub(rrn, text)
    text = CARD.sub(card, text)
    text = MOBILE.sub(phone, text)
    text = LANDLINE.sub(landline, text)
    text = ACCOUNT_CUE.sub(account_cue, text)
    text = HYPHENATED.sub(hyphenated, text)
    return Redacted(text, frozenset(found))


def mask(text: str) -> str:
    """Text safe for logs and listings (see ``redact``)."""
    return redact(text).text


def normalize_mobile(text: str) -> str | None:
    """``010-1234-5678`` when ``text`` gives exactly one Korean mobile number and no other digits
    (``+82 10-1234-5678``, ``010 1234 5678 입니다``), else None."""
    found = list(MOBILE.finditer(text))
    if len(found) != 1:
        return None
    m = found[0]
    rest = text[:m.start()] + text[m.end():]
    if re.search(r"\d", rest) or len(rest.strip()) > 20:
        return None
    return f"0{m.group(1)}-{m.group(2)}-{m.group(3)}"


def _masked_mobile(m: re.Match[str]) -> str:
    return f"0{m.group(1)}-****-{m.group(3)}"


def mask_phone(phone: str) -> str:
    """A stored contact number for display: ``010-****-5678``."""
    return MOBILE.sub(_masked_mobile, phone) if phone else ""
