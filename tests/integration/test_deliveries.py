"""The deliveries repository (storage/deliveries.py) through the dispatcher, on SQLite and on PostgreSQL:
fan-out, claims with a lease, recording, dead letters sent again, what is due next, and the wake-up."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import Notices
from bot.clock import FixedClock
from bot.config import AppConfig
from bot.notices.dispatcher import Settings as DispatchSettings
from bot.notices.model import NewDelivery
from bot.notices.ports import DEAD, PENDING, SENT, Recorded
from storage.uow import Database
from tests.notice_support import dispatching, notify_config, seed_ticket

PHONE = "010-2345-6789"
LEASE = timedelta(seconds=60)


@pytest.fixture
def config(tmp_path: Path) -> AppConfig:
    return notify_config(tmp_path)  # the console provider: every sink writes to a stream


async def fanned_out(database: Database, config: AppConfig, clock: FixedClock) -> list[NewDelivery]:
    """One ticket_opened event fanned out by the dispatcher's planner; returns what it planned."""
    await seed_ticket(database, "c1", phone=PHONE)
    async with dispatching(config, database, clock) as (notices, _), database.uow() as uow:
        events = await uow.deliveries.events(10)
        planned = [d for e, f in events for d in notices.dispatcher.planner.plan(e, f, clock.now())]
        await uow.deliveries.fan_out(planned, [e.id for e, _ in events], clock.now())
        await uow.commit()
    return planned


async def test_the_same_event_fanned_out_twice_makes_one_delivery_per_subscriber(
        database: Database, config: AppConfig, clock: FixedClock) -> None:
    planned = await fanned_out(database, config, clock)
    assert sorted((d.subscriber, d.sink) for d in planned) == [("customer", "sms"), ("staff", "staff")]
    async with database.uow() as uow:  # a second worker with the same plan (or a repeated event)
        await uow.deliveries.fan_out(planned, [planned[0].outbox_id], clock.now())
        assert not await uow.outbox.put("ticket_opened", {"number": planned[0].number},
                                        dedupe_key=f"opened:{planned[0].number}")
        await uow.commit()
    async with database.uow() as uow:
        rows = await uow.deliveries.rows(None, None)
        assert await uow.deliveries.events(10) == []  # the event is marked fanned out
    assert sorted((r.subscriber, r.state, r.attempts) for r in rows) == [("customer", PENDING, 0),
                                                                         ("staff", PENDING, 0)]
    async with dispatching(config, database, clock) as (notices, stream):
        done = await notices.dispatcher.run_once()
        assert (done.fanned_out, done.sent) == (0, 2)
        assert (await notices.dispatcher.run_once()).busy is False
    assert stream.getvalue().count("VOC-2026-000001") == 2 and "010-****-6789" in stream.getvalue()


async def test_a_claim_is_a_lease_and_a_cut_off_send_comes_back_maybe_sent(
        database: Database, config: AppConfig, clock: FixedClock) -> None:
    await fanned_out(database, config, clock)
    now = clock.now()
    async with database.uow() as uow:
        first = await uow.deliveries.claim(now, 10, now + LEASE)
        await uow.commit()
    assert [(d.subscriber, d.attempts, d.maybe_sent) for d in first] == [("customer", 1, False), ("staff", 1, False)]
    customer = first[0]
    assert (customer.to, customer.template_id, customer.sink) == (PHONE, "VOC_RECEIPT", "sms")
    assert customer.variables["접수번호"] == "VOC-2026-000001"
    for at in (now, now + LEASE - timedelta(seconds=1)):  # while leased, nobody else gets them
        async with database.uow() as uow:
            assert await uow.deliveries.claim(at, 10, at + LEASE) == []
            assert await uow.deliveries.next_due() == now + LEASE  # not "due now": nobody may take them yet
    later = now + LEASE
    async with database.uow() as uow:  # the first worker died unrecorded: the lease ran out
        again = await uow.deliveries.claim(later, 10, later + LEASE)
        await uow.commit()
    assert [(d.id, d.attempts, d.maybe_sent) for d in again] == [(d.id, 2, True) for d in first]
    async with database.uow() as uow:  # recorded by the second worker: settled, not maybe-sent any more
        await uow.deliveries.record([Recorded(again[0].id, PENDING, "SOLAPI HTTP 503", next_attempt_at=later)], later)
        await uow.commit()
    async with database.uow() as uow:
        (third,) = await uow.deliveries.claim(later, 10, later + LEASE)
    assert (third.id, third.attempts, third.maybe_sent) == (again[0].id, 3, False)


