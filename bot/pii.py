"""Korean personal data: recognise it in what customers write, and mask it before anything is logged.

Patterns follow ``shared/reference/protocols.md`` §6: resident registration numbers by shape (the
checksum is unreliable since 2020), mobile numbers, and card numbers confirmed by the Luhn check.
"""

from __future__ import annotations

import re

RRN = re.compile(r"(?<!\d)(\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))[-\s]?([1-8])(\d{6})(?!\d)")
MOBILE = re.compile(r"(?<!\d)(01[016789])[-.\s]?(\d{3,4})[-.\s]?(\d{4})(?!\d)")
CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
ACCOUNT = re.compile(r"(계좌|account)(\D{0,12})(\d[\d-]{8,18}\d)", re.IGNORECASE)


def normalize_mobile(text: str) -> str | None:
    """``010-1234-5678`` for anything that is exactly one Korean mobile number, else None."""
    m = MOBILE.fullmatch(text.strip())
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _mask_card(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return f"****-****-****-{digits[-4:]}" if _luhn(digits) else m.group(0)


def mask(text: str) -> str:
    """Text safe for logs and exports: RRN back digits, phone last digits, card and account numbers hidden."""
    text = RRN.sub(lambda m: f"{m.group(1)}-{m.group(2)}******", text)
    text = CARD.sub(_mask_card, text)
    text = MOBILE.sub(lambda m: f"{m.group(1)}-{m.group(2)}-****", text)
    return ACCOUNT.sub(lambda m: f"{m.group(1)}{m.group(2)}{'*' * 6}{m.group(3)[-3:]}", text)


def mask_phone(phone: str) -> str:
    return MOBILE.sub(lambda m: f"{m.group(1)}-{m.group(2)}-****", phone) if phone else ""
