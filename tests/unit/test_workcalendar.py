"""WorkCalendar: KR public holidays (reference §3), working windows and working-time arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.casework.workcalendar import WorkCalendar

KST = ZoneInfo("Asia/Seoul")
CAL = WorkCalendar.build()


def kst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=KST)


def _dates(year: int, spec: str) -> list[date]:
    return [date(year, int(m), int(d)) for m, d in (item.split("-") for item in spec.split())]


# Reference §3: "2026–2027 non-working weekdays from the library (PUBLIC)".
HOLIDAY_WEEKDAYS = {
    2026: _dates(
        2026,
        "01-01 02-16 02-17 02-18 03-02 05-01 05-05 05-25 06-03 07-17 08-17 09-24 09-25 10-05 10-09 12-25",
    ),
    2027: _dates(
        2027, "01-01 02-08 02-09 03-01 05-03 05-05 05-13 07-19 08-16 09-14 09-15 09-16 10-04 10-11 12-27"
    ),
}


@pytest.mark.parametrize("year", sorted(HOLIDAY_WEEKDAYS))
def test_non_working_weekdays_match_the_reference_list(year: int) -> None:
    day, found = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5 and not CAL.is_working_day(day):
            found.append(day)
        day += timedelta(days=1)
    assert found == HOLIDAY_WEEKDAYS[year]


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 9, 25), "추석"),
        (date(2027, 2, 7), "설날"),
        (date(2026, 5, 1), "노동절"),
        (date(2026, 7, 17), "제헌절"),
    ],
)
def test_holiday_names_are_korean(day: date, name: str) -> None:
    assert CAL.holiday_name(day) == name


def test_holiday_name_is_none_on_ordinary_days_and_plain_weekends() -> None:
    assert CAL.holiday_name(date(2026, 10, 1)) is None  # 국군의 날 is not a 공휴일
    assert CAL.holiday_name(date(2026, 9, 19)) is None  # a plain Saturday
    assert not CAL.is_working_day(date(2026, 9, 19))
    assert CAL.is_working_day(date(2026, 10, 1))


def test_extra_holiday_is_non_working_and_named() -> None:
    temporary = date(2026, 10, 1)
    cal = WorkCalendar.build(extra_holidays=[temporary])
    assert not cal.is_working_day(temporary)
    assert cal.holiday_name(temporary) == "추가 공휴일"
    assert cal.next_working_day(date(2026, 9, 30)) == date(2026, 10, 2)


def test_removed_holiday_becomes_working_but_never_a_weekend() -> None:
    cal = WorkCalendar.build(removed_holidays=[date(2026, 10, 9), date(2026, 10, 3)])
    assert cal.is_working_day(date(2026, 10, 9))
    assert cal.holiday_name(date(2026, 10, 9)) is None
    assert not cal.is_working_day(date(2026, 10, 3))  # 개천절 on a Saturday stays a Saturday


def test_next_working_day_is_strictly_after() -> None:
    assert CAL.next_working_day(date(2026, 9, 23)) == date(2026, 9, 28)  # 추석
    assert CAL.next_working_day(date(2026, 9, 28)) == date(2026, 9, 29)
    assert CAL.next_working_day(date(2026, 10, 2)) == date(2026, 10, 6)  # 개천절 + 대체공휴일


def test_working_days_between_is_inclusive() -> None:
    assert CAL.working_days_between(date(2026, 9, 22), date(2026, 10, 2)) == 7  # reference E1
    assert CAL.working_days_between(date(2026, 9, 28), date(2026, 9, 28)) == 1
    assert CAL.working_days_between(date(2026, 9, 26), date(2026, 9, 27)) == 0
    assert CAL.working_days_between(date(2026, 10, 2), date(2026, 9, 22)) == 0


def test_default_windows_and_end_of_day() -> None:
    assert CAL.hours_per_day == 8.0
    assert CAL.windows == ((time(9), time(12)), (time(13), time(18)))
    assert CAL.end_of_day(date(2026, 9, 22)) == kst(2026, 9, 22, 18)
    assert CAL.tz == KST


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (kst(2026, 9, 22, 12, 30), 8, kst(2026, 9, 23, 12)),  # lunch receipt starts at 13:00
        (kst(2026, 9, 22, 19), 8, kst(2026, 9, 23, 18)),  # after hours starts next window
        (kst(2026, 9, 22, 10), 8, kst(2026, 9, 23, 10)),  # same clock time next working day
        (kst(2026, 9, 22, 9), 8, kst(2026, 9, 22, 18)),  # landing on a window end returns that end
        (kst(2026, 9, 22, 11), 1, kst(2026, 9, 22, 12)),
        (kst(2026, 9, 22, 18), 8, kst(2026, 9, 23, 18)),
        (kst(2026, 9, 23, 16), 3, kst(2026, 9, 28, 10)),  # reference E5
        (kst(2027, 2, 5, 16, 30), 24, kst(2027, 2, 12, 16, 30)),  # reference E4
        (kst(2026, 9, 22, 10), 0, kst(2026, 9, 22, 10)),
    ],
)
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    assert CAL.add_working_hours(start, hours) == expected


def test_add_working_hours_accepts_timedelta_and_other_zones() -> None:
    utc_start = datetime(2026, 9, 22, 1, tzinfo=UTC)  # 10:00 KST
    result = CAL.add_working_hours(utc_start, timedelta(minutes=90))
    assert result == kst(2026, 9, 22, 11, 30)
    assert result.tzinfo == KST


def test_add_working_hours_rejects_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_hours(kst(2026, 9, 22, 10), -1)


def test_working_time_between() -> None:
    assert CAL.working_time_between(kst(2026, 9, 22, 10), kst(2026, 9, 22, 14)) == timedelta(hours=3)
    assert CAL.working_time_between(kst(2026, 9, 23, 16), kst(2026, 9, 28, 10)) == timedelta(hours=3)
    assert CAL.working_time_between(kst(2026, 9, 22, 19), kst(2026, 9, 23, 8)) == timedelta()
    assert CAL.working_time_between(kst(2026, 9, 22, 14), kst(2026, 9, 22, 10)) == -timedelta(hours=3)


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 9, 22, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_working_hours(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.working_time_between(naive, kst(2026, 9, 22, 11))


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        ((), "empty"),
        (((time(12), time(9)),), "start before it ends"),
        (((time(9), time(9)),), "start before it ends"),
        (((time(13), time(18)), (time(9), time(12))), "sorted and non-overlapping"),
        (((time(9), time(13)), (time(12), time(18))), "sorted and non-overlapping"),
        (((time(9, tzinfo=KST), time(18)),), "naive"),
    ],
)
def test_bad_windows_are_rejected(windows: tuple[tuple[time, time], ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar.build(windows=windows)


def test_custom_windows_without_lunch() -> None:
    cal = WorkCalendar.build(windows=[(time(8), time(17))])
    assert cal.hours_per_day == 9.0
    assert cal.end_of_day(date(2026, 9, 22)) == kst(2026, 9, 22, 17)
    assert cal.add_working_hours(kst(2026, 9, 22, 12, 30), 9) == kst(2026, 9, 23, 12, 30)
    assert cal.add_working_hours(kst(2026, 9, 22, 7), 9) == kst(2026, 9, 22, 17)


def test_other_time_zone() -> None:
    cal = WorkCalendar.build(tz="UTC")
    assert cal.end_of_day(date(2026, 9, 22)) == datetime(2026, 9, 22, 18, tzinfo=UTC)
    assert cal.add_working_hours(kst(2026, 9, 22, 18), 1) == datetime(2026, 9, 22, 10, tzinfo=UTC)


def test_calendar_is_hashable_and_comparable() -> None:
    assert WorkCalendar.build() == CAL
    assert hash(WorkCalendar.build()) == hash(CAL)
    assert WorkCalendar.build(extra_holidays=[date(2026, 10, 1)]) != CAL


# ----- properties: the indexed arithmetic agrees with the reference's day-by-day pseudo-code -------------

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)
INSTANTS = st.datetimes(datetime(2025, 1, 1), datetime(2028, 6, 30), timezones=st.just(KST))
DAYS = st.dates(date(2025, 1, 1), date(2028, 6, 30))


def _reference_add(cal: WorkCalendar, t: datetime, hours: timedelta) -> datetime:
    """Reference §6 ``add_working_hours``, walking day by day."""
    remaining, cursor = hours, t.astimezone(KST)
    day = cursor.date()
    while True:
        if cal.is_working_day(day):
            for start, end in cal.windows:
                window_end = datetime.combine(day, end, tzinfo=KST)
                if window_end <= cursor:
                    continue
                begin = max(cursor, datetime.combine(day, start, tzinfo=KST))
                if remaining <= window_end - begin:
                    return begin + remaining
                remaining -= window_end - begin
                cursor = window_end
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(), tzinfo=KST)


@PROPERTY_SETTINGS
@given(INSTANTS, st.integers(1, 60 * 60 * 8 * 30))
def test_add_working_hours_matches_the_day_by_day_walk(start: datetime, seconds: int) -> None:
    hours = timedelta(seconds=seconds)
    assert CAL.add_working_hours(start, hours) == _reference_add(CAL, start, hours)


@PROPERTY_SETTINGS
@given(INSTANTS, st.integers(1, 60 * 8 * 30))
def test_working_time_between_inverts_add_working_hours(start: datetime, minutes: int) -> None:
    hours = timedelta(minutes=minutes)
    assert CAL.working_time_between(start, CAL.add_working_hours(start, hours)) == hours


@PROPERTY_SETTINGS
@given(DAYS, st.integers(1, 400))
def test_nth_working_day_matches_stepping(first: date, n: int) -> None:
    day = first
    while not CAL.is_working_day(day):
        day += timedelta(days=1)
    for _ in range(n - 1):
        day += timedelta(days=1)
        while not CAL.is_working_day(day):
            day += timedelta(days=1)
    assert CAL.nth_working_day(first, n) == day
    assert CAL.working_days_between(first, day) == n
