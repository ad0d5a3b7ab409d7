"""VOC actions for a dialogue manager that runs elsewhere (a Rasa assistant): it keeps the conversation,
vocdesk classifies, opens tickets, reports their status and hands the customer to a person.

Each action that writes runs in one unit of work: the customer, the ticket (or hand-off), its outbox row
and the record that the request's message was handled commit together, so a redelivered request opens
nothing twice and a failure half-way leaves nothing behind. Text is redacted (``bot.pii.redact``) before
anything is stored, as in the dialogue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.casework.routing import Route
from bot.casework.tickets import Ticket
from bot.conversation import intake
from bot.conversation.classification import Classification
from bot.conversation.customers import ConversationState, Customer, Handoff
from bot.conversation.dialogue import DialogueDeps
from bot.conversation.messages import clean_text
from bot.conversation.texts import english_due, guess_locale, korean_due
from bot.pii import Kind, Redacted, normalize_mobile, redact
from bot.ports import UnitOfWork
from bot.standard.remedy_desk import plan_remedy, store_remedy
from bot.standard.rules import terms_of

STEP = "assisted"  # the stored conversation step of a customer whose dialogue runs elsewhere
OPENED_KEPT = 50  # message keys remembered per customer, to answer a redelivered request with its ticket
_PII_ORDER = (Kind.RRN, Kind.CARD, Kind.ACCOUNT, Kind.PHONE)
_TICKET_WORD = re.compile(r"VOC", re.IGNORECASE)


@dataclass(frozen=True)
class Ask:
    """What the assistant asks about, already out of its own format. ``message_key`` is one per customer
    message (a redelivered request carries the same); ``intent`` is one the assistant already settled on."""

    user_id: str
    text: str = ""
    message_key: str | None = None
    intent: str | None = None
    number: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Answer:
    """Sentences for the customer and facts for the assistant (``ticket_number``, ``due_date``, ...)."""

    says: tuple[str, ...] = ()
    facts: Mapping[str, object] = field(default_factory=dict)


class _Words:
    """The sentences of one answer, in the customer's language."""

    def __init__(self, deps: DialogueDeps, locale: str) -> None:
        self.deps, self.locale = deps, locale
        self.lines: list[str] = []

    def say(self, key: str, **values: object) -> None:
        self.lines.append(self.deps.texts.text(self.locale, key, **values))

    def note_pii(self, found: frozenset[Kind]) -> None:
        if found:
            kinds = ", ".join(self.deps.texts.text(self.locale, f"pii_{k.value}") for k in _PII_ORDER if k in found)
            self.say("pii_removed", kinds=kinds)

    def answer(self, **facts: object) -> Answer:
        return Answer(tuple(self.lines), facts)

    def label(self, route: Route) -> str:
        return route.label_en if self.locale == "en" else route.label

    def department(self, key: str) -> str:
        dept = self.deps.settings.departments.get(key)
        if dept is None:
            return key
        return (dept.name_en or dept.name) if self.locale == "en" else dept.name

    def due(self, ticket: Ticket) -> str:
        fmt = english_due if self.locale == "en" else korean_due
        return fmt(ticket.due_at, ticket.due_date_only, self.deps.calendar.tz)

    def ticket_facts(self, ticket: Ticket) -> dict[str, object]:
        return {"ticket_number": ticket.number, "due_date": ticket.due_at.astimezone(self.deps.calendar.tz).isoformat(),
                "department": ticket.department}


