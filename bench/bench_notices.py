"""The notices dispatcher (issue 10): notices per second to SOLAPI, and how soon an idle worker sends a notice
after the ticket change that caused it, on SQLite and PostgreSQL.

Run: python bench/bench_notices.py [--quick] [--only sqlite|postgresql] [--runs N] [--notices N] [--samples N]
(prints a table, writes bench/results/notices.json). PostgreSQL: VOCDESK_BENCH_PG_URL, else VOCDESK_TEST_PG_URL,
else postgresql://postgres@127.0.0.1:5432/test (an admin URL: the bench creates and drops its own database next
to it); unreachable PostgreSQL is skipped with a line saying so.

SOLAPI is the fake of tests/fake_solapi.py (real HTTP on 127.0.0.1, HMAC checked, JSON parsed) in a process of
its own, so it does not share this process's GIL. Throughput: N progress notices queued in the outbox (one
customer each, with a phone number), then one ``Dispatcher.run_once`` (fan-out, claim, send-many by 100,
record) until every one is sent; the fake confirms it accepted each key exactly once. Latency: a worker idles
in ``Dispatcher.run`` (woken in process on SQLite; by PostgreSQL NOTIFY from another Database object); each
sample commits one outbox row through a unit of work, after a random idle pause, and waits until SOLAPI has
accepted the notice (the sink's send returned). The machine is shared: treat every number as noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from databases import admin_url, backends, postgres_url, sqlite_url  # noqa: E402

from bot.app import build_calendar, open_notices  # noqa: E402
from bot.casework.deadlines import Period, Unit  # noqa: E402
from bot.casework.tickets import Ticket  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.config import AppConfig, Notify, Solapi, load_config  # noqa: E402
from bot.conversation.classification import VocType  # noqa: E402
from bot.notices.model import Outcome, Outgoing, Sink  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.uow import Database  # noqa: E402
from tests.fake_solapi import API_KEY, API_SECRET  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "notices.json"
TARGET_PER_S, TARGET_P99_MS = 1000, 100


# -- the fake SOLAPI, in its own process --------------------------------------------------------------

class FakeSolapiProcess:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "tests.fake_solapi"], cwd=ROOT, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            raise RuntimeError("the fake SOLAPI did not start")

    def close(self) -> dict[str, int]:
        """Stop it; what it accepted (messages, distinct keys, keys accepted twice)."""
        out, _ = self.process.communicate("", timeout=30)
        return dict(json.loads(out.strip().splitlines()[-1]))


def solapi_config(base_url: str) -> AppConfig:
    base = load_config(ROOT / "config.toml", {})
    notify = Notify(provider="solapi", quiet_hours="", solapi=Solapi(base_url=base_url, sender="02-1234-5678",
                                                                     pf_id="KA01PF_BENCH"))
    return base.model_copy(update={"settings": base.settings.model_copy(update={"notify": notify}),
                                   "solapi_api_key": API_KEY, "solapi_api_secret": API_SECRET})


async def seed(database: Database, count: int, config: AppConfig, *, events: bool = True) -> list[str]:
    """``count`` customers with a phone number, a ticket each and, with ``events``, its progress notice queued."""
    calendar = build_calendar(config.settings)
    numbers: list[str] = []
    for start in range(0, count, 500):
        async with database.uow() as uow:
            for i in range(start, min(start + 500, count)):
                customer = await uow.customers.get_or_create("console", f"bench-{i}")
                customer.phone = f"010-{3000 + i // 10000:04d}-{i % 10000:04d}"
                await uow.customers.save(customer)
                ticket = await uow.tickets.add(Ticket.open(
                    customer_id=customer.id or 0, channel="console", voc_type=VocType.INQUIRY,
                    intent="general_inquiry", department="voc_desk", text="보증료 환급 절차가 궁금합니다",
                    received_at=database.clock.now(), policy=Period(7, Unit.DAYS), calendar=calendar,
                    actor="customer", contact_phone=customer.phone))
                numbers.append(ticket.number)
                if events:
                    await uow.outbox.put("progress", {"number": ticket.number, "days": 30})
            await uow.commit()
    return numbers


# -- throughput ---------------------------------------------------------------------------------------

async def throughput(url: str, count: int) -> dict[str, Any]:
    fake = FakeSolapiProcess()
    await upgrade(url)
    database = Database.from_url(url)
    config = solapi_config(fake.base_url)
    try:
        await seed(database, count, config)
        notices = await open_notices(config, database, build_calendar(config.settings), SystemClock(),
                                     stream=open(os.devnull, "w"))  # noqa: SIM115 (closed by the process)
        try:
            start = time.perf_counter()
            done = await notices.dispatcher.run_once()
            seconds = time.perf_counter() - start
        finally:
            await notices.aclose()
    finally:
        await database.close()
        accepted = fake.close()
    if done.sent != count or accepted["keys"] != count or accepted["twice"]:
        raise RuntimeError(f"expected {count} notices sent once each: dispatcher {done}, SOLAPI {accepted}")
    return {"notices": count, "seconds": seconds, "per_s": count / seconds}


# -- latency ------------------------------------------------------------------------------------------

class Timed:
    """The SOLAPI sink, noting when each progress notice was accepted (its send returned), by its day count."""

    def __init__(self, sink: Sink) -> None:
        self.sink, self.name, self.batch_size = sink, sink.name, sink.batch_size
        self.waiting: dict[str, asyncio.Future[float]] = {}

    async def send(self, batch: Sequence[Outgoing]) -> list[Outcome]:
        outcomes = await self.sink.send(batch)
        now = time.perf_counter()
        for message in batch:
            future = self.waiting.pop(message.alimtalk.variables["경과일"] if message.alimtalk else "", None)
            if future is not None:
                future.set_result(now)
        return outcomes


async def latency(url: str, samples: int) -> dict[str, Any]:
    fake = FakeSolapiProcess()
    await upgrade(url)
    worker_db = Database.from_url(url)
    producer_db = worker_db if worker_db.sqlite else Database.from_url(url)  # PostgreSQL: woken by NOTIFY
    config = solapi_config(fake.base_url)
    rng = random.Random(7)
    took: list[float] = []
    try:
        (number,) = await seed(worker_db, 1, config, events=False)
        notices = await open_notices(config, worker_db, build_calendar(config.settings), SystemClock(),
                                     stream=open(os.devnull, "w"))  # noqa: SIM115
        timed = Timed(notices.dispatcher.sinks["sms"])
        notices.dispatcher.sinks["sms"] = timed
        stop = asyncio.Event()
        worker = asyncio.create_task(notices.dispatcher.run(stop, notices.wake, interval=5.0))
        try:
            await asyncio.sleep(0.2)
            for i in range(samples):
                await asyncio.sleep(rng.uniform(0.005, 0.03))  # the worker is idle, waiting
                sent = timed.waiting[str(i + 1)] = asyncio.get_running_loop().create_future()
                async with producer_db.uow() as uow:
                    await uow.outbox.put("progress", {"number": number, "days": i + 1})
                    start = time.perf_counter()
                    await uow.commit()
                took.append(await asyncio.wait_for(sent, 10) - start)
        finally:
            stop.set()
            await worker
            await notices.aclose()
    finally:
        if producer_db is not worker_db:
            await producer_db.close()
        await worker_db.close()
        accepted = fake.close()
    if accepted["keys"] != samples or accepted["twice"]:
        raise RuntimeError(f"expected {samples} notices sent once each: SOLAPI {accepted}")
    ms = sorted(1000 * t for t in took)
    return {"samples": samples, "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99), "max_ms": ms[-1]}


def percentile(ordered: list[float], q: float) -> float:
    k = (len(ordered) - 1) * q / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


# -- databases ----------------------------------------------------------------------------------------

# -- report -------------------------------------------------------------------------------------------

def report(results: dict[str, Any]) -> None:
    print()
    print(f"{'db':<12}{'notices/s':<28}{'latency p50 ms':<16}{'p99 ms':<10}{'max ms':<10}wake-up")
    for db, res in results.items():
        if "skipped" in res:
            print(f"{db:<12}skipped ({res['skipped']})")
            continue
        rates = [r["per_s"] for r in res["throughput"]]
        span = f" ({min(rates):,.0f}–{max(rates):,.0f})" if len(rates) > 1 else ""
        rate = f"{statistics.median(rates):,.0f}{span} x{res['throughput'][0]['notices']:,}"
        lat = res["latency"]
        wake = "in process" if db == "sqlite" else "NOTIFY, 2nd Database"
        print(f"{db:<12}{rate:<28}{lat['p50_ms']:<16.1f}{lat['p99_ms']:<10.1f}{lat['max_ms']:<10.1f}{wake}")
    verdicts = []
    for db, res in results.items():
        if "skipped" not in res:
            rate = statistics.median(r["per_s"] for r in res["throughput"])
            verdicts.append(f"{db} {'ok' if rate >= TARGET_PER_S else 'MISSED'} /"
                            f" {'ok' if res['latency']['p99_ms'] < TARGET_P99_MS else 'MISSED'}")
    print(f"targets: >= {TARGET_PER_S:,} notices/s, p99 < {TARGET_P99_MS} ms: {'; '.join(verdicts)}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one small run per database")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--runs", type=int, help="throughput runs per database (median shown)")
    parser.add_argument("--notices", type=int, help="notices per throughput run")
    parser.add_argument("--samples", type=int, help="latency samples per database")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    count = args.notices or (1000 if args.quick else 5000)
    samples = args.samples or (50 if args.quick else 300)

    print(f"code under test: {Path(sys.modules[Database.__module__].__file__ or '').parent}")
    admin = admin_url()
    results: dict[str, Any] = {}
    for db in await backends(args.only, admin, results):
        res: dict[str, Any] = {"throughput": []}
        for run in range(runs):
            print(f"{db}: throughput run {run + 1}/{runs}, {count:,} notices", flush=True)
            async with (sqlite_url() if db == "sqlite" else postgres_url(admin)) as url:
                res["throughput"].append(await throughput(url, count))
        print(f"{db}: latency, {samples} notices to an idle worker", flush=True)
        async with (sqlite_url() if db == "sqlite" else postgres_url(admin)) as url:
            res["latency"] = await latency(url, samples)
        results[db] = res
    report(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
