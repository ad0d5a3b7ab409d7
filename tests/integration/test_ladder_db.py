"""The deadline-warning ladder on SQLite and PostgreSQL: the database's decision (``storage.alerts``) agrees with
the pure ladder (``bot.alerts.ladder.decide``) at fixed instants across weekends and 추석, an extension starts
the ladder again, a ticket waiting for a supplement gets none until it resumes, and sweeps running at once in
several processes never queue a step twice."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta
from importlib import import_module

import pytest
from sqlalchemy import select, text

from bot.alerts.ladder import LadderTicket, decide, instants
from bot.alerts.sweep import AlertPlan, dedupe_key
from bot.alerts.workingtime import WorkingTime
from bot.app import alert_plan
from bot.casework.deadlines import Period, Unit
from bot.casework.staff import Staff, StaffAction
from bot.casework.tickets import OPEN, ExtensionReason
from bot.clock import FixedClock
from bot.config import load_config
from bot.notices.sweep import sweep
from storage.listing import OPEN_WHERE
from storage.models import AlertLadderRow, OutboxRow
from storage.uow import Database
from tests.conftest import ROOT
from tests.fakes import KST
from tests.integration.slack_support import CAL, open_ticket

MONDAY = datetime(2026, 9, 14, 9, 0, tzinfo=KST)
PLAN = AlertPlan(alert_plan(load_config(ROOT / "config.toml", {})).ladders)


async def warnings(database: Database) -> list[tuple[str, str, str]]:
    """Every deadline warning queued: (number, step, dedupe key), in the order queued."""
    async with database.uow() as uow:
        rows = await uow.work.execute(select(OutboxRow.payload, OutboxRow.dedupe_key).where(
            OutboxRow.kind == "deadline_warning").order_by(OutboxRow.id))
        return [(r.payload["number"], r.payload["step"], r.dedupe_key) for r in rows]


async def test_the_database_decides_as_the_pure_ladder_at_fixed_instants(database: Database,
                                                                         clock: FixedClock) -> None:
    rng, tickets = random.Random(11), []
    for k in range(12):  # received over two weeks that hold a weekend and 추석 (09-24..26)
        received = CAL.add_working_hours(MONDAY, rng.randint(0, 70))
        period = Period(rng.choice((3, 7, 14)), Unit.DAYS) if k % 4 else Period(0, Unit.IMMEDIATE)
        department = ("service_quality", "legal", "voc_desk")[k % 3]
        number = await open_ticket(database, received, department=department, period=period, user=f"u{k}")
        async with database.uow() as uow:
            ticket = await uow.tickets.get(number)
        assert ticket is not None
        tickets.append(LadderTicket(number, department, ticket.received_at, ticket.due_at))
    working, expected, queued = WorkingTime(CAL), [], 0
    now = MONDAY
    while now < MONDAY + timedelta(days=40):
        now += timedelta(minutes=rng.randint(30, 2000))
        queued += (await sweep(database.uow, CAL, now, PLAN)).warnings
        for i, ticket in enumerate(tickets):
            if ticket.received_at > now:
                continue
            decision = decide(ticket, now, PLAN.ladders.of(ticket.department), working)
            if decision.send is not None:
                expected.append((ticket.number, decision.send.name, dedupe_key(ticket.number, decision.send.name,
                                                                                ticket.due_at)))
            tickets[i] = LadderTicket(ticket.number, ticket.department, ticket.received_at, ticket.due_at,
                                      decision.passed)
        assert sorted(await warnings(database)) == sorted(expected), now
    assert queued == len(expected)
    assert {step for _, step, _ in expected} >= {"half", "1d", "due_day", "overdue"}
    assert (await sweep(database.uow, CAL, now, PLAN)).warnings == 0  # the same instant again: nothing


async def test_an_extension_starts_the_ladder_again_and_a_supplement_holds_it(database: Database,
                                                                               clock: FixedClock) -> None:
    staff = Staff(database.uow, CAL, clock, frozenset({"service_quality"}))
    number = await open_ticket(database, MONDAY)  # due Tue 09-22 18:00
    thursday = datetime(2026, 9, 17, 14, 0, tzinfo=KST)
    assert (await sweep(database.uow, CAL, thursday, PLAN)).warnings == 1  # half
    clock.at = thursday
    await staff.act(number, StaffAction("extend", "kim", reason="현장 조사", consent=True,
                                        extension_reason=ExtensionReason.FACT_CHECK))
    overdue_before = datetime(2026, 9, 22, 18, 30, tzinfo=KST)
    assert (await sweep(database.uow, CAL, overdue_before, PLAN)).warnings == 1  # the new due's half only
    await staff.act(number, StaffAction("request-supplement", "kim", reason="영수증 사본"))
    later = overdue_before + timedelta(days=10)
    assert (await sweep(database.uow, CAL, later, PLAN)).warnings == 0  # the clock is stopped
    clock.at = later
    await staff.act(number, StaffAction("supplement", "kim", reason="받음"))
    assert (await sweep(database.uow, CAL, later + timedelta(days=30), PLAN)).warnings == 1  # now overdue
    steps = [step for n, step, _ in await warnings(database) if n == number]
    assert steps == ["half", "half", "overdue"]
    await staff.act(number, StaffAction("answer", "kim", answer="처리했습니다."))
    assert (await sweep(database.uow, CAL, later + timedelta(days=60), PLAN)).warnings == 0  # answered


async def test_sweeps_in_several_processes_at_once_never_queue_a_step_twice(database_url: str,
                                                                            database: Database) -> None:
    """Each process has its own engine (its own connections), as each server worker's sweeper has."""
    for k in range(60):
        await open_ticket(database, MONDAY + timedelta(hours=1, minutes=k), user=f"u{k}")  # due Tue 09-22 18:00
    others = [Database.from_url(database_url, clock=FixedClock(MONDAY)) for _ in range(3)]
    try:
        queued = 0
        for now in (datetime(2026, 9, 17, 17, 0, tzinfo=KST), datetime(2026, 9, 21, 18, 5, tzinfo=KST),
                    datetime(2026, 9, 22, 9, 30, tzinfo=KST), datetime(2026, 9, 23, 9, 0, tzinfo=KST)):
            passes = await asyncio.gather(*(sweep(db.uow, CAL, now, PLAN) for db in [database, *others]))
            queued += sum(p.warnings for p in passes)
    finally:
        for db in others:
            await db.close()
    found = await warnings(database)
    assert len(found) == queued == len({(n, step) for n, step, _ in found}) == 60 * 4


