"""Fair admission: units of work get a connection first come, first served, and give up with
``DatabaseBusy`` after the configured bound. The gate itself first, then on both real databases."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.errors import DatabaseBusy
from storage.admission import Admission
from storage.migrate import upgrade
from storage.uow import Database


async def settle() -> None:
    """Let every ready task run until it blocks again."""
    for _ in range(5):
        await asyncio.sleep(0)


async def queue_up(gate: Admission, n: int, admitted: list[int]) -> list[asyncio.Task[None]]:
    """``n`` tasks that wait for the gate in the order 0..n-1, note when they get in, and leave."""

    async def one(i: int) -> None:
        await gate.enter()
        admitted.append(i)
        await asyncio.sleep(0)
        gate.leave()

    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(one(i)))
        await settle()  # task i is queued before task i + 1 starts
    return tasks


async def test_the_slot_goes_to_the_longest_waiting_task() -> None:
    gate = Admission(1, timeout=60)
    await gate.enter()
    admitted: list[int] = []
    tasks = await queue_up(gate, 20, admitted)
    assert gate.waiting == 20
    gate.leave()
    await gate.enter()  # the task that just left queues behind the twenty instead of barging in
    assert admitted == list(range(20))
    gate.leave()
    await asyncio.gather(*tasks)


async def test_capacity_admits_that_many_at_once_in_arrival_order() -> None:
    gate = Admission(3, timeout=60)
    inside, most, admitted = 0, 0, []

    async def one(i: int) -> None:
        nonlocal inside, most
        await gate.enter()
        admitted.append(i)
        inside += 1
        most = max(most, inside)
        await settle()
        inside -= 1
        gate.leave()

    tasks = []
    for i in range(12):
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert (admitted, most) == (list(range(12)), 3)


async def test_waiting_past_the_bound_raises_database_busy_and_the_slot_moves_on() -> None:
    gate = Admission(1, timeout=0.001)
    await gate.enter()
    with pytest.raises(DatabaseBusy) as busy:
        await gate.enter()
    assert busy.value.waited_s >= 0.001 and "try again" in str(busy.value)
    gate.timeout = 60
    admitted: list[int] = []
    tasks = await queue_up(gate, 2, admitted)
    tasks[0].cancel()  # gave up while waiting
    await settle()
    gate.leave()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert admitted == [1] and gate.waiting == 0
    await gate.enter()  # one slot, free again


async def test_a_slot_granted_to_a_task_cancelled_before_it_ran_is_passed_on() -> None:
    gate = Admission(1, timeout=60)
    await gate.enter()
    admitted: list[int] = []
    tasks = await queue_up(gate, 2, admitted)
    gate.leave()  # task 0 is granted the slot ...
    tasks[0].cancel()  # ... but cancelled before it could run
    await asyncio.gather(*tasks, return_exceptions=True)
    assert admitted == [1]
    await gate.enter()


# -- on the databases ---------------------------------------------------------------------------------


async def test_units_of_work_are_admitted_in_arrival_order_and_nobody_starves(database_url: str) -> None:
    """Fifty tasks each run ten units of work back to back through one slot: admission goes round the
    tasks in turn, so no task is ever more than one unit of work ahead of another."""
    await upgrade(database_url)
    database = Database.from_url(database_url, pool_size=1)
    done = [0] * 50
    spread = 0

    async def customer(i: int) -> None:
        nonlocal spread
        for _ in range(10):
            async with database.uow() as uow:
                assert await uow.inbound.first_time("web", f"{i}:{done[i]}")
                await uow.commit()
            done[i] += 1
            spread = max(spread, max(done) - min(done))

    try:
        async with database.uow():  # everyone queues behind this one first
            tasks = []
            for i in range(50):
                tasks.append(asyncio.create_task(customer(i)))
                await settle()
        await asyncio.gather(*tasks)
    finally:
        await database.close()
    assert done == [10] * 50 and spread <= 1


async def test_a_unit_of_work_that_cannot_get_in_fails_with_database_busy(database: Database,
                                                                         database_url: str) -> None:
    impatient = Database.from_url(database_url, pool_size=1, acquire_timeout=0.001)
    try:
        async with impatient.uow():
            with pytest.raises(DatabaseBusy):
                async with impatient.uow():
                    pass
        async with impatient.uow() as uow:  # free again
            assert await uow.inbound.first_time("web", "1")
    finally:
        await impatient.close()


async def test_another_process_writing_to_sqlite_makes_entry_fail_with_database_busy(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'vocdesk.db'}"
    await upgrade(url)
    writer, other = Database.from_url(url), Database.from_url(url, acquire_timeout=0.05)
    try:
        async with writer.uow() as uow:  # holds SQLite's write lock until it ends
            with pytest.raises(DatabaseBusy):
                async with other.uow():
                    pass
        async with other.uow() as uow:
            assert await uow.inbound.first_time("web", "1")
    finally:
        await writer.close()
        await other.close()
