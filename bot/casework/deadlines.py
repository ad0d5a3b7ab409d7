"""Legal processing deadlines for 민원 (pure functions of their inputs; see reference §6).

Counting follows 민원처리법 제19조 (MINWON regime) or 민법 제157·159–161조 (CIVIL regime, e.g.
the 민법 reading of the 10-day 정보공개 period). Non-counted periods follow 시행령 제20조 and
행정절차법 시행령 제11조, extensions 시행령 제21조, interim notices 시행령 제23조. Policy (how many
extensions, consent, reasons) is left to the ticket lifecycle.
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.casework.workcalendar import WorkCalendar

IMMEDIATE_HOURS = 3
"""시행령 제19조: "즉시" means within 3 working hours."""

INTERIM_NOTICE_EVERY = timedelta(days=30)
_ONE_DAY = timedelta(days=1)
_HOURS_REGIME_MAX_DAYS = 5


class Unit(StrEnum):
    IMMEDIATE = "immediate"
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"


class Regime(StrEnum):
    MINWON = "minwon"  # 민원처리법 제19조: first day counted, Saturdays and 공휴일 not counted
    CIVIL = "civil"  # 민법 제157·159–161조: first day excluded, calendar days, roll off Sat/공휴일


_KOREAN_UNIT = {
    Unit.HOURS: "근무시간",
    Unit.DAYS: "일",
    Unit.WEEKS: "주",
    Unit.MONTHS: "개월",
    Unit.YEARS: "년",
}
_CIVIL_UNITS = frozenset({Unit.DAYS, Unit.WEEKS, Unit.MONTHS, Unit.YEARS})


@dataclass(frozen=True)
class Period:
    """A legal period such as 7일, 14일, 1개월 or 즉시 (amount is ignored for IMMEDIATE; pass 0 or 1)."""

    amount: int
    unit: Unit
    regime: Regime = Regime.MINWON

    def __post_init__(self) -> None:
        if self.unit is Unit.IMMEDIATE:
            if self.amount not in (0, 1):
                raise ValueError(f"IMMEDIATE takes no amount (use 0 or 1), got {self.amount}")
            if self.regime is not Regime.MINWON:
                raise ValueError("IMMEDIATE (즉시) is only defined under 민원처리법 (Regime.MINWON)")
        elif self.amount < 1:
            raise ValueError(f"period amount must be at least 1, got {self.amount}")
        if self.regime is Regime.CIVIL and self.unit not in _CIVIL_UNITS:
            raise ValueError(f"Regime.CIVIL counts days, weeks, months or years, not {self.unit}")

    def __str__(self) -> str:
        if self.unit is Unit.IMMEDIATE:
            return "즉시"
        return f"{self.amount}{_KOREAN_UNIT[self.unit]}"

    @property
    def counts_in_hours(self) -> bool:
        """True when 법 제19조① counts the period in working hours from the 접수 instant."""
        if self.unit is Unit.DAYS:
            return self.regime is Regime.MINWON and self.amount <= _HOURS_REGIME_MAX_DAYS
        return self.unit in (Unit.IMMEDIATE, Unit.HOURS)

    def working_hours(self, calendar: WorkCalendar) -> float:
        """Length in working hours of an hour-counted period (1 day = ``calendar.hours_per_day``)."""
        if self.unit is Unit.IMMEDIATE:
            return IMMEDIATE_HOURS
        if self.unit is Unit.HOURS:
            return self.amount
        if self.unit is Unit.DAYS and self.regime is Regime.MINWON:
            return self.amount * calendar.hours_per_day
        raise ValueError(f"{self} cannot be counted in working hours")


@dataclass(frozen=True)
class Interval:
    """A paused (non-counted) span; ``end`` None means still open (paused now)."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        for t in (self.start, self.end):
            if t is not None and t.utcoffset() is None:
                raise ValueError(f"pause boundary {t.isoformat()} must be timezone-aware")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"pause ends ({self.end.isoformat()}) before it starts ({self.start})")