async def test_a_transfer_goes_on_with_the_new_departments_ladder_without_sending_a_step_again(
        database: Database, clock: FixedClock) -> None:
    staff = Staff(database.uow, CAL, clock, frozenset({"service_quality", "legal"}))
    number = await open_ticket(database, MONDAY)  # due Tue 09-22 18:00; legal's ladder has "2d"
    thursday = datetime(2026, 9, 17, 14, 0, tzinfo=KST)
    assert (await sweep(database.uow, CAL, thursday, PLAN)).warnings == 1  # half
    clock.at = thursday
    await staff.act(number, StaffAction("transfer", "kim", department="legal", reason="법령 해석"))
    assert (await sweep(database.uow, CAL, thursday, PLAN)).warnings == 0  # half was sent: not again
    async with database.uow() as uow:
        ticket = await uow.tickets.get(number)
    assert ticket is not None
    two_days = datetime.fromtimestamp(next(at for step, at in instants(
        LadderTicket(number, "legal", ticket.received_at, ticket.due_at), PLAN.ladders.of("legal"),
        WorkingTime(CAL)) if step.name == "2d"), KST)
    assert (await sweep(database.uow, CAL, two_days, PLAN)).warnings == 1
    assert [(n, step) for n, step, _ in await warnings(database)] == [(number, "half"), (number, "2d")]


async def test_a_new_ticket_is_marked_for_the_next_sweep_in_the_statement_that_inserts_it(
        database: Database, clock: FixedClock) -> None:
    """SQLite: the trigger of migration 0008; PostgreSQL: the ticket's one statement. Either writes the row
    ``storage.alerts.touch`` writes for a new ticket."""
    number = await open_ticket(database, MONDAY)
    async with database.uow() as uow:
        ticket = await uow.tickets.get(number)
        rows = (await uow.work.execute(select(AlertLadderRow.__table__).where(
            AlertLadderRow.number == number))).all()
    assert ticket is not None and len(rows) == 1
    row = rows[0]
    assert (row.due_at, row.department, row.paused, row.remake_at, row.next_at) == (
        ticket.due_at, "service_quality", False, clock.now(), None)


def test_the_migrations_know_the_open_statuses() -> None:
    """The SQLite ladder trigger (0008) and the partial index of open tickets (0009), whose predicate a query
    matches only when it names the same statuses as ``storage.listing.OPEN_WHERE``."""
    for script in ("0008_sqlite_ladder_trigger", "0009_open_due_index"):
        found = import_module(f"storage.migrations.versions.{script}").OPEN
        assert set(found) == {status.value for status in OPEN}, script
    assert import_module("storage.migrations.versions.0009_open_due_index").WHERE == OPEN_WHERE


async def test_on_postgresql_a_pass_moves_the_ladder_on_in_place(database: Database, clock: FixedClock) -> None:
    """Migration 0010: nothing indexes what a pass changes, and pages keep room, so each row moved on is a HOT
    update (no index entry written): an index on ``next_at`` added again would show here."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's HOT updates")
    for k in range(5):
        await open_ticket(database, MONDAY, user=f"hot{k}")
    await sweep(database.uow, CAL, MONDAY, PLAN)  # the ladders are made
    updates = text("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'alert_ladder'")
    async with database.uow() as uow:  # (the counts may hold the backend's earlier transactions not yet reported)
        before = (await uow.work.execute(updates)).one()
        moved = await uow.alerts.warn("deadline_warning", MONDAY + timedelta(days=30))
        after = (await uow.work.execute(updates)).one()
        await uow.commit()
    assert moved == 5 and after.n_tup_upd - before.n_tup_upd == after.n_tup_hot_upd - before.n_tup_hot_upd == 5
