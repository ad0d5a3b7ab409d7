"""In-memory implementations of the ports in ``bot.ports`` that record what happened."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo

from bot.alerts.ladder import LadderTicket
from bot.alerts.ports import Load, OpenTicket, Schedule, Thread
from bot.casework.tickets import Status, Ticket
from bot.conversation.classification import Candidate, Classification, VocType
from bot.conversation.customers import ConversationState, Customer, Handoff
from bot.errors import ConcurrentUpdate
from bot.notices.model import Event, Facts, NewDelivery, Outcome, Outgoing, Sent
from bot.notices.ports import DEAD, PENDING, Delivery, DeliveryRow, Recorded
from bot.standard.remedies import Remedy, RemedyStatus
from bot.standard.survey import Survey

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
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    sequences: dict[int, int] = field(default_factory=dict)
    schedules: dict[str, Schedule] = field(default_factory=dict)  # the ladder steps still to come
    threads: dict[str, Thread] = field(default_factory=dict)
    remedies: dict[int, Remedy] = field(default_factory=dict)
    surveys: dict[str, Survey] = field(default_factory=dict)
    commits: int = 0


class _Repo:
    def __init__(self, work: Store) -> None:
        self.work = work


class FakeTickets(_Repo):
    def __init__(self, work: Store, outbox: Callable[[], FakeOutbox] | None = None) -> None:
        super().__init__(work)
        self.outbox = outbox or (lambda: FakeOutbox(work))  # the unit of work's, which a test may break

    async def add(self, ticket: Ticket, *, announce: Mapping[str, Any] | None = None) -> Ticket:
        year = ticket.received_at.astimezone(KST).year
        n = self.work.sequences.get(year, 0) + 1
        self.work.sequences[year] = n
        ticket.number, ticket.id = f"VOC-{year}-{n:06d}", len(self.work.tickets) + 1
        ticket.new_events.clear()
        self.work.tickets[ticket.number] = copy.deepcopy(ticket)
        if announce is not None:
            await self.outbox().put("ticket_opened", dict(announce) | {"number": ticket.number},
                                    dedupe_key=f"opened:{ticket.number}")
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
                            locale: str = "ko", lock: bool = False) -> Customer:
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


class FakeDeliveries(_Repo):
    """The deliveries port in memory (``storage.deliveries`` on a real database)."""

    async def events(self, limit: int) -> list[tuple[Event, Facts]]:
        found = []
        for row in [r for r in self.work.outbox if not r["dispatched"]][:limit]:
            number = str(row["payload"].get("number", ""))
            ticket = self.work.tickets.get(number)
            customer_id = ticket.customer_id if ticket else row["payload"].get("customer_id")
            customer = self.work.customers.get(int(customer_id)) if customer_id else None
            facts = Facts(
                number=number, voc_type=ticket.voc_type.value if ticket else "", intent=ticket.intent if ticket else "",
                department=ticket.department if ticket else "", status=ticket.status.value if ticket else "",
                due_at=ticket.due_at if ticket else None, due_date_only=ticket.due_date_only if ticket else True,
                received_at=ticket.received_at if ticket else None, assignee=ticket.assignee if ticket else "",
                answer=ticket.answer if ticket else "", customer_id=customer.id if customer else None,
                channel=customer.channel if customer else "", locale=customer.locale if customer else "ko",
                has_phone=bool(customer and customer.phone),
            )
            found.append((Event(row["id"], row["kind"], dict(row["payload"])), facts))
        return found

    async def fan_out(self, deliveries: Sequence[NewDelivery], events: Sequence[int], now: datetime) -> None:
        keys = {d["key"] for d in self.work.deliveries}
        for d in deliveries:
            if d.key not in keys:
                self.work.deliveries.append({
                    "id": len(self.work.deliveries) + 1, "new": d, "state": PENDING, "attempts": 0, "recorded": 0,
                    "next_attempt_at": d.not_before or now, "claimed_until": None, "last_error": "", "ref": "",
                    "sent_at": None, "key": d.key, "created_at": now,
                })
        for row in self.work.outbox:
            if row["id"] in events:
                row["dispatched"] = True

    async def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[Delivery]:
        due = [d for d in self.work.deliveries if d["state"] == PENDING and d["next_attempt_at"] <= now
               and (d["claimed_until"] is None or d["claimed_until"] <= now)][:limit]
        claimed = []
        for d in due:
            d["attempts"] += 1
            d["claimed_until"] = lease_until
            new: NewDelivery = d["new"]
            customer = self.work.customers.get(new.customer_id or 0)
            to = (customer.phone if customer else "") if new.sink == "sms" else (
                new.target or (customer.external_id if customer else ""))
            claimed.append(Delivery(
                id=d["id"], key=new.key, outbox_id=new.outbox_id, subscriber=new.subscriber, sink=new.sink,
                kind=new.kind, number=new.number, to=to, locale=new.locale, text=new.text, sms_text=new.sms_text,
                template_id=new.template_id, variables=new.variables, attempts=d["attempts"],
                maybe_sent=d["attempts"] - 1 > d["recorded"],
            ))
        return claimed

    async def record(self, results: Sequence[Recorded], now: datetime) -> None:
        by_id = {d["id"]: d for d in self.work.deliveries}
        for r in results:
            d = by_id[r.id]
            if d["state"] != PENDING:
                continue
            d.update(state=r.state, last_error=r.error, ref=r.ref, claimed_until=None, recorded=d["attempts"],
                     sent_at=now if r.state == "sent" else None,
                     next_attempt_at=r.next_attempt_at or d["next_attempt_at"])

    async def next_due(self) -> datetime | None:
        due = [d["next_attempt_at"] for d in self.work.deliveries if d["state"] == PENDING]
        return min(due) if due else None

    async def rows(self, state: str | None, limit: int | None) -> list[DeliveryRow]:
        return [DeliveryRow(
            id=d["id"], outbox_id=d["new"].outbox_id, kind=d["new"].kind, number=d["new"].number,
            subscriber=d["new"].subscriber, sink=d["new"].sink, state=d["state"], attempts=d["attempts"],
            next_attempt_at=d["next_attempt_at"], last_error=d["last_error"], sent_at=d["sent_at"],
            created_at=d["created_at"],
        ) for d in reversed(self.work.deliveries) if state is None or d["state"] == state][:limit]

    async def open_received_before(self, before: datetime) -> list[tuple[str, datetime]]:
        return sorted((t.number, t.received_at) for t in self.work.tickets.values()
                      if t.is_open and t.received_at < before)

    async def retry(self, delivery_id: int, now: datetime) -> bool:
        for d in self.work.deliveries:
            if d["id"] == delivery_id and d["state"] == DEAD:
                d.update(state=PENDING, attempts=0, recorded=0, next_attempt_at=now, last_error="")
                return True
        return False


class RecordingSink:
    """A sink that records every batch and answers from a script (default: sent)."""

    def __init__(self, name: str, batch_size: int = 100) -> None:
        self.name, self.batch_size = name, batch_size
        self.batches: list[list[Outgoing]] = []
        self.script: list[Callable[[Outgoing], Outcome]] = []
        self.already: set[str] = set()

    @property
    def sent(self) -> list[Outgoing]:
        return [m for batch in self.batches for m in batch]

    async def send(self, batch: Sequence[Outgoing]) -> list[Outcome]:
        self.batches.append(list(batch))
        answer = self.script.pop(0) if self.script else (lambda m: Sent(m.key))
        return [answer(m) for m in batch]

    async def sent_before(self, batch: Sequence[Outgoing]) -> set[str]:
        return {m.key for m in batch} & self.already


class FakeAlerts(_Repo):
    """The staff alerts' port in memory (``storage.alerts`` on a real database)."""

    def _open(self) -> list[Ticket]:
        return sorted((t for t in self.work.tickets.values() if t.is_open), key=lambda t: (t.due_at, t.id or 0))

    async def exclusive(self) -> None:
        pass  # one fake database, one task at a time

    async def unscheduled(self) -> list[LadderTicket]:
        for number in [n for n in self.work.schedules if not self.work.tickets[n].is_open]:
            del self.work.schedules[number]
        return [LadderTicket(t.number, t.department, t.received_at, t.due_at) for t in self._open()
                if (s := self.work.schedules.get(t.number)) is None or (s.due_at, s.department) != (t.due_at,
                                                                                                  t.department)]

    async def schedule(self, schedules: Sequence[Schedule]) -> None:
        self.work.schedules.update({s.number: s for s in schedules})

    async def warn(self, kind: str, now: datetime) -> int:
        queued = 0
        for number, s in list(self.work.schedules.items()):
            t, came = self.work.tickets[number], [p for p in s.steps if p.at <= now]
            if not came or t.status is Status.SUPPLEMENT_REQUESTED:
                continue
            if s.due_at == t.due_at:
                queued += await FakeOutbox(self.work).put(kind, {
                    "number": number, "department": t.department, "step": came[-1].step,
                    "escalate": came[-1].step == "overdue", "due_at": s.due_at.isoformat(), "at": now.isoformat(),
                }, dedupe_key=f"ladder:{number}:{came[-1].step}@{s.due_key}")
            self.work.schedules[number] = replace(s, steps=tuple(p for p in s.steps if p.at > now))
        return queued

    async def queue(self, kind: str, items: Sequence[tuple[dict[str, Any], str]]) -> int:
        return sum([await FakeOutbox(self.work).put(kind, payload, dedupe_key=key) for payload, key in items])

    async def queued(self, keys: Sequence[str]) -> bool:
        return any(r["dedupe_key"] in keys for r in self.work.outbox)

    async def load(self, now: datetime, soon: datetime, department: str | None = None) -> list[Load]:
        by: dict[str, list[Ticket]] = {}
        for t in self._open():
            if department is None or t.department == department:
                by.setdefault(t.department, []).append(t)
        return [Load(key, len(ts), sum(now <= t.due_at <= soon for t in ts), sum(t.due_at < now for t in ts))
                for key, ts in sorted(by.items())]

    async def due_by(self, after: datetime, before: datetime, per_department: int,
                     department: str | None = None) -> list[OpenTicket]:
        seen: dict[str, int] = {}
        found = []
        for t in self._open():
            if after <= t.due_at < before and (department is None or t.department == department):
                seen[t.department] = seen.get(t.department, 0) + 1
                if seen[t.department] <= per_department:
                    found.append(_light(t))
        return found

    async def assigned(self, assignee: str, limit: int) -> list[OpenTicket]:
        return [_light(t) for t in self._open() if t.assignee == assignee][:limit]

    async def thread(self, number: str) -> Thread | None:
        return self.work.threads.get(number)

    async def remember_thread(self, number: str, thread: Thread) -> None:
        self.work.threads[number] = thread


