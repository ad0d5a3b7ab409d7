"""Working-day calendar for legal 민원 deadlines.

Non-working days are Saturday, Sunday and every 관공서 공휴일 (관공서의 공휴일에 관한 규정 제2조,
incl. 임시공휴일), as counted by 민원처리법 제19조. Public holidays come from python-holidays (KR, PUBLIC
category) with an override table on top: ``extra_holidays`` for newly announced 임시공휴일,
``removed_holidays`` for library errors.

All arithmetic is wall-clock arithmetic in the calendar's time zone; working windows are wall-clock times.
"""

from __future__ import annotations

import functools
import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import NamedTuple
from zoneinfo import ZoneInfo

DEFAULT_WINDOWS: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13), time(18)))
"""국가공무원 복무규정 제9조: 09:00–18:00 with lunch 12:00–13:00, i.e. 8 working hours a day."""

EXTRA_HOLIDAY_NAME = "추가 공휴일"
_ONE_DAY = timedelta(days=1)


@functools.cache
def _library_holidays(year: int) -> Mapping[date, str]:
    """KR public holidays of one year from python-holidays, built once per process (the package is
    imported on first use: commands that count no deadline never load it)."""
    import holidays

    table = holidays.country_holidays("KR", categories=("public",), years=year, language="ko")
    return MappingProxyType(dict(table.items()))


def _offset(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _validate_windows(windows: tuple[tuple[time, time], ...]) -> None:
    if not windows:
        raise ValueError("working windows must not be empty")
    for start, end in windows:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"working window {start}–{end} must use naive wall-clock times")
        if start >= end:
            raise ValueError(f"working window {start}–{end} must start before it ends")
    for (_, prev_end), (start, _) in itertools.pairwise(windows):
        if start < prev_end:
            raise ValueError(
                f"working windows must be sorted and non-overlapping: {start} starts before {prev_end}"
            )


