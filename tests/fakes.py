"""In-memory implementations of the ports in ``bot.ports`` that record what happened."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo

from bot.casework.tickets import Status, Ticket
from bot.conversation.classification import Candidate, Classification, VocType
from bot.conversation.customers import ConversationState, Customer, Handoff
from bot.errors import ConcurrentUpdate

KST = ZoneInfo("Asia/Seoul")


@dataclass
class Store:
    """What a fake database holds; survives across unit-of-work instances (like a real DB)."""

    tickets: dict[str, Ticket] = field(default_factory=dict)
    customers: dict[int, Customer] = field(default_factory=dict)
    conversations: dict[int, ConversationState] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    inbound: set[tuple[str, str]] = field(default_factory=set)
    handoffs: list[Handoff] = field(default_factory=list)
    sequences: dict[int, int] = field(default_factory=dict)
    commits: int = 0


class _Repo:
    def __init__(self, work: Store) -> None:
        self.work = work


class FakeTickets(_Repo):
    async def add(self, ticket: Ticket) -> Ticket:
        year = ticket.received_at.astimezone(KST).year
        n = self.work.sequences.get(year, 0) + 1
        self.work.sequences[year] = n
        ticket.number, ticket.id = f"VOC-{year}-{n:06d}", len(self.work.tickets) + 1
        ticket.new_events.clear()
        self.work.tickets[ticket.number] = copy.deepcopy(ticket)
        return ticket

    async def get(self, number: str) -> Ticket | None:
        t = self.work.tickets.get(number)
        return copy.deepcopy(t) if t else None

    async def save(self, ticket: Ticket) -> None:
        if self.work.tickets[ticket.number].version != ticket.version:
            raise ConcurrentUpdate(ticket.number)
        ticket.version += 1
        ticket.new_events.clear()
        self.work.tickets[ticket.number] = copy.deepcopy(ticket)

    async def list(self, *, status: Status | None = None, customer_id: int | None = None,
                   open_only: bool = False, department: str | None = None, channel: str | None = None,
                   overdue_at: datetime | None = None, limit: int | None = 500) -> list[Ticket]:
        found = [
            copy.deepcopy(t) for t in reversed(self.work.tickets.values())
            if (status is None or t.status is status)
            and (customer_id is None or t.customer_id == customer_id)
            and (not open_only or t.is_open)
            and (department is None or t.department == department)
            and (channel is None or t.channel == channel)
            and (overdue_at is None or (t.is_open and t.due_at < overdue_at))
        ]
        return found if limit is None else found[:limit]

    async def stream(self, *, status: Status | None = None, customer_id: int | None = None,
                     open_only: bool = False, department: str | None = None, channel: str | None = None,
                     overdue_at: datetime | None = None, limit: int | None = None,
                     chunk: int = 1000) -> AsyncIterator[Ticket]:
        for t in await self.list(status=status, customer_id=customer_id, open_only=open_only,
                                 department=department, channel=channel, overdue_at=overdue_at, limit=limit):
            yield t


class FakeCustomers(_Repo):
    async def get_or_create(self, channel: str, external_id: str, *, display_name: str = "",
                            locale: str = "ko") -> Customer:
        for c in self.work.customers.values():
            if (c.channel, c.external_id) == (channel, external_id):
                return copy.deepcopy(c)
        c = Customer(channel, external_id, display_name, locale, id=len(self.work.customers) + 1)
        self.work.customers[c.id or 0] = copy.deepcopy(c)
        return c

    async def get(self, customer_id: int) -> Customer | None:
        c = self.work.customers.get(customer_id)
        return copy.deepcopy(c) if c else None

    async def save(self, customer: Customer) -> None:
        self.work.customers[customer.id or 0] = copy.deepcopy(customer)


class FakeConversations(_Repo):
    async def load(self, customer_id: int) -> ConversationState | None:
        s = self.work.conversations.get(customer_id)
        return copy.deepcopy(s) if s else None

    async def save(self, customer_id: int, state: ConversationState) -> None:
        self.work.conversations[customer_id] = copy.deepcopy(state)

    async def purge(self, before: datetime, steps: Collection[str]) -> int:
        stale = [cid for cid, s in self.work.conversations.items()
                 if s.step in steps and s.updated_at is not None and s.updated_at < before]
        for cid in stale:
            del self.work.conversations[cid]
        return len(stale)


class FakeHandoffs(_Repo):
    async def add(self, handoff: Handoff) -> Handoff:
        handoff.id = len(self.work.handoffs) + 1
        self.work.handoffs.append(copy.deepcopy(handoff))
        return handoff

    async def list(self, *, open_only: bool = True, limit: int | None = 500) -> list[Handoff]:
        found = [copy.deepcopy(h) for h in reversed(self.work.handoffs) if not open_only or h.status == "open"]
        return found if limit is None else found[:limit]


class FakeOutbox(_Repo):
    async def put(self, kind: str, payload: dict[str, Any], *, dedupe_key: str | None = None,
                  available_at: datetime | None = None) -> bool:
        if dedupe_key and any(r["dedupe_key"] == dedupe_key for r in self.work.outbox):
            return False
        self.work.outbox.append({"id": len(self.work.outbox) + 1, "kind": kind, "payload": payload,
                                 "dedupe_key": dedupe_key, "dispatched": False})
        return True

    async def pending(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.work.outbox[:limit]


class FakeInbound(_Repo):
    async def first_time(self, channel: str, key: str) -> bool:
        if (channel, key) in self.work.inbound:
            return False
        self.work.inbound.add((channel, key))
        return True


class FakeUnitOfWork:
    """Works on a copy of the store; ``commit`` publishes the copy, leaving without it discards it."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def __aenter__(self) -> Self:
        self.work = copy.deepcopy(self.store)
        self.tickets = FakeTickets(self.work)
        self.customers = FakeCustomers(self.work)
        self.conversations = FakeConversations(self.work)
        self.outbox = FakeOutbox(self.work)
        self.inbound = FakeInbound(self.work)
        self.handoffs = FakeHandoffs(self.work)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        return None

    async def commit(self) -> None:
        self.work.commits += 1
        self.store.__dict__.update(self.work.__dict__)


