"""The real server under load (issue 12): Kakao skill turns per second and turn latency (p50/p99) at 1, 10 and 50
concurrent clients, on SQLite and PostgreSQL, and on PostgreSQL with 1 and 2 worker processes.

Run: python bench/bench_server.py [--quick] [--only sqlite|postgresql] [--seconds S] [--users 1,10,50]
[--arrival-ms MS]
(``VOCDESK_BENCH_QUICK=1`` is ``--quick``: 2-second points). Prints a table, writes bench/results/server.json.
PostgreSQL as in bench/databases.py (VOCDESK_BENCH_PG_URL, ...); unreachable, it is skipped with a line saying so.

Load model: a real ``vocdesk serve`` process, and a load generator in a separate process (this script with
``--client``: asyncio + aiohttp, one connection per client) so that the generator's CPU is not the server's. Each
client runs complete conversations back to back, as a KakaoTalk user taps them (greeting, consent, a complaint, then
the first quick reply until the ticket number comes: confirm, skip the phone number), a closed loop with zero think
time: by Little's law mean latency = clients / turns per second, so a p99 under 100 ms at 50 clients needs well over
500 turns/s. Clients arrive one by one over the first 250 ms (``--arrival-ms``; 0: all at once, and then they move
in lockstep, see ``ARRIVAL_S``). The last point gives each client a pause between messages (``--think-ms``, 500 ms),
a load below saturation closer to people typing on phones. Latency is measured by the client (HTTP included); "cpu
ms/turn" is the server process's (and its workers') CPU time over the turns served, far less noisy than latency. The
machine has 2 cores shared by the server, its database, the generator and whatever else runs (other engineers'
tests): numbers are noisy; compare medians of several runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "server.json"
ARRIVAL_S = 0.25
"""Clients arrive one by one over this many seconds (over one pause when they pause), as independent people do.
Started at the same instant they would move in lockstep for the whole run (first come first served keeps their
order), every one of them at the same step of the conversation at once: the ticket-opening step of 50 clients
queued together. ``--lockstep`` measures that too."""
VOCDESK = Path(sys.executable).with_name("vocdesk")
SECRET = "bench-secret"
COMPLAINTS = (
    "보증 심사가 3주째 진행 중이라는데 도대체 언제 끝나나요?",
    "직원분이 너무 불친절했어요",
    "지난달에 문의 남겼는데 아직까지 답변이 없습니다.",
    "콜백 요청 세 번이나 했는데 아무도 전화를 안 주시네요.",
)
TICKET = re.compile(r"VOC-\d{4}-\d{6}")


# -- the load generator (its own process) -------------------------------------------------------------------

def payload(text: str, user: str) -> dict[str, Any]:
    return {"userRequest": {"utterance": text, "lang": "ko", "timezone": "Asia/Seoul",
                            "user": {"id": user, "type": "botUserKey", "properties": {}}},
            "bot": {"id": "bench", "name": "bench"}, "intent": {"id": "i", "name": "폴백"}, "action": {}}


async def client_loop(http: Any, name: str, deadline: float, turns: list[float], errors: dict[str, int],
                      done: list[int], think: float, offset: float) -> None:
    n = 0
    await asyncio.sleep(offset)
    while time.perf_counter() < deadline:
        n += 1
        user = f"{name}-{n}"
        says = ["안녕하세요", "동의합니다", COMPLAINTS[n % len(COMPLAINTS)]]
        for _ in range(7):
            if not says or time.perf_counter() >= deadline:
                break
            start = time.perf_counter()
            try:
                async with http.post("/kakao/skill", json=payload(says.pop(0), user)) as answer:
                    status, body = answer.status, await answer.json()
            except Exception as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                break
            turns.append(time.perf_counter() - start)
            if think:
                await asyncio.sleep(think)
            if status != 200 or "template" not in body:
                key = f"HTTP {status}" if status != 200 else "not answered in time"
                errors[key] = errors.get(key, 0) + 1
                break
            text = "\n".join(o["simpleText"]["text"] for o in body["template"]["outputs"])
            if TICKET.search(text):
                done[0] += 1
                break
            quick = body["template"].get("quickReplies")
            if not says and quick:
                says.append(quick[0]["messageText"])


async def generate(base: str, users: int, seconds: float, think: float, arrival: float) -> dict[str, Any]:
    import aiohttp  # lighter than httpx: at 50 clients httpx's pool was the bottleneck, not the server

    turns: list[float] = []
    errors: dict[str, int] = {}
    done = [0]
    async with aiohttp.ClientSession(base_url=base, headers={"X-Vocdesk-Skill-Secret": SECRET},
                                     connector=aiohttp.TCPConnector(limit=users),
                                     timeout=aiohttp.ClientTimeout(total=30)) as http:
        start = time.perf_counter()
        await asyncio.gather(*(client_loop(http, f"c{os.getpid()}-{u}", start + seconds, turns, errors, done,
                                           think, u / users * (think or arrival)) for u in range(users)))
        elapsed = time.perf_counter() - start
    ordered = sorted(turns)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")

    return {"users": users, "seconds": elapsed, "turns": len(turns), "turns_per_s": len(turns) / elapsed,
            "conversations": done[0], "p50_ms": pct(0.50), "p99_ms": pct(0.99), "errors": errors}


# -- the server under test ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(folder: Path, url: str, port: int) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for old, new in (('url = "sqlite+aiosqlite:///var/vocdesk.db"', f'url = "{url}"'),
                     ('intents_dir = "intents"', f'intents_dir = "{ROOT / "intents"}"'),
                     ('cache_dir = "var/model"', f'cache_dir = "{ROOT / "var" / "model"}"'),
                     ("port = 8080", f"port = {port}")):
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def start_server(config: Path, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOCDESK_", "TELEGRAM_", "SLACK_"))}
    with log.open("wb") as out:
        process = subprocess.Popen([str(VOCDESK), "--config", str(config), "serve", "--workers", str(workers)],
                                   stdout=out, stderr=subprocess.STDOUT, env=env | {"KAKAO_SKILL_SECRET": SECRET})
    return process


def wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 300) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vocdesk serve exited:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("vocdesk serve did not become healthy")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its live descendants (the uvicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    family, total = {pid}, 0.0
    for _ in range(3):  # the server, its workers, theirs
        family |= {p for p, (parent, _) in stats.items() if parent in family}
    for p in family:
        total += stats.get(p, (0, 0.0))[1]
    return total


def run_generator(base: str, users: int, seconds: float, think: float = 0.0, server: int | None = None,
                  arrival: float = ARRIVAL_S) -> dict[str, Any]:
    cpu = cpu_seconds(server) if server else 0.0
    done = subprocess.run([sys.executable, __file__, "--client", base, "--users", str(users), "--seconds",
                           str(seconds), "--think-ms", str(think * 1000), "--arrival-ms", str(arrival * 1000)],
                          capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    result: dict[str, Any] = json.loads(done.stdout)
    if server and result["turns"]:
        result["server_cpu_ms_per_turn"] = (cpu_seconds(server) - cpu) * 1000 / result["turns"]
    return result


async def bench_setup(url: str, workers: int, points: list[int], seconds: float, runs: int,
                      think: float, arrival: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vocdesk-serve-bench-") as folder:
        port = free_port()
        config = write_config(Path(folder), url, port)
        log = Path(folder) / "serve.log"
        process = start_server(config, workers, log)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(base, process, log)
            run_generator(base, 10, 1.0)  # warm-up: first connections, first statements prepared
            out: dict[str, Any] = {}
            for users in points:
                out[str(users)] = [run_generator(base, users, seconds, server=process.pid, arrival=arrival)
                                  for _ in range(runs)]
            if think:
                label = f"{max(points)}, {think * 1000:g} ms pause"
                out[label] = [run_generator(base, max(points), seconds, think, server=process.pid)
                               for _ in range(runs)]
            return out
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(120)
            if code:
                print(f"  (vocdesk serve exited {code})\n{log.read_text()[-1500:]}")


def report(results: dict[str, Any]) -> None:
    print()
    print("Kakao skill through the real server; median over runs (min–max); client-side latency, HTTP included")
    print(f"{'setup':<22}{'clients':<20}{'turns/s':<20}{'p50 ms':<20}{'p99 ms':<22}{'conv/s':<9}"
          f"{'cpu ms/turn':<13}errors")
    for setup, points in results.items():
        if "skipped" in points:
            print(f"{setup:<22}skipped: {points['skipped']}")
            continue
        for users, runs in points.items():
            def span(key: str, fmt: str, runs: list[dict[str, Any]] = runs) -> str:
                values = [r[key] for r in runs]
                med = format(statistics.median(values), fmt)
                return med if len(values) < 2 else f"{med} ({format(min(values), fmt)}–{format(max(values), fmt)})"

            errors: dict[str, int] = {}
            for r in runs:
                for k, v in r["errors"].items():
                    errors[k] = errors.get(k, 0) + v
            conv = statistics.median(r["conversations"] / r["seconds"] for r in runs)
            cpus = [r["server_cpu_ms_per_turn"] for r in runs if "server_cpu_ms_per_turn" in r]
            cpu = f"{statistics.median(cpus):.2f}" if cpus else "-"
            print(f"{setup:<22}{users:<20}{span('turns_per_s', '.0f'):<20}{span('p50_ms', '.1f'):<20}"
                  f"{span('p99_ms', '.1f'):<22}{conv:<9.1f}{cpu:<13}"
                  f"{', '.join(f'{k}×{v}' for k, v in errors.items()) or '-'}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", metavar="BASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("VOCDESK_BENCH_QUICK")))
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--users", default="1,10,50", help="client counts, comma-separated")
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--runs", type=int)
    parser.add_argument("--think-ms", type=float, default=500.0,
                        help="pause between a client's messages in the last point (0: no such point)")
    parser.add_argument("--arrival-ms", type=float, default=ARRIVAL_S * 1000,
                        help="clients arrive one by one over this time (0: all at once, in lockstep)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    seconds = args.seconds or (2.0 if args.quick else 6.0)
    if args.client:
        print(json.dumps(await generate(args.client, int(args.users), seconds, args.think_ms / 1000,
                                        args.arrival_ms / 1000)))
        return
    from databases import admin_url, pg_reachable, postgres_url, sqlite_url

    points = [int(u) for u in args.users.split(",")]
    think = args.think_ms / 1000
    runs = args.runs or (1 if args.quick else 3)
    results: dict[str, Any] = {}
    if args.only in (None, "sqlite"):
        print(f"sqlite, 1 worker: {runs} run(s) of {seconds:g} s at {args.users} clients", flush=True)
        async with sqlite_url() as url:
            results["sqlite, 1 worker"] = await bench_setup(url, 1, points, seconds, runs, think,
                                                            args.arrival_ms / 1000)
    if args.only in (None, "postgresql"):
        admin = admin_url()
        problem = await pg_reachable(admin)
        for workers in (1, 2):
            setup = f"postgresql, {workers} worker{'s' if workers > 1 else ''}"
            if problem:
                results[setup] = {"skipped": problem}
                continue
            print(f"{setup}: {runs} run(s) of {seconds:g} s at {args.users} clients", flush=True)
            async with postgres_url(admin) as url:
                results[setup] = await bench_setup(url, workers, points, seconds, runs, think, args.arrival_ms / 1000)
    report(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