def _light(t: Ticket) -> OpenTicket:
    return OpenTicket(t.number, t.department, t.status.value, t.assignee, t.due_at, t.due_date_only)


class FakeInbound(_Repo):
    async def first_time(self, channel: str, key: str) -> bool:
        if (channel, key) in self.work.inbound:
            return False
        self.work.inbound.add((channel, key))
        return True


class FakeRemedies(_Repo):
    async def add(self, remedy: Remedy) -> Remedy:
        remedy.id = len(self.work.remedies) + 1
        self.work.remedies[remedy.id] = copy.deepcopy(remedy)
        return remedy

    async def get(self, remedy_id: int) -> Remedy | None:
        found = self.work.remedies.get(remedy_id)
        return copy.deepcopy(found) if found else None

    async def save(self, remedy: Remedy) -> None:
        assert remedy.id is not None
        if self.work.remedies[remedy.id].version != remedy.version:
            raise ConcurrentUpdate(f"remedy {remedy.id}")
        remedy.version += 1
        self.work.remedies[remedy.id] = copy.deepcopy(remedy)

    async def list(self, *, status: RemedyStatus | None = None, number: str | None = None,
                   limit: int | None = 500) -> list[Remedy]:
        found = [copy.deepcopy(m) for m in reversed(self.work.remedies.values())
                 if (status is None or m.status is status) and (number is None or m.number == number)]
        return found if limit is None else found[:limit]