@dataclass(frozen=True)
class Deadline:
    """When a period expires. ``date_only``: the period ends at the end of a day (``due_at`` = that day's
    ``calendar.end_of_day``); otherwise it was counted in working hours and ``due_at`` is exact."""

    due_at: datetime
    date_only: bool

    def __post_init__(self) -> None:
        if self.due_at.utcoffset() is None:
            raise ValueError(f"due_at {self.due_at.isoformat()} must be timezone-aware")

    @property
    def due_date(self) -> date:
        """The due day in ``due_at``'s own time zone (the calendar zone for deadlines computed here)."""
        return self.due_at.date()


def _last_calendar_day(first: date, amount: int, unit: Unit) -> date:
    """Last day of a period whose first day is ``first`` (민법 제160조②③: the day before the corresponding
    day, or the month's last day when the corresponding day does not exist)."""
    if unit is Unit.DAYS:
        return first + timedelta(days=amount - 1)
    if unit is Unit.WEEKS:
        return first + timedelta(weeks=amount) - _ONE_DAY
    months = amount if unit is Unit.MONTHS else 12 * amount
    year, month0 = divmod(first.year * 12 + first.month - 1 + months, 12)
    month = month0 + 1
    if first.day > _gregorian.monthrange(year, month)[1]:
        return date(year, month, _gregorian.monthrange(year, month)[1])
    return date(year, month, first.day) - _ONE_DAY


def _day_counted_due(first: date, period: Period, calendar: WorkCalendar) -> Deadline:
    """Last day of ``period`` when ``first`` is its first counted day, as an end-of-day deadline."""
    if period.regime is Regime.MINWON and period.unit is Unit.DAYS:
        last = calendar.nth_working_day(first, period.amount)
    else:
        last = calendar.roll_forward(_last_calendar_day(first, period.amount, period.unit))
    return Deadline(calendar.end_of_day(last), date_only=True)


def _civil_first_day(received_at: datetime, calendar: WorkCalendar) -> date:
    """민법 제157조: the first day is not counted unless the period starts at 00:00."""
    local = calendar.to_local(received_at)
    return local.date() if local.time() == time() else local.date() + _ONE_DAY


def base_due(received_at: datetime, period: Period, calendar: WorkCalendar) -> Deadline:
    """Due date without pauses or extensions (민원처리법 제19조, 시행령 제19조, 민법 제157·159–161조).

    Hour-counted periods (즉시 = 3 h, N hours, N ≤ 5 days = 8·N h) run from the 접수 instant. Day-counted
    periods count the 접수 day as day 1 (a non-working 접수 day: the next working day is day 1) and expire
    at the end of the last day, rolled forward off Saturdays and 공휴일.
    """
    if period.counts_in_hours:
        due_at = calendar.add_working_hours(received_at, period.working_hours(calendar))
        return Deadline(due_at, date_only=False)
    local_day = calendar.to_local(received_at).date()
    first = _civil_first_day(received_at, calendar) if period.regime is Regime.CIVIL else local_day
    return _day_counted_due(first, period, calendar)


def extend(deadline: Deadline, extension: Period, calendar: WorkCalendar) -> Deadline:
    """Apply one extension (시행령 제21조; 정보공개법 제11조②: counted from the day after the expiry).

    Day-counted deadline: the extension is a new period whose first day is the day after the due date,
    counted by its own regime (MINWON days: from the next working day; CIVIL: calendar days, rolled off
    Saturdays and 공휴일). Hour-counted deadline: the extension is added in working hours.
    Limits, consent and reasons (제21조①–③) are the caller's policy.
    """
    if not deadline.date_only:
        return Deadline(calendar.add_working_hours(deadline.due_at, extension.working_hours(calendar)), False)
    if extension.unit in (Unit.IMMEDIATE, Unit.HOURS):
        raise ValueError(f"cannot extend a day-counted deadline by {extension}")
    due_day = calendar.to_local(deadline.due_at).date()
    return _day_counted_due(due_day + _ONE_DAY, extension, calendar)


