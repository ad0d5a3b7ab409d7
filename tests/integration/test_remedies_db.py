"""Remedy cases on the real databases: opened in the ticket's own transaction, moved with the ticket's log and
the outbox written together, listed by status."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.errors import RemedyRefused
from bot.standard.remedies import Payout, RemedyCommand, RemedyStatus
from bot.standard.remedy_desk import RemedyDesk
from bot.standard.rules import RemedyKind, RemedyRules
from storage.models import OutboxRow
from storage.uow import Database
from tests.fakes import KST
from tests.integration.test_dialogue_db import SETTINGS, dialogue_on, file_complaint

AT = datetime(2026, 9, 22, 10, 0, tzinfo=KST)
RULES = RemedyRules.from_settings(SETTINGS)


async def test_an_unfriendly_report_opens_its_remedy_case_in_the_same_transaction(database: Database) -> None:
    await file_complaint(dialogue_on(database, AT))
    async with database.uow() as uow:
        (remedy,) = await uow.remedies.list()
        ticket = await uow.tickets.get("VOC-2026-000001")
        kinds = (await uow.work.execute(select(OutboxRow.kind).order_by(OutboxRow.id))).scalars().all()
    assert ticket is not None and remedy.ticket_id == ticket.id
    assert (remedy.number, remedy.kind, remedy.amount, remedy.status) == (
        "VOC-2026-000001", RemedyKind.KINDNESS, 10_000, RemedyStatus.INVESTIGATING)
    assert remedy.legal_due_at == datetime(2026, 10, 3, 0, 0, tzinfo=KST)  # Tue 9/22 + 7 days, 추석 left out
    assert [e.action.value for e in ticket.events] == ["receive", "remedy"]
    assert list(kinds) == ["ticket_opened", "remedy_open"]


async def test_the_kindness_path_is_logged_on_the_ticket_and_queued(database: Database) -> None:
    await file_complaint(dialogue_on(database, AT))
    clock = FixedClock(AT + timedelta(days=2))
    desk = RemedyDesk(database.uow, RULES, clock)
    for cmd in (RemedyCommand("assign", "staff:lee", owner="kim.minsu"),
                RemedyCommand("training", "staff:kim", staff="이직원"),
                RemedyCommand("apology", "staff:kim", by="지점장 박"),
                RemedyCommand("approve", "staff:kim", reason="녹취 확인"),
                RemedyCommand("pay", "staff:fin")):
        done = await desk.act(1, cmd)
    assert (done.status, done.payout, done.owner, done.version) == (RemedyStatus.PAID, Payout.PAID, "kim.minsu", 5)
    with pytest.raises(RemedyRefused):
        await desk.act(1, RemedyCommand("refer", "staff:kim"))
    async with database.uow() as uow:
        stored = await uow.remedies.get(1)
        ticket = await uow.tickets.get("VOC-2026-000001")
        kinds = (await uow.work.execute(select(OutboxRow.kind).order_by(OutboxRow.id))).scalars().all()
        paid = await uow.remedies.list(status=RemedyStatus.PAID)
        investigating = await uow.remedies.list(status=RemedyStatus.INVESTIGATING)
    assert stored is not None and stored.steps["cs_training"]["detail"] == "이직원"
    assert stored.paid_at == clock.now() and stored.approved_by == "staff:kim"
    assert ticket is not None
    assert [(e.actor, e.data["remedy"]) for e in ticket.events if e.action.value == "remedy"][1:] == [
        ("staff:lee", "assign"), ("staff:kim", "training"), ("staff:kim", "apology"), ("staff:kim", "approve"),
        ("staff:fin", "pay")]
    assert list(kinds)[2:] == ["remedy_assign", "remedy_training", "remedy_apology", "remedy_approve", "remedy_pay"]
    assert [m.id for m in paid] == [1] and investigating == []
