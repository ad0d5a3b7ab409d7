"""The sweep over 100,000 open tickets (issue 11): deadline-warning ladder, digest and progress notices, one pass,
on SQLite and PostgreSQL.

Run: python bench/bench_sweep.py [--tickets N] [--only sqlite|postgresql] (prints a table, writes
bench/results/sweep.json). PostgreSQL: VOCDESK_BENCH_PG_URL, else VOCDESK_TEST_PG_URL, else
postgresql://postgres@127.0.0.1:5432/test (an admin URL: the bench creates and drops its own database).

The tickets are open, received over the ten working days before the first pass, each with the 7-day 민원 deadline
of the shipped config, each marked for the ladder as the ticket repository marks a ticket it writes. Then:

- ``schedules``: every ticket's ladder steps are made (what the passes after each ticket's write did, spread over
  those ten days; after the upgrade to 0006, the first pass does it once for every open ticket);
- ``first``: the first pass: the warnings due are queued (the latest step of each ticket whose half-time has
  passed: most of them) and one digest per department;
- ``again``: the same instant again: nothing queued (the steady state of a quiet desk);
- ``+5 min``: the dispatcher's next pass;
- ``+1 day``: a working day later: every ticket whose next step came meanwhile.

"per ticket" divides by all the open tickets. Target: under 1 s per 100,000. ``--repeat N`` runs the passes on N
fresh databases and prints the median of each. The machine is shared: noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from bot.alerts.sweep import schedule  # noqa: E402
from bot.alerts.workingtime import WorkingTime  # noqa: E402
from bot.app import alert_plan, build_calendar  # noqa: E402
from bot.casework.deadlines import Period, Unit, compute_due  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.notices.sweep import sweep  # noqa: E402
from storage.alerts import alert_sql  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import AlertLadderRow, CustomerRow, TicketRow  # noqa: E402
from storage.uow import Database  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from databases import admin_url, pg_reachable, postgres_url, sqlite_url  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "sweep.json"
KST_NOW = datetime(2026, 10, 14, 10, 0, tzinfo=UTC) - timedelta(hours=9)  # Wed 2026-10-14 10:00 KST
DEPARTMENTS = ("voc_desk", "legal", "disclosure", "service_quality", "mediation", "planning")
STATUSES = ("received", "assigned", "in_progress")


async def seed(database: Database, n: int, now: datetime) -> None:
    config = load_config(ROOT / "config.toml", {})
    calendar = build_calendar(config.settings)
    policy = Period(7, Unit.DAYS)
    working_days: list[date] = []
    day = calendar.to_local(now).date()
    while len(working_days) < 10:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            working_days.append(day)
    dues: dict[date, datetime] = {}
    rng = random.Random(11)
    async with database.engine.begin() as conn:
        await conn.execute(insert(CustomerRow.__table__), [{
            "id": 1, "channel": "web", "external_id": "bench", "display_name": "", "locale": "ko",
            "consent_at": now, "consent_version": "2026-11", "phone": "", "created_at": now}])
    batch = 5000
    for first in range(1, n + 1, batch):
        rows = []
        for i in range(first, min(n, first + batch - 1) + 1):
            received_day = rng.choice(working_days)
            received = datetime.combine(received_day, datetime.min.time(), tzinfo=calendar.tz) + timedelta(
                hours=9, minutes=rng.randrange(9 * 60))
            if received_day not in dues:
                dues[received_day] = compute_due(received, policy, calendar).due_at
            rows.append({
                "id": i, "number": f"VOC-2026-{i:06d}", "year": 2026, "customer_id": 1, "channel": "web",
                "voc_type": "complaint", "intent": "delay_complaint", "department": DEPARTMENTS[i % len(DEPARTMENTS)],
                "text": f"처리가 늦어요 {i}", "received_at": received, "due_at": dues[received_day],
                "due_date_only": True, "policy_amount": 7, "policy_unit": "days", "policy_regime": "minwon",
                "status": STATUSES[i % len(STATUSES)], "assignee": "", "contact_phone": "", "confidence": 0.9,
                "answer": "", "pauses": [], "extensions": [], "version": 0, "created_at": received,
                "updated_at": received,
            })
        async with database.engine.begin() as conn:
            await conn.execute(insert(TicketRow.__table__), rows)
            if conn.dialect.name == "postgresql":  # SQLite: the trigger of migration 0008 wrote them
                await conn.execute(insert(AlertLadderRow.__table__), [{  # as storage.alerts.touch marks them
                    "number": r["number"], "due_at": r["due_at"], "department": r["department"], "paused": False,
                    "remake_at": now, "due_key": "", "due_text": ""} for r in rows])
    async with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT max(id) "
                                    "FROM tickets))"))
            await conn.execute(text("ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))


async def make_schedules(database: Database, working: WorkingTime) -> int:
    """What the passes after each ticket's write did: make its ladder steps (``bot.alerts.sweep``)."""
    plan = alert_plan(load_config(ROOT / "config.toml", {}))
    async with database.uow() as uow:
        unscheduled = await uow.alerts.unscheduled()
        await uow.alerts.schedule([schedule(t, plan.ladders.of(t.department), working) for t in unscheduled])
        await uow.commit()
    return len(unscheduled)