class FakeSurveys(_Repo):
    async def add(self, survey: Survey) -> bool:
        if survey.number in self.work.surveys:
            return False
        survey.id = len(self.work.surveys) + 1
        self.work.surveys[survey.number] = copy.deepcopy(survey)
        return True

    async def by_token(self, token_hash: str) -> Survey | None:
        found = next((s for s in self.work.surveys.values() if s.token_hash == token_hash), None)
        return copy.deepcopy(found) if found else None

    async def by_number(self, number: str) -> Survey | None:
        found = self.work.surveys.get(number)
        return copy.deepcopy(found) if found else None

    async def save(self, survey: Survey) -> bool:
        stored = self.work.surveys[survey.number]
        if stored.rated and survey.follow_up is stored.follow_up:
            return False
        self.work.surveys[survey.number] = copy.deepcopy(survey)
        return True

    async def rated_between(self, start: datetime, end: datetime) -> list[tuple[Survey, str, str]]:
        found = sorted((s for s in self.work.surveys.values()
                        if s.rated_at is not None and start <= s.rated_at < end), key=lambda s: s.rated_at or start)
        return [(copy.deepcopy(s), self.work.tickets[s.number].department,
                 self.work.tickets[s.number].voc_type.value) for s in found]


class FakeUnitOfWork:
    """Works on a copy of the store; ``commit`` publishes the copy, leaving without it discards it."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def __aenter__(self) -> Self:
        self.work = copy.deepcopy(self.store)
        self.tickets = FakeTickets(self.work, lambda: self.outbox)
        self.customers = FakeCustomers(self.work)
        self.conversations = FakeConversations(self.work)
        self.outbox = FakeOutbox(self.work)
        self.inbound = FakeInbound(self.work)
        self.handoffs = FakeHandoffs(self.work)
        self.deliveries = FakeDeliveries(self.work)
        self.alerts = FakeAlerts(self.work)
        self.remedies = FakeRemedies(self.work)
        self.surveys = FakeSurveys(self.work)
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
    def __init__(self, work: Store, races: Races, outbox: Callable[[], FakeOutbox] | None = None) -> None:
        super().__init__(work, outbox)
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
        self.tickets = _RacingTickets(self.work, self.races, lambda: self.outbox)
        return self


class _BrokenOutbox(FakeOutbox):
    async def put(self, kind: str, payload: dict[str, Any], *, dedupe_key: str | None = None,
                  available_at: datetime | None = None) -> bool:
        raise ConnectionResetError("the database went away")


class BrokenOutboxUnitOfWork(FakeUnitOfWork):
    """The database fails on the outbox write, after the ticket or hand-off was written in the same unit of
    work (which is then never committed)."""

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.outbox = _BrokenOutbox(self.work)
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
