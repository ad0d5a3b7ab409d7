"""The VOC analysis (K-SURE 고객지원 업무요강 제15조) and KODIT's half-yearly compliance report: the figures of
tickets received in a period, from aggregates the database computed (``storage/report.py``). Pure: parsing a
period, and turning aggregate rows into the report's JSON fields."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.errors import InputRejected

_PERIOD = re.compile(r"^(\d{4})(?:H([12])|Q([1-4]))$")
TOPICS_PER_TYPE = 5


def parse_period(text: str) -> tuple[date, date]:
    """``2026H2`` → (2026-07-01, 2026-12-31); ``2026Q1`` → (2026-01-01, 2026-03-31); first and last day."""
    m = _PERIOD.match(text.strip().upper())
    if not m:
        raise InputRejected(f"--period {text!r}: use a half year like 2026H2 or a quarter like 2026Q1")
    year = int(m.group(1))
    first_month = (int(m.group(2)) - 1) * 6 + 1 if m.group(2) else (int(m.group(3)) - 1) * 3 + 1
    months = 6 if m.group(2) else 3
    end_year, end_month = (year + 1, 1) if first_month + months > 12 else (year, first_month + months)
    return date(year, first_month, 1), date(end_year, end_month, 1) - timedelta(days=1)


def bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants [first 00:00, the day after last 00:00) in the institution's time zone."""
    if last < first:
        raise InputRejected(f"--to {last} is before --from {first}")
    return datetime.combine(first, datetime.min.time(), tz), datetime.combine(last + timedelta(days=1),
                                                                              datetime.min.time(), tz)


@dataclass(frozen=True)
class Figures:
    """Aggregate rows as the database returned them."""

    groups: list[tuple[Any, ...]]  # (voc_type, intent, department, channel, count)
    months: Mapping[str, int]
    answered: Mapping[str, tuple[int, int]]  # department -> (answered, on time)
    median_days: float | None
    overdue: list[tuple[str, str, str, datetime]]  # the first ones, by due instant
    overdue_count: int
    extensions: Mapping[str, int]  # reason code -> count
    invited: int
    rated: int
    mean: float | None
    low: int
    ratings: Mapping[int, int]
    remedies: list[tuple[str, str, int, int]]  # (kind, status, count, won paid)


@dataclass(frozen=True)
class Labels:
    departments: Mapping[str, str] = field(default_factory=dict)
    intents: Mapping[str, str] = field(default_factory=dict)


def build(figures: Figures, *, first: date, last: date, department: str | None, now: datetime, tz: ZoneInfo,
          labels: Labels) -> dict[str, Any]:
    """The report's JSON: the contract of ``vocdesk report --format json`` (docs/service-standard.md)."""
    by: dict[str, dict[str, int]] = {k: defaultdict(int) for k in ("type", "intent", "department", "channel")}
    topics: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for voc_type, intent, dept, channel, n in figures.groups:
        by["type"][voc_type] += n
        by["intent"][intent] += n
        by["department"][dept] += n
        by["channel"][channel] += n
        topics[voc_type][intent] += n
    answered = sum(n for n, _ in figures.answered.values())
    on_time = sum(k for _, k in figures.answered.values())
    remedies_paid = sum(won for *_, won in figures.remedies)
    by_kind: dict[str, int] = defaultdict(int)
    for kind, _, n, _ in figures.remedies:
        by_kind[kind] += n
    return {
        "period": {"from": first.isoformat(), "to": last.isoformat(), "department": department,
                   "generated_at": now.astimezone(tz).isoformat()},
        "total": sum(by["type"].values()),
        "by_type": _sorted(by["type"]),
        "by_intent": _sorted(by["intent"]),
        "by_department": _sorted(by["department"]),
        "by_channel": _sorted(by["channel"]),
        "by_month": dict(sorted(figures.months.items())),
        "answered": answered,
        "on_time": on_time,
        "on_time_rate": round(on_time / answered, 4) if answered else None,
        "on_time_by_department": {d: round(k / n, 4) for d, (n, k) in sorted(figures.answered.items()) if n},
        "median_processing_days": round(figures.median_days, 2) if figures.median_days is not None else None,
        "overdue_count": figures.overdue_count,
        "overdue": [{"number": number, "department": dept, "status": status,
                     "due_at": due.astimezone(tz).isoformat()} for number, dept, status, due in figures.overdue],
        "extensions": {"count": sum(figures.extensions.values()), "reasons": _sorted(dict(figures.extensions))},
        "satisfaction": {
            "invited": figures.invited, "responses": figures.rated,
            "mean": round(figures.mean, 2) if figures.mean is not None else None,
            "response_rate": round(figures.rated / figures.invited, 4) if figures.invited else None,
            "low": figures.low, "ratings": {str(r): figures.ratings.get(r, 0) for r in range(1, 6)},
        },
        "remedies": {"count": sum(by_kind.values()), "won_paid": remedies_paid, "by_kind": _sorted(by_kind)},
        "topics": {voc_type: [{"intent": intent, "label": labels.intents.get(intent, intent), "count": n}
                              for intent, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[
                                  :TOPICS_PER_TYPE]]
                   for voc_type, counts in sorted(topics.items())},
    }


def _sorted(counts: Mapping[str, int]) -> dict[str, int]:
    """Largest first, then by name: the order the charts show."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def csv_rows(report: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(section, key, value) lines: every figure of the JSON, flat, for a spreadsheet."""
    rows: list[tuple[str, str, str]] = []
    for key in ("total", "answered", "on_time", "on_time_rate", "median_processing_days", "overdue_count"):
        rows.append(("summary", key, "" if report[key] is None else str(report[key])))
    for section in ("by_type", "by_intent", "by_department", "by_channel", "by_month", "on_time_by_department"):
        rows += [(section, k, str(v)) for k, v in report[section].items()]
    rows.append(("extensions", "count", str(report["extensions"]["count"])))
    rows += [("extension_reasons", k, str(v)) for k, v in report["extensions"]["reasons"].items()]
    sat = report["satisfaction"]
    rows += [("satisfaction", k, "" if sat[k] is None else str(sat[k]))
             for k in ("invited", "responses", "mean", "response_rate", "low")]
    rows += [("remedies", k, str(report["remedies"][k])) for k in ("count", "won_paid")]
    for voc_type, items in report["topics"].items():
        rows += [(f"topics.{voc_type}", t["intent"], str(t["count"])) for t in items]
    rows += [("overdue", o["number"], o["due_at"]) for o in report["overdue"]]
    return rows


async def make_report(uow: Any, first: date, last: date, department: str | None, now: datetime, tz: ZoneInfo,
                      labels: Labels, step: Any = None) -> dict[str, Any]:
    """The report of tickets received from ``first`` to ``last`` (inclusive), aggregated in one unit of work from
    ``uow`` (a ``UnitOfWorkFactory``); ``step(name)`` is called as each query finishes (the progress bar)."""
    start, end = bounds(first, last, tz)
    async with uow() as work:
        figures = await work.report.figures(start, end, department, now, tz.key, step or (lambda _: None))
    return build(figures, first=first, last=last, department=department, now=now, tz=tz, labels=labels)


QUERIES = 10
"""How many steps ``figures`` reports (the progress bar's total)."""
