"""Legal processing deadlines for 민원 (pure functions of their inputs; see reference §6).

Counting follows 민원처리법 제19조 (MINWON regime) or 민법 제157·159–161조 (CIVIL regime, e.g. the 민법 reading of
the 10-day 정보공개 period). Non-counted periods follow 시행령 제20조 and 행정절차법 시행령 제11조, extensions
시행령 제21조 and 정보공개법 제11조②, interim notices 시행령 제23조. A day-counted period legally ends at 24:00 of
its last day (행정기본법 제6조① → 민법 제159조); ``Deadline.due_at`` is the practical target, the end of that
day's working hours. Policy (how many extensions, consent, reasons) is left to the ticket lifecycle; the
other clocks (intake, transfers, the customer's supplement period, ...) are in ``bot.casework.limits``.
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
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


class Law(StrEnum):
    """Which act sets the period: it decides the extension rules and whether both readings are computed."""

    MINWON = "minwon"  # 민원처리법
    DISCLOSURE = "disclosure"  # 정보공개법 제11조: both readings computed, the stricter one alerts


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
    law: Law = Law.MINWON

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
        if self.law is Law.DISCLOSURE and self.unit is not Unit.DAYS:
            raise ValueError(f"정보공개법 제11조 periods are counted in days, not {self.unit}")

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


class Stop(StrEnum):
    """Why the clock stands still: the periods the law does not count (시행령 제20조 and the articles it
    borrows). Only the supplement is counted in whole days (its article says so); the others stop the
    clock for the time they take."""

    SUPPLEMENT = "supplement"
    TRANSIT = "transit"
    REPRESENTATIVE = "representative"
    HEARING = "hearing"
    TEST = "test"
    PREREQUISITE = "prerequisite"
    OUTAGE = "outage"
    SITE_INVESTIGATION = "site_investigation"
    CERTIFICATE = "certificate"

    @property
    def label_ko(self) -> str:
        return _STOPS[self][0]

    @property
    def article(self) -> str:
        return _STOPS[self][1]

    @property
    def whole_days(self) -> bool:
        """행정절차법 시행령 제11조제1호: the day the request is sent and the day the supplement arrives are
        both excluded, so the supplement stops whole days, in the hours regime too."""
        return self is Stop.SUPPLEMENT


_STOPS = {
    Stop.SUPPLEMENT: ("보완", "행정절차법 시행령 제11조제1호 (민원처리법 시행령 제20조제1호)"),
    Stop.TRANSIT: ("원거리 기관 간 문서 이송", "행정절차법 시행령 제11조제2호"),
    Stop.REPRESENTATIVE: ("대표자 선정", "행정절차법 시행령 제11조제3호"),
    Stop.HEARING: ("의견청취", "행정절차법 시행령 제11조제4호"),
    Stop.TEST: ("실험·검사·감정·전문 기술검토", "행정절차법 시행령 제11조제5호"),
    Stop.PREREQUISITE: ("선행 사무·민원의 완결", "행정절차법 시행령 제11조제6호, 민원처리법 시행령 제12조⑨"),
    Stop.OUTAGE: ("정보시스템 장애", "민원처리법 시행령 제20조제2호"),
    Stop.SITE_INVESTIGATION: ("고충민원 현장조사", "민원처리법 시행령 제17조④⑤"),
    Stop.CERTIFICATE: ("증명서류 발급·확인", "민원처리법 시행령 제7조의2③"),
}


@dataclass(frozen=True)
class Interval:
    """A paused (non-counted) span; ``end`` None means still open (paused now). ``cap``: the span counts no
    further than this instant (a 고충민원 site investigation beyond its 14(+7)-day limit, 시행령 제17조④)."""

    start: datetime
    end: datetime | None = None
    kind: Stop = Stop.SUPPLEMENT
    cap: datetime | None = None

    def __post_init__(self) -> None:
        for t in (self.start, self.end, self.cap):
            if t is not None and t.utcoffset() is None:
                raise ValueError(f"pause boundary {t.isoformat()} must be timezone-aware")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"pause ends ({self.end.isoformat()}) before it starts ({self.start})")

    def closed_at(self, open_end: datetime) -> datetime:
        """Where the span stops counting: its end (``open_end`` while open), no later than its cap."""
        end = self.end if self.end is not None else open_end
        return min(end, self.cap) if self.cap is not None else end


@dataclass(frozen=True)
class Deadline:
    """When a period expires. ``date_only``: the period ends with a day (``due_at`` = that day's
    ``calendar.end_of_day``, the practical target); otherwise it was counted in working hours and ``due_at``
    is exact."""

    due_at: datetime
    date_only: bool

    def __post_init__(self) -> None:
        if self.due_at.utcoffset() is None:
            raise ValueError(f"due_at {self.due_at.isoformat()} must be timezone-aware")

    @property
    def due_date(self) -> date:
        """The due day in ``due_at``'s own time zone (the calendar zone for deadlines computed here)."""
        return self.due_at.date()

    @property
    def legal_end(self) -> datetime:
        """When the period legally ends: a day-counted period at 24:00 of its last day (법 제19조 says
        nothing of the hour, so 행정기본법 제6조① applies 민법 제159조); an hour-counted one at ``due_at``.
        An act at 19:00 on the due day is on time."""
        if not self.date_only:
            return self.due_at
        return datetime.combine(self.due_at.date() + _ONE_DAY, time(), tzinfo=self.due_at.tzinfo)


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
    Limits, consent, reasons and timing (제21조①–③) are the caller's policy.
    """
    if not deadline.date_only:
        return Deadline(calendar.add_working_hours(deadline.due_at, extension.working_hours(calendar)), False)
    if extension.unit in (Unit.IMMEDIATE, Unit.HOURS):
        raise ValueError(f"cannot extend a day-counted deadline by {extension}")
    due_day = calendar.to_local(deadline.due_at).date()
    return _day_counted_due(due_day + _ONE_DAY, extension, calendar)


# ----- pauses ---------------------------------------------------------------------------------------------


def _hour_spans(paused: Sequence[Interval], open_end: datetime,
                calendar: WorkCalendar) -> list[tuple[datetime, datetime, datetime]]:
    """(trigger, start, end) of the time the pauses stop, merged so overlaps count once. A supplement
    stops whole days: from 00:00 of the request day to 00:00 of the day after the arrival. ``trigger`` is
    the earliest real start of the merged span (a pause only counts if it began before the due)."""
    spans = []
    for p in paused:
        start, end = p.start, p.closed_at(open_end)
        if end < start:
            continue
        if p.kind.whole_days:
            first, last = calendar.to_local(start).date(), calendar.to_local(end).date()
            start = datetime.combine(first, time(), tzinfo=calendar.tz)
            end = datetime.combine(last + _ONE_DAY, time(), tzinfo=calendar.tz)
        spans.append((start, end, p.start))
    merged: list[tuple[datetime, datetime, datetime]] = []
    for start, end, trigger in sorted(spans):
        if merged and start <= merged[-1][2]:
            first_trigger, first_start, last_end = merged[-1]
            merged[-1] = (min(first_trigger, trigger), first_start, max(last_end, end))
        else:
            merged.append((trigger, start, end))
    return sorted(merged)


def _stopped_days(p: Interval, open_end: datetime, calendar: WorkCalendar) -> tuple[date, date] | None:
    """The days a pause takes out of a day-counted period, first and last included (None: none).

    Supplement: the request day through the arrival day (행정절차법 시행령 제11조제1호). Other stops say
    nothing of their days, so 민법 제157·159조 (행정기본법 제6조①) decides: a day counts when the clock was
    stopped at the opening of its working hours — the first day only if the stop began by then — and the
    last day counts when the stop ran past its opening.
    """
    start, end = calendar.to_local(p.start), calendar.to_local(p.closed_at(open_end))
    if end < start:
        return None
    first, last = start.date(), end.date()
    if not p.kind.whole_days:
        opening = calendar.windows[0][0]
        if start.time() > opening:
            first += _ONE_DAY
        if end.time() <= opening:
            last -= _ONE_DAY
    return (first, last) if first <= last else None


def shift_for_pauses(
    deadline: Deadline,
    period: Period,
    paused: Sequence[Interval],
    calendar: WorkCalendar,
    now: datetime | None,
) -> Deadline:
    """Push ``deadline`` back by the non-counted periods (시행령 제20조; 행정절차법 시행령 제11조).

    Hour-counted: add the working time the pauses stopped, a supplement in whole days (8 h for each working
    day from the request day to the arrival day). Day-counted: add one working day per working day a pause
    took out (see ``_stopped_days``). Overlapping pauses count once, and a pause that begins after the
    period has run out revives nothing. An open pause runs until ``now``; without ``now`` it is treated as
    ending at the unshifted due, so the result is only a lower bound while a pause is open.
    """
    if not paused:
        return deadline
    open_end = now if now is not None else deadline.due_at
    if period.counts_in_hours:
        due = deadline.due_at
        for trigger, start, end in _hour_spans(paused, open_end, calendar):
            if trigger >= due:
                break
            due = calendar.add_working_hours(due, calendar.working_time_between(start, end))
        return Deadline(due, deadline.date_only)
    base_day = calendar.to_local(deadline.due_at).date()
    due_day, excluded = base_day, set[date]()
    for p in sorted(paused, key=lambda p: p.start):
        if calendar.to_local(p.start).date() > due_day:
            break
        days = _stopped_days(p, open_end, calendar)
        if days is None:
            continue
        excluded.update(d for d in _dates(*days) if calendar.is_working_day(d))
        due_day = _settle(base_day, excluded, calendar)
    return deadline if due_day == base_day else Deadline(calendar.end_of_day(due_day), True)


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _settle(base_day: date, excluded: set[date], calendar: WorkCalendar) -> date:
    """The first day ``d`` at or after ``base_day`` with (excluded working days ≤ d) extra working days
    counted after ``base_day`` (the least fixpoint: it is never itself an excluded day)."""
    due_day, shift = base_day, 0
    while True:
        needed = sum(1 for d in excluded if d <= due_day)
        if needed == shift:
            return due_day
        shift = needed
        due_day = calendar.nth_working_day(base_day + _ONE_DAY, shift)


# ----- the whole due --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """A period's due as the law and the desk see it: ``due`` governs alerts (the practical target; for
    정보공개 the stricter of the two readings), ``legal_end`` governs compliance (the configured reading's
    legal end), ``readings`` holds each reading computed (one, or both for 정보공개)."""

    due: Deadline
    legal_end: datetime
    readings: Mapping[Regime, Deadline]


def _one_reading(received_at: datetime, period: Period, calendar: WorkCalendar, paused: Sequence[Interval],
                 extensions: Sequence[Period], now: datetime | None) -> Deadline:
    deadline = shift_for_pauses(base_due(received_at, period, calendar), period, paused, calendar, now)
    for extension in extensions:
        if period.law is Law.DISCLOSURE:
            extension = replace(extension, regime=period.regime)
        deadline = extend(deadline, extension, calendar)
    return deadline


def schedule(
    received_at: datetime,
    period: Period,
    calendar: WorkCalendar,
    *,
    paused: Sequence[Interval] = (),
    extensions: Sequence[Period] = (),
    now: datetime | None = None,
) -> Schedule:
    """Base period (법 제19조), non-counted pauses (시행령 제20조), then each extension in order (시행령 제21조).

    For a 정보공개 period (정보공개법 제11조, which has no counting rule of its own) both readings are
    computed: 민원 counting and the 민법 reading (행정기본법 제6조①, the legal default, days earlier over
    long holidays); the earlier governs alerts, the period's own regime governs compliance.
    """
    if period.law is not Law.DISCLOSURE:
        deadline = _one_reading(received_at, period, calendar, paused, extensions, now)
        return Schedule(deadline, deadline.legal_end, {period.regime: deadline})
    readings = {
        regime: _one_reading(received_at, replace(period, regime=regime), calendar, paused, extensions, now)
        for regime in Regime
    }
    strict = min(readings.values(), key=lambda d: d.due_at)
    return Schedule(strict, readings[period.regime].legal_end, readings)


def compute_due(
    received_at: datetime,
    period: Period,
    calendar: WorkCalendar,
    *,
    paused: Sequence[Interval] = (),
    extensions: Sequence[Period] = (),
    now: datetime | None = None,
) -> Deadline:
    """The due of a 민원 received (접수) at ``received_at`` that governs alerts (``schedule(...).due``)."""
    return schedule(received_at, period, calendar, paused=paused, extensions=extensions, now=now).due


# ----- interim notices and remaining time -----------------------------------------------------------------


def interim_notice_times(received_at: datetime, until: datetime,
                         calendar: WorkCalendar | None = None) -> list[datetime]:
    """중간 통지 times (시행령 제23조): 30 calendar days after 접수, then every 30 days, until ``until``.

    Calendar days are the conservative (earlier) reading of the article. With a ``calendar``, a time that
    falls on a Saturday, Sunday or 공휴일 moves to the same hour of the working day before it (never late),
    so a notice moved back from after ``until`` to before it is included.
    """
    for t in (received_at, until):
        if t.utcoffset() is None:
            raise ValueError(f"datetime {t.isoformat()} must be timezone-aware")
    times: list[datetime] = []
    notice = received_at + INTERIM_NOTICE_EVERY
    while True:
        moved = notice if calendar is None else _working_day_before(notice, calendar)
        if moved > until:
            return times
        times.append(moved)
        notice += INTERIM_NOTICE_EVERY


def _working_day_before(at: datetime, calendar: WorkCalendar) -> datetime:
    """``at``, or the same wall-clock time of the last working day before it when its day is not one."""
    local = calendar.to_local(at)
    day = local.date()
    if calendar.is_working_day(day):
        return at
    while not calendar.is_working_day(day):
        day -= _ONE_DAY
    return datetime.combine(day, local.time(), tzinfo=calendar.tz)


def remaining_working_time(now: datetime, deadline: Deadline, calendar: WorkCalendar) -> timedelta:
    """Working time left until ``deadline``; negative (working time overdue) once it has passed."""
    return calendar.working_time_between(now, deadline.due_at)
