"""Working time as one number: working seconds counted from a fixed instant on a ``WorkCalendar``'s days and
windows.

The sweep measures time left on many tickets at one instant; with the working windows laid out once as sorted
arrays, each way (instant → working seconds, working seconds → instant) is one bisection. Differences agree
with ``WorkCalendar.working_time_between`` (same days, windows and time zone).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from bot.casework.workcalendar import WorkCalendar

_MARGIN = timedelta(days=400)  # laid out on each side of an instant outside the current span
_MEMO = 100_000
T = TypeVar("T")


class WorkingTime:
    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self.day = calendar.hours_per_day * 3600.0  # seconds in one working day
        self._anchor: float | None = None  # the epoch second whose count is 0, fixed by the first lay-out
        self._first = self._last = date.min
        self._lo = self._hi = 0.0  # epoch seconds covered: [lo, hi)
        self._starts: list[float] = []  # window starts, ascending (epoch seconds)
        self._ends: list[float] = []
        self._before: list[float] = []  # the count at each window's start
        self._after: list[float] = []  # the count at each window's end
        self._opening: list[float] = []  # the start of the first window of each window's day
        self.memo: dict[Any, Any] = {}  # what callers computed from counts (valid for this calendar)

    def remember(self, key: Any, value: T) -> T:
        if len(self.memo) >= _MEMO:
            self.memo.clear()
        self.memo[key] = value
        return value

    def at(self, t: datetime) -> float:
        """The count at ``t`` (working seconds since the anchor; only differences mean anything)."""
        return self.seconds(t.timestamp())

    def seconds(self, epoch: float) -> float:
        self._cover(epoch)
        i = bisect_right(self._starts, epoch) - 1
        if i < 0:
            return self._before[0]
        if epoch >= self._ends[i]:
            return self._after[i]
        return self._before[i] + epoch - self._starts[i]

    def instant(self, count: float) -> float:
        """The earliest epoch second at which the count is ``count``: a count reached exactly at a window's start
        was already reached at the end of the window before it (no working time lies between)."""
        if self._anchor is None:
            raise ValueError("count some instant first")
        while count <= self._before[0]:
            self._layout(self._first - _MARGIN, self._last)
        while count > self._after[-1]:
            self._layout(self._first, self._last + _MARGIN)
        j = bisect_left(self._after, count)
        if j > 0 and count <= self._before[j]:
            return self._ends[j - 1]
        return self._starts[j] + count - self._before[j]

    def left(self, now: datetime, due: datetime) -> timedelta:
        """Working time from ``now`` to ``due``; negative once ``due`` has passed."""
        return timedelta(seconds=self.at(due) - self.at(now))

    def opening(self, epoch: float) -> float:
        """When the working day that ``epoch`` falls in (or, outside working hours, last fell in) began: the start
        of that day's first window."""
        self._cover(epoch)
        return self._opening[max(bisect_right(self._starts, epoch) - 1, 0)]

    def _cover(self, epoch: float) -> None:
        if self._lo <= epoch < self._hi and self._starts:
            return
        day = datetime.fromtimestamp(epoch, self.calendar.tz).date()
        if self._anchor is None:
            self._layout(day - _MARGIN, day + _MARGIN)
        else:
            self._layout(min(day - _MARGIN, self._first), max(day + _MARGIN, self._last))

    def _layout(self, first: date, last: date) -> None:
        cal, tz = self.calendar, self.calendar.tz
        starts, ends, before, after, opening = [], [], [], [], []
        total = 0.0
        day = first
        while day <= last:
            if cal.is_working_day(day):
                day_opens = datetime.combine(day, cal.windows[0][0], tzinfo=tz).timestamp()
                for start, end in cal.windows:
                    s = datetime.combine(day, start, tzinfo=tz).timestamp()
                    e = datetime.combine(day, end, tzinfo=tz).timestamp()
                    starts.append(s)
                    ends.append(e)
                    before.append(total)
                    total += e - s
                    after.append(total)
                    opening.append(day_opens)
            day += timedelta(days=1)
        if not starts:
            raise ValueError(f"no working day between {first} and {last}")
        lo = datetime.combine(first, time(), tzinfo=tz).timestamp()
        if self._anchor is None:
            self._anchor = lo
        # the count at the anchor in the new lay-out, so that counts handed out before stay valid
        i = bisect_right(starts, self._anchor) - 1
        shift = 0.0 if i < 0 else after[i] if self._anchor >= ends[i] else before[i] + self._anchor - starts[i]
        self._starts, self._ends, self._opening = starts, ends, opening
        self._before = [b - shift for b in before]
        self._after = [a - shift for a in after]
        self._first, self._last = first, last
        self._lo = lo
        self._hi = datetime.combine(last + timedelta(days=1), time(), tzinfo=tz).timestamp()
