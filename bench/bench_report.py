"""The VOC report over a year of tickets (issue 15): 1,000,000 on PostgreSQL within 60 s, 100,000 on SQLite.

Run: python bench/bench_report.py [--tickets N] [--only sqlite|postgresql] (prints a table, writes
bench/results/report.json). PostgreSQL: VOCDESK_BENCH_PG_URL, else VOCDESK_TEST_PG_URL, else
postgresql://postgres@127.0.0.1:5432/test (an admin URL: the bench creates and drops its own database).

The data set is bulk-inserted with SQL (not through the lifecycle): tickets spread over 2026 on four channels,
thirteen intents and six departments; a receive event each; an answer event for the answered and closed ones (some
late); an extension event for one in twenty; a survey for a third of the answered (rated); remedy cases for the
remedy intents. Then ``make_report`` aggregates the whole year, as ``vocdesk report --from 2026-01-01 --to
2026-12-31`` does. The machine is shared: noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.standard.report import Labels, make_report  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.uow import Database  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from databases import admin_url, pg_reachable, postgres_url, sqlite_url  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "report.json"
KST = ZoneInfo("Asia/Seoul")
NOW = datetime(2027, 1, 5, 10, 0, tzinfo=KST)
TARGETS = {"postgresql": (1_000_000, 60.0), "sqlite": (100_000, 60.0)}
INTENTS = ("general_inquiry", "procedure_question", "statute_question", "disclosure_request", "delay_complaint",
           "unfriendly_service", "repeat_visit", "financial_damage", "other_complaint", "improvement_proposal",
           "other_suggestion", "staff_praise", "other_praise")
TYPES = ("inquiry", "inquiry", "inquiry", "inquiry", "complaint", "complaint", "complaint", "complaint", "complaint",
         "suggestion", "suggestion", "praise", "praise")
DEPARTMENTS = ("voc_desk", "voc_desk", "legal", "disclosure", "voc_desk", "service_quality", "service_quality",
               "mediation", "voc_desk", "planning", "voc_desk", "voc_desk", "voc_desk")
STATUSES = ("answered", "closed", "answered", "in_progress", "received", "closed", "closed", "assigned")


def _case(column: str, values: tuple[str, ...], modulo: str) -> str:
    """``CASE (expr) WHEN 0 THEN 'a' ... END``: the same on both databases (no arrays in SQLite)."""
    return f"CASE {modulo} " + " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values)) + " END"


def statements(pg: bool, n: int) -> list[str]:
    if pg:
        seq = f"SELECT i, timestamptz '2026-01-01 00:00+09' + i * interval '{31_536_000 // n} seconds' AS ts " \
              f"FROM generate_series(1, {n}) AS i"
        plus = "{ts} + interval '{d} days'"
        json_empty, json_ext = "'{}'::json", """'{"reason_code": "cooperation"}'::json"""
        number = "'VOC-2026-' || lpad(i::text, 7, '0')"
        hashed = "md5(t.id::text)"
    else:
        seq = (f"WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n}) "
               f"SELECT i, strftime('%Y-%m-%d %H:%M:%S', '2025-12-31 15:00:00', '+' || (i * {31_536_000 // n}) || "
               f"' seconds') || '.000000' AS ts FROM seq")
        plus = "strftime('%Y-%m-%d %H:%M:%S', {ts}, '+{d} days') || '.000000'"
        json_empty, json_ext = "'{}'", """'{"reason_code": "cooperation"}'"""
        number = "'VOC-2026-' || substr('0000000' || i, -7, 7)"
        hashed = "'h' || t.id"
    k = len(INTENTS)
    tickets = f"""
        INSERT INTO tickets (number, year, customer_id, channel, voc_type, intent, department, text, received_at,
            due_at, due_date_only, policy_amount, policy_unit, policy_regime, status, assignee, contact_phone,
            confidence, answer, pauses, extensions, version, created_at, updated_at, policy_law, legal_due_at,
            arrived_at)
        SELECT {number}, 2026, 1, {_case('channel', ('telegram', 'kakao', 'web', 'console'), '(i % 4)')},
            {_case('voc_type', TYPES, f'((i * 7) % {k})')}, {_case('intent', INTENTS, f'((i * 7) % {k})')},
            {_case('department', DEPARTMENTS, f'((i * 7) % {k})')}, '벤치마크 민원', ts,
            {plus.format(ts='ts', d=9)}, {'true' if pg else '1'}, 7, 'days', 'minwon',
            {_case('status', STATUSES, '(i % 8)')}, '', '', 0.5, '', '[]', '[]', 0, ts, ts, 'minwon',
            {plus.format(ts='ts', d=10)}, NULL
        FROM ({seq}) AS s"""
    events = [
        f"""INSERT INTO ticket_events (ticket_id, at, actor, action, from_status, to_status, reason, data)
            SELECT id, received_at, 'customer', 'receive', NULL, 'received', '', {json_empty} FROM tickets""",
        f"""INSERT INTO ticket_events (ticket_id, at, actor, action, from_status, to_status, reason, data)
            SELECT id, {plus.format(ts='received_at', d='" || (id % 13) || "')}, 'staff', 'answer', 'in_progress',
                   'answered', '', {json_empty} FROM tickets WHERE status IN ('answered', 'closed')""",
        f"""INSERT INTO ticket_events (ticket_id, at, actor, action, from_status, to_status, reason, data)
            SELECT id, received_at, 'staff', 'extend', 'in_progress', 'in_progress', '협조', {json_ext}
            FROM tickets WHERE id % 20 = 0""",
        f"""INSERT INTO surveys (ticket_id, number, customer_id, channel, token_hash, invited_at, expires_at, rating,
                comment, rated_at, via, follow_up)
            SELECT t.id, t.number, 1, t.channel, {hashed}, t.received_at, t.received_at,
                   CASE WHEN t.id % 2 = 0 THEN 1 + t.id % 5 END, '', CASE WHEN t.id % 2 = 0 THEN t.received_at END,
                   'web', 'none'
            FROM tickets t WHERE t.status IN ('answered', 'closed') AND t.id % 3 = 0""",
        f"""INSERT INTO remedies (ticket_id, number, kind, department, owner, status, amount, visits, opened_at,
                due_at, due_date_only, legal_due_at, steps, approval, approved_by, approved_at, payout, paid_at,
                decision, version, updated_at)
            SELECT id, number, 'kindness', department, '', CASE WHEN id % 2 = 0 THEN 'paid' ELSE 'investigating' END,
                   10000, 0, received_at, due_at, {'true' if pg else '1'}, legal_due_at, {json_empty}, 'pending', '',
                   NULL, CASE WHEN id % 2 = 0 THEN 'paid' ELSE 'none' END, NULL, '', 0, received_at
            FROM tickets WHERE intent IN ('unfriendly_service', 'repeat_visit', 'financial_damage')""",
    ]
    if not pg:  # the day offset of an answer is an expression: build it with SQLite's own concatenation
        events[1] = events[1].replace("'+\" || (id % 13) || \" days'", "'+' || (id % 13) || ' days'")
    else:
        events[1] = events[1].replace("interval '\" || (id % 13) || \" days'", "(id % 13) * interval '1 day'")
    customer = ("INSERT INTO customers (id, channel, external_id, display_name, locale, consent_at, consent_version, "
                "phone, created_at) VALUES (1, 'web', 'bench', '', 'ko', NULL, '', '', "
                + ("now())" if pg else "'2026-01-01 00:00:00.000000')"))
    return [customer, tickets, *events, "ANALYZE"]


async def one(kind: str, url: str, n: int) -> dict[str, object]:
    await upgrade(url)
    database = Database.from_url(url)
    try:
        started = time.perf_counter()
        async with database.engine.begin() as connection:
            for statement in statements(kind == "postgresql", n):
                await connection.execute(text(statement))
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        report = await make_report(database.uow, date(2026, 1, 1), date(2026, 12, 31), None, NOW, KST, Labels())
        took = time.perf_counter() - started
    finally:
        await database.close()
    assert report["total"] == n, (report["total"], n)
    target = TARGETS[kind][1]
    return {"database": kind, "tickets": n, "seed_s": round(seeded, 1), "report_s": round(took, 2),
            "target_s": target, "ok": took < target, "answered": report["answered"],
            "on_time_rate": report["on_time_rate"], "median_days": report["median_processing_days"]}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=None, help="tickets per database (default: the targets')")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), default=None)
    args = parser.parse_args()
    rows = []
    if args.only in (None, "sqlite"):
        async with sqlite_url() as url:
            rows.append(await one("sqlite", url, args.tickets or TARGETS["sqlite"][0]))
    if args.only in (None, "postgresql"):
        problem = await pg_reachable(admin_url())
        if problem:
            print(f"PostgreSQL skipped: {problem}")
        else:
            async with postgres_url(admin_url()) as url:
                rows.append(await one("postgresql", url, args.tickets or TARGETS["postgresql"][0]))
    print(f"{'database':<11} {'tickets':>9} {'seed s':>7} {'report s':>9} {'target':>7}  ok")
    for r in rows:
        print(f"{r['database']:<11} {r['tickets']:>9,} {r['seed_s']:>7} {r['report_s']:>9} {r['target_s']:>7}  "
              f"{'yes' if r['ok'] else 'NO'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