def fake_uow_factory(store: Store) -> Callable[[], FakeUnitOfWork]:
    return lambda: FakeUnitOfWork(store)


@dataclass
class Races:
    """How many more ticket saves lose the race (ConcurrentUpdate), as if someone saved first."""

    left: int = 0
    lost: int = 0


class _RacingTickets(FakeTickets):
    def __init__(self, work: Store, races: Races) -> None:
        super().__init__(work)
        self.races = races

    async def save(self, ticket: Ticket) -> None:
        if self.races.left > 0:
            self.races.left -= 1
            self.races.lost += 1
            raise ConcurrentUpdate(ticket.number)
        await super().save(ticket)


class RacingUnitOfWork(FakeUnitOfWork):
    def __init__(self, store: Store, races: Races) -> None:
        super().__init__(store)
        self.races = races

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.tickets = _RacingTickets(self.work, self.races)
        return self


class ScriptedClassifier:
    """Answers from a table of substrings; records every text it was asked about."""

    def __init__(self, table: dict[str, Classification], default: Classification) -> None:
        self.table, self.default = table, default
        self.asked: list[str] = []

    def classify(self, text: str) -> Classification:
        self.asked.append(text)
        for key, value in self.table.items():
            if key in text:
                return value
        return self.default


def classification(intent: str, voc_type: VocType | None, confidence: float,
                   *alternatives: tuple[str, VocType | None, float], source: str = "model") -> Classification:
    return Classification(intent, voc_type, confidence,
                          tuple(Candidate(i, v, c) for i, v, c in alternatives), source)
