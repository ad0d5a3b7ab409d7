"""Storage on real SQLite and real PostgreSQL: the same tests, both databases (see conftest)."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import StatementError

from bot.casework.deadlines import Interval, Period, Regime, Unit
from bot.casework.tickets import Extension, ExtensionReason, Status, Ticket
from bot.clock import FixedClock
from bot.conversation.classification import VocType
from bot.conversation.customers import ConversationState, Handoff
from storage.migrate import current_revision, head, upgrade
from storage.models import Base, DepartmentRow, TicketEventRow, TicketSequenceRow, made_on
from storage.repositories import ConversationChanged
from storage.tickets import ticket_number
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
            MigrationContext.configure(sync, opts={"compare_type": True,
                                                   "include_object": made_on(sync.dialect.name)}),
            Base.metadata))
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
        waits = connection.sync_connection.connection.driver_connection.busy_ms
    # the busy timeout moves to where a BEGIN IMMEDIATE waits for another process (storage.sqlite_trips)
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 0} and waits == 10_000
    assert count == 0
    assert (tmp_path / "nested" / "dir" / "vocdesk.db").exists()


# -- issue 9: listing filters and streaming, hand-offs, drafts, fewer writes, the file, statistics ---------


def statements_of(database: Database) -> list[str]:
    """Every SQL statement the engine sends from now on (appended as they run)."""
    seen: list[str] = []
    event.listen(database.engine.sync_engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: seen.append(statement))
    return seen


async def test_list_filters_by_department_channel_and_overdue(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        cid = await customer_id(uow)
        for n, (department, channel) in enumerate([("voc_desk", "telegram"), ("parking", "kakao"),
                                                   ("parking", "telegram"), ("voc_desk", "kakao")]):
            ticket = new_ticket(cid, RECEIVED + timedelta(hours=n))
            ticket.department, ticket.channel = department, channel
            await uow.tickets.add(ticket)
        await uow.commit()
    async with uow_factory() as uow:
        first = await uow.tickets.get("VOC-2026-000001")
        assert first is not None
        first.answer_with(RECEIVED + timedelta(days=1), "slack:U1", "답변")  # overdue no more: answered
        await uow.tickets.save(first)
        await uow.commit()
    due_of_third = RECEIVED + timedelta(hours=2, days=9)
    async with uow_factory() as uow:
        numbers = lambda tickets: [t.number[-1] for t in tickets]  # noqa: E731
        assert numbers(await uow.tickets.list(department="parking")) == ["3", "2"]
        assert numbers(await uow.tickets.list(channel="kakao")) == ["4", "2"]
        assert numbers(await uow.tickets.list(department="voc_desk", channel="kakao")) == ["4"]
        assert numbers(await uow.tickets.list(overdue_at=due_of_third + timedelta(seconds=1))) == ["3", "2"]
        assert numbers(await uow.tickets.list(overdue_at=RECEIVED + timedelta(days=30))) == ["4", "3", "2"]
        assert numbers(await uow.tickets.list(limit=None)) == ["4", "3", "2", "1"]
        assert numbers(await uow.tickets.list(open_only=True, channel="telegram", limit=None)) == ["3"]


async def test_stream_reads_chunks_newest_first_with_events(database: Database) -> None:
    async with database.uow() as uow:
        cid = await customer_id(uow)
        for n in range(7):  # pairs received at the same instant: ties go newest id first
            ticket = new_ticket(cid, RECEIVED + timedelta(minutes=n // 2))
            ticket.note(RECEIVED, "slack:U1", f"메모 {n}")
            await uow.tickets.add(ticket)
        await uow.commit()
    seen = statements_of(database)
    async with database.uow() as uow:
        streamed = [t async for t in uow.tickets.stream(chunk=2)]
        assert len(seen) == 8  # four chunks, each its tickets and their events
        assert streamed == await uow.tickets.list(limit=None)
        assert [t.number[-1] for t in streamed] == ["7", "6", "5", "4", "3", "2", "1"]
        assert [e.reason for e in streamed[0].events] == ["메모 6"]
        assert [t.number[-1] async for t in uow.tickets.stream(limit=3, chunk=2)] == ["7", "6", "5"]
        assert [t.number[-1] async for t in uow.tickets.stream(customer_id=cid + 1)] == []


async def test_handoffs_are_stored_and_listed_newest_first(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        cid = await customer_id(uow)
        first = await uow.handoffs.add(Handoff(cid, "telegram", "상담원 연결해 주세요", "idle", RECEIVED))
        done = Handoff(cid, "telegram", "사람과 얘기하고 싶어요", "confirm", RECEIVED + timedelta(minutes=5),
                       status="done")
        await uow.handoffs.add(done)
        last = await uow.handoffs.add(Handoff(cid, "telegram", "직원 바꿔줘", "idle", RECEIVED + timedelta(hours=1)))
        await uow.commit()
    assert first.id is not None and last.id is not None and first.id < last.id
    async with uow_factory() as uow:
        assert await uow.handoffs.list() == [last, first]
        assert await uow.handoffs.list(open_only=False) == [last, done, first]
        assert await uow.handoffs.list(open_only=False, limit=1) == [last]
        assert await uow.handoffs.list(limit=None) == [last, first]


async def test_purge_deletes_only_abandoned_drafts(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        ids = old, new, idle = [await customer_id(uow, n) for n in ("1", "2", "3")]
        await uow.conversations.save(old, ConversationState("confirm", {"draft": {}}, RECEIVED))
        await uow.conversations.save(new, ConversationState("confirm", {}, RECEIVED + timedelta(days=2)))
        await uow.conversations.save(idle, ConversationState("idle", {}, RECEIVED))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.conversations.purge(RECEIVED + timedelta(days=1), {"confirm", "contact"}) == 1
        assert await uow.conversations.purge(RECEIVED + timedelta(days=1), set()) == 0
        await uow.commit()
    async with uow_factory() as uow:
        states = [await uow.conversations.load(n) for n in ids]
    assert [s and s.step for s in states] == [None, "confirm", "idle"]


async def test_a_turn_reads_its_customer_and_conversation_in_one_statement(database: Database) -> None:
    async with database.uow() as uow:
        cid = await customer_id(uow)
        await uow.conversations.save(cid, ConversationState("confirm", {"n": 1}, RECEIVED))
        await uow.commit()
    seen = statements_of(database)
    async with database.uow() as uow:
        customer = await uow.customers.get_or_create("telegram", "42", display_name="다른 이름")
        state = await uow.conversations.load(cid)
        # an existing customer: PostgreSQL only reads it (no transaction yet); SQLite upserts, holding the lock
        assert len(seen) == 1 and seen[0].lstrip().upper().startswith("INSERT" if database.sqlite else "SELECT")
        assert (customer.id, customer.display_name) == (cid, "홍길동")  # an existing row is returned as it is
        assert state == ConversationState("confirm", {"n": 1}, RECEIVED)
        await uow.customers.save(customer)  # unchanged: no write
        assert state is not None
        await uow.conversations.save(cid, state)  # unchanged: no write
        assert len(seen) == 1
        customer.phone, state.step = "010-1234-5678", "contact"
        await uow.customers.save(customer)
        await uow.conversations.save(cid, state)
        await uow.customers.save(customer)  # written already
        await uow.commit()  # (on PostgreSQL the two writes waited for it)
        assert len(seen) == 3
    async with database.uow() as uow:
        assert await uow.conversations.load(cid) == ConversationState("contact", {"n": 1}, RECEIVED)
        stored = await uow.customers.get(cid)
        assert stored is not None and stored.phone == "010-1234-5678"


async def idle_customer(database: Database) -> int:
    """Customer "42" of Telegram, its conversation idle since ``RECEIVED``, committed."""
    async with database.uow() as uow:
        cid = await customer_id(uow)
        await uow.conversations.save(cid, ConversationState("idle", {}, RECEIVED))
        await uow.commit()
    return cid


async def test_a_conversation_written_meanwhile_is_not_overwritten(database: Database) -> None:
    """Two turns of one customer at once, both reading the same state: the one that commits second is
    refused (``ConversationChanged``: the dialogue runs it again) rather than losing the first one's write."""
    if database.sqlite:
        pytest.skip("SQLite admits one unit of work at a time: turns cannot overlap")
    cid = await idle_customer(database)
    async with database.uow() as first, database.uow() as second:
        for n, uow in enumerate((first, second), start=1):
            customer = await uow.customers.get_or_create("telegram", "42")
            state = await uow.conversations.load(cid)
            assert state is not None and state.step == "idle"
            state.step, state.updated_at = ("confirm", "contact")[n - 1], RECEIVED + timedelta(minutes=n)
            await uow.conversations.save(cid, state)
            if n == 2:  # with the customer's change: refused whole
                customer.phone = "010-1234-5678"
                await uow.customers.save(customer)
        await first.commit()
        with pytest.raises(ConversationChanged):
            await second.commit()
    async with database.uow() as uow:
        assert (await uow.conversations.load(cid)) == ConversationState("confirm", {}, RECEIVED + timedelta(minutes=1))
        stored = await uow.customers.get(cid)
        assert stored is not None and stored.phone == ""


