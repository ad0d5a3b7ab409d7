"""The service standard through the real ``vocdesk`` process: remedy cases listed and moved."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.casework.deadlines import Period, Unit
from bot.casework.tickets import Ticket
from bot.casework.workcalendar import WorkCalendar
from bot.config import load_config
from bot.conversation.classification import VocType
from bot.standard.remedy_desk import plan_remedy, store_remedy
from bot.standard.rules import RemedyRules
from tests.e2e.conftest import Run

KST = ZoneInfo("Asia/Seoul")
CAL = WorkCalendar.build()
AT = datetime(2026, 9, 22, 10, 0, tzinfo=KST)
pytestmark = pytest.mark.e2e


def file_with_remedies(config_file: Path, intents: list[str]) -> list[str]:
    """Arrange: tickets of ``intents`` stored with the remedy cases they open, as the dialogue stores them."""
    from storage.migrate import upgrade
    from storage.uow import Database

    config = load_config(config_file, {})
    rules = RemedyRules.from_settings(config.settings)

    async def go() -> list[str]:
        await upgrade(config.database_url)
        database = Database.from_url(config.database_url)
        numbers = []
        try:
            async with database.uow() as uow:
                for i, intent in enumerate(intents):
                    customer = await uow.customers.get_or_create("console", f"e2e-{i}")
                    ticket = Ticket.open(customer_id=customer.id or 0, channel="console", voc_type=VocType.COMPLAINT,
                                         intent=intent, department="service_quality", text="직원이 불친절했습니다",
                                         received_at=AT, policy=Period(7, Unit.DAYS), calendar=CAL, actor="customer")
                    terms = rules.for_intent(intent)
                    assert terms is not None
                    remedy = plan_remedy(ticket, terms, AT, CAL)
                    await uow.tickets.add(ticket)
                    await store_remedy(uow, ticket, remedy)
                    numbers.append(ticket.number)
                await uow.commit()
        finally:
            await database.close()
        return numbers

    return asyncio.run(go())


def test_remedies_are_listed_with_ticket_and_won_and_moved_by_act(vocdesk: Run, config_file: Path) -> None:
    first, second, third = file_with_remedies(config_file, ["unfriendly_service", "repeat_visit", "financial_damage"])
    listed = vocdesk("remedies", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    assert [(m["id"], m["number"], m["kind"], m["amount_won"], m["status"]) for m in items] == [
        (3, third, "damage", 0, "investigating"), (2, second, "accuracy", 10_000, "investigating"),
        (1, first, "kindness", 10_000, "investigating")]
    table = vocdesk("remedies", "list")
    assert first in table.stdout and "10,000원" in table.stdout

    assert vocdesk("remedies", "act", "2", "visits", "--visits", "3").returncode == 0
    moved = vocdesk("remedies", "act", "2", "approve", "--actor", "staff:kim", "--reason", "예약 누락 확인")
    assert moved.returncode == 0, moved.stderr
    assert "20,000원" in moved.stdout and "approved" in moved.stdout
    refused = vocdesk("remedies", "act", "1", "decide", "--decision", "upheld", "--reason", "x")
    assert refused.returncode == 2 and refused.stderr.startswith("error: remedy 1: decide refused")
    assert vocdesk("remedies", "act", "3", "refer", "--reason", "민원조정위원회 심의 요청").returncode == 0
    approved = json.loads(vocdesk("remedies", "list", "--status", "approved", "--json").stdout)
    assert [(m["number"], m["amount_won"], m["payout"]) for m in approved] == [(second, 20_000, "pending")]
    shown = json.loads(vocdesk("tickets", "show", second, "--json").stdout)
    assert [(e["actor"], e["data"]["remedy"]) for e in shown["events"] if e["action"] == "remedy"] == [
        ("system", "open"), ("staff:cli", "visits"), ("staff:kim", "approve")]
    bad = vocdesk("remedies", "list", "--status", "lost")
    assert bad.returncode == 2 and "unknown status" in bad.stderr
