"""The desk under load (issue 9): whole conversations at 1, 10 and 50 concurrent customers on SQLite and
PostgreSQL, SQL statements per conversation, and listing 100,000 tickets.

Run: python bench/bench_load.py [--quick] [--only sqlite|postgresql] [--runs N] [--seconds S]
(prints a table, writes bench/results/load.json). PostgreSQL: VOCDESK_BENCH_PG_URL, else
VOCDESK_TEST_PG_URL, else postgresql://postgres@127.0.0.1:5432/test (an admin URL: the bench creates and
drops its own database next to it); unreachable PostgreSQL is skipped with a line saying so.

Load model: in-process, the real classifier, a closed loop. Each of N customers runs complete
conversations back to back (greet, consent, a complaint, confirm, skip the phone number: one ticket
each), arriving one by one over the first 250 ms (``--arrival-ms``, see ``ARRIVAL_S``); a turn's latency is the
time of ``Dialogue.handle``. With zero think time Little's law ties the
numbers together: mean turn latency = N / turns per second, so at 50 customers a p99 of 50 ms needs more
than 1,000 turns/s. The last point gives each customer a pause between messages (``--think-ms``), a load
below saturation, where latency is service time plus fair queueing. "CPU ms/turn" is this process's CPU
time per turn (SQLite's work included, PostgreSQL's server not): steadier than wall-clock numbers on a
shared machine. The machine is shared: treat every number as noisy and compare medians.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import secrets
import statistics
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from databases import admin_url, backends, postgres_url, sqlite_url  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402

from bot.app import build_calendar, settle  # noqa: E402
from bot.casework.routing import RoutingTable  # noqa: E402
from bot.casework.views import ticket_json  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.config import AppConfig, load_config  # noqa: E402
from bot.conversation.classification import Classifier  # noqa: E402
from bot.conversation.dialogue import Dialogue, DialogueDeps  # noqa: E402
from bot.conversation.messages import Inbound  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import CustomerRow, TicketEventRow, TicketRow  # noqa: E402
from storage.uow import Database  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "load.json"
CONCURRENCY = (1, 10, 50)
THINK_USERS = 50
ARRIVAL_S = 0.25
"""Customers arrive one by one over this many seconds, as independent people do. Started at the same instant, they
would move in lockstep for the whole run (first come first served keeps their order), every one of them at the
same step of the conversation at once: the ticket-opening turns of all 50 queued together. ``--arrival-ms 0``
measures that too."""
LISTED = 100_000
COMPLAINTS = (
    "보증 심사가 3주째 진행 중이라는데 도대체 언제 끝나나요?",
    "직원분이 너무 불친절했어요",
    "지난달에 문의 남겼는데 아직까지 답변이 없습니다.",
    "콜백 요청 세 번이나 했는데 아무도 전화를 안 주시네요.",
)


@dataclass
class Run:
    conversations: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0
    turns: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)


def conversation(user: str, n: int) -> list[Callable[[list[Any]], Inbound]]:
    """The five messages of one conversation; the fourth answers whatever the third turn offered."""
    return [
        lambda _: Inbound("web", user, text="안녕하세요"),
        lambda _: Inbound("web", user, choice="consent:yes"),
        lambda _: Inbound("web", user, text=COMPLAINTS[n % len(COMPLAINTS)]),
        lambda last: Inbound("web", user, choice=last[0].choices[0].id if last and last[0].choices else "confirm:yes"),
        lambda _: Inbound("web", user, choice="contact:skip"),
    ]


async def customer(dialogue: Dialogue, name: str, deadline: float, run: Run, think: float) -> None:
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        replies: list[Any] = []
        for make in conversation(f"{name}-{n}", n):
            if time.perf_counter() >= deadline:
                return
            msg = make(replies)
            start = time.perf_counter()
            try:
                # The message comes in through I/O: the other customers' ready turns run first, and are timed.
                # (A SQLite turn never suspends: without this one customer would keep the loop to itself.)
                await asyncio.sleep(0)
                replies = await dialogue.handle(msg)
            except Exception as exc:  # counted and shown in the table
                key = type(exc).__name__
                run.errors[key] = run.errors.get(key, 0) + 1
                break
            run.turns.append(time.perf_counter() - start)
            if think:
                await asyncio.sleep(think)
        else:
            if not any("VOC-" in r.text for r in replies):
                raise RuntimeError(f"conversation did not open a ticket: {[r.text for r in replies]}")
            run.conversations += 1


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def load_run(dialogue: Dialogue, users: int, seconds: float, tag: str, think: float = 0.0,
                   arrival: float = ARRIVAL_S) -> Run:
    """Customers arrive one by one, spread over one pause (or ``arrival`` seconds without pauses; 0: all at once)."""
    run = Run()
    start, cpu = time.perf_counter(), cpu_seconds()
    spread = think or arrival
    await asyncio.gather(*(staggered(dialogue, f"{tag}-{u}", start + seconds, run, think, u / users * spread)
                           for u in range(users)))
    run.seconds, run.cpu_s = time.perf_counter() - start, cpu_seconds() - cpu
    return run


async def staggered(dialogue: Dialogue, name: str, deadline: float, run: Run, think: float, delay: float) -> None:
    if delay:
        await asyncio.sleep(delay)
    await customer(dialogue, name, deadline, run, think)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def make_dialogue(database: Database, config: AppConfig, classifier: Classifier) -> Dialogue:
    settings = config.settings
    return Dialogue(DialogueDeps(
        uow=database.uow, classifier=classifier, routing=RoutingTable.from_settings(settings),
        calendar=build_calendar(settings), clock=SystemClock(), settings=settings,
    ))


async def open_database(url: str, config: AppConfig) -> Database:
    await upgrade(url)
    database = Database.from_url(url, clock=SystemClock())
    await database.sync_departments(config.settings.departments)
    optimize = getattr(database, "optimize", None)
    if optimize is not None:
        await optimize()
    return database


async def count_statements(dialogue: Dialogue, database: Database, keys: bool) -> int:
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        replies: list[Any] = []
        user = f"count-{secrets.token_hex(3)}"
        for i, make in enumerate(conversation(user, 0)):
            msg = make(replies)
            if keys:
                msg = Inbound(msg.channel, msg.user_id, text=msg.text, choice=msg.choice, message_key=f"{user}:{i}")
            replies = await dialogue.handle(msg)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", on_execute)
    if os.environ.get("BENCH_SHOW_SQL"):
        print("\n".join(" ".join(s.split())[:160] for s in seen))
    return len(seen)


async def bench_load(url: str, config: AppConfig, classifier: Classifier, runs: int,
                     seconds: float, think: float, arrival: float) -> dict[str, Any]:
    database = await open_database(url, config)
    try:
        dialogue = make_dialogue(database, config, classifier)
        await load_run(dialogue, 5, 0.5, "warmup")
        settle()  # as a long-running process does once started (bot.app.bootstrap)
        out: dict[str, Any] = {
            "statements": await count_statements(dialogue, database, keys=False),
            "statements_with_keys": await count_statements(dialogue, database, keys=True),
        }
        for users, pause in [(u, 0.0) for u in CONCURRENCY] + [(THINK_USERS, think)]:
            results = []
            for r in range(runs):
                gc.collect()
                tag = f"u{users}t{pause}r{r}{secrets.token_hex(2)}"
                results.append(await load_run(dialogue, users, seconds, tag, pause, arrival))
            errors: dict[str, int] = {}
            for res in results:
                for k, v in res.errors.items():
                    errors[k] = errors.get(k, 0) + v
            out[point_key(users, pause)] = {
                "cpu_ms_per_turn": [res.cpu_s / max(1, len(res.turns)) * 1000 for res in results],
                "conv_per_s": [res.conversations / res.seconds for res in results],
                "p50_ms": [percentile(res.turns, 0.50) * 1000 for res in results],
                "p99_ms": [percentile(res.turns, 0.99) * 1000 for res in results],
                "turns": [len(res.turns) for res in results],
                "errors": errors,
            }
        return out
    finally:
        await database.close()


def point_key(users: int, think: float) -> str:
    return f"{users}" if not think else f"{users}+think{think * 1000:g}ms"


# -- listing ------------------------------------------------------------------------------------------

async def fill(database: Database, n: int) -> None:
    """``n`` tickets with one event each, written straight into the tables (executemany, in batches)."""
    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    statuses = ["received", "assigned", "answered", "closed", "closed", "closed"]
    async with database.engine.begin() as conn:
        await conn.execute(insert(CustomerRow.__table__), [{
            "id": c, "channel": "web", "external_id": f"list-{c}", "display_name": "", "locale": "ko",
            "consent_at": base, "consent_version": "2026-11", "phone": "", "created_at": base,
        } for c in range(1, 1001)])
    batch = 5000
    for first in range(1, n + 1, batch):
        ids = range(first, min(n, first + batch - 1) + 1)
        tickets, events = [], []
        for i in ids:
            at = base + timedelta(minutes=i)
            tickets.append({
                "id": i, "number": f"VOC-2026-{i:06d}", "year": 2026, "customer_id": 1 + i % 1000,
                "channel": "web", "voc_type": "complaint", "intent": "delay_complaint",
                "department": "service_quality", "text": f"처리가 늦어요 {i}", "received_at": at,
                "due_at": at + timedelta(days=9), "due_date_only": True, "policy_amount": 7,
                "policy_unit": "days", "policy_regime": "civil", "status": statuses[i % len(statuses)],
                "assignee": "", "contact_phone": "", "confidence": 0.9, "answer": "", "pauses": [],
                "extensions": [], "version": 0, "created_at": at, "updated_at": at,
            })
            events.append({
                "id": i, "ticket_id": i, "at": at, "actor": "customer:1", "action": "receive",
                "from_status": None, "to_status": "received", "reason": "", "data": {},
            })
        async with database.engine.begin() as conn:
            await conn.execute(insert(TicketRow.__table__), tickets)
            await conn.execute(insert(TicketEventRow.__table__), events)
    async with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in ("customers", "tickets", "ticket_events"):
                await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
            await conn.execute(text("ANALYZE"))


def _status_bytes(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


async def rss_growth(fn: Callable[[], Awaitable[Any]]) -> tuple[float, float | None]:
    """Seconds ``fn`` took and how far the resident set grew above its level at the start, in MiB (Linux:
    the high-water mark is reset through /proc/self/clear_refs; None elsewhere). Memory the process had
    already allocated and freed is reused first, so this can read 0 for a small peak."""
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        base: int | None = _status_bytes("VmRSS")
    except (OSError, KeyError):
        base = None
    seconds = await timed(fn)
    return seconds, None if base is None else (_status_bytes("VmHWM") - base) / 2**20


async def traced_peak(fn: Callable[[], Awaitable[Any]]) -> float:
    """The peak of Python allocations while ``fn`` runs, in MiB (tracemalloc; slows ``fn`` down)."""
    gc.collect()
    tracemalloc.start()
    try:
        await fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


async def timed(fn: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def bench_listing(url: str, config: AppConfig, repeats: int) -> dict[str, Any]:
    filler = await open_database(url, config)
    try:
        start = time.perf_counter()
        await fill(filler, LISTED)
        fill_s = time.perf_counter() - start
        optimize = getattr(filler, "optimize", None)
        if optimize is not None:
            await optimize()
    finally:
        await filler.close()
    tz = build_calendar(config.settings).tz

    async def newest(**filters: Any) -> None:
        """What ``vocdesk tickets list --json`` does after start-up: open, list 500, encode, close."""
        database = Database.from_url(url, clock=SystemClock())
        try:
            async with database.uow() as uow:
                tickets = await uow.tickets.list(limit=500, **filters)
            assert len(tickets) == 500, len(tickets)
            now = datetime.now(UTC)
            json.dumps([ticket_json(t, tz, now) for t in tickets], ensure_ascii=False)
        finally:
            await database.close()

    out: dict[str, Any] = {"fill_s": fill_s}
    from bot.casework.tickets import Status

    out["newest_500_s"] = [await timed(newest) for _ in range(repeats)]
    out["received_500_s"] = [await timed(lambda: newest(status=Status.RECEIVED)) for _ in range(repeats)]

    async def everything() -> None:
        database = Database.from_url(url, clock=SystemClock())
        try:
            async with database.uow() as uow:
                seen = 0
                if hasattr(uow.tickets, "stream"):
                    async for _ticket in uow.tickets.stream():
                        seen += 1
                else:  # before issue 9: the whole list at once
                    seen = len(await uow.tickets.list(limit=LISTED))
            assert seen == LISTED, seen
        finally:
            await database.close()

    try:
        out["all_s"], out["all_rss_mib"] = await rss_growth(everything)
        out["all_traced_mib"] = await traced_peak(everything)
    except Exception as exc:  # shown in the table (asyncpg's 32,767-argument limit)
        out["all_error"] = f"{type(exc).__name__}: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}"
    return out


# -- databases ----------------------------------------------------------------------------------------

# -- report -------------------------------------------------------------------------------------------

def _med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _span(values: list[float], fmt: str) -> str:
    if len(values) < 2:
        return format(_med(values), fmt)
    return f"{format(_med(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def report(results: dict[str, Any], think: float) -> None:
    print()
    print("load: median (min–max) over runs; closed loop, zero think time unless a pause is shown")
    print(f"{'db':<11}{'customers':<18}{'conversations/s':<19}{'turn p50 ms':<22}{'turn p99 ms':<26}"
          f"{'CPU ms/turn':<12}errors")
    points = [(u, 0.0) for u in CONCURRENCY] + [(THINK_USERS, think)]
    for db, res in results.items():
        if "skipped" in res:
            continue
        for users, pause in points:
            row = res["load"][point_key(users, pause)]
            errors = ", ".join(f"{k}×{v}" for k, v in row["errors"].items()) or "-"
            label = f"{users}" + (f", {pause * 1000:g} ms pause" if pause else "")
            print(f"{db:<11}{label:<18}{_span(row['conv_per_s'], '.0f'):<19}{_span(row['p50_ms'], '.1f'):<22}"
                  f"{_span(row['p99_ms'], '.1f'):<26}{_med(row['cpu_ms_per_turn']):<12.2f}{errors}")
    print()
    print(f"{'':<42}" + "".join(f"{db:<26}" for db in results))
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("SQL statements per conversation", lambda r: str(r["load"]["statements"])),
        ("  with message keys (webhooks)", lambda r: str(r["load"]["statements_with_keys"])),
        (f"list newest 500 of {LISTED:,} (+JSON)", lambda r: f"{_med(r['listing']['newest_500_s']) * 1000:.0f} ms"),
        ("list status=received newest 500", lambda r: f"{_med(r['listing']['received_500_s']) * 1000:.0f} ms"),
        (f"all {LISTED:,} (stream): time", lambda r: r["listing"].get("all_error") or
         f"{r['listing']['all_s']:.1f} s"),
        ("  peak Python allocations (tracemalloc)", lambda r: "-" if "all_error" in r["listing"] else
         f"{r['listing']['all_traced_mib']:.0f} MiB"),
        ("  resident set growth", lambda r: "-" if "all_error" in r["listing"] else
         f"{r['listing']['all_rss_mib']:.0f} MiB" if r["listing"]["all_rss_mib"] is not None else "n/a"),
    ]
    for label, cell in rows:
        line = f"{label:<42}"
        for res in results.values():
            line += f"{('skipped' if 'skipped' in res else cell(res)):<24}  "
        print(line.rstrip())
    for db, res in results.items():
        if "skipped" in res:
            print(f"{db}: skipped ({res['skipped']})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short run per point")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--runs", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--think-ms", type=float, default=200.0, help="pause between messages, last point")
    parser.add_argument("--arrival-ms", type=float, default=ARRIVAL_S * 1000,
                        help="customers arrive one by one over this time (0: all at once, in lockstep)")
    parser.add_argument("--no-listing", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    seconds = args.seconds or (2.0 if args.quick else 5.0)

    config = load_config(ROOT / "config.toml", {})
    from intents import load_classifier

    classifier = load_classifier(config)
    print(f"code under test: {Path(sys.modules[Database.__module__].__file__ or '').parent}")
    admin = admin_url()
    results: dict[str, Any] = {}
    for db in await backends(args.only, admin, results):
        res: dict[str, Any] = {}
        opener = sqlite_url() if db == "sqlite" else postgres_url(admin)
        async with opener as url:
            print(f"{db}: load, {runs} run(s) of {seconds:g} s at {', '.join(map(str, CONCURRENCY))} customers "
                  f"and {THINK_USERS} pausing {args.think_ms:g} ms", flush=True)
            res["load"] = await bench_load(url, config, classifier, runs, seconds, args.think_ms / 1000,
                                           args.arrival_ms / 1000)
        if not args.no_listing:
            opener = sqlite_url() if db == "sqlite" else postgres_url(admin)
            async with opener as url:
                print(f"{db}: listing {LISTED:,} tickets", flush=True)
                res["listing"] = await bench_listing(url, config, 3 if args.quick else 5)
        results[db] = res
    if args.no_listing:
        for res in results.values():
            res.setdefault("listing", {"newest_500_s": [], "received_500_s": [], "all_error": "not run"})
    report(results, args.think_ms / 1000)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
