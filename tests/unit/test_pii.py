from __future__ import annotations

from bot.pii import mask, mask_phone, normalize_mobile


def test_mobile_numbers_are_normalised() -> None:
    assert normalize_mobile("01012345678") == "010-1234-5678"
    assert normalize_mobile(" 010.1234.5678 ") == "010-1234-5678"
    assert normalize_mobile("011-123-4567") == "011-123-4567"
    assert normalize_mobile("02-123-4567") is None
    assert normalize_mobile("전화 010-1234-5678") is None


def test_mask_hides_personal_numbers() -> None:
    text = "주민번호 900101-1234567, 폰 010-1234-5678, 카드 4111 1111 1111 1111, 계좌 110-123-456789"
    masked = mask(text)
    for secret in ("1234567", "5678", "4111 1111 1111 1111", "123-456789"):
        assert secret not in masked
    assert "900101-1******" in masked and "010-1234-****" in masked and "****-****-****-1111" in masked
    assert mask_phone("010-9876-5432") == "010-9876-****"


def test_mask_keeps_ordinary_numbers() -> None:
    assert mask("보증료 1,200,000원, 2026-10-02, VOC-2026-000123") == "보증료 1,200,000원, 2026-10-02, VOC-2026-000123"
