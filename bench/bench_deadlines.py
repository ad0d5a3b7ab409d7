"""Deadline engine throughput: compute_due over a year of receipt instants and every policy.

Run: python bench/bench_deadlines.py  (prints a report, writes bench/results/deadlines.json)
Baseline: the reference algorithm of shared/reference/korean-voc-law.md §6 stepping one day (or one
working window) at a time over the same calendar, implemented naively below.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.casework.deadlines import Period, Unit, compute_due
from bot.casework.workcalendar import WorkCalendar

KST = ZoneInfo("Asia/Seoul")
POLICIES = [Period(0, Unit.IMMEDIATE), Period(3, Unit.DAYS), Period(7, Unit.DAYS), Period(10, Unit.DAYS),
            Period(14, Unit.DAYS), Period(1, Unit.MONTHS)]


def instants(n: int) -> list[datetime]:
    start = datetime(2026, 1, 1, 0, 0, tzinfo=KST)
    return [start + timedelta(minutes=37 * i) for i in range(n)]


def naive_nth_working_day(cal: WorkCalendar, first: date, n: int) -> date:
    d = first
    while not cal.is_working_day(d):
        d += timedelta(days=1)
    k = 1
    while k < n:
        d += timedelta(days=1)
        if cal.is_working_day(d):
            k += 1
    return d


def run(label: str, fn: object, repeats: int = 5) -> dict[str, float]:
    assert callable(fn)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        count = fn()
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    result = {"median_s": median, "calls": count, "us_per_call": median / count * 1e6}
    print(f"{label:<40} median {median * 1000:8.1f} ms  {result['us_per_call']:7.2f} µs/call  ({count} calls)")
    return result


def main() -> None:
    cal = WorkCalendar.build()
    received = instants(14_000)  # ~1 year of receipts every 37 minutes
    cal.is_working_day(date(2026, 1, 1))

    def ours() -> int:
        for at in received:
            for p in POLICIES:
                compute_due(at, p, cal)
        return len(received) * len(POLICIES)

    def baseline() -> int:
        for at in received:
            naive_nth_working_day(cal, at.date(), 14)
        return len(received)

    def ours_14() -> int:
        p = Period(14, Unit.DAYS)
        for at in received:
            compute_due(at, p, cal)
        return len(received)

    report = {
        "all_policies": run("compute_due, 6 policies", ours),
        "ours_14_days": run("compute_due, 14 days", ours_14),
        "baseline_14_days": run("naive day stepping, 14 days (baseline)", baseline),
    }
    ratio = report["baseline_14_days"]["us_per_call"] / report["ours_14_days"]["us_per_call"]
    report["speedup_vs_baseline"] = {"ratio": ratio}
    print(f"14-day deadline: ours is {ratio:.2f}x the naive baseline's speed")
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "deadlines.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
