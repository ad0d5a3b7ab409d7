"""Personal numbers are redacted before anything is stored (개인정보 보호법 제24조의2 for the RRN)."""

from __future__ import annotations

import pytest

from bot.pii import RRN_PLACEHOLDER, Kind, mask, mask_phone, normalize_mobile, redact


@pytest.mark.parametrize("typed", [
    "01012345678", " 010.1234.5678 ", "010-1234-5678", "+82 10-1234-5678", "+821012345678",
    "010 1234 5678 입니다", "010-1234-5678이에요", "전화 010-1234-5678",
])
def test_mobile_numbers_are_normalised(typed: str) -> None:
    assert normalize_mobile(typed) == "010-1234-5678"


@pytest.mark.parametrize("typed", ["02-123-4567", "010-1234-5678, 010-2222-3333", "12345", "",
                                   "010-1234-5678 말고 02-555-1234로"])
def test_what_is_not_one_mobile_number_is_refused(typed: str) -> None:
    assert normalize_mobile(typed) is None


def test_a_resident_registration_number_is_removed_whole() -> None:
    for typed in ("900101-1234567", "9001011234567", "900101 2234567", "주민번호는 051231-3234567입니다"):
        found = redact(typed)
        assert RRN_PLACEHOLDER in found.text and found.found == {Kind.RRN}
        assert not any(d in found.text for d in ("1234567", "2234567", "3234567", "900101", "051231"))


def test_card_and_account_numbers_keep_their_last_four_digits() -> None:
    found = redact("카드 4111 1111 1111 1111, 계좌 110-123-456789, 국민은행 123456789012로 입금")
    assert found.found == {Kind.CARD, Kind.ACCOUNT}
    assert "****-****-****-1111" in found.text
    assert "********6789" in found.text and "********9012" in found.text
    for raw in ("4111 1111 1111 1111", "110-123-456789", "123456789012"):
        assert raw not in found.text


def test_phone_numbers_in_free_text_are_masked_in_the_middle() -> None:
    found = redact("연락처 010-1234-5678, 집 02-345-6789, +82 10-9876-5432")
    assert found.text == "연락처 010-****-5678, 집 02-****-6789, 010-****-5432"
    assert mask_phone("010-9876-5432") == "010-****-5432"


def test_redaction_is_idempotent_and_keeps_ordinary_numbers() -> None:
    ordinary = "보증료 1,200,000원, 2026-10-02, VOC-2026-000123, 사업자번호 123-45-67890, 3회 방문"
    assert mask(ordinary) == ordinary
    once = mask("900101-1234567 4111111111111111 010-1234-5678 계좌 110-123-456789")
    assert mask(once) == once


def test_a_number_that_fails_the_luhn_check_is_not_a_card() -> None:
    assert redact("주문번호 1234 5678 9012 3456").found == frozenset()
