from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from bot.casework.tickets import Ticket
from bot.config import load_config

VOCDESK = Path(sys.executable).with_name("vocdesk")

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def config_file(tmp_path: Path, shipped_config_file: Path) -> Path:
    """A fresh copy of the shipped config (so a fresh SQLite database) sharing the session's model cache."""
    path = tmp_path / "config.toml"
    path.write_text(shipped_config_file.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def clean_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOCDESK_", "TELEGRAM_", "COLUMNS", "LINES"))}
    return env | dict(extra or {})


@pytest.fixture
def vocdesk(config_file: Path) -> Run:
    """Run the installed ``vocdesk`` console script with ``--config`` (the test config) before ``args``;
    with ``bare=True`` the arguments are used as they are."""

    def run(*args: str, stdin: str = "", config: Path | None = None, env: Mapping[str, str] | None = None,
            bare: bool = False) -> subprocess.CompletedProcess[str]:
        head = [] if bare else ["--config", str(config or config_file)]
        return subprocess.run(
            [str(VOCDESK), *head, *args], input=stdin, text=True,
            capture_output=True, env=clean_environ(env), timeout=300, encoding="utf-8",
        )

    return run


def seed(config_file: Path, tickets: Sequence[Ticket]) -> list[str]:
    """Store ``tickets`` (each for a customer of its own channel) in the config's database, created with
    the migrations; returns their numbers. The arrange step of tests that then drive the real process."""
    from storage.migrate import upgrade
    from storage.uow import Database

    url = load_config(config_file, {}).database_url

    async def go() -> list[str]:
        await upgrade(url)
        database = Database.from_url(url)
        try:
            async with database.uow() as uow:
                numbers = []
                for i, ticket in enumerate(tickets):
                    customer = await uow.customers.get_or_create(ticket.channel, f"seed-{i}")
                    ticket.customer_id = customer.id or 0
                    numbers.append((await uow.tickets.add(ticket)).number)
                await uow.commit()
            return numbers
        finally:
            await database.close()

    return asyncio.run(go())
