"""The other clocks of a 민원, besides its processing period (pure functions of their inputs).

Each returns the instant a limit runs out: intake of an electronic filing (시행령 제6조⑧), transfers
(시행령 제13조), the customer's supplement period (시행령 제24조), a 고충민원 site investigation
(시행령 제17조④) and the point after which a 정보공개 requester may object (정보공개법 제18조①).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bot.casework.deadlines import Period, Regime, Unit, base_due, extend
from bot.casework.workcalendar import WorkCalendar

REGISTRATION_HOURS = 8
"""시행령 제6조⑧: a filing that reaches the 전자민원창구 is registered (접수) within 8 working hours."""

MAX_SUPPLEMENT_EXTENSIONS = 2
"""시행령 제24조②: the customer may ask twice for a longer supplement period."""
RE_REQUEST_MAX_DAYS = 10
"""시행령 제24조③: a supplement not made in time may be asked for again, within at most 10 days."""

SITE_INVESTIGATION = Period(14, Unit.DAYS)
SITE_INVESTIGATION_EXTENSION = Period(7, Unit.DAYS)
"""시행령 제17조④: a 고충민원 site investigation takes at most 14 days, extendable once by 7."""

OBJECTION_AFTER = Period(20, Unit.DAYS, Regime.CIVIL)
"""정보공개법 제18조①: with no decision 20 days after the request, the requester may object."""


class TransferScope(StrEnum):
    """Where a 민원 is transferred to, which decides its limit (시행령 제13조)."""

    DESK = "desk"  # ① 민원실 → 처리주무부서: 1 working hour (3 when the department is far away)
    INTERNAL = "internal"  # ② a department it does not belong to → via the 민원실: 3 working hours
    AGENCY = "agency"  # ③ another agency: 8 working hours, and the customer is told

    @property
    def article(self) -> str:
        return {"desk": "시행령 제13조①", "internal": "시행령 제13조②", "agency": "시행령 제13조③"}[self.value]


def registration_limit(arrived_at: datetime, calendar: WorkCalendar) -> datetime:
    """By when a filing that reached the 전자민원창구 at ``arrived_at`` must be registered (시행령 제6조⑧).
    The legal clock runs from the registration (접수), not from the arrival."""
    return calendar.add_working_hours(arrived_at, REGISTRATION_HOURS)


def transfer_hours(scope: TransferScope, *, far: bool = False) -> int:
    """Working hours a transfer may take (시행령 제13조①–③); ``far`` only matters from the 민원실."""
    if scope is TransferScope.DESK:
        return 3 if far else 1
    return 3 if scope is TransferScope.INTERNAL else 8


def transfer_limit(held_since: datetime, scope: TransferScope, calendar: WorkCalendar, *,
                   far: bool = False) -> datetime:
    """By when a 민원 held since ``held_since`` by the wrong desk must have been transferred (시행령 제13조).
    An electronic document is to be transferred "without delay" (제13조④): the hours are an upper bound."""
    return calendar.add_working_hours(held_since, transfer_hours(scope, far=far))


def customer_period_end(asked_at: datetime, days: int, calendar: WorkCalendar) -> datetime:
    """End of a supplement period of ``days`` days given to the customer at ``asked_at``: counted under
    민법 제156·157·159–161조 (시행령 제24조④) — first day excluded, calendar days, a last day on a Saturday
    or 공휴일 moves to the next day — and ending at 24:00 of its last day."""
    return base_due(asked_at, Period(days, Unit.DAYS, Regime.CIVIL), calendar).legal_end


def investigation_limit(started_at: datetime, calendar: WorkCalendar, *, extended: bool = False) -> datetime:
    """Legal end of a 고충민원 site investigation begun at ``started_at``: 14 days counted like the 민원's own
    period (법 제19조), plus 7 when extended once (시행령 제17조④). Time past it counts again."""
    limit = base_due(started_at, SITE_INVESTIGATION, calendar)
    if extended:
        limit = extend(limit, SITE_INVESTIGATION_EXTENSION, calendar)
    return limit.legal_end


def objection_from(received_at: datetime, calendar: WorkCalendar) -> datetime:
    """When a 정보공개 requester who has had no decision may object: once 20 days have passed since the
    request (정보공개법 제18조①), counted under 민법 (행정기본법 제6조①)."""
    return base_due(received_at, OBJECTION_AFTER, calendar).legal_end
