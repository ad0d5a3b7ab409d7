"""Throw-away databases for the benchmarks: a SQLite file in a temporary folder, or a PostgreSQL database
created next to the admin URL's database and dropped afterwards."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def admin_url() -> str:
    """The PostgreSQL server to benchmark on: VOCDESK_BENCH_PG_URL, else VOCDESK_TEST_PG_URL, else the local one."""
    return os.environ.get("VOCDESK_BENCH_PG_URL") or os.environ.get("VOCDESK_TEST_PG_URL") or DEFAULT_PG_URL


@asynccontextmanager
async def sqlite_url() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory(prefix="vocdesk-bench-") as folder:
        yield f"sqlite+aiosqlite:///{folder}/vocdesk.db"


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


@asynccontextmanager
async def postgres_url(admin_url: str) -> AsyncIterator[str]:
    name = f"vocdesk_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(_dsn(admin_url), timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(_dsn(admin_url, name)).set(drivername="postgresql+asyncpg").render_as_string(
                hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def pg_reachable(admin_url: str) -> str | None:
    try:
        connection = await asyncpg.connect(_dsn(admin_url), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await connection.close()
    return None


async def backends(only: str | None, admin_url: str, results: dict[str, Any]) -> list[str]:
    """The databases a benchmark measures (``only`` one of them, if given); PostgreSQL is left out, and said so
    on stdout and in ``results``, when its server is not reachable."""
    chosen = []
    for db in ("sqlite", "postgresql"):
        if only and db != only:
            continue
        if db == "postgresql" and (problem := await pg_reachable(admin_url)) is not None:
            server = make_url(admin_url)
            print(f"postgresql: skipped, not reachable at {server.host}:{server.port} ({problem})")
            results[db] = {"skipped": problem}
            continue
        chosen.append(db)
    return chosen
