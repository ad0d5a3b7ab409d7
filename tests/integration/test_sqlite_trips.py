"""SQLite statements run in place on the event loop's thread (``storage.sqlite_trips``): their results are the
driver's own, and waiting for another process's write lock still happens off the loop."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from sqlalchemy import text

from bot.errors import DatabaseBusy
from storage.migrate import upgrade
from storage.uow import Database


async def test_rows_rowcount_and_returning_are_the_drivers(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'v.db'}")
    try:
        async with database.uow() as uow:
            c = uow.work.connection
            await c.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            await c.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "a"}, {"v": "b"}, {"v": "c"}])
            inserted = await c.execute(text("INSERT INTO t (v) VALUES ('d') RETURNING id"))
            assert inserted.scalar_one() == 4
            changed = await c.execute(text("UPDATE t SET v = 'x' WHERE id > 2"))
            assert changed.rowcount == 2
            rows = (await c.execute(text("SELECT id, v FROM t ORDER BY id"))).all()
            assert [tuple(r) for r in rows] == [(1, "a"), (2, "b"), (3, "x"), (4, "x")]
            await uow.commit()
        async with database.uow() as uow:
            await uow.work.connection.exec_driver_sql("DELETE FROM t")  # rolled back on leaving
        async with database.uow() as uow:
            assert (await uow.work.connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 4
    finally:
        await database.close()


async def test_waiting_for_another_processs_lock_leaves_the_loop_free(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'vocdesk.db'}"
    await upgrade(url)
    holder, waiter = Database.from_url(url), Database.from_url(url, acquire_timeout=30)
    entered = asyncio.Event()

    async def enter() -> bool:
        async with waiter.uow() as uow:
            entered.set()
            return await uow.inbound.first_time("web", "after")

    try:
        async with holder.uow() as uow:  # holds SQLite's write lock, as another process would
            await uow.inbound.first_time("web", "before")
            task = asyncio.create_task(enter())
            for _ in range(20):  # the loop keeps running while the other connection waits for the lock
                await asyncio.sleep(0.001)
            assert not entered.is_set() and not task.done()
            await uow.commit()
        assert await task
    finally:
        await holder.close()
        await waiter.close()


async def test_a_lock_held_past_the_bound_is_database_busy_not_a_stall(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'vocdesk.db'}"
    await upgrade(url)
    holder, waiter = Database.from_url(url), Database.from_url(url, acquire_timeout=0.05)
    try:
        async with holder.uow():
            for _ in range(2):  # the second try reuses the connection the first one opened
                try:
                    async with waiter.uow():
                        raise AssertionError("entered while another connection held the lock")
                except DatabaseBusy:
                    pass
    finally:
        await holder.close()
        await waiter.close()


async def test_a_wait_for_the_lock_given_up_never_blocks_the_loop(tmp_path: Path) -> None:
    """A unit of work cancelled while its BEGIN waits on aiosqlite's thread (a health check's timeout): what
    its connection does next queues behind that BEGIN on the thread, never on the loop."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'vocdesk.db'}"
    await upgrade(url)
    holder, waiter = Database.from_url(url), Database.from_url(url, acquire_timeout=30)
    loop = asyncio.get_running_loop()
    try:
        async with holder.uow() as uow:
            await uow.inbound.first_time("web", "before")
            entering = asyncio.create_task(waiter.uow().__aenter__())
            for _ in range(20):
                await asyncio.sleep(0.001)
            entering.cancel()
            started = loop.time()
            for _ in range(20):  # the loop still turns: the cancelled entry's clean-up did not block it
                await asyncio.sleep(0.001)
            assert loop.time() - started < 10  # far below the 30 s the BEGIN may wait
            await uow.commit()
        with contextlib.suppress(asyncio.CancelledError):
            await entering
        async with waiter.uow() as uow:  # the connection (or a new one) works afterwards
            assert await uow.inbound.first_time("web", "after")
            await uow.commit()
    finally:
        await holder.close()
        await waiter.close()