async def test_a_conversation_is_stored_as_it_was_saved(uow_factory: UowFactory) -> None:
    """On PostgreSQL the write waits for the commit; what the caller changes after ``save`` is not stored."""
    async with uow_factory() as uow:
        cid = await customer_id(uow)
        state = ConversationState("confirm", {"draft": {"text": "처음"}}, RECEIVED)
        await uow.conversations.save(cid, state)
        state.data["draft"]["text"] = "나중"
        state.step = "idle"
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.conversations.load(cid) == ConversationState("confirm", {"draft": {"text": "처음"}}, RECEIVED)


async def test_a_locked_turn_cannot_be_overtaken(database: Database) -> None:
    """The dialogue's second attempt reads with ``lock``: a turn that read the state before it and writes
    meanwhile waits for its commit, then is refused; the locked one is stored."""
    if database.sqlite:
        pytest.skip("SQLite admits one unit of work at a time: turns cannot overlap")
    cid = await idle_customer(database)
    other_read, locked = asyncio.Event(), asyncio.Event()

    async def locked_turn() -> None:
        await other_read.wait()
        async with database.uow() as uow:
            await uow.customers.get_or_create("telegram", "42", lock=True)
            state = await uow.conversations.load(cid)
            assert state is not None and state.step == "idle"
            locked.set()
            await waiting_for_a_lock(database)  # the other turn's write waits for this one's commit
            state.step, state.updated_at = "confirm", RECEIVED + timedelta(minutes=1)
            await uow.conversations.save(cid, state)
            await uow.commit()

    async def other_turn() -> None:
        async with database.uow() as uow:
            await uow.customers.get_or_create("telegram", "42")
            state = await uow.conversations.load(cid)
            assert state is not None
            other_read.set()
            await locked.wait()
            state.step, state.updated_at = "contact", RECEIVED + timedelta(minutes=2)
            await uow.conversations.save(cid, state)
            with pytest.raises(ConversationChanged):
                await uow.commit()

    await asyncio.gather(locked_turn(), other_turn())
    async with database.uow() as uow:
        assert (await uow.conversations.load(cid)) == ConversationState("confirm", {}, RECEIVED + timedelta(minutes=1))


