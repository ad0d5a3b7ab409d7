"""storage.direct: the statements built once run on the driver's connection, with the same rows, types, errors
and transaction as through SQLAlchemy, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import DBAPIError, NoResultFound, StatementError

from storage.direct import DirectResult
from storage.statements import CUSTOMERS
from storage.uow import Database, SqlUnitOfWork

UowFactory = Callable[[], SqlUnitOfWork]
AT = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)


def customer_params(external_id: str) -> dict[str, object]:
    return {"channel": "web", "external_id": external_id, "display_name": "", "locale": "ko", "consent_at": None,
            "consent_version": "", "phone": "", "created_at": AT}


async def test_a_registered_statement_runs_on_the_driver_with_sqlalchemys_types(database: Database) -> None:
    sql = database.statements
    async with database.uow() as uow:
        direct = await uow.work.execute(sql.customer_upsert, customer_params("direct-1"))
        assert isinstance(direct, DirectResult)
        row = direct.one()
        await uow.work.execute(sql.conversation_upsert, {
            "customer_id": row.id, "step": "idle", "data": {"말": "안녕", "n": [1, 2]}, "updated_at": AT})
        again = (await uow.work.execute(sql.customer_upsert, customer_params("direct-1"))).one()
        through_sqlalchemy = (await uow.work.connection.execute(
            select(CUSTOMERS).where(CUSTOMERS.c.id == row.id))).one()
        await uow.commit()
    # the same customer, its conversation read in the same statement, JSON and instants typed as SQLAlchemy does
    assert again.id == row.id and again.created_at == AT == through_sqlalchemy.created_at
    assert again.conversation_data == {"말": "안녕", "n": [1, 2]} and again.conversation_updated_at == AT
    assert again._mapping["external_id"] == "direct-1" and again.open_tickets == 0


async def test_rows_counts_and_scalars(database: Database) -> None:
    sql = database.statements
    async with database.uow() as uow:
        cid = (await uow.work.execute(sql.customer_upsert, customer_params("direct-2"))).one().id
        inserted = await uow.work.execute(sql.conversation_insert, {
            "customer_id": cid, "step": "idle", "data": {}, "updated_at": AT})
        twice = await uow.work.execute(sql.conversation_insert, {
            "customer_id": cid, "step": "idle", "data": {}, "updated_at": AT})
        missing = await uow.work.execute(sql.customer, {"b_id": -1})
        assert (inserted.rowcount, twice.rowcount) == (1, 0)
        assert missing.one_or_none() is None and missing.first() is None and missing.all() == []
        with pytest.raises(NoResultFound):
            missing.one()
        found = await uow.work.execute(sql.customer, {"b_id": cid})
        assert found.scalars().all() == [cid]


async def test_a_value_the_type_refuses_is_a_statement_error_without_the_values(database: Database) -> None:
    async with database.uow() as uow:
        with pytest.raises(StatementError, match="naive") as caught:
            await uow.outbox.put("alert", {"phone": "010-1234-5678"}, available_at=datetime(2026, 1, 1))
    assert "010-1234-5678" not in str(caught.value)


async def test_a_database_error_names_the_statement_not_the_values(database: Database) -> None:
    sql = database.statements
    async with database.uow() as uow:
        params = customer_params("direct-3") | {"channel": None}  # NOT NULL
        with pytest.raises(DBAPIError) as caught:
            await uow.work.execute(sql.customer_upsert, params)
    assert "direct-3" not in str(caught.value) and "customers" in str(caught.value)


async def test_a_statement_built_per_call_fails_without_its_values_too(database: Database) -> None:
    """Through SQLAlchemy (not the direct path) as well: a unique violation names neither the values bound nor the
    row (a customer's phone number would reach a log or a traceback)."""
    insert = CUSTOMERS.insert().values(customer_params("direct-6") | {"phone": "010-1234-5678"})
    async with database.uow() as uow:
        await uow.work.execute(insert)
        with pytest.raises(DBAPIError) as caught:
            await uow.work.execute(insert)
    assert "010-1234-5678" not in str(caught.value) and "direct-6" not in str(caught.value)
    assert "customers" in str(caught.value)


async def test_rolled_back_with_the_unit_of_work(database: Database) -> None:
    sql = database.statements
    async with database.uow() as uow:
        await uow.work.execute(sql.customer_upsert, customer_params("direct-4"))
        await uow.rollback()
    async with database.uow() as uow:
        assert (await uow.work.connection.execute(
            select(CUSTOMERS.c.id).where(CUSTOMERS.c.external_id == "direct-4"))).first() is None


async def test_statement_listeners_see_them_and_other_statements_go_through_sqlalchemy(database: Database) -> None:
    seen: list[str] = []
    event.listen(database.engine.sync_engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: seen.append(statement))
    async with database.uow() as uow:
        direct = await uow.work.execute(database.statements.customer_upsert, customer_params("direct-5"))
        built_here = await uow.work.execute(select(CUSTOMERS.c.id).where(CUSTOMERS.c.external_id == "direct-5"))
        assert isinstance(direct, DirectResult) and not isinstance(built_here, DirectResult)
        assert built_here.scalar_one() == direct.one().id
    assert len(seen) == 2 and "INSERT INTO customers" in seen[0]


async def test_a_new_ticket_announces_itself_in_its_transaction(database: Database) -> None:
    from tests.integration.test_storage import customer_id, new_ticket

    woke = asyncio.Event()
    stop = await database.listen_outbox(woke)
    try:
        async with database.uow() as uow:
            ticket = await uow.tickets.add(new_ticket(await customer_id(uow, "announce")),
                                           announce={"department": "voc_desk", "due_at": "2026-09-30T18:00:00+09:00"})
            quiet = await uow.tickets.add(new_ticket(await customer_id(uow, "announce")))
            await uow.commit()
        await asyncio.wait_for(woke.wait(), 5)  # (on PostgreSQL by NOTIFY, from the statement itself)
    finally:
        await stop()
    async with database.uow() as uow:
        rows = await uow.outbox.pending()
        again = await uow.outbox.put("ticket_opened", {"number": ticket.number}, dedupe_key=f"opened:{ticket.number}")
    assert [(r["kind"], r["payload"], r["dedupe_key"]) for r in rows] == [("ticket_opened", {
        "number": ticket.number, "department": "voc_desk", "due_at": "2026-09-30T18:00:00+09:00",
    }, f"opened:{ticket.number}")]
    assert not again and quiet.number != ticket.number
