"""The desk under load, seen from the command line (issue 9): the real ``vocdesk`` process.

`vocdesk --help` wall time; `tickets list --json` (newest 500) and `tickets list --json --limit 100000` over
100,000 tickets on SQLite and PostgreSQL (wall and CPU time, user + system, and peak resident memory of the
whole process); peak resident memory of `vocdesk chat` answering one message. Each figure is the median of
several runs (at least 5 for the newest 500). CPU time is the steadier figure on a busy machine.

vocdesk's own modules are byte-compiled first, as an install does: under PYTHONDONTWRITEBYTECODE an editable
install would otherwise compile them again in every run (about 40 ms more per command).

    .venv/bin/python bench/bench_cli.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import fill, open_database
from databases import admin_url, pg_reachable, postgres_url

from bot.config import load_config

ROOT = Path(__file__).resolve().parents[1]
VOCDESK = Path(sys.executable).with_name("vocdesk")
TICKETS = 100_000
WATCH = """
import resource, subprocess, sys, time
start = time.perf_counter()
with open(sys.argv[1], "wb") as out:
    chat = sys.argv[-1] == "chat"
    code = subprocess.run(sys.argv[2:], stdout=out, input=b"/start\\n" if chat else None).returncode
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(code, time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


class Run(NamedTuple):
    wall: float  # seconds
    rss: float  # peak resident MiB
    size: int  # bytes written
    cpu: float  # seconds, user + system


def run(config: Path, *args: str) -> Run:
    """One ``vocdesk`` run under a fresh watcher."""
    with tempfile.NamedTemporaryFile() as out:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VOCDESK_", "TELEGRAM_", "SOLAPI_"))}
        done = subprocess.run([sys.executable, "-c", WATCH, out.name, str(VOCDESK), "--config", str(config), *args],
                              capture_output=True, text=True, env=env, timeout=600, check=True)
        code, wall, rss, cpu = done.stdout.split()
        if code != "0":
            raise SystemExit(f"vocdesk {' '.join(args)} failed ({code})")
        return Run(float(wall), int(rss) / 1024, Path(out.name).stat().st_size, float(cpu))


def config_for(folder: Path, url: str) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('url = "sqlite+aiosqlite:///var/vocdesk.db"', f'url = "{url}"')
    text = text.replace('intents_dir = "intents"', f'intents_dir = "{ROOT / "intents"}"')
    text = text.replace('cache_dir = "var/model"', f'cache_dir = "{ROOT / "var" / "model"}"')
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def median_of(repeats: int, config: Path, *args: str) -> Run:
    runs = [run(config, *args) for _ in range(repeats)]
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.rss for r in runs), runs[-1].size,
               statistics.median(r.cpu for r in runs))


async def prepare(url: str, config: Path) -> None:
    database = await open_database(url, load_config(config, {}))
    try:
        await fill(database, TICKETS)
    finally:
        await database.close()


def listing(name: str, url: str, folder: Path, repeats: int) -> list[str]:
    config = config_for(folder, url)
    asyncio.run(prepare(url, config))
    lines = []
    for label, args, times in (
        ("tickets list --json (newest 500)", ("tickets", "list", "--json"), max(5, repeats * 3)),
        ("tickets list --json --limit 100000", ("tickets", "list", "--json", "--limit", "100000"), repeats),
    ):
        median = median_of(times, config, *args)
        lines.append(f"{name:<11}{label:<40}{median.wall:>8.2f} s{median.cpu:>8.2f} s{median.rss:>8.0f} MiB"
                     f"{median.size / 1e6:>8.1f} MB out  (median of {times})")
    return lines


async def with_pg(admin: str, folder: Path, repeats: int) -> list[str]:
    async with postgres_url(admin) as url:
        return await asyncio.to_thread(listing, "postgresql", url, folder, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    for package in ("bot", "storage", "handlers", "intents"):
        compileall.compile_dir(ROOT / package, quiet=1)
    lines = []
    with tempfile.TemporaryDirectory(prefix="vocdesk-bench-cli-") as tmp:
        folder = Path(tmp)
        config = config_for(folder, f"sqlite+aiosqlite:///{folder}/help.db")
        helps = median_of(5, config, "--help")
        lines.append(f"{'':<11}{'vocdesk --help':<40}{helps.wall:>8.2f} s{helps.cpu:>8.2f} s  (median of 5)")
        chat = median_of(repeats, config, "chat")
        lines.append(f"{'sqlite':<11}{'vocdesk chat, one message (peak RSS)':<40}{chat.wall:>8.2f} s{chat.cpu:>8.2f} s"
                     f"{chat.rss:>8.0f} MiB")
        sqlite_dir = folder / "sqlite"
        sqlite_dir.mkdir()
        lines += listing("sqlite", f"sqlite+aiosqlite:///{sqlite_dir}/vocdesk.db", sqlite_dir, repeats)
        admin = admin_url()
        problem = asyncio.run(pg_reachable(admin))
        if problem:
            lines.append(f"postgresql skipped: {problem}")
        else:
            pg_dir = folder / "pg"
            pg_dir.mkdir()
            lines += asyncio.run(with_pg(admin, pg_dir, repeats))
    print("the vocdesk process (issue 9): median wall time, CPU time (user + system) and peak resident memory")
    print(f"{'':<11}{'':<40}{'wall':>10}{'CPU':>9}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
