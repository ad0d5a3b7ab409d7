"""The dialogue on the real databases (SQLite and PostgreSQL): tickets, restarts, redelivery, audit trail."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.app import build_calendar
from bot.casework.routing import RoutingTable
from bot.casework.staff import Staff, StaffAction
from bot.casework.tickets import Status
from bot.clock import FixedClock
from bot.config import load_config
from bot.conversation.classification import VocType
from bot.conversation.dialogue import Dialogue, DialogueDeps
from bot.conversation.messages import Inbound
from bot.errors import ConcurrentUpdate
from storage.uow import Database
from tests.fakes import KST, ScriptedClassifier, classification

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = load_config(ROOT / "config.toml", {}).settings
CLASSIFIER = ScriptedClassifier(
    {"불친절": classification("unfriendly_service", VocType.COMPLAINT, 0.93)},
    classification("out_of_scope", None, 0.2),
)


def dialogue_on(database: Database, at: datetime) -> Dialogue:
    return Dialogue(DialogueDeps(
        uow=database.uow, classifier=CLASSIFIER, routing=RoutingTable.from_settings(SETTINGS),
        calendar=build_calendar(SETTINGS), clock=FixedClock(at), settings=SETTINGS,
    ))


async def file_complaint(d: Dialogue, user: str = "web-user") -> None:
    """Consent, an unfriendly-service complaint, confirmed, no contact number: VOC-2026-000001."""
    for msg in (Inbound("web", user, text="/start"), Inbound("web", user, choice="consent:yes"),
                Inbound("web", user, text="직원이 불친절"), Inbound("web", user, choice="confirm:yes"),
                Inbound("web", user, choice="contact:skip")):
        await d.handle(msg)


async def test_conversation_restart_and_redelivery(database: Database, database_url: str) -> None:
    at = datetime(2026, 9, 22, 10, 0, tzinfo=KST)
    first = dialogue_on(database, at)
    await first.handle(Inbound("telegram", "42", text="/start", message_key="1"))
    await first.handle(Inbound("telegram", "42", choice="consent:yes", message_key="2"))
    await first.handle(Inbound("telegram", "42", text="직원이 불친절했어요", message_key="3"))

    restarted = Database.from_url(database_url)  # another process on the same database
    try:
        second = dialogue_on(restarted, at)
        await second.handle(Inbound("telegram", "42", choice="confirm:yes", message_key="4"))
        replies = await second.handle(Inbound("telegram", "42", text="01012345678", message_key="5"))
        assert await second.handle(Inbound("telegram", "42", text="01012345678", message_key="5")) == []
    finally:
        await restarted.close()
    assert "VOC-2026-000001" in replies[0].text
    assert "2026년 10월 2일(금)까지" in replies[0].text

    async with database.uow() as uow:
        (ticket,) = await uow.tickets.list()
        customer = await uow.customers.get(ticket.customer_id)
        pending = await uow.outbox.pending()
    assert (ticket.intent, ticket.voc_type, ticket.department) == (
        "unfriendly_service", VocType.COMPLAINT, "service_quality")
    assert ticket.due_at == datetime(2026, 10, 2, 18, 0, tzinfo=KST)
    assert customer is not None and (customer.channel, customer.external_id) == ("telegram", "42")
    assert customer.phone == "010-1234-5678" and customer.has_consent
    assert [row["kind"] for row in pending] == ["ticket_opened", "remedy_open"]  # its remedy case, same transaction


async def test_staff_actions_write_events_and_outbox(database: Database) -> None:
    at = datetime(2026, 9, 22, 10, 0, tzinfo=KST)
    await file_complaint(dialogue_on(database, at))
    clock = FixedClock(datetime(2026, 9, 23, 9, 0, tzinfo=KST))
    staff = Staff(database.uow, build_calendar(SETTINGS), clock, frozenset(SETTINGS.departments))
    number = "VOC-2026-000001"
    await staff.act(number, StaffAction("assign", "staff:kim", assignee="kim"))
    await staff.act(number, StaffAction("request-supplement", "staff:kim", reason="계약서 사본"))
    clock.at = datetime(2026, 9, 29, 11, 0, tzinfo=KST)
    ticket = await staff.act(number, StaffAction("supplement", "customer"))
    # paused 9/23 … 9/29: working days 9/23, 9/28, 9/29 are not counted → 10/2 + 3 working days
    assert ticket.due_at == datetime(2026, 10, 8, 18, 0, tzinfo=KST)
    await staff.act(number, StaffAction("answer", "staff:kim", answer="사과드립니다"))
    await staff.act(number, StaffAction("close", "staff:kim"))
    async with database.uow() as uow:
        stored = await uow.tickets.get(number)
        kinds = [row["kind"] for row in await uow.outbox.pending()]
    assert stored is not None and stored.status is Status.CLOSED
    assert [e.action.value for e in stored.events] == [
        "receive", "remedy", "assign", "request_supplement", "supplement", "answer", "close"]
    assert kinds == ["ticket_opened", "remedy_open", "ticket_assign", "ticket_request_supplement", "ticket_supplement",
                     "ticket_answer", "ticket_close"]


async def test_a_stale_save_is_refused(database: Database) -> None:
    at = datetime(2026, 9, 22, 10, 0, tzinfo=KST)
    await file_complaint(dialogue_on(database, at))
    number = "VOC-2026-000001"
    async with database.uow() as uow:
        theirs = await uow.tickets.get(number)  # read by someone who is slow to act
    async with database.uow() as uow:
        mine = await uow.tickets.get(number)
        assert mine is not None
        mine.assign(at, "staff:kim", "kim")
        await uow.tickets.save(mine)
        await uow.commit()
    assert theirs is not None
    theirs.withdraw(at, "customer")
    async with database.uow() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.tickets.save(theirs)
    async with database.uow() as uow:
        stored = await uow.tickets.get(number)
    assert stored is not None and (stored.status, stored.version) == (Status.ASSIGNED, 1)
    assert [e.action.value for e in stored.events] == ["receive", "remedy", "assign"]