def _closed_spans(paused: Sequence[Interval], open_end: datetime) -> list[tuple[datetime, datetime]]:
    """Pauses as closed spans, open ones ending at ``open_end`` (ignored if not yet begun), merged so
    overlaps count once."""
    ends = [(p.start, p.end if p.end is not None else open_end) for p in paused]
    spans = sorted((start, end) for start, end in ends if end >= start)
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _paused_working_days(spans: Sequence[tuple[datetime, datetime]], calendar: WorkCalendar) -> int:
    """Working days touched by the spans, first and last day included, each day counted once."""
    total, counted_until = 0, date.min
    for start, end in spans:
        first = max(calendar.to_local(start).date(), counted_until + _ONE_DAY)
        last = calendar.to_local(end).date()
        total += calendar.working_days_between(first, last)
        counted_until = max(counted_until, last)
    return total


def shift_for_pauses(
    deadline: Deadline,
    period: Period,
    paused: Sequence[Interval],
    calendar: WorkCalendar,
    now: datetime | None,
) -> Deadline:
    """Push ``deadline`` back by the non-counted periods (시행령 제20조; 행정절차법 시행령 제11조).

    Hour-counted: add the working time the pauses consumed. Day-counted: add one working day per working
    day a pause touched, counting both the day it started and the day it ended (행정절차법 시행령 제11조:
    the day the 보완 request is sent and the day the supplement arrives are both excluded). Overlapping
    pauses count once. An open pause runs until ``now``; without ``now`` it is treated as ending at the
    unshifted due, so the result is only a lower bound while a pause is open.
    """
    if not paused:
        return deadline
    spans = _closed_spans(paused, now if now is not None else deadline.due_at)
    if period.counts_in_hours:
        consumed = sum((calendar.working_time_between(s, e) for s, e in spans), timedelta())
        if not consumed:
            return deadline
        return Deadline(calendar.add_working_hours(deadline.due_at, consumed), deadline.date_only)
    extra_days = _paused_working_days(spans, calendar)
    if not extra_days:
        return deadline
    due_day = calendar.to_local(deadline.due_at).date()
    return Deadline(calendar.end_of_day(calendar.nth_working_day(due_day + _ONE_DAY, extra_days)), True)


def compute_due(
    received_at: datetime,
    period: Period,
    calendar: WorkCalendar,
    *,
    paused: Sequence[Interval] = (),
    extensions: Sequence[Period] = (),
    now: datetime | None = None,
) -> Deadline:
    """The legal due of a 민원 received (접수) at ``received_at``: base period (법 제19조), plus non-counted
    pauses (시행령 제20조), then each extension in order (시행령 제21조)."""
    deadline = shift_for_pauses(base_due(received_at, period, calendar), period, paused, calendar, now)
    for extension in extensions:
        deadline = extend(deadline, extension, calendar)
    return deadline


def interim_notice_times(received_at: datetime, until: datetime) -> list[datetime]:
    """중간 통지 times (시행령 제23조): 30 calendar days after 접수, then every 30 days, until ``until``.

    Calendar days are the conservative (earlier) reading of the article.
    """
    for t in (received_at, until):
        if t.utcoffset() is None:
            raise ValueError(f"datetime {t.isoformat()} must be timezone-aware")
    times: list[datetime] = []
    notice = received_at + INTERIM_NOTICE_EVERY
    while notice <= until:
        times.append(notice)
        notice += INTERIM_NOTICE_EVERY
    return times


def remaining_working_time(now: datetime, deadline: Deadline, calendar: WorkCalendar) -> timedelta:
    """Working time left until ``deadline``; negative (working time overdue) once it has passed."""
    return calendar.working_time_between(now, deadline.due_at)
