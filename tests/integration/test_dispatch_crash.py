"""Crash test: 2,000 receipt notices through real ``vocdesk dispatch`` processes and the fake SOLAPI, one of
them SIGKILLed while SOLAPI holds a batch of its. On PostgreSQL two dispatchers run side by side and the
other takes over the killed one's claims after the lease; on SQLite the killed one is restarted. Every notice
is delivered, none twice: the cut-off batch is handed out again as maybe-sent, and SOLAPI, asked first, has
the part it accepted after the kill."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.migrate import upgrade
from storage.uow import Database
from tests.e2e.conftest import VOCDESK, clean_environ
from tests.fake_solapi import FakeSolapi, fake_solapi
from tests.notice_support import SOLAPI_ENV, notify_toml, seed_tickets, write_config

pytestmark = pytest.mark.e2e

NOTICES = 2000
LEASE_SECONDS = 5
VICTIM, OTHER = "02-1111-1111", "02-2222-2222"  # each process its own sender, so the fake tells whose a batch is
STATES = text("SELECT state, count(*), sum(CASE WHEN ref = 'found at the provider' THEN 1 ELSE 0 END) "
              "FROM deliveries GROUP BY state")


def start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([str(VOCDESK), "--config", str(config), "dispatch"], stdout=out,
                                stderr=subprocess.STDOUT, env=clean_environ(SOLAPI_ENV))


async def until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.005)


async def states(database: Database) -> dict[str, tuple[int, int]]:
    async with database.engine.connect() as connection:
        return {r[0]: (r[1], r[2]) for r in await connection.execute(STATES)}


async def test_a_killed_dispatcher_loses_no_notice_and_sends_none_twice(database_url: str, tmp_path: Path) -> None:
    await upgrade(database_url)
    database = Database.from_url(database_url)
    sqlite = database.sqlite
    await seed_tickets(database, [(f"c{i}", f"010-7{i // 1000:03d}-{i % 10000:04d}") for i in range(NOTICES)])
    log = tmp_path / "dispatch.log"
    running: list[subprocess.Popen[bytes]] = []
    with fake_solapi() as fake:
        fake.delay = 0.15  # each send-many is held this long: the kill lands while SOLAPI has the batch
        configs = {}
        for name, sender in (("victim", VICTIM), ("other", OTHER)):
            (tmp_path / name).mkdir()
            configs[name] = write_config(tmp_path / name, database_url=database_url, notify=notify_toml(
                solapi_url=fake.base_url, lease_seconds=LEASE_SECONDS, poll_interval=1.0, sender=sender))
        try:
            running.append(start(configs["victim"], log))
            if not sqlite:
                running.append(start(configs["other"], log))
            victims_batch = await _kill_mid_send(fake, running[0])
            if sqlite:
                running.append(start(configs["victim"], log))  # restarted
            await until(lambda: len(fake.accepted) >= NOTICES and len(fake.delivered()) >= NOTICES, 45,
                        f"{NOTICES} notices at SOLAPI ({len(fake.accepted)} so far)")
            await _until_all_sent(database)
            for process in running[1:]:  # SIGTERM: a clean stop
                process.send_signal(signal.SIGTERM)
                assert process.wait(15) == 0, log.read_text(errors="replace")[-3000:]
        finally:
            for process in running:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            found = await states(database)
            await database.close()
        delivered = fake.delivered()
        lookups = fake.lookups
    assert len(delivered) == NOTICES and set(delivered.values()) == {1}, delivered.most_common(3)
    assert "Traceback" not in log.read_text(errors="replace")
    assert set(found) == {"sent"}, found
    sent, found_at_provider = found["sent"]
    assert sent == 2 * NOTICES  # each receipt, and each staff alert
    # the batch SOLAPI accepted after the kill was not sent again: SOLAPI was asked, and had it
    assert victims_batch and found_at_provider >= len(victims_batch) and lookups >= len(victims_batch)


async def _kill_mid_send(fake: FakeSolapi, victim: subprocess.Popen[bytes]) -> list[str]:
    """SIGKILL ``victim`` once some notices went out and SOLAPI holds a batch of its; that batch's keys."""
    sender = "".join(ch for ch in VICTIM if ch.isdigit())

    def holding() -> list[str]:
        with fake.lock:
            return [m["customFields"]["vocdeskKey"] for body in fake.in_flight for m in body.get("messages", [])
                    if m.get("from") == sender]

    deadline = time.monotonic() + 40
    batch: list[str] = []
    while not batch and victim.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
        batch = holding() if len(fake.accepted) >= 400 else []
    victim.kill()
    victim.wait()
    assert batch, f"the victim ended by itself (exit {victim.returncode})"
    return batch


async def _until_all_sent(database: Database) -> None:
    deadline = time.monotonic() + 30
    while (await states(database)).get("sent", (0, 0))[0] < 2 * NOTICES and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


async def test_sigterm_mid_burst_finishes_the_sends_in_flight_and_stops(database_url: str, tmp_path: Path) -> None:
    """SIGTERM while SOLAPI holds a batch: the process records it and exits 0 without taking more; nothing it
    sent is left leased (so nothing needs asking about), the rest waits untouched for the next dispatcher."""
    await upgrade(database_url)
    database = Database.from_url(database_url)
    await seed_tickets(database, [(f"c{i}", f"010-8{i // 1000:03d}-{i % 10000:04d}") for i in range(600)])
    log = tmp_path / "dispatch.log"
    with fake_solapi() as fake:
        fake.delay = 0.3
        config = write_config(tmp_path, database_url=database_url, notify=notify_toml(
            solapi_url=fake.base_url, sender=VICTIM, batch_size=100))
        process = start(config, log)
        try:
            await until(lambda: bool(fake.in_flight) or process.poll() is not None, 40, "a send in flight")
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert process.wait(15) == 0, log.read_text(errors="replace")[-3000:]
            stopped_in = time.monotonic() - started
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        accepted = set(fake.delivered())
    async with database.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT key, state, attempts, recorded, claimed_until "
                                              "FROM deliveries WHERE subscriber = 'customer'"))).all()
    await database.close()
    sent = {r.key for r in rows if r.state == "sent"}
    assert accepted and sent == accepted and stopped_in < 5
    assert all(r.attempts == r.recorded and r.claimed_until is None for r in rows)  # nothing left leased
    assert len(sent) < 600  # it did not drain the backlog before stopping
