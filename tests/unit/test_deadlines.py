"""Legal deadline engine: worked examples E1–E6 and edge conventions of reference §6, plus properties.

The audit of hand-computed cases (issue 16) is covered by pattern: the worked examples, receipt conventions
(lunch, after hours, Saturday, another zone), calendar periods, holiday overrides, pauses, extensions,
interim notices and remaining time. The two it found wrong are regression tests here: a supplement on an
hour-counted period (행정절차법 시행령 제11조제1호) and the legal end of a day-counted period (민법 제159조).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.casework.deadlines import (
    Deadline,
    Interval,
    Law,
    Period,
    Regime,
    Stop,
    Unit,
    base_due,
    compute_due,
    extend,
    interim_notice_times,
    remaining_working_time,
    schedule,
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


def test_hour_regime_stop_adds_the_working_time_it_took() -> None:
    """행정절차법 시행령 제11조제4호 (a hearing) says nothing of days: the working time it took is added."""
    received, pause = kst(2027, 2, 5, 16, 30), Interval(kst(2027, 2, 10, 10), kst(2027, 2, 10, 15), Stop.HEARING)
    assert compute_due(received, THREE_DAYS, CAL, paused=[pause]) == at(2027, 2, 15, 11, 30)


def test_hour_regime_overlapping_and_open_stops() -> None:
    received = kst(2027, 2, 5, 16, 30)
    overlapping = [
        Interval(kst(2027, 2, 10, 10), kst(2027, 2, 10, 12), Stop.OUTAGE),
        Interval(kst(2027, 2, 10, 11), kst(2027, 2, 10, 15), Stop.TEST),
    ]
    expected = at(2027, 2, 15, 11, 30)
    assert compute_due(received, THREE_DAYS, CAL, paused=overlapping) == expected
    open_pause = [Interval(kst(2027, 2, 10, 10), kind=Stop.OUTAGE)]
    assert compute_due(received, THREE_DAYS, CAL, paused=open_pause, now=kst(2027, 2, 10, 15)) == expected


def test_stop_outside_working_hours_changes_nothing() -> None:
    base = base_due(kst(2027, 2, 5, 16, 30), THREE_DAYS, CAL)
    lunch = Interval(kst(2027, 2, 10, 12), kst(2027, 2, 10, 13), Stop.OUTAGE)
    assert shift_for_pauses(base, THREE_DAYS, [lunch], CAL, None) == base


def test_hour_regime_supplement_stops_whole_days_regression() -> None:
    """행정절차법 시행령 제11조제1호 (borrowed by 민원처리법 시행령 제20조제1호) leaves out the day the request
    goes out and the day the supplement arrives, as whole days, in the hours regime too: a 3-day period
    paused Tue 14:00 → Wed 11:00 is due Mon 10:00, not Thu 17:00 (the audit's first wrong case)."""
    received = kst(2026, 11, 16, 10)  # Mon; 24 working hours → Thu 11-19 10:00
    pause = Interval(kst(2026, 11, 17, 14), kst(2026, 11, 18, 11))
    assert base_due(received, THREE_DAYS, CAL) == at(2026, 11, 19, 10)
    assert compute_due(received, THREE_DAYS, CAL, paused=[pause]) == at(2026, 11, 23, 10)
    # the same span stopped by an outage (시행령 제20조제2호) only adds the 6 working hours it took
    outage = Interval(pause.start, pause.end, Stop.OUTAGE)
    assert compute_due(received, THREE_DAYS, CAL, paused=[outage]) == at(2026, 11, 19, 17)


def test_hour_regime_supplement_over_a_weekend_counts_working_days_only() -> None:
    """행정절차법 시행령 제11조제1호: Fri request, Mon arrival: Fri and Mon are left out (16 h), not the weekend."""
    received = kst(2026, 11, 18, 10)  # Wed; 24 working hours → Mon 11-23 10:00
    pause = Interval(kst(2026, 11, 20, 16), kst(2026, 11, 23, 9, 30))
    assert compute_due(received, THREE_DAYS, CAL, paused=[pause]) == at(2026, 11, 25, 10)
    longer = Interval(kst(2026, 11, 18, 16), kst(2026, 11, 23, 9, 30))  # Wed → Mon: Wed, Thu, Fri, Mon
    assert compute_due(kst(2026, 11, 16, 10), THREE_DAYS, CAL, paused=[longer]) == at(2026, 11, 25, 10)


def test_day_regime_stop_counts_days_the_clock_was_stopped_at_opening() -> None:
    """민원처리법 시행령 제20조제2호 and 행정절차법 시행령 제11조제2–6호 name no days, so 민법 제157·159조
    (행정기본법 제6조①) counts them: a day counts when the clock was stopped at its 09:00 opening."""
    received = kst(2026, 11, 16, 10)  # 7 days → Tue 11-24

    def due(start: datetime, end: datetime) -> Deadline:
        return compute_due(received, SEVEN_DAYS, CAL, paused=[Interval(start, end, Stop.OUTAGE)])

    assert due(kst(2026, 11, 17, 10), kst(2026, 11, 17, 15)) == end_of(2026, 11, 24)  # within a day: none
    assert due(kst(2026, 11, 17, 9), kst(2026, 11, 17, 18)) == end_of(2026, 11, 25)  # the whole Tue
    assert due(kst(2026, 11, 17, 14), kst(2026, 11, 18, 11)) == end_of(2026, 11, 25)  # Wed only
    assert due(kst(2026, 11, 17, 14), kst(2026, 11, 19, 9)) == end_of(2026, 11, 25)  # Wed; Thu resumed at 09:00
    supplement = Interval(kst(2026, 11, 17, 14), kst(2026, 11, 18, 11))  # 제11조제1호: Tue and Wed
    assert compute_due(received, SEVEN_DAYS, CAL, paused=[supplement]) == end_of(2026, 11, 26)


def test_a_stop_that_begins_after_the_period_ran_out_revives_nothing() -> None:
    """시행령 제20조 leaves periods out of a running period; once it has run out there is nothing to leave out."""
    received = kst(2026, 11, 16, 10)
    late = Interval(kst(2026, 11, 25, 10), kst(2026, 11, 26, 10))  # after 11-24
    assert compute_due(received, SEVEN_DAYS, CAL, paused=[late]) == end_of(2026, 11, 24)
    late_hours = Interval(kst(2026, 11, 19, 11), kst(2026, 11, 20, 11), Stop.OUTAGE)  # after Thu 10:00
    assert compute_due(received, THREE_DAYS, CAL, paused=[late_hours]) == at(2026, 11, 19, 10)
    chained = [Interval(kst(2026, 11, 23, 10), kst(2026, 11, 24, 10)),  # Mon–Tue: due → 11-26
               Interval(kst(2026, 11, 25, 10), kst(2026, 11, 25, 11))]  # Wed: before the moved due, counts
    assert compute_due(received, SEVEN_DAYS, CAL, paused=chained) == end_of(2026, 11, 27)


def test_a_capped_stop_counts_no_further_than_its_cap() -> None:
    """시행령 제17조④: a site investigation counts as stopped time only within its limit."""
    received = kst(2026, 11, 16, 10)
    capped = Interval(kst(2026, 11, 17, 9), kst(2026, 11, 20, 18), Stop.SITE_INVESTIGATION,
                      cap=kst(2026, 11, 18, 9, 30))
    assert compute_due(received, SEVEN_DAYS, CAL, paused=[capped]) == end_of(2026, 11, 26)  # Tue, Wed only


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


# ----- legal end (행정기본법 제6조① → 민법 제159조) -----------------------------------------------------------


def test_day_counted_period_legally_ends_at_midnight_regression() -> None:
    """법 제19조 says nothing of the hour, so 민법 제159조 applies: the period ends at 24:00 of its last day.
    18:00 stays the practical target (``due_at``); an answer at 19:00 on the due day is on time (the
    audit's second wrong case)."""
    due = compute_due(kst(2026, 9, 22, 10), SEVEN_DAYS, CAL)
    assert due == end_of(2026, 10, 2)
    assert due.legal_end == kst(2026, 10, 3)
    assert kst(2026, 10, 2, 19) <= due.legal_end < kst(2026, 10, 3, 0, 1)


def test_hour_counted_period_ends_at_its_instant() -> None:
    """법 제19조①: a period of 5 days or less is counted in hours; its due instant is the limit."""
    due = compute_due(kst(2027, 2, 5, 16, 30), THREE_DAYS, CAL)
    assert due.legal_end == due.due_at == kst(2027, 2, 12, 16, 30)


# ----- 정보공개 (정보공개법 제11조) --------------------------------------------------------------------------

DISCLOSURE = Period(10, Unit.DAYS, Regime.CIVIL, Law.DISCLOSURE)


def test_disclosure_computes_both_readings_and_alerts_on_the_earlier() -> None:
    """정보공개법 제11조① has no counting rule: the 민법 reading (행정기본법 제6조①, the legal default) and the
    민원 reading are both computed; over 추석 2027 the 민법 one is five working days earlier and governs."""
    plan = schedule(kst(2027, 9, 9, 10), DISCLOSURE, CAL)
    assert plan.readings[Regime.CIVIL] == end_of(2027, 9, 20)  # 9-19 Sun → Mon
    assert plan.readings[Regime.MINWON] == end_of(2027, 9, 27)  # 9/9, 10, 13, 17, 20–24, 27
    assert CAL.working_days_between(date(2027, 9, 21), date(2027, 9, 27)) == 5
    assert plan.due == end_of(2027, 9, 20)
    assert plan.legal_end == kst(2027, 9, 21)  # compliance: the configured (civil) reading
    minwon_compliance = schedule(kst(2027, 9, 9, 10), Period(10, Unit.DAYS, Regime.MINWON, Law.DISCLOSURE), CAL)
    assert minwon_compliance.due == end_of(2027, 9, 20)  # alerts stay on the strict reading
    assert minwon_compliance.legal_end == kst(2027, 9, 28)


def test_disclosure_extension_counts_from_the_day_after_in_each_reading() -> None:
    """정보공개법 제11조②: 10 more days counted from the day after the period ended (worked example E2)."""
    ten = Period(10, Unit.DAYS)
    plan = schedule(kst(2026, 9, 23, 14), DISCLOSURE, CAL, extensions=[ten])
    assert plan.readings == {Regime.CIVIL: end_of(2026, 10, 16), Regime.MINWON: end_of(2026, 10, 26)}
    assert plan.due == end_of(2026, 10, 16)


def test_disclosure_periods_are_days() -> None:
    with pytest.raises(ValueError, match="정보공개법"):
        Period(2, Unit.WEEKS, law=Law.DISCLOSURE)


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


def test_interim_notice_on_a_holiday_moves_to_the_working_day_before() -> None:
    """시행령 제23조: the 30-day notice of a 민원 received 2026-12-02 falls on 2027-01-01 (신정); it moves to
    the same hour of Thu 2026-12-31, and counts as due by then."""
    received = kst(2026, 12, 2, 10)
    assert interim_notice_times(received, kst(2027, 1, 1, 10)) == [kst(2027, 1, 1, 10)]
    assert interim_notice_times(received, kst(2026, 12, 31, 10), CAL) == [kst(2026, 12, 31, 10)]
    assert interim_notice_times(received, kst(2026, 12, 31, 9), CAL) == []
    # 60 days: Sun 2027-01-31 → Fri 01-29, due before the 60th day itself; 90 days: Tue 03-02, unmoved
    assert interim_notice_times(received, kst(2027, 1, 29, 12), CAL) == [kst(2026, 12, 31, 10), kst(2027, 1, 29, 10)]
    assert interim_notice_times(received, kst(2027, 3, 2, 12), CAL)[-1] == kst(2027, 3, 2, 10)


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
@given(RECEIVED, PERIODS, st.integers(0, 20 * 24), st.integers(0, 5 * 24), st.sampled_from(Stop))
def test_pauses_never_move_the_due_earlier(
    received: datetime, period: Period, offset: int, length: int, kind: Stop
) -> None:
    start = received + timedelta(hours=offset)
    pause = Interval(start, start + timedelta(hours=length), kind)
    assert compute_due(received, period, CAL, paused=[pause]).due_at >= base_due(received, period, CAL).due_at


@PROPERTY_SETTINGS
@given(RECEIVED, PERIODS, st.integers(0, 20 * 24), st.integers(0, 5 * 24))
def test_a_supplement_stops_at_least_as_long_as_any_other_stop(
    received: datetime, period: Period, offset: int, length: int
) -> None:
    """행정절차법 시행령 제11조제1호 counts the supplement in whole days: never less than the time it took."""
    start = received + timedelta(hours=offset)
    end = start + timedelta(hours=length)
    supplement = compute_due(received, period, CAL, paused=[Interval(start, end)])
    outage = compute_due(received, period, CAL, paused=[Interval(start, end, Stop.OUTAGE)])
    assert supplement.due_at >= outage.due_at


@PROPERTY_SETTINGS
@given(RECEIVED, PERIODS)
def test_the_legal_end_is_never_before_the_practical_due(received: datetime, period: Period) -> None:
    due = base_due(received, period, CAL)
    assert due.legal_end >= due.due_at
    assert due.legal_end - due.due_at < timedelta(days=1)