async def test_recording_is_idempotent(database: Database, config: AppConfig, clock: FixedClock) -> None:
    await fanned_out(database, config, clock)
    now = clock.now()
    async with database.uow() as uow:
        customer, staff = await uow.deliveries.claim(now, 10, now + LEASE)
        await uow.commit()
    sent = Recorded(customer.id, SENT, ref="M4V000000000001")
    for at in (now, now + timedelta(seconds=5)):  # the same outcome twice, then a late retry of a slow worker
        async with database.uow() as uow:
            await uow.deliveries.record([sent], at)
            await uow.commit()
    async with database.uow() as uow:
        await uow.deliveries.record([Recorded(customer.id, PENDING, "late", next_attempt_at=now)], now)
        await uow.deliveries.record([Recorded(staff.id, DEAD, "no sink")], now)
        await uow.commit()
    async with database.uow() as uow:
        rows = {r.id: r for r in await uow.deliveries.rows(None, None)}
        assert await uow.deliveries.claim(now + LEASE, 10, now + 2 * LEASE) == []
        assert await uow.deliveries.next_due() is None
    assert (rows[customer.id].state, rows[customer.id].sent_at, rows[customer.id].last_error) == (SENT, now, "")
    assert (rows[staff.id].state, rows[staff.id].last_error, rows[staff.id].attempts) == (DEAD, "no sink", 1)


async def test_a_dead_delivery_is_sent_again_after_retry(database: Database, config: AppConfig,
                                                         clock: FixedClock) -> None:
    await fanned_out(database, config, clock)
    now = clock.now()
    async with database.uow() as uow:
        customer, staff = await uow.deliveries.claim(now, 10, now + LEASE)
        await uow.deliveries.record([Recorded(customer.id, DEAD, "SOLAPI 3059: 수신 불가"), Recorded(staff.id, SENT)],
                                    now)
        await uow.commit()
    later = now + timedelta(hours=1)
    async with database.uow() as uow:
        assert [r.id for r in await uow.deliveries.rows(DEAD, None)] == [customer.id]
        assert await uow.deliveries.retry(customer.id, later)
        assert not await uow.deliveries.retry(customer.id, later)  # pending now, not dead
        assert not await uow.deliveries.retry(999_999, later)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.deliveries.next_due() == later
        (again,) = await uow.deliveries.claim(later, 10, later + LEASE)
    assert (again.id, again.attempts, again.maybe_sent) == (customer.id, 1, False)


async def test_next_due_and_rows(database: Database, config: AppConfig, clock: FixedClock) -> None:
    async with database.uow() as uow:
        assert await uow.deliveries.next_due() is None
        assert await uow.deliveries.rows(None, None) == []
    number = await seed_ticket(database, "c1", phone=PHONE)
    async with database.uow() as uow:  # an event not fanned out yet is listed, and due
        (queued,) = await uow.deliveries.rows(PENDING, None)
        assert (queued.id, queued.state, queued.kind, queued.number, queued.sink) == (0, "queued", "ticket_opened",
                                                                                      number, "")
        assert await uow.deliveries.rows(SENT, None) == []
        assert await uow.deliveries.next_due() == clock.now()
    async with dispatching(config, database, clock) as (notices, _):
        assert await notices.dispatcher.fan_out() == 1
    now = clock.now()
    async with database.uow() as uow:
        customer, staff = await uow.deliveries.claim(now, 10, now + LEASE)
        retry = Recorded(staff.id, PENDING, "Slack 503", next_attempt_at=now + timedelta(minutes=3))
        await uow.deliveries.record([Recorded(customer.id, SENT), retry], now)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.deliveries.next_due() == now + timedelta(minutes=3)
        assert [(r.subscriber, r.state) for r in await uow.deliveries.rows(None, None)] == [
            ("staff", PENDING), ("customer", SENT)]  # newest first
        assert [r.id for r in await uow.deliveries.rows(SENT, None)] == [customer.id]
        (pending,) = await uow.deliveries.rows(PENDING, None)
        assert (pending.last_error, pending.attempts, pending.next_attempt_at) == ("Slack 503", 1, now + timedelta(
            minutes=3))
        assert len(await uow.deliveries.rows(None, 1)) == 1


