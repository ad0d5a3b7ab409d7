"""Storage on real SQLite and real PostgreSQL: the same tests, both databases (see conftest)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError

from bot.classification import VocType
from bot.clock import FixedClock
from bot.customers import ConversationState
from bot.deadlines import Interval, Period, Regime, Unit
from bot.tickets import Extension, ExtensionReason, Status, Ticket
from storage.migrate import current_revision, head, upgrade
from storage.models import Base, DepartmentRow, TicketEventRow
from storage.uow import Database, SqlUnitOfWork

KST = ZoneInfo("Asia/Seoul")
RECEIVED = datetime(2026, 9, 21, 10, 30, tzinfo=KST)
UowFactory = Callable[[], SqlUnitOfWork]


def new_ticket(customer_id: int, received_at: datetime = RECEIVED, text: str = "주차 요금이 이상해요") -> Ticket:
    return Ticket(
        customer_id=customer_id, channel="telegram", voc_type=VocType.COMPLAINT, intent="parking_fee",
        department="voc_desk", text=text, received_at=received_at, policy=Period(7, Unit.DAYS),
        due_at=received_at + timedelta(days=9), due_date_only=True, confidence=0.8125,
    )


async def customer_id(uow: SqlUnitOfWork, external_id: str = "42") -> int:
    customer = await uow.customers.get_or_create("telegram", external_id, display_name="홍길동")
    assert customer.id is not None
    return customer.id


async def open_ticket(uow_factory: UowFactory, received_at: datetime = RECEIVED, external_id: str = "42") -> str:
    async with uow_factory() as uow:
        ticket = await uow.tickets.add(new_ticket(await customer_id(uow, external_id), received_at))
        await uow.commit()
        return ticket.number


async def test_ticket_round_trip_with_events_pauses_and_extensions(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        ticket = new_ticket(await customer_id(uow))
        ticket.assign(RECEIVED + timedelta(hours=1), "slack:U1", "김담당")
        ticket.request_supplement(RECEIVED + timedelta(hours=2), "slack:U1", "영수증 사본이 필요합니다")
        ticket.extensions.append(Extension(Period(7, Unit.DAYS), ExtensionReason.FACT_CHECK, "현장 조사",
                                           False, RECEIVED + timedelta(days=1)))
        stored = await uow.tickets.add(ticket)
        await uow.commit()
    assert (stored.number, stored.new_events) == ("VOC-2026-000001", [])
    assert stored.id is not None and len(stored.events) == 2

    async with uow_factory() as uow:
        loaded = await uow.tickets.get("VOC-2026-000001")
        assert loaded == stored
        assert loaded.received_at.tzinfo is not None and loaded.paused_since is not None
        loaded.withdraw(RECEIVED + timedelta(days=2), "customer:42", "해결되었습니다")
        loaded.policy = Period(10, Unit.DAYS, Regime.CIVIL)
        await uow.tickets.save(loaded)
        await uow.commit()

    async with uow_factory() as uow:
        again = await uow.tickets.get("VOC-2026-000001")
        assert again == loaded and again.status is Status.WITHDRAWN
        assert again.pauses == [Interval(RECEIVED + timedelta(hours=2), RECEIVED + timedelta(days=2))]
        assert [e.action.value for e in again.events] == ["assign", "request_supplement", "withdraw"]
        assert await uow.tickets.get("VOC-2026-999999") is None


async def test_events_are_appended_never_rewritten(database: Database) -> None:
    number = await open_ticket(database.uow)
    for step in range(3):
        async with database.uow() as uow:
            ticket = await uow.tickets.get(number)
            assert ticket is not None
            ticket.note(RECEIVED + timedelta(minutes=step), "slack:U1", f"메모 {step}")
            await uow.tickets.save(ticket)
            await uow.tickets.save(ticket)  # nothing new to append the second time
            await uow.commit()
    async with database.session_factory() as session:
        reasons = (await session.scalars(select(TicketEventRow.reason).order_by(TicketEventRow.id))).all()
    assert reasons == ["메모 0", "메모 1", "메모 2"]


async def test_list_filters_newest_first(uow_factory: UowFactory) -> None:
    first = await open_ticket(uow_factory, RECEIVED, "1")
    second = await open_ticket(uow_factory, RECEIVED + timedelta(hours=1), "2")
    async with uow_factory() as uow:
        ticket = await uow.tickets.get(first)
        assert ticket is not None
        ticket.answer_with(RECEIVED + timedelta(days=1), "slack:U1", "환불했습니다")
        await uow.tickets.save(ticket)
        await uow.commit()
    async with uow_factory() as uow:
        assert [t.number for t in await uow.tickets.list()] == [second, first]
        assert [t.number for t in await uow.tickets.list(open_only=True)] == [second]
        answered = await uow.tickets.list(status=Status.ANSWERED)
        assert [(t.number, len(t.events)) for t in answered] == [(first, 1)]
        mine = await uow.tickets.list(customer_id=ticket.customer_id)
        assert [t.number for t in mine] == [first]
        assert [t.number for t in await uow.tickets.list(limit=1)] == [second]


async def test_customers_are_unique_per_channel_identity(uow_factory: UowFactory) -> None:
    async def get(channel: str, external_id: str) -> int:
        async with uow_factory() as uow:
            customer = await uow.customers.get_or_create(channel, external_id)
            await uow.commit()
            assert customer.id is not None
            return customer.id

    ids = await asyncio.gather(*(get("telegram", "7") for _ in range(10)))
    assert len(set(ids)) == 1
    assert await get("kakao", "7") != ids[0]
    async with uow_factory() as uow:
        customer = await uow.customers.get(ids[0])
        assert customer is not None and not customer.has_consent
        customer.consent_at, customer.consent_version, customer.phone = RECEIVED, "2026-01", "010-1234-5678"
        await uow.customers.save(customer)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.customers.get(ids[0]) == customer
        assert await uow.customers.get(10_000) is None


async def test_conversation_state_survives_a_restart(database_url: str, database: Database) -> None:
    async with database.uow() as uow:
        cid = await customer_id(uow)
        assert await uow.conversations.load(cid) is None
        await uow.conversations.save(cid, ConversationState("confirm", {"text": "민원", "n": [1, 2]}, RECEIVED))
        await uow.conversations.save(cid, ConversationState("contact", {"text": "민원"}, RECEIVED))
        await uow.commit()
    await database.close()
    async with Database.from_url(database_url) as restarted, restarted.uow() as uow:
        assert await uow.conversations.load(cid) == ConversationState("contact", {"text": "민원"}, RECEIVED)


async def test_outbox_dedupes_and_claims(uow_factory: UowFactory, clock: FixedClock) -> None:
    now = clock.now()
    async with uow_factory() as uow:
        await uow.outbox.put("ticket_opened", {"number": "VOC-2026-000001"}, dedupe_key="opened:1")
        await uow.outbox.put("ticket_opened", {"number": "again"}, dedupe_key="opened:1")
        for n in range(4):
            await uow.outbox.put("alert", {"n": n}, available_at=now - timedelta(minutes=n))
        await uow.outbox.put("later", {}, available_at=now + timedelta(hours=1))
        await uow.commit()
    async with uow_factory() as uow:
        pending = await uow.outbox.pending()
    assert len(pending) == 6 and [p["payload"] for p in pending if p["kind"] == "ticket_opened"] == [
        {"number": "VOC-2026-000001"}]

    async def claim() -> list[int]:
        async with uow_factory() as uow:
            claimed = await uow.outbox.claim(now, limit=2, lease=timedelta(minutes=5))
            await uow.commit()
            return [c["id"] for c in claimed]

    batches = await asyncio.gather(claim(), claim(), claim())
    claimed = [i for batch in batches for i in batch]
    assert len(claimed) == len(set(claimed)) == 5 and await claim() == []
    async with uow_factory() as uow:
        assert await uow.outbox.mark_delivered(claimed[0], now) is True
        assert await uow.outbox.mark_delivered(claimed[0], now) is False
        await uow.outbox.mark_failed(claimed[1], "HTTP 502", retry_at=now + timedelta(minutes=1))
        await uow.commit()
    async with uow_factory() as uow:
        retried = await uow.outbox.claim(now + timedelta(minutes=6), limit=10)
        await uow.commit()
    assert {r["id"] for r in retried} == set(claimed[1:])  # "later" is not due yet
    failed = next(r for r in retried if r["id"] == claimed[1])
    assert (failed["attempts"], failed["last_error"]) == (2, "HTTP 502")


async def test_inbound_first_time_is_idempotent(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.inbound.first_time("telegram", "update:1") is True
        assert await uow.inbound.first_time("telegram", "update:1") is False
        assert await uow.inbound.first_time("kakao", "update:1") is True
        # not committed: a handler that failed must see the message again on redelivery
    async with uow_factory() as uow:
        assert await uow.inbound.first_time("telegram", "update:1") is True
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.inbound.first_time("telegram", "update:1") is False


async def test_numbers_count_per_korean_year(uow_factory: UowFactory) -> None:
    new_years_eve = datetime(2026, 12, 31, 23, 30, tzinfo=KST)
    numbers = [await open_ticket(uow_factory, at) for at in (
        RECEIVED, new_years_eve, new_years_eve + timedelta(minutes=40), datetime(2027, 1, 2, 9, tzinfo=UTC),
    )]
    assert numbers == ["VOC-2026-000001", "VOC-2026-000002", "VOC-2027-000001", "VOC-2027-000002"]


async def test_concurrent_creation_gives_unique_gapless_numbers(uow_factory: UowFactory) -> None:
    numbers = await asyncio.gather(*(open_ticket(uow_factory, external_id=str(n % 7)) for n in range(30)))
    assert sorted(numbers) == [f"VOC-2026-{n:06d}" for n in range(1, 31)]


async def test_an_exception_rolls_back_everything(uow_factory: UowFactory) -> None:
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await uow.tickets.add(new_ticket(await customer_id(uow)))
            await uow.outbox.put("ticket_opened", {})
            raise RuntimeError("handler failed")
    async with uow_factory() as uow:
        assert await uow.tickets.list() == [] and await uow.outbox.pending() == []
    assert await open_ticket(uow_factory) == "VOC-2026-000001"


async def test_departments_follow_config(database: Database) -> None:
    dept = SimpleNamespace(name="민원실", name_en="VOC desk", slack_channel="#voc")
    await database.sync_departments({"voc_desk": dept, "parking": dept})
    await database.sync_departments({"voc_desk": SimpleNamespace(name="고객지원팀", name_en="", slack_channel="")})
    async with database.session_factory() as session:
        rows = (await session.scalars(select(DepartmentRow).order_by(DepartmentRow.key))).all()
    assert [(r.key, r.name, r.active) for r in rows] == [("parking", "민원실", False), ("voc_desk", "고객지원팀", True)]


async def test_migrated_schema_matches_the_models(database_url: str, database: Database) -> None:
    assert await current_revision(database_url) == head()
    await upgrade(database_url)  # idempotent at head
    async with database.engine.connect() as connection:
        diffs = await connection.run_sync(lambda sync: compare_metadata(
            MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata))
    assert diffs == []


async def test_naive_datetimes_are_refused(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        with pytest.raises(StatementError, match="naive"):
            await uow.outbox.put("alert", {}, available_at=datetime(2026, 1, 1))


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'vocdesk.db'}"
    await upgrade(url)
    async with Database.from_url(url) as db, db.engine.connect() as connection:
        pragma = {name: (await connection.execute(text(f"PRAGMA {name}"))).scalar()
                  for name in ("journal_mode", "foreign_keys", "busy_timeout")}
        count = (await connection.execute(select(func.count()).select_from(TicketEventRow))).scalar()
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10_000} and count == 0
    assert (tmp_path / "nested" / "dir" / "vocdesk.db").exists()
