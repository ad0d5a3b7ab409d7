"""Legal deadline engine: worked examples E1–E6 and edge conventions of reference §6, plus properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.casework.deadlines import (
    Deadline,
    Interval,
    Period,
    Regime,
    Unit,
    base_due,
    compute_due,
    extend,
    interim_notice_times,
    remaining_working_time,
    shift_for_pauses,
)
from bot.casework.workcalendar import WorkCalendar

KST = ZoneInfo("Asia/Seoul")
CAL = WorkCalendar.build()
SEVEN_DAYS = Period(7, Unit.DAYS)
THREE_DAYS = Period(3, Unit.DAYS)


def kst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=KST)


def end_of(year: int, month: int, day: int) -> Deadline:
    return Deadline(kst(year, month, day, 18), date_only=True)


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> Deadline:
    return Deadline(kst(year, month, day, hour, minute), date_only=False)


# ----- worked examples (reference §6) -----------------------------------------------------------------


def test_e1_seven_days_around_chuseok_2026_and_its_extension() -> None:
    received = kst(2026, 9, 22, 10)
    assert compute_due(received, SEVEN_DAYS, CAL) == end_of(2026, 10, 2)
    assert compute_due(received, SEVEN_DAYS, CAL, extensions=[SEVEN_DAYS]) == end_of(2026, 10, 15)


def test_e2a_ten_day_disclosure_counted_like_minwon() -> None:
    received, ten = kst(2026, 9, 23, 14), Period(10, Unit.DAYS)
    assert compute_due(received, ten, CAL) == end_of(2026, 10, 12)
    assert compute_due(received, ten, CAL, extensions=[ten]) == end_of(2026, 10, 26)


def test_e2b_ten_day_disclosure_counted_under_civil_code() -> None:
    received, ten = kst(2026, 9, 23, 14), Period(10, Unit.DAYS, Regime.CIVIL)
    assert compute_due(received, ten, CAL) == end_of(2026, 10, 6)
    assert compute_due(received, ten, CAL, extensions=[ten]) == end_of(2026, 10, 16)


def test_e3_fourteen_days_across_seollal_2027() -> None:
    assert compute_due(kst(2027, 1, 29, 15), Period(14, Unit.DAYS), CAL) == end_of(2027, 2, 19)


def test_e4_three_days_counted_in_working_hours() -> None:
    assert compute_due(kst(2027, 2, 5, 16, 30), THREE_DAYS, CAL) == at(2027, 2, 12, 16, 30)


def test_e5_immediate_is_three_working_hours() -> None:
    assert compute_due(kst(2026, 9, 23, 16), Period(1, Unit.IMMEDIATE), CAL) == at(2026, 9, 28, 10)


def test_e6_one_month_rolls_past_seollal() -> None:
    assert compute_due(kst(2027, 1, 7, 11), Period(1, Unit.MONTHS), CAL) == end_of(2027, 2, 10)


# ----- edge conventions ------------------------------------------------------------------------------------


def test_lunch_receipt_starts_at_thirteen() -> None:
    assert base_due(kst(2026, 9, 22, 12, 30), Period(1, Unit.DAYS), CAL) == at(2026, 9, 23, 12)


def test_after_hours_receipt_starts_next_window() -> None:
    assert base_due(kst(2026, 9, 22, 19), Period(1, Unit.DAYS), CAL) == at(2026, 9, 23, 18)


def test_saturday_receipt_counts_from_next_working_day() -> None:
    assert base_due(kst(2026, 9, 26, 11), SEVEN_DAYS, CAL) == end_of(2026, 10, 7)


def test_receipt_in_another_zone_is_converted() -> None:
    received = datetime(2027, 2, 5, 7, 30, tzinfo=UTC)  # 16:30 KST
    due = base_due(received, THREE_DAYS, CAL)
    assert due == at(2027, 2, 12, 16, 30)
    assert due.due_at.tzinfo == KST


def test_naive_receipt_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_due(datetime(2026, 9, 22, 10), SEVEN_DAYS, CAL)


@pytest.mark.parametrize(
    ("received", "period", "expected"),
    [
        (kst(2026, 9, 22, 10), Period(2, Unit.WEEKS), end_of(2026, 10, 6)),  # 10-05 대체공휴일 → 10-06
        (kst(2026, 3, 10, 10), Period(1, Unit.MONTHS), end_of(2026, 4, 9)),
        (kst(2027, 1, 31, 10), Period(1, Unit.MONTHS), end_of(2027, 3, 2)),  # 02-28 Sun, 03-01
        (kst(2028, 2, 29, 10), Period(1, Unit.YEARS), end_of(2029, 2, 28)),  # 02-29 missing → 02-28
        (kst(2026, 6, 2, 10), Period(1, Unit.YEARS), end_of(2027, 6, 1)),
        (kst(2026, 9, 22, 10), Period(10, Unit.HOURS), at(2026, 9, 23, 12)),
        (kst(2026, 9, 22, 14), Period(1, Unit.WEEKS, Regime.CIVIL), end_of(2026, 9, 29)),
        (kst(2027, 1, 7, 11), Period(1, Unit.MONTHS, Regime.CIVIL), end_of(2027, 2, 10)),
        (kst(2026, 9, 22, 0), Period(10, Unit.DAYS, Regime.CIVIL), end_of(2026, 10, 1)),  # 민법 157 00:00
        (kst(2026, 9, 22, 0, 1), Period(10, Unit.DAYS, Regime.CIVIL), end_of(2026, 10, 2)),
    ],
)
def test_calendar_periods(received: datetime, period: Period, expected: Deadline) -> None:
    assert base_due(received, period, CAL) == expected


# ----- holiday overrides ---------------------------------------------------------------------------------


def test_temporary_holiday_moves_the_deadline() -> None:
    cal = WorkCalendar.build(extra_holidays=[date(2026, 10, 1)])
    assert compute_due(kst(2026, 9, 22, 10), SEVEN_DAYS, cal) == end_of(2026, 10, 6)


def test_removed_holiday_counts_again() -> None:
    cal = WorkCalendar.build(removed_holidays=[date(2026, 10, 9)])
    assert compute_due(kst(2026, 9, 23, 14), Period(10, Unit.DAYS), cal) == end_of(2026, 10, 9)


# ----- pauses (시행령 제20조, 행정절차법 시행령 제11조) -----------------------------------------------------


def test_day_regime_pause_counts_start_and_end_days() -> None:
    pause = Interval(kst(2026, 9, 29, 10), kst(2026, 9, 30, 15))
    assert compute_due(kst(2026, 9, 22, 10), SEVEN_DAYS, CAL, paused=[pause]) == end_of(2026, 10, 7)


def test_day_regime_pause_skips_non_working_days() -> None:
    pause = Interval(kst(2026, 10, 2, 17), kst(2026, 10, 6, 9, 30))  # Fri → Tue: touches 10-02 and 10-06
    assert compute_due(kst(2026, 9, 22, 10), SEVEN_DAYS, CAL, paused=[pause]) == end_of(2026, 10, 7)


def test_day_regime_overlapping_pauses_count_once() -> None:
    pauses = [
        Interval(kst(2026, 9, 29, 10), kst(2026, 9, 30, 12)),
        Interval(kst(2026, 9, 30, 10), kst(2026, 10, 1, 9)),
    ]
    assert compute_due(kst(2026, 9, 22, 10), SEVEN_DAYS, CAL, paused=pauses) == end_of(2026, 10, 8)


def test_day_regime_open_pause_runs_until_now() -> None:
    pause = Interval(kst(2026, 9, 29, 10))
    received = kst(2026, 9, 22, 10)
    now = kst(2026, 9, 30, 11)
    assert compute_due(received, SEVEN_DAYS, CAL, paused=[pause], now=now) == end_of(2026, 10, 7)
    # Without `now` the open pause is taken to end at the unshifted due (10-02): a lower bound only.
    assert compute_due(received, SEVEN_DAYS, CAL, paused=[pause]) == end_of(2026, 10, 12)


def test_open_pause_that_has_not_begun_changes_nothing() -> None:
    received, pause = kst(2026, 9, 22, 10), Interval(kst(2026, 9, 29, 10))
    assert compute_due(received, SEVEN_DAYS, CAL, paused=[pause], now=kst(2026, 9, 28, 9)) == end_of(
        2026, 10, 2
    )


def test_hour_regime_pause_adds_consumed_working_time() -> None:
    received, pause = kst(2027, 2, 5, 16, 30), Interval(kst(2027, 2, 10, 10), kst(2027, 2, 10, 15))
    assert compute_due(received, THREE_DAYS, CAL, paused=[pause]) == at(2027, 2, 15, 11, 30)


def test_hour_regime_overlapping_and_open_pauses() -> None:
    received = kst(2027, 2, 5, 16, 30)
    overlapping = [
        Interval(kst(2027, 2, 10, 10), kst(2027, 2, 10, 12)),
        Interval(kst(2027, 2, 10, 11), kst(2027, 2, 10, 15)),
    ]
    expected = at(2027, 2, 15, 11, 30)
    assert compute_due(received, THREE_DAYS, CAL, paused=overlapping) == expected
    open_pause = [Interval(kst(2027, 2, 10, 10))]
    assert compute_due(received, THREE_DAYS, CAL, paused=open_pause, now=kst(2027, 2, 10, 15)) == expected


def test_pause_outside_working_hours_changes_nothing() -> None:
    base = base_due(kst(2027, 2, 5, 16, 30), THREE_DAYS, CAL)
    lunch = Interval(kst(2027, 2, 10, 12), kst(2027, 2, 10, 13))
    assert shift_for_pauses(base, THREE_DAYS, [lunch], CAL, None) == base


def test_pause_validation() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Interval(kst(2026, 9, 30), kst(2026, 9, 29))
    with pytest.raises(ValueError, match="timezone-aware"):
        Interval(datetime(2026, 9, 29, 10))


# ----- extensions (시행령 제21조) -------------------------------------------------------------------------


def test_two_day_regime_extensions_chain() -> None:
    due = compute_due(kst(2026, 9, 22, 10), SEVEN_DAYS, CAL, extensions=[SEVEN_DAYS, SEVEN_DAYS])
    assert due == end_of(2026, 10, 26)


def test_hour_regime_extension_adds_working_hours() -> None:
    assert extend(at(2027, 2, 12, 16, 30), THREE_DAYS, CAL) == at(2027, 2, 17, 16, 30)
    assert extend(at(2026, 9, 22, 18), Period(1, Unit.DAYS), CAL) == at(2026, 9, 23, 18)


def test_short_extension_of_day_regime_counts_days() -> None:
    assert extend(end_of(2026, 10, 2), THREE_DAYS, CAL) == end_of(2026, 10, 8)


def test_calendar_extension_counts_from_the_day_after() -> None:
    assert extend(end_of(2026, 10, 2), Period(1, Unit.WEEKS), CAL) == end_of(2026, 10, 12)  # 10-09 한글날


def test_mismatched_extensions_are_rejected() -> None:
    with pytest.raises(ValueError, match="working hours"):
        extend(at(2027, 2, 12, 16, 30), Period(1, Unit.WEEKS), CAL)
    with pytest.raises(ValueError, match="day-counted"):
        extend(end_of(2026, 10, 2), Period(3, Unit.HOURS), CAL)


# ----- Period ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "text", "in_hours"),
    [
        (Period(7, Unit.DAYS), "7일", False),
        (Period(5, Unit.DAYS), "5일", True),
        (Period(5, Unit.DAYS, Regime.CIVIL), "5일", False),
        (Period(3, Unit.HOURS), "3근무시간", True),
        (Period(1, Unit.MONTHS), "1개월", False),
        (Period(2, Unit.WEEKS), "2주", False),
        (Period(1, Unit.YEARS), "1년", False),
        (Period(0, Unit.IMMEDIATE), "즉시", True),
    ],
)
def test_period_text_and_counting(period: Period, text: str, in_hours: bool) -> None:
    assert str(period) == text
    assert period.counts_in_hours is in_hours


@pytest.mark.parametrize(
    "args",
    [
        (0, Unit.DAYS, Regime.MINWON),
        (-1, Unit.MONTHS, Regime.MINWON),
        (5, Unit.IMMEDIATE, Regime.MINWON),
        (1, Unit.IMMEDIATE, Regime.CIVIL),
        (3, Unit.HOURS, Regime.CIVIL),
    ],
)
def test_invalid_periods(args: tuple[int, Unit, Regime]) -> None:
    with pytest.raises(ValueError):
        Period(*args)


# ----- interim notices and remaining time ---------------------------------------------------------------


def test_interim_notices_every_thirty_calendar_days() -> None:
    received = kst(2027, 1, 29, 10)
    assert interim_notice_times(received, kst(2027, 2, 28, 9)) == []
    assert interim_notice_times(received, kst(2027, 4, 29, 10)) == [
        kst(2027, 2, 28, 10),
        kst(2027, 3, 30, 10),
        kst(2027, 4, 29, 10),
    ]


def test_remaining_working_time() -> None:
    due = end_of(2026, 10, 2)
    assert remaining_working_time(kst(2026, 9, 30, 10), due, CAL) == timedelta(hours=23)
    assert remaining_working_time(kst(2026, 10, 6, 10), due, CAL) == -timedelta(hours=1)


# ----- properties -----------------------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)
RECEIVED = st.datetimes(datetime(2025, 1, 1), datetime(2028, 6, 30), timezones=st.just(KST))
HOLIDAY = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))
PERIODS = st.one_of(
    st.just(Period(1, Unit.IMMEDIATE)),
    st.builds(Period, st.integers(1, 40), st.just(Unit.HOURS)),
    st.builds(Period, st.integers(1, 30), st.just(Unit.DAYS), st.sampled_from(Regime)),
    st.builds(Period, st.integers(1, 8), st.just(Unit.WEEKS), st.sampled_from(Regime)),
    st.builds(Period, st.integers(1, 12), st.just(Unit.MONTHS), st.sampled_from(Regime)),
    st.builds(Period, st.integers(1, 2), st.just(Unit.YEARS), st.sampled_from(Regime)),
)


def _inside_a_window(t: datetime, cal: WorkCalendar) -> bool:
    return any(start < t.time() <= end for start, end in cal.windows)


@PROPERTY_SETTINGS
@given(RECEIVED, PERIODS, st.lists(HOLIDAY, max_size=5))
def test_due_is_a_working_instant_after_receipt(
    received: datetime, period: Period, extras: list[date]
) -> None:
    cal = WorkCalendar.build(extra_holidays=extras)
    due = base_due(received, period, cal)
    assert cal.is_working_day(due.due_at.date())
    assert due.due_at >= received
    if due.date_only:
        assert due.due_at == cal.end_of_day(due.due_at.date())
    else:
        assert _inside_a_window(due.due_at, cal)


@PROPERTY_SETTINGS
@given(RECEIVED, PERIODS, HOLIDAY)
def test_adding_a_holiday_never_delays_less(received: datetime, period: Period, holiday: date) -> None:
    with_holiday = WorkCalendar.build(extra_holidays=[holiday])
    assert base_due(received, period, with_holiday).due_at >= base_due(received, period, CAL).due_at


@PROPERTY_SETTINGS
@given(RECEIVED, RECEIVED, PERIODS)
def test_due_is_monotone_in_receipt(first: datetime, second: datetime, period: Period) -> None:
    early, late = sorted((first, second))
    assert base_due(early, period, CAL).due_at <= base_due(late, period, CAL).due_at


@PROPERTY_SETTINGS
@given(RECEIVED, PERIODS, st.integers(0, 20 * 24), st.integers(0, 5 * 24))
def test_pauses_never_move_the_due_earlier(
    received: datetime, period: Period, offset: int, length: int
) -> None:
    start = received + timedelta(hours=offset)
    pause = Interval(start, start + timedelta(hours=length))
    assert compute_due(received, period, CAL, paused=[pause]).due_at >= base_due(received, period, CAL).due_at
