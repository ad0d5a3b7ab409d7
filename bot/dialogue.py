"""The channel-neutral VOC dialogue, one turn at a time.

Each turn runs in one unit of work: the customer, the stored conversation state, any ticket change
and the outbox rows it causes are committed together, so a restart in the middle of a conversation
loses nothing and a notification is never sent for a change that was rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.classification import Candidate, Classification, Classifier, VocType
from bot.clock import Clock
from bot.config import Settings
from bot.customers import ConversationState, Customer
from bot.errors import ConcurrentUpdate
from bot.messages import Choice, Inbound, Reply, clean_text
from bot.pii import normalize_mobile
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.routing import Route, RoutingTable
from bot.texts import STATUS_EN, VOC_TYPE_EN, english_due, guess_locale, korean_due, text
from bot.tickets import Ticket
from bot.workcalendar import WorkCalendar

CONSENT_VERSION = "2026-11"
NEW, CONSENT, IDLE = "new", "consent", "idle"
CONFIRM, PICK, PICK_TYPE, CONTACT, APPEND, CANCEL = (
    "confirm", "pick", "pick_type", "contact", "append", "cancel",
)
DRAFT_STEPS = frozenset({CONFIRM, PICK, PICK_TYPE, CONTACT, APPEND})
_YES = frozenset({"네", "예", "응", "ㅇㅇ", "yes", "y", "ok", "okay", "동의", "좋아요"})
_NO = frozenset({"아니요", "아니오", "아뇨", "no", "n", "ㄴㄴ"})
UNSAVED_TEXT_CHARS = 12  # a message this long before consent was probably the VOC itself
_ALIASES = {"도움말": "/help", "취소": "/cancel", "상태": "/status", "처음으로": "/start"}


@dataclass
class DialogueDeps:
    uow: UnitOfWorkFactory
    classifier: Classifier
    routing: RoutingTable
    calendar: WorkCalendar
    clock: Clock
    settings: Settings


class Dialogue:
    def __init__(self, deps: DialogueDeps) -> None:
        self.deps = deps

    async def handle(self, msg: Inbound, *, attempts: int = 3) -> list[Reply]:
        """Answer one customer message; an already-handled ``message_key`` gets no answer.

        A turn that lost a race on a ticket (``ConcurrentUpdate``: staff changed it meanwhile) was rolled
        back whole, so it is simply run again on the fresh state."""
        for attempt in range(1, attempts + 1):
            try:
                return await self._turn(msg)
            except ConcurrentUpdate:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    async def _turn(self, msg: Inbound) -> list[Reply]:
        async with self.deps.uow() as uow:
            if msg.message_key and not await uow.inbound.first_time(msg.channel, msg.message_key):
                return []
            customer = await uow.customers.get_or_create(
                msg.channel, msg.user_id, locale=msg.locale if msg.locale in ("ko", "en") else "ko",
            )
            assert customer.id is not None
            state = await uow.conversations.load(customer.id) or ConversationState()
            turn = _Turn(self.deps, uow, customer, state, self.deps.clock.now())
            replies = await turn.run(msg)
            state.updated_at = turn.now
            await uow.conversations.save(customer.id, state)
            await uow.customers.save(customer)
            await uow.commit()
        return replies


class _Turn:
    def __init__(self, deps: DialogueDeps, uow: UnitOfWork, customer: Customer,
                 state: ConversationState, now: datetime) -> None:
        self.deps, self.uow, self.customer, self.state, self.now = deps, uow, customer, state, now
        self.settings = deps.settings
        self.replies: list[Reply] = []

    # -- plumbing -------------------------------------------------------------------------------
    @property
    def locale(self) -> str:
        return self.customer.locale

    def say(self, key: str, *choices: Choice, **values: object) -> None:
        self.replies.append(Reply(text(self.locale, key, **values), tuple(choices)))

    def ask(self, step: str, key: str, *choices: Choice, **values: object) -> None:
        self.state.step = step
        self.state.data["choices"] = [[c.id, c.label] for c in choices]
        self.say(key, *choices, **values)

    def choice(self, key: str, cid: str, **values: object) -> Choice:
        return Choice(cid, text(self.locale, key, **values))

    def _as_choice(self, msg: Inbound, typed: str) -> str | None:
        if msg.choice:
            return msg.choice
        offered: list[list[str]] = self.state.data.get("choices", [])
        if not offered or not typed:
            return None
        low = typed.casefold()
        for cid, label in offered:
            if low == label.casefold():
                return cid
        if typed.isdigit() and 1 <= int(typed) <= len(offered):
            return offered[int(typed) - 1][0]
        if self.state.step in (CONSENT, CONFIRM, CANCEL):
            if low in _YES:
                return offered[0][0]
            if low in _NO and len(offered) > 1:
                return offered[1][0]
        return None

    # -- the turn -------------------------------------------------------------------------------
    async def run(self, msg: Inbound) -> list[Reply]:
        typed = clean_text(msg.text)
        if len(msg.text) > self.settings.dialogue.max_text_chars:
            self.customer.locale = guess_locale(msg.text[:500], self.locale) or self.locale
            self.say("too_long", length=len(msg.text), limit=self.settings.dialogue.max_text_chars)
            return self.replies
        cid = self._as_choice(msg, typed)
        if cid is None and not typed.startswith("/"):
            self.customer.locale = guess_locale(typed, self.locale) or self.locale
        command = _ALIASES.get(typed, typed) if not cid else ""
        if command.startswith("/"):
            await self.command(command)
        elif not self.customer.has_consent:
            self.consent(cid, msg)
        elif cid is not None:
            await self.on_choice(cid)
        elif self.state.step == CONTACT:
            await self.on_contact(typed)
        elif self.state.step in (CONFIRM, PICK, PICK_TYPE, APPEND, CANCEL) and len(typed) < 8:
            self.say("choose_listed", *self._offered())
        else:
            await self.on_text(typed)
        return self.replies

    def _offered(self) -> list[Choice]:
        return [Choice(cid, label) for cid, label in self.state.data.get("choices", [])]

    def consent(self, cid: str | None, msg: Inbound) -> None:
        if cid == "consent:yes":
            self.customer.consent_at, self.customer.consent_version = self.now, CONSENT_VERSION
            self.customer.display_name = msg.display_name[:100]
            unsaved = self.state.data.get("unsaved_text", False)
            self.state.data = {}
            self.state.step = IDLE
            self.say("resend" if unsaved else "ask_text")
            return
        if cid == "consent:no":
            self.state.data = {}
            self.state.step = NEW
            self.say("consent_declined")
            return
        if len(clean_text(msg.text)) >= UNSAVED_TEXT_CHARS:
            self.state.data["unsaved_text"] = True  # only the fact, never the text: there is no consent yet
        self.say("greeting", institution=self._institution())
        self.ask(CONSENT, "consent", self.choice("consent_yes", "consent:yes"),
                 self.choice("consent_no", "consent:no"),
                 retention=self.settings.institution.privacy_retention)

    def _institution(self) -> str:
        inst = self.settings.institution
        return inst.name_en if self.locale == "en" else inst.name

    async def command(self, command: str) -> None:
        name, _, arg = command.partition(" ")
        name = name.split("@", 1)[0].lower()
        if name == "/start":
            self.state.data = {}
            if self.customer.has_consent:
                self.state.step = IDLE
                self.say("greeting", institution=self._institution())
                self.say("ask_text")
            else:
                self.consent(None, Inbound("", ""))
        elif name == "/help":
            self.say("help")
        elif name == "/status":
            await self.status(arg.strip().upper())
        elif name == "/cancel":
            await self.cancel(arg.strip().upper())
        else:
            self.say("help")

    # -- VOC text ---------------------------------------------------------------------------------
    async def on_text(self, typed: str) -> None:
        if not typed:
            self.say("empty")
            return
        found = self.deps.classifier.classify(typed)
        if found.voc_type is None or found.intent not in self.deps.routing:
            if found.voc_type is not None:
                found = _as_route(found, self.deps.routing.default_for(found.voc_type))
            else:
                await self.dialogue_intent(found.intent, typed)
                return
        self.state.data = {"draft": {"text": typed, "classification": found.as_dict()},
                           "failures": self.state.data.get("failures", 0)}
        open_tickets = await self.uow.tickets.list(customer_id=self.customer.id, open_only=True, limit=1)
        if open_tickets:
            number = open_tickets[0].number
            self.ask(APPEND, "append_ask", self.choice("append_to", f"append:{number}", number=number),
                     self.choice("append_new", "append:new"), number=number)
            return
        self.offer()

    async def dialogue_intent(self, intent: str, typed: str) -> None:
        if intent == "greet":
            self.state.step = IDLE
            self.say("greeting", institution=self._institution())
            self.say("ask_text")
        elif intent == "goodbye":
            self.state.step = IDLE
            self.say("goodbye")
        elif intent == "human_handoff":
            await self.handoff(typed)
        elif intent == "check_status":
            await self.status("")
        else:
            await self.failed(typed)

    async def failed(self, typed: str) -> None:
        failures = int(self.state.data.get("failures", 0)) + 1
        self.state.data["failures"] = failures
        if failures > self.settings.dialogue.max_failures:
            await self.handoff(typed)
        else:
            self.state.step = IDLE
            self.say("out_of_scope")

    async def handoff(self, typed: str) -> None:
        await self.uow.outbox.put("handoff", {
            "customer_id": self.customer.id, "channel": self.customer.channel, "text": typed,
            "at": self.now.isoformat(),
        })
        self.state.data = {}
        self.state.step = IDLE
        self.say("handoff", hours=", ".join(self.settings.calendar.work_windows))

    def offer(self) -> None:
        """Confirm a confident classification; otherwise let the customer choose (two-stage fallback)."""
        found = Classification.from_dict(self.state.data["draft"]["classification"])
        route = self.deps.routing.route(found.intent)
        runner_up = next((c.confidence for c in found.alternatives if c.intent != found.intent), 0.0)
        sure = found.source == "rule" or (
            found.confidence >= self.settings.dialogue.confirm_threshold
            and found.confidence - runner_up >= self.settings.dialogue.margin
        )
        if sure:
            self.ask(CONFIRM, "understood", self.choice("confirm_yes", "confirm:yes"),
                     self.choice("confirm_other", "confirm:other"),
                     voc_type=self._type_label(route.voc_type), label=self._label(route))
        else:
            self.pick(found, exclude=None)

    def pick(self, found: Classification, exclude: str | None) -> None:
        seen: list[str] = []
        for cand in (Candidate(found.intent, found.voc_type, found.confidence), *found.alternatives):
            if cand.intent in self.deps.routing and cand.intent not in seen and cand.intent != exclude:
                seen.append(cand.intent)
        if not seen:
            self.pick_type()
            return
        routes = [self.deps.routing.route(i) for i in seen[:3]]
        choices = [Choice(f"pick:{r.intent}", f"{self._type_label(r.voc_type)} · {self._label(r)}")
                   for r in routes]
        self.ask(PICK, "pick", *choices, self.choice("pick_none", "pick:none"))

    def pick_type(self) -> None:
        types = [t for t in VocType if self.deps.routing.intents_of(t)]
        self.ask(PICK_TYPE, "pick_type", *[Choice(f"type:{t.value}", self._type_label(t)) for t in types],
                 Choice("handoff", "상담원 연결" if self.locale != "en" else "Talk to a person"))

    async def on_choice(self, cid: str) -> None:
        kind, _, value = cid.partition(":")
        draft: dict[str, Any] = self.state.data.get("draft") or {}
        if kind in ("confirm", "pick", "type", "contact", "append") and not draft:
            self.state.step = IDLE
            self.say("ask_text")
            return
        if cid == "confirm:yes":
            await self.after_intent(Classification.from_dict(draft["classification"]).intent)
        elif cid == "confirm:other":
            found = Classification.from_dict(draft["classification"])
            self.pick(found, exclude=found.intent) if found.alternatives else self.pick_type()
        elif cid == "pick:none":
            self.state.data["failures"] = int(self.state.data.get("failures", 0)) + 1
            self.pick_type()
        elif kind == "pick" and value in self.deps.routing:
            await self.after_intent(value)
        elif kind == "type" and value in VocType.__members__.values():
            await self.after_intent(self.deps.routing.default_for(VocType(value)).intent)
        elif cid == "handoff":
            await self.handoff(draft["text"] if draft else "")
        elif cid == "contact:skip":
            await self.open_ticket()
        elif cid == "append:new":
            self.offer()
        elif kind == "append":
            await self.append(value, draft["text"])
        elif kind == "cancelpick":
            self.ask(CANCEL, "cancel_ask", self.choice("cancel_yes", f"cancel:{value}"),
                     self.choice("cancel_keep", f"keep:{value}"), number=value)
        elif kind == "cancel":
            await self.withdraw(value)
        elif kind == "keep":
            self.state.step, self.state.data = IDLE, {}
            self.say("cancel_kept", number=value)
        elif kind == "consent":
            self.state.step = IDLE
            self.say("ask_text")
        else:
            self.say("choose_listed", *self._offered())

    async def after_intent(self, intent: str) -> None:
        self.state.data["draft"]["intent"] = intent
        if self.settings.dialogue.ask_contact and not self.customer.phone:
            self.ask(CONTACT, "ask_contact", self.choice("contact_skip", "contact:skip"))
        else:
            await self.open_ticket()

    async def on_contact(self, typed: str) -> None:
        phone = normalize_mobile(typed)
        if phone is None:
            self.say("contact_invalid", *self._offered())
            return
        self.customer.phone = phone
        await self.open_ticket()

    async def open_ticket(self) -> None:
        draft = self.state.data["draft"]
        route = self.deps.routing.route(draft["intent"])
        found = Classification.from_dict(draft["classification"])
        ticket = Ticket.open(
            customer_id=self.customer.id or 0, channel=self.customer.channel, voc_type=route.voc_type,
            intent=route.intent, department=route.department, text=draft["text"], received_at=self.now,
            policy=route.period, calendar=self.deps.calendar, actor=f"customer:{self.customer.id}",
            contact_phone=self.customer.phone,
            confidence=found.confidence if found.intent == route.intent else 0.0,
        )
        ticket = await self.uow.tickets.add(ticket)
        await self.uow.outbox.put("ticket_opened", {
            "number": ticket.number, "department": route.department, "due_at": ticket.due_at.isoformat(),
        }, dedupe_key=f"opened:{ticket.number}")
        self.state.step, self.state.data = IDLE, {}
        self.say("opened", number=ticket.number, voc_type=self._type_label(route.voc_type),
                 label=self._label(route), department=self._department(route), due=self._due(ticket))
        if route.remedy:
            self.say("remedy", remedy=route.remedy)

    async def append(self, number: str, typed: str) -> None:
        ticket = await self.uow.tickets.get(number)
        if ticket is None or ticket.customer_id != self.customer.id or not ticket.is_open:
            self.offer()
            return
        ticket.add_customer_message(self.now, f"customer:{self.customer.id}", typed)
        await self.uow.tickets.save(ticket)
        await self.uow.outbox.put("customer_message", {"number": number, "at": self.now.isoformat()})
        self.state.step, self.state.data = IDLE, {}
        self.say("appended", number=number)

    # -- status and cancel -------------------------------------------------------------------------
    async def status(self, number: str) -> None:
        if number:
            ticket = await self.uow.tickets.get(number)
            if ticket is None or ticket.customer_id != self.customer.id:
                self.say("status_unknown", number=number)
            else:
                self.say_status(ticket)
            return
        tickets = await self.uow.tickets.list(customer_id=self.customer.id, open_only=True)
        if not tickets:
            self.say("status_none")
        for ticket in tickets:
            self.say_status(ticket)

    def say_status(self, ticket: Ticket) -> None:
        route = self.deps.routing.route(ticket.intent) if ticket.intent in self.deps.routing else None
        self.say(
            "status_line", number=ticket.number,
            status=STATUS_EN[ticket.status.value] if self.locale == "en" else ticket.status.label_ko,
            voc_type=self._type_label(ticket.voc_type), label=self._label(route) if route else ticket.intent,
            department=self._department(route) if route else ticket.department, due=self._due(ticket),
        )

    async def cancel(self, number: str) -> None:
        if self.state.step in DRAFT_STEPS and not number:
            self.state.step, self.state.data = IDLE, {}
            self.say("cancel_draft")
            return
        tickets = await self.uow.tickets.list(customer_id=self.customer.id, open_only=True)
        if number:
            tickets = [t for t in tickets if t.number == number]
        if not tickets:
            self.state.step = IDLE
            self.say("cancel_nothing")
        elif len(tickets) == 1:
            n = tickets[0].number
            self.ask(CANCEL, "cancel_ask", self.choice("cancel_yes", f"cancel:{n}"),
                     self.choice("cancel_keep", f"keep:{n}"), number=n)
        else:
            self.ask(CANCEL, "cancel_which", *[Choice(f"cancelpick:{t.number}", t.number) for t in tickets])

    async def withdraw(self, number: str) -> None:
        ticket = await self.uow.tickets.get(number)
        self.state.step, self.state.data = IDLE, {}
        if ticket is None or ticket.customer_id != self.customer.id or not ticket.is_open:
            self.say("cancel_nothing")
            return
        ticket.withdraw(self.now, f"customer:{self.customer.id}", "customer withdrew")
        await self.uow.tickets.save(ticket)
        await self.uow.outbox.put("ticket_withdrawn", {"number": number, "at": self.now.isoformat()},
                                  dedupe_key=f"withdrawn:{number}")
        self.say("cancel_done", number=number)

    # -- wording ------------------------------------------------------------------------------------
    def _type_label(self, voc_type: VocType) -> str:
        return VOC_TYPE_EN[voc_type.value] if self.locale == "en" else voc_type.label_ko

    def _label(self, route: Route) -> str:
        return route.label_en if self.locale == "en" else route.label

    def _department(self, route: Route) -> str:
        return route.department_name_en if self.locale == "en" else route.department_name

    def _due(self, ticket: Ticket) -> str:
        tz = self.deps.calendar.tz
        fmt = english_due if self.locale == "en" else korean_due
        return fmt(ticket.due_at, ticket.due_date_only, tz)


def _as_route(found: Classification, route: Route) -> Classification:
    return replace(found, intent=route.intent, voc_type=route.voc_type)