async def test_a_turn_that_only_moves_its_conversation_needs_no_transaction(database: Database) -> None:
    """On PostgreSQL a unit of work whose only writes are its closing ones runs them by itself: the
    conversation alone, or the conversation and the customer in one statement; no BEGIN or COMMIT round trip.
    Other writes make it a transaction again, committed whole."""
    if database.sqlite:
        pytest.skip("SQLite's unit of work holds the write lock in a transaction from its start")
    cid = await idle_customer(database)
    cases = [("confirm", "", False, ["SELECT", "UPDATE"]),
             ("contact", "010-1234-5678", False, ["SELECT", "WITH"]),
             ("done", "010-9876-5432", True, ["SELECT", "BEGIN", "UPDATE", "UPDATE", "COMMIT"])]
    for step, phone, customer_first, expected in cases:
        sent: list[str] = []

        def log(record: Any, sent: list[str] = sent) -> None:
            sent.append(record.query.split()[0].upper().rstrip(";"))

        async with database.uow() as uow:
            raw = (await uow.work.connection.get_raw_connection()).driver_connection
            raw.add_query_logger(log)
            customer = await uow.customers.get_or_create("telegram", "42")
            state = await uow.conversations.load(cid)
            assert state is not None
            state.step = step
            state.updated_at += timedelta(minutes=1)
            customer.phone = phone
            if customer_first:  # (no combined statement for this order)
                await uow.customers.save(customer)
            await uow.conversations.save(cid, state)
            await uow.customers.save(customer)
            await uow.commit()
            await asyncio.sleep(0)  # asyncpg calls its query loggers soon after, not at once
            raw.remove_query_logger(log)
        assert sent == expected
        async with database.uow() as uow:
            assert (await uow.conversations.load(cid)) == state
            stored = await uow.customers.get(cid)
            assert stored is not None and stored.phone == phone