class _Year(NamedTuple):
    """One year's working days, ascending, with their positions (for O(1) day arithmetic)."""

    days: tuple[date, ...]
    position: Mapping[date, int]


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and working hours; cheap to query (each year is indexed once, on first use)."""

    windows: tuple[tuple[time, time], ...]
    tz: ZoneInfo
    extra_holidays: frozenset[date] = frozenset()
    removed_holidays: frozenset[date] = frozenset()
    _offsets: tuple[tuple[timedelta, timedelta], ...] = field(init=False, repr=False, compare=False)
    _day_length: timedelta = field(init=False, repr=False, compare=False)
    _years: dict[int, _Year] = field(init=False, repr=False, compare=False, hash=False, default_factory=dict)

    def __post_init__(self) -> None:
        _validate_windows(self.windows)
        offsets = tuple((_offset(s), _offset(e)) for s, e in self.windows)
        object.__setattr__(self, "_offsets", offsets)
        object.__setattr__(self, "_day_length", sum((e - s for s, e in offsets), timedelta()))

    @classmethod
    def build(
        cls,
        windows: Sequence[tuple[time, time]] = DEFAULT_WINDOWS,
        tz: str = "Asia/Seoul",
        extra_holidays: Iterable[date] = (),
        removed_holidays: Iterable[date] = (),
    ) -> WorkCalendar:
        """Build a calendar; ``extra_holidays``/``removed_holidays`` form the 임시공휴일 override table."""
        return cls(
            windows=tuple((s, e) for s, e in windows),
            tz=ZoneInfo(tz),
            extra_holidays=frozenset(extra_holidays),
            removed_holidays=frozenset(removed_holidays),
        )

    def warm(self, at: datetime) -> None:
        """Index the year of ``at`` and the next one now. A long-running process calls this at start-up so
        that the first customer's deadline does not wait for the holiday tables (~0.3 s)."""
        year = self.to_local(at).year
        self._year(year)
        self._year(year + 1)

    @property
    def hours_per_day(self) -> float:
        """Working hours in one working day (8.0 for the default windows)."""
        return self._day_length / timedelta(hours=1)

    # ----- days -------------------------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        found = self._years.get(year)
        if found is None:
            library = _library_holidays(year).keys()
            off = (library | {d for d in self.extra_holidays if d.year == year}) - self.removed_holidays
            first = date(year, 1, 1)
            every_day = (first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days))
            days = tuple(d for d in every_day if d.weekday() < 5 and d not in off)
            found = self._years[year] = _Year(days, MappingProxyType({d: i for i, d in enumerate(days)}))
        return found

    def is_working_day(self, d: date) -> bool:
        """False on Saturday, Sunday and 공휴일 (민원처리법 제19조).

        ``removed_holidays`` only un-does a holiday; it never makes a weekend a working day.
        """
        return d in self._year(d.year).position

    def holiday_name(self, d: date) -> str | None:
        """Name of the holiday on ``d`` (library name, or ``추가 공휴일`` for an override); None otherwise."""
        if d in self.removed_holidays:
            return None
        name = _library_holidays(d.year).get(d)
        if name is None and d in self.extra_holidays:
            return EXTRA_HOLIDAY_NAME
        return name

    def nth_working_day(self, first: date, n: int) -> date:
        """Working day number ``n`` (n >= 1) when counting starts on ``first`` (or the next working day)."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        year = first.year
        index = self._year(year)
        i = bisect_left(index.days, first) + n - 1
        while i >= len(index.days):
            i -= len(index.days)
            year += 1
            index = self._year(year)
        return index.days[i]

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.nth_working_day(d + _ONE_DAY, 1)

    def roll_forward(self, d: date) -> date:
        """``d`` itself if it is a working day, else the next one (민법 제161조)."""
        return self.nth_working_day(d, 1)

    def working_days_between(self, d1: date, d2: date) -> int:
        """Number of working days in ``[d1, d2]``, both ends included; 0 when ``d2 < d1``."""
        count = 0
        for year in range(d1.year, d2.year + 1):
            days = self._year(year).days
            low = bisect_left(days, d1) if year == d1.year else 0
            high = bisect_right(days, d2) if year == d2.year else len(days)
            count += high - low
        return max(count, 0)

    # ----- instants ---------------------------------------------------------------------------------

    def to_local(self, t: datetime) -> datetime:
        """``t`` converted to the calendar zone; ValueError when ``t`` is naive."""
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"datetime {t.isoformat()} must be timezone-aware")
        return t.astimezone(self.tz)

    def _local(self, t: datetime) -> datetime:
        """``t`` as naive wall-clock time in the calendar zone."""
        return self.to_local(t).replace(tzinfo=None)

    def end_of_day(self, d: date) -> datetime:
        """End of the last working window on ``d`` (18:00 by default), as an aware datetime."""
        return datetime.combine(d, self.windows[-1][1], tzinfo=self.tz)

    def _consume(self, cursor: datetime, remaining: timedelta) -> tuple[datetime | None, timedelta]:
        """Spend working time from ``cursor`` to the end of its (working) day: (landing, left over)."""
        midnight = datetime.combine(cursor.date(), time())
        for start_off, end_off in self._offsets:
            window_end = midnight + end_off
            if window_end <= cursor:
                continue
            begin = max(cursor, midnight + start_off)
            if remaining <= window_end - begin:
                return begin + remaining, timedelta()
            remaining -= window_end - begin
            cursor = window_end
        return None, remaining

    def add_working_hours(self, t: datetime, hours: float | timedelta) -> datetime:
        """Consume ``hours`` of working windows starting at ``t`` (reference §6 ``add_working_hours``).

        Time outside windows is skipped: a start during lunch begins at 13:00, after 18:00 at the next
        working window. Landing exactly on a window end returns that end (e.g. 18:00). Adding zero returns
        ``t`` unchanged.
        """
        remaining = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        if remaining < timedelta():
            raise ValueError(f"cannot add a negative working time ({remaining})")
        cursor = self._local(t)
        if not remaining:
            return self._aware(cursor)
        if self.is_working_day(cursor.date()):
            landing, remaining = self._consume(cursor, remaining)
            if landing is not None:
                return self._aware(landing)
        whole_days, rest = divmod(remaining, self._day_length)
        if not rest:
            whole_days, rest = whole_days - 1, self._day_length
        last_day = self.nth_working_day(cursor.date() + _ONE_DAY, whole_days + 1)
        landing, _ = self._consume(datetime.combine(last_day, time()), rest)
        return self._aware(landing or datetime.combine(last_day, self.windows[-1][1]))

    def _aware(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.tz)

    def _worked_on(self, day: date, low: datetime, high: datetime) -> timedelta:
        """Working time on ``day`` inside ``[low, high]`` (naive wall-clock)."""
        if not self.is_working_day(day):
            return timedelta()
        midnight = datetime.combine(day, time())
        total = timedelta()
        for start_off, end_off in self._offsets:
            overlap = min(high, midnight + end_off) - max(low, midnight + start_off)
            if overlap > timedelta():
                total += overlap
        return total

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time inside ``[a, b]``; negative when ``b`` is before ``a``."""
        start, end = self._local(a), self._local(b)
        if end < start:
            return -self.working_time_between(b, a)
        first, last = start.date(), end.date()
        if first == last:
            return self._worked_on(first, start, end)
        middle = self.working_days_between(first + _ONE_DAY, last - _ONE_DAY)
        head = self._worked_on(first, start, datetime.combine(first + _ONE_DAY, time()))
        tail = self._worked_on(last, datetime.combine(last, time()), end)
        return head + middle * self._day_length + tail