async def test_concurrent_claimers_never_get_the_same_delivery(database: Database, clock: FixedClock) -> None:
    if database.sqlite:
        pytest.skip("SQLite admits one writer: claims cannot overlap")
    now = clock.now()
    async with database.uow() as uow:
        await uow.outbox.put("handoff", {"text": "x"})
        (handoff, _), = await uow.deliveries.events(1)
        await uow.deliveries.fan_out([NewDelivery(
            key=f"{handoff.id}:staff:{i}", outbox_id=handoff.id, subscriber="staff", sink="staff", kind="handoff",
            customer_id=None, target="voc_desk", locale="ko", text=f"알림 {i}") for i in range(400)], [handoff.id], now)
        await uow.commit()
    claimed: list[list[int]] = [[] for _ in range(4)]

    async def claimer(mine: list[int]) -> None:
        while True:
            async with database.uow() as uow:
                got = await uow.deliveries.claim(now, 9, now + LEASE)
                await asyncio.sleep(0)  # hold the row locks while the others claim
                await uow.commit()
            if not got:
                return
            mine += [d.id for d in got]

    await asyncio.gather(*(claimer(mine) for mine in claimed))
    everything = [i for mine in claimed for i in mine]
    assert len(everything) == len(set(everything)) == 400
    assert sum(1 for mine in claimed if mine) >= 2  # they really shared the work


async def test_concurrent_fan_outs_never_plan_the_same_event(database: Database, config: AppConfig,
                                                              clock: FixedClock) -> None:
    if database.sqlite:
        pytest.skip("SQLite admits one writer: fan-outs cannot overlap")
    for i in range(30):
        await seed_ticket(database, f"c{i}", phone=f"010-5555-{i:04d}")
    async with dispatching(config, database, clock) as (first, _), \
            dispatching(config, database, clock) as (second, _):
        for notices in (first, second):
            notices.dispatcher.settings = DispatchSettings(batch=4)
        counts = await asyncio.gather(*(_fan_out_all(n) for n in (first, second)))
    assert sum(counts) == 30
    async with database.uow() as uow:
        assert len(await uow.deliveries.rows(None, None)) == 60


async def _fan_out_all(notices: Notices) -> int:
    total = 0
    while n := await notices.dispatcher.fan_out():
        total += n
    return total


async def test_a_commit_with_outbox_rows_wakes_the_listeners(database: Database, database_url: str,
                                                             clock: FixedClock) -> None:
    """SQLite: this process's listeners, woken in process. PostgreSQL: any Database's (LISTEN/NOTIFY), and
    only when the transaction commits."""
    other = Database.from_url(database_url, clock=clock) if not database.sqlite else database
    woken = asyncio.Event()
    stop = await other.listen_outbox(woken)
    try:
        async with database.uow() as uow:  # written, then rolled back: nothing to wake for
            await uow.outbox.put("handoff", {"text": "rolled back"})
            await uow.rollback()
        async with database.uow() as uow:  # no outbox row
            await uow.customers.get_or_create("telegram", "1")
            await uow.commit()
        await asyncio.sleep(0.2)
        assert not woken.is_set()
        async with database.uow() as uow:
            await uow.outbox.put("handoff", {"text": "queued"})
            await uow.commit()
        await asyncio.wait_for(woken.wait(), 5)
    finally:
        await stop()
        if other is not database:
            await other.close()
    woken.clear()
    async with database.uow() as uow:  # stopped: no longer woken
        await uow.outbox.put("handoff", {"text": "after stop"})
        await uow.commit()
    await asyncio.sleep(0.2)
    assert not woken.is_set()


async def test_listening_takes_no_connection_from_the_units_of_work(database: Database, database_url: str,
                                                                    clock: FixedClock) -> None:
    """Every one of ``pool_size`` units of work still gets a connection while a dispatcher listens."""
    if database.sqlite:
        pytest.skip("SQLite listens in process, without a connection")
    database = Database.from_url(database_url, clock=clock, pool_size=2, acquire_timeout=1.0)
    stop = await database.listen_outbox(asyncio.Event())
    try:
        both = asyncio.Event()
        entered = 0

        async def hold() -> None:
            nonlocal entered
            async with database.uow() as uow:
                await uow.customers.get_or_create("telegram", str(id(uow)))
                entered += 1
                if entered == 2:
                    both.set()
                await asyncio.wait_for(both.wait(), 3)

        await asyncio.gather(hold(), hold())
    finally:
        await stop()
        await database.close()