LOCK_WAITERS = text("SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'")


async def waiting_for_a_lock(database: Database) -> None:
    """Return once a session of this test's PostgreSQL database waits for a lock. Each look is its own
    transaction: PostgreSQL keeps a transaction's first view of ``pg_stat_activity`` until it ends."""
    async with database.engine.connect() as connection:
        while not (await connection.execute(LOCK_WAITERS)).scalar():
            await connection.rollback()  # pg_stat_activity is a snapshot kept until the transaction ends
            await asyncio.sleep(0.01)


async def test_the_sqlite_file_and_its_journals_are_private(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'vocdesk.db'}"
    await upgrade(url)
    async with Database.from_url(url) as db, db.uow() as uow:
        await customer_id(uow)
        await uow.commit()
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "var").iterdir()}
    assert modes == {"vocdesk.db": 0o600, "vocdesk.db-wal": 0o600, "vocdesk.db-shm": 0o600}


async def test_sqlite_statistics_are_refreshed_on_close(database_url: str, clock: FixedClock) -> None:
    await upgrade(database_url)
    database = Database.from_url(database_url, clock=clock)
    await open_ticket(database.uow)
    async with database.uow() as uow:
        await uow.tickets.list()
    seen = statements_of(database)
    await database.close()
    if not database.sqlite:
        assert seen == []
        return
    assert seen == ["PRAGMA analysis_limit=1000", "PRAGMA optimize"]
    async with Database.from_url(database_url) as again, again.uow() as uow:  # ANALYZE's results were kept
        assert (await uow.work.connection.exec_driver_sql("SELECT count(*) FROM sqlite_stat1")).scalar()


async def test_a_connection_dropped_while_idle_is_replaced_before_use(database: Database, database_url: str) -> None:
    """Busy connections are not pinged (a round trip per unit of work); one that sat idle is, and a dead
    one is replaced instead of failing the next turn (a server restart, an idle-connection killer)."""
    if database.sqlite:
        pytest.skip("PostgreSQL connections only")
    event.listen(database.engine.sync_engine, "checkin",  # after the engine's own stamp: "idle for ages"
                 lambda _dbapi, record: record.info.__setitem__("idle_since", 0.0))
    async with database.uow() as uow:
        assert await uow.inbound.first_time("telegram", "1")
        await uow.commit()
    admin = await asyncpg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(
        hide_password=False))
    try:
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    finally:
        await admin.close()
    async with database.uow() as uow:
        assert await uow.inbound.first_time("telegram", "2")
        await uow.commit()


async def test_numbers_past_a_million_are_formatted_alike_on_both_databases(database: Database) -> None:
    """PostgreSQL formats the number in SQL (one statement opens a ticket); it must match ticket_number."""
    async with database.uow() as uow:
        await uow.work.connection.execute(insert(TicketSequenceRow.__table__).values(year=2026, last_value=999_998))
        await uow.commit()
    numbers = [await open_ticket(database.uow) for _ in range(2)]
    assert numbers == [ticket_number(2026, 999_999), ticket_number(2026, 1_000_000)] == [
        "VOC-2026-999999", "VOC-2026-1000000"]
