"""Fifty customers at once through the dialogue, every message delivered twice at the same time, while
two clerks race to act on the tickets as they appear: numbers stay unique and gapless, a redelivered
message is a no-op, no ticket update is lost (optimistic locking), and every change's outbox row commits
with it."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.casework.staff import Staff, StaffAction
from bot.conversation.messages import Inbound
from storage.uow import Database
from tests.fakes import KST
from tests.integration.test_dialogue_db import SETTINGS, build_calendar, dialogue_on

CUSTOMERS = 50
AT = datetime(2026, 9, 22, 10, 0, tzinfo=KST)


def messages(user: str) -> list[Inbound]:
    said = [("/start", ""), ("", "consent:yes"), ("직원이 불친절했어요", ""), ("", "confirm:yes"), ("", "contact:skip")]
    return [Inbound("telegram", user, text=text, choice=choice or None, message_key=f"{user}:{n}")
            for n, (text, choice) in enumerate(said)]


async def test_fifty_customers_at_once_keep_every_guarantee(database: Database) -> None:
    dialogue = dialogue_on(database, AT)
    staff = Staff(database.uow, build_calendar(SETTINGS), dialogue.deps.clock, frozenset(SETTINGS.departments))
    answered: list[int] = []

    async def customer(i: int) -> None:
        for msg in messages(f"u{i}"):
            first, again = await asyncio.gather(dialogue.handle(msg), dialogue.handle(msg))
            answered.append(bool(first) + bool(again))

    async def clerk(name: str) -> None:
        """Assigns every ticket to ``name`` as soon as it appears, racing the other clerk (a stale write is
        refused with ``ConcurrentUpdate`` and ``Staff.act`` runs it again on the fresh ticket)."""
        done: set[str] = set()
        while len(done) < CUSTOMERS:
            async with database.uow() as uow:
                numbers = [t.number for t in await uow.tickets.list(limit=None)]
            for number in numbers:
                if number not in done:
                    await staff.act(number, StaffAction("assign", f"staff:{name}", assignee=name))
                    done.add(number)
            await asyncio.sleep(0.01)

    await asyncio.gather(*(customer(i) for i in range(CUSTOMERS)), clerk("kim"), clerk("lee"))

    assert answered == [1] * (CUSTOMERS * 5)  # each message answered exactly once
    async with database.uow() as uow:
        tickets = await uow.tickets.list(limit=None)
        pending = await uow.outbox.pending(limit=1000)
    assert sorted(t.number for t in tickets) == [f"VOC-2026-{n:06d}" for n in range(1, CUSTOMERS + 1)]
    assert len({t.customer_id for t in tickets}) == CUSTOMERS
    # (an unfriendly-service report opens its remedy case with the ticket: the second event)
    assert all([e.action.value for e in t.events] == ["receive", "remedy", "assign", "assign"] and t.version == 2
               and {e.actor for e in t.events[2:]} == {"staff:kim", "staff:lee"} for t in tickets)
    opened = sorted(p["payload"]["number"] for p in pending if p["kind"] == "ticket_opened")
    assert opened == sorted(t.number for t in tickets)
    assert sum(p["kind"] == "ticket_assign" for p in pending) == 2 * CUSTOMERS


async def test_one_customer_sending_many_messages_at_once_gets_every_one_answered(database: Database) -> None:
    """Eight messages of one customer at once (a double tap, a burst of webhooks): on PostgreSQL their turns
    read the same conversation, so all but one are refused at the commit and run again holding the customer's
    lock; every message is answered once and none fails."""
    dialogue = dialogue_on(database, AT)
    for msg in messages("burst")[:2]:  # greeted, consented
        await dialogue.handle(msg)
    burst = [Inbound("telegram", "burst", text=f"{n}번째 문의: 보증 심사가 언제 끝나나요?", message_key=f"burst:q{n}")
             for n in range(8)]
    answers = await asyncio.gather(*(dialogue.handle(msg) for msg in burst))
    assert all(answers)
    assert not any(await asyncio.gather(*(dialogue.handle(msg) for msg in burst)))  # redelivered: no-ops