class AssistedDesk:
    def __init__(self, deps: DialogueDeps, channel: str) -> None:
        self.deps, self.channel = deps, channel

    def _locale(self, text: str, customer: Customer | None = None) -> str:
        return guess_locale(_TICKET_WORD.sub("", text)) or (customer.locale if customer else "ko")

    def _reading(self, text: str) -> tuple[Classification, Route | None]:
        """The classifier's reading of ``text`` and its route, None when it is no VOC (a greeting, ...)."""
        found = self.deps.classifier.classify(text)
        routing = self.deps.routing
        if found.intent in routing:
            return found, routing.route(found.intent)
        return found, routing.default_for(found.voc_type) if found.voc_type is not None else None

    def unavailable(self, ask: Ask) -> Answer:
        """What the customer is told when an action failed (nothing of it was kept)."""
        words = _Words(self.deps, self._locale(clean_text(ask.text)[:500]))
        words.say("rasa.unavailable")
        return words.answer()

    def classify(self, ask: Ask) -> Answer:
        """What the classifier makes of the text. A VOC's words (redacted) are kept as ``text`` for opening,
        unless they are too long to file (opening then says so)."""
        raw = clean_text(ask.text)
        limit = self.deps.settings.dialogue.max_text_chars
        redacted = redact(raw[:limit])
        words = _Words(self.deps, self._locale(redacted.text))
        if not redacted.text:
            return words.answer(voc_type=None, intent=None, confidence=0.0)
        found, route = self._reading(redacted.text)
        confidence = round(found.confidence, 4)
        if route is None:
            return words.answer(voc_type=None, intent=found.intent, confidence=confidence)
        kept = {"text": redacted.text} if len(raw) <= limit else {}
        return words.answer(voc_type=route.voc_type.value, intent=route.intent, confidence=confidence, **kept)

    async def open_ticket(self, ask: Ask) -> Answer:
        """Open a ticket for ``ask.text`` with the assistant's intent (when vocdesk routes it) or the
        classifier's; the deadline follows the intent's policy from now."""
        raw = clean_text(ask.text)
        limit = self.deps.settings.dialogue.max_text_chars
        words = _Words(self.deps, self._locale(raw[:500]))
        if len(raw) > limit:
            words.say("too_long", length=len(raw), limit=limit)
            return words.answer()
        redacted = redact(raw)
        if not redacted.text or intake.has_no_words(redacted.text):
            words.say("rasa.no_text")
            return words.answer()
        found, route = self._reading(redacted.text)
        if ask.intent and ask.intent in self.deps.routing:
            route = self.deps.routing.route(ask.intent)
        if route is None:
            words.say("rasa.not_voc")
            return words.answer()
        async with self.deps.uow() as uow:
            if ask.message_key and not await uow.inbound.first_time(self.channel, f"open:{ask.message_key}"):
                return await self._opened_before(uow, ask, words)
            customer = await self._customer(uow, ask, words.locale)
            now = self.deps.clock.now()
            ticket = Ticket.open(
                customer_id=customer.id or 0, channel=self.channel, voc_type=route.voc_type, intent=route.intent,
                department=route.department, text=redacted.text, received_at=now, policy=route.period,
                calendar=self.deps.calendar, actor=f"customer:{customer.id}", contact_phone=customer.phone,
                confidence=found.confidence if found.intent == route.intent else 0.0,
            )
            remedy = (plan_remedy(ticket, terms_of(self.deps.settings, route.remedy), now, self.deps.calendar)
                      if route.remedy else None)
            await uow.tickets.add(ticket, announce={
                "department": route.department, "due_at": ticket.due_at.isoformat()})
            if remedy is not None:
                await store_remedy(uow, ticket, remedy)
            if ask.message_key:
                await self._remember(uow, customer, ask.message_key, ticket.number)
            await uow.commit()
        words.note_pii(redacted.found)
        self._say_opened(words, ticket, route)
        return words.answer(**words.ticket_facts(ticket), text=None, intent=None)

    def _say_opened(self, words: _Words, ticket: Ticket, route: Route) -> None:
        words.say("rasa.opened", number=ticket.number, voc_type=self.deps.texts.text(
            words.locale, f"voc_type.{route.voc_type.value}"), label=words.label(route),
            department=words.department(route.department), due=words.due(ticket))
        if self.deps.texts.has(f"remedy.{route.intent}"):
            words.say(f"remedy.{route.intent}")

    async def _customer(self, uow: UnitOfWork, ask: Ask, locale: str) -> Customer:
        # locked: an action has no retry loop, and two actions of one person at once must take turns
        customer = await uow.customers.get_or_create(self.channel, ask.user_id, locale=locale, lock=True)
        customer.locale = locale
        phone = normalize_mobile(ask.phone or "")
        if phone:
            customer.phone = phone
        await uow.customers.save(customer)
        return customer

    async def _remember(self, uow: UnitOfWork, customer: Customer, key: str, number: str) -> None:
        assert customer.id is not None
        state = await uow.conversations.load(customer.id) or ConversationState(step=STEP)
        opened: dict[str, str] = state.data.get("opened", {})
        opened[key] = number
        state.data["opened"] = dict(list(opened.items())[-OPENED_KEPT:])
        state.updated_at = self.deps.clock.now()
        await uow.conversations.save(customer.id, state)

    async def _opened_before(self, uow: UnitOfWork, ask: Ask, words: _Words) -> Answer:
        """A redelivered request: the ticket its first delivery opened, said again."""
        customer = await uow.customers.get_or_create(self.channel, ask.user_id)
        state = await uow.conversations.load(customer.id or 0)
        number = (state.data.get("opened", {}) if state else {}).get(ask.message_key)
        ticket = await uow.tickets.get(number) if number else None
        if ticket is None or ticket.intent not in self.deps.routing:
            words.say("rasa.already_handled")
            return words.answer()
        self._say_opened(words, ticket, self.deps.routing.route(ticket.intent))
        return words.answer(**words.ticket_facts(ticket), text=None, intent=None)

    async def status(self, ask: Ask) -> Answer:
        """The status and due date of the customer's ticket named in ``ask.text``, else by ``ask.number``."""
        year = self.deps.clock.now().astimezone(self.deps.calendar.tz).year
        text = clean_text(ask.text)
        number = (intake.number_in(text) or intake.ticket_number(text, year)
                  or intake.ticket_number(ask.number or "", year))
        async with self.deps.uow() as uow:  # read only: never committed
            customer = await uow.customers.get_or_create(self.channel, ask.user_id)
            words = _Words(self.deps, self._locale(text, customer))
            if number is None:
                words.say("rasa.ask_number")
                return words.answer()
            ticket = await uow.tickets.get(number)
        if ticket is None or ticket.customer_id != customer.id:
            words.say("status_unknown", number=number)
            return words.answer()
        self._say_status(words, ticket)
        return words.answer(**words.ticket_facts(ticket), status=ticket.status.value)

    def _say_status(self, words: _Words, ticket: Ticket) -> None:
        routing = self.deps.routing
        label = words.label(routing.route(ticket.intent)) if ticket.intent in routing else ticket.intent
        words.say("status_paused" if ticket.paused_since else "status_line", number=ticket.number,
                  status=self.deps.texts.text(words.locale, f"status.{ticket.status.value}"),
                  voc_type=self.deps.texts.text(words.locale, f"voc_type.{ticket.voc_type.value}"), label=label,
                  department=words.department(ticket.department), due=words.due(ticket))
        if ticket.supplement_request:
            words.say("rasa.status_supplement", request=ticket.supplement_request)
        if ticket.answer and not ticket.is_open:
            words.say("status_answer", answer=ticket.answer)

    async def handoff(self, ask: Ask) -> Answer:
        """Mark the customer for a person: a hand-off and its staff alert (an outbox row), once per message."""
        redacted: Redacted = redact(clean_text(ask.text)[: self.deps.settings.dialogue.max_text_chars])
        words = _Words(self.deps, self._locale(redacted.text))
        hours = ", ".join(self.deps.settings.calendar.work_windows)
        async with self.deps.uow() as uow:
            if ask.message_key and not await uow.inbound.first_time(self.channel, f"handoff:{ask.message_key}"):
                words.say("handoff", hours=hours)
                return words.answer(handoff=True)
            customer = await self._customer(uow, ask, words.locale)
            now = self.deps.clock.now()
            handoff = await uow.handoffs.add(Handoff(customer_id=customer.id or 0, channel=self.channel,
                                                     text=redacted.text, step=STEP, at=now))
            await uow.outbox.put("handoff", {
                "handoff_id": handoff.id, "customer_id": customer.id, "channel": self.channel,
                "text": redacted.text, "step": STEP, "at": now.isoformat(),
            }, dedupe_key=f"handoff:{handoff.id}")
            await uow.commit()
        words.note_pii(redacted.found)
        words.say("handoff", hours=hours)
        return words.answer(handoff=True)
