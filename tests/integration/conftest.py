"""Integration fixtures: every test runs on a real SQLite file and on a real PostgreSQL database.

PostgreSQL: one ``vocdesk_test_<random>`` database per test session (dropped at the end) whose
``public`` schema is dropped and recreated before each test, so every test starts empty and runs the
migrations itself. Set ``VOCDESK_TEST_PG_URL`` to use another server (an admin URL: the test database
is created next to its database). Unreachable PostgreSQL skips those tests, except under ``CI``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.clock import FixedClock
from storage.migrate import upgrade
from storage.uow import Database, SqlUnitOfWork

PG_URL_ENV = "VOCDESK_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"

T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on a private loop in a worker thread (leaves pytest-asyncio's loops alone)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_dsn(url), timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session; yields its asyncpg URL."""
    admin_url = os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)
    name = f"vocdesk_test_{secrets.token_hex(4)}"
    try:
        _run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        server = make_url(admin_url)
        message = f"PostgreSQL not reachable at {server.host}:{server.port}: {type(exc).__name__}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield make_url(_dsn(admin_url, name)).set(drivername="postgresql+asyncpg").render_as_string(
            hide_password=False)
    finally:
        _run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=[
    pytest.param("sqlite"),
    pytest.param("postgresql", marks=pytest.mark.postgres),
])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file (in a folder that does not exist yet) or a reset schema."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'var' / 'vocdesk.db'}"
    url: str = request.getfixturevalue("pg_database")
    _run(_admin(url, "DROP SCHEMA IF EXISTS public CASCADE", "CREATE SCHEMA public"))
    return url


@pytest.fixture
def clock() -> FixedClock:
    """The storage clock (created_at, default available_at, ...): 2026-09-21 10:00 KST."""
    return FixedClock(datetime(2026, 9, 21, 1, 0, tzinfo=UTC))


@pytest.fixture
async def database(database_url: str, clock: FixedClock) -> AsyncIterator[Database]:
    """The migrated database; the engine is disposed afterwards."""
    await upgrade(database_url)
    db = Database.from_url(database_url, clock=clock)
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
def uow_factory(database: Database) -> Callable[[], SqlUnitOfWork]:
    return database.uow
