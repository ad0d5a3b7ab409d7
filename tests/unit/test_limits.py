"""The other legal clocks of a 민원 (``bot.casework.limits``), each at fixed instants with its article."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.casework import limits
from bot.casework.limits import TransferScope
from bot.casework.workcalendar import WorkCalendar
from tests.fakes import KST

CAL = WorkCalendar.build()


def kst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=KST)


def test_electronic_filing_is_registered_within_8_working_hours_of_arrival() -> None:
    """시행령 제6조⑧: arrival Fri 17:00 → 1 h on Fri, 7 h on Mon: registered by Mon 17:00."""
    assert limits.registration_limit(kst(2026, 11, 20, 17), CAL) == kst(2026, 11, 23, 17)
    assert limits.registration_limit(kst(2026, 9, 23, 16), CAL) == kst(2026, 9, 28, 16)  # 2 h, 추석, 6 h


@pytest.mark.parametrize(("scope", "far", "limit"), [
    (TransferScope.DESK, False, kst(2026, 11, 17, 11)),  # 제13조①: 1 working hour from the 민원실
    (TransferScope.DESK, True, kst(2026, 11, 17, 14)),  # 제13조① 단서: 3 when the department is far
    (TransferScope.INTERNAL, False, kst(2026, 11, 17, 14)),  # 제13조②: 3, via the 민원실 (lunch skipped)
    (TransferScope.AGENCY, False, kst(2026, 11, 18, 10)),  # 제13조③: 8 to another agency
])
def test_transfer_limits_of_article_13(scope: TransferScope, far: bool, limit: datetime) -> None:
    assert limits.transfer_limit(kst(2026, 11, 17, 10), scope, CAL, far=far) == limit


def test_customer_supplement_period_is_counted_under_the_civil_code() -> None:
    """시행령 제24조④ → 민법 제157·159–161조: the first day is left out and the period ends at 24:00 of its last
    day, moved off Saturdays and 공휴일: 7 days asked Fri 2026-09-18 end 09-25 (추석) → Tue 09-29 24:00."""
    assert limits.customer_period_end(kst(2026, 11, 18, 14), 7, CAL) == kst(2026, 11, 26)  # 11-19 … 11-25
    assert limits.customer_period_end(kst(2026, 9, 18, 10), 7, CAL) == kst(2026, 9, 29)
    assert limits.customer_period_end(kst(2026, 11, 18, 0), 7, CAL) == kst(2026, 11, 25)  # 민법 157 단서: 00:00


def test_site_investigation_takes_14_days_extendable_once_by_7() -> None:
    """시행령 제17조④: 14 days counted like the 민원 (first day counted, working days), 7 more once."""
    started = kst(2026, 11, 2, 10)
    assert limits.investigation_limit(started, CAL) == kst(2026, 11, 20)  # Nov 2–6, 9–13, 16–19
    assert limits.investigation_limit(started, CAL, extended=True) == kst(2026, 12, 1)  # 11-20, 23–27, 30


def test_disclosure_requester_may_object_after_20_days() -> None:
    """정보공개법 제18조①: with no decision 20 days after the request (민법 counting), from 00:00 after day 20."""
    assert limits.objection_from(kst(2027, 9, 9, 10), CAL) == kst(2027, 9, 30)
    assert limits.objection_from(kst(2026, 9, 23, 14), CAL) == kst(2026, 10, 14)  # 10-13 Tue