async def analyze(database: Database) -> None:
    """What autovacuum (PostgreSQL) and ``PRAGMA optimize`` (SQLite, as vocdesk closes) keep up to date: over the
    ten days the tickets came in, autovacuum vacuumed and analysed the ladder after the passes that rewrote its rows
    (each made a dead row version per ticket), so the first pass does not meet 100,000 of them at once."""
    async with database.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM (ANALYZE)" if conn.dialect.name == "postgresql" else "ANALYZE"))


async def plan_of_the_ladder_query(database: Database, now: datetime) -> str:
    """How the database finds the tickets a pass reads (which index it uses)."""
    async with database.engine.connect() as conn:
        statement = alert_sql(conn.dialect.name).ready.params(now=round(now.timestamp() * 1e6))
        sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
        rows = await conn.exec_driver_sql(prefix + sql)
        return " | ".join(str(row[-1]).strip() for row in rows)


async def bench(url: str, n: int) -> dict[str, Any]:
    await upgrade(url)
    clock = FixedClock(KST_NOW)
    database = Database.from_url(url, clock=clock)
    try:
        started = time.perf_counter()
        await seed(database, n, KST_NOW)
        seeded = time.perf_counter() - started
        config = load_config(ROOT / "config.toml", {})
        calendar = build_calendar(config.settings)
        plan = alert_plan(config)
        working = WorkingTime(calendar)
        start = time.perf_counter()
        made = await make_schedules(database, working)
        passes = [{"pass": "schedules", "seconds": round(time.perf_counter() - start, 3), "cpu_s": None,
                   "us_per_ticket": round((time.perf_counter() - start) / n * 1e6, 2), "warnings": 0,
                   "digests": 0, "progress": 0, "made": made}]
        await analyze(database)
        for name, at in (("first", KST_NOW), ("again", KST_NOW), ("+5 min", KST_NOW + timedelta(minutes=5)),
                         ("+1 day", KST_NOW + timedelta(days=1))):
            clock.at = at
            start = time.perf_counter()
            cpu = time.process_time()
            swept = await sweep(database.uow, calendar, at, plan, working)
            seconds = time.perf_counter() - start
            passes.append({"pass": name, "seconds": round(seconds, 3), "cpu_s": round(time.process_time() - cpu, 3),
                           "us_per_ticket": round(seconds / n * 1e6, 2), "warnings": swept.warnings,
                           "digests": swept.digests, "progress": swept.progress})
        async with database.uow() as uow:
            queued = (await uow.work.execute(select(func.count()).select_from(
                TicketRow.__table__.metadata.tables["outbox"]))).scalar_one()
        query_plan = await plan_of_the_ladder_query(database, KST_NOW + timedelta(days=1))
        return {"tickets": n, "seed_s": round(seeded, 1), "passes": passes, "outbox_rows": queued,
                "ladder_query_plan": query_plan}
    finally:
        await database.close()


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The first run, with each pass's times replaced by their median over ``runs``."""
    found = dict(runs[0])
    found["passes"] = [dict(p, **{key: round(statistics.median(r["passes"][i][key] for r in runs), 3)
                                  for key in ("seconds", "cpu_s", "us_per_ticket") if p[key] is not None},
                            runs=[r["passes"][i]["seconds"] for r in runs])
                       for i, p in enumerate(runs[0]["passes"])]
    return found


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    if args.only in (None, "sqlite"):
        runs = []
        for _ in range(args.repeat):
            async with sqlite_url() as url:
                runs.append(await bench(url, args.tickets))
        results["sqlite"] = medians(runs)
    if args.only in (None, "postgresql"):
        admin = admin_url()
        problem = await pg_reachable(admin)
        if problem:
            print(f"PostgreSQL skipped: {problem}")
        else:
            runs = []
            for _ in range(args.repeat):
                async with postgres_url(admin) as url:
                    runs.append(await bench(url, args.tickets))
            results["postgresql"] = medians(runs)
    for backend, found in results.items():
        print(f"\n{backend}: {found['tickets']:,} open tickets (seeded in {found['seed_s']} s), "
              f"median of {args.repeat}")
        print(f"{'pass':<10} {'seconds':>8} {'cpu s':>7} {'µs/ticket':>10} {'warnings':>9} {'digests':>8}")
        for p in found["passes"]:
            cpu = "-" if p["cpu_s"] is None else f"{p['cpu_s']:.3f}"
            print(f"{p['pass']:<10} {p['seconds']:>8.3f} {cpu:>7} {p['us_per_ticket']:>10.2f} "
                  f"{p['warnings']:>9} {p['digests']:>8}")
        print(f"ladder query plan: {found['ladder_query_plan']}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
