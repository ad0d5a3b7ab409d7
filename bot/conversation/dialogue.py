"""The channel-neutral VOC dialogue, one turn at a time.

Each turn runs in one unit of work: the customer, the stored conversation state, any ticket change
and the outbox rows it causes are committed together, so a restart in the middle of a conversation
loses nothing and a notification is never sent for a change that was rolled back.

Personal numbers are redacted (``bot.pii.redact``) before any text is stored: in a draft, a ticket, an
appended message or a hand-off. Only the contact number the customer gives for notices is kept whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.casework.routing import Route, RoutingTable
from bot.casework.tickets import Status, Ticket
from bot.casework.workcalendar import WorkCalendar
from bot.clock import Clock
from bot.config import Settings
from bot.conversation import intake
from bot.conversation.classification import Candidate, Classification, Classifier, VocType
from bot.conversation.customers import ConversationState, Customer, Handoff
from bot.conversation.messages import EXPECTS_PHONE, Choice, Inbound, Reply, clean_text
from bot.conversation.texts import Catalog, builtin, english_due, guess_locale, korean_due
from bot.errors import ConcurrentUpdate, DatabaseBusy, SurveyRefused
from bot.pii import Kind, normalize_mobile, redact
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.standard import survey
from bot.standard.remedies import Remedy
from bot.standard.remedy_desk import plan_remedy, store_remedy
from bot.standard.rules import terms_of
from bot.standard.survey_desk import rate_in, reopen_in

CONSENT_VERSION = "2026-11"
NEW, CONSENT, IDLE = "new", "consent", "idle"
CONFIRM, PICK, PICK_TYPE, CONTACT, APPEND, CANCEL, TWO = (
    "confirm", "pick", "pick_type", "contact", "append", "cancel", "two",
)
DRAFT_STEPS = frozenset({CONFIRM, PICK, PICK_TYPE, CONTACT, APPEND, TWO})
CHOICE_STEPS = frozenset({CONFIRM, PICK, PICK_TYPE, APPEND, CANCEL, TWO})
_YES = frozenset({"네", "예", "응", "ㅇㅇ", "yes", "y", "ok", "okay", "동의", "좋아요"})
_NO = frozenset({"아니요", "아니오", "아뇨", "no", "n", "ㄴㄴ"})
UNSAVED_TEXT_CHARS = 12  # a message this long before consent was probably the VOC itself
HANDOFF_CONFIDENCE = 0.6  # a model (not rule) reading of "talk to a person" must be at least this sure
HANDOFF_MAX_CHARS = 60  # longer texts are matters to file, even if they mention a person
STATUS_RECENT = timedelta(days=30)  # answered cases shown by a bare /status
_ALIASES = {"도움말": "/help", "취소": "/cancel", "상태": "/status", "처음으로": "/start"}
_PII_ORDER = (Kind.RRN, Kind.CARD, Kind.ACCOUNT, Kind.PHONE)
_CONVERSATIONAL = frozenset({"greet", "goodbye", "human_handoff", "check_status"})


@dataclass
class DialogueDeps:
    uow: UnitOfWorkFactory
    classifier: Classifier
    routing: RoutingTable
    calendar: WorkCalendar
    clock: Clock
    settings: Settings
    texts: Catalog = field(default_factory=builtin)


class Dialogue:
    def __init__(self, deps: DialogueDeps) -> None:
        self.deps = deps

    async def handle(self, msg: Inbound, *, attempts: int = 3) -> list[Reply]:
        """Answer one customer message; an already-handled ``message_key`` gets no answer.

        A turn that lost a race (``ConcurrentUpdate``: staff changed its ticket meanwhile, or another message
        of the same customer moved the conversation on) was rolled back whole, so it is simply run again on
        the fresh state, holding the customer's lock this time so another message cannot overtake it again."""
        for attempt in range(1, attempts + 1):
            try:
                return await self._turn(msg, lock=attempt > 1)
            except ConcurrentUpdate:
                if attempt == attempts:
                    raise
            except DatabaseBusy:
                # Nothing of this turn was stored (not even its message key): the customer may simply resend.
                locale = msg.locale if msg.locale in ("ko", "en") else guess_locale(msg.text) or "ko"
                return [Reply(self.deps.texts.text(locale, "busy"))]
        raise AssertionError("unreachable")

    async def _turn(self, msg: Inbound, *, lock: bool) -> list[Reply]:
        async with self.deps.uow() as uow:
            if msg.message_key and not await uow.inbound.first_time(msg.channel, msg.message_key):
                return []
            customer = await uow.customers.get_or_create(
                msg.channel, msg.user_id, locale=msg.locale if msg.locale in ("ko", "en") else "ko", lock=lock,
            )
            assert customer.id is not None
            state = await uow.conversations.load(customer.id) or ConversationState()
            turn = _Turn(self.deps, uow, customer, state, self.deps.clock.now())
            await turn.run(msg)
            state.updated_at = turn.now
            await uow.conversations.save(customer.id, state)
            await uow.customers.save(customer)
            await turn.number_new_tickets()
            await uow.commit()
        return turn.marked_replies()


class _Turn:
    def __init__(self, deps: DialogueDeps, uow: UnitOfWork, customer: Customer,
                 state: ConversationState, now: datetime) -> None:
        self.deps, self.uow, self.customer, self.state, self.now = deps, uow, customer, state, now
        self.settings = deps.settings
        self.replies: list[Reply] = []
        self.new_tickets: list[tuple[Ticket, Route, int]] = []
        self.new_remedies: dict[int, Remedy] = {}  # id(ticket) -> the remedy case it opens
        self.pii_found: frozenset[Kind] = frozenset()
        self._classified: dict[str, Classification] = {}

    # -- plumbing -------------------------------------------------------------------------------
    @property
    def locale(self) -> str:
        return self.customer.locale

    def t(self, key: str, **values: object) -> str:
        return self.deps.texts.text(self.locale, key, **values)

    def say(self, key: str, *choices: Choice, **values: object) -> None:
        self.replies.append(Reply(self.t(key, **values), tuple(choices)))

    def ask(self, step: str, key: str, *choices: Choice, **values: object) -> None:
        self.state.step = step
        self.state.data["choices"] = [[c.id, c.label] for c in choices]
        self.say(key, *choices, **values)

    def choice(self, key: str, cid: str, **values: object) -> Choice:
        return Choice(cid, self.t(key, **values))

    def reset(self, step: str = IDLE, **keep: Any) -> None:
        """Forget the draft; keys starting with ``_`` (the language run) outlive it."""
        self.state.step = step
        self.state.data = {k: v for k, v in self.state.data.items() if k.startswith("_")} | keep

    def marked_replies(self) -> list[Reply]:
        """The replies, the last one saying when the conversation now waits for the contact number."""
        if self.state.step != CONTACT or not self.replies:
            return self.replies
        return [*self.replies[:-1], replace(self.replies[-1], expects=EXPECTS_PHONE)]

    def classify(self, text: str) -> Classification:
        if text not in self._classified:
            self._classified[text] = self.deps.classifier.classify(text)
        return self._classified[text]

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
        if self.state.step in (CONSENT, CONFIRM, CANCEL, TWO):
            if low in _YES:
                return offered[0][0]
            if low in _NO and len(offered) > 1:
                return offered[1][0]
        return None

    # -- the turn -------------------------------------------------------------------------------
    async def run(self, msg: Inbound) -> list[Reply]:
        raw = clean_text(msg.text)
        if len(msg.text) > self.settings.dialogue.max_text_chars:
            self.follow_language(msg.text[:500])
            self.say("too_long", length=len(msg.text), limit=self.settings.dialogue.max_text_chars)
            return self.replies
        self.expire_draft()
        cid = self._as_choice(msg, raw)
        if cid is None and not raw.startswith("/") and self.switch_language(raw):
            return self.replies
        if cid is None and not raw.startswith("/"):
            self.follow_language(raw)
        redacted = redact(raw)
        self.pii_found = redacted.found
        typed = redacted.text
        command = _ALIASES.get(raw, raw) if not cid else ""
        if command.startswith("/"):
            await self.command(command)
        elif cid is None and self.wants_person(raw):
            await self.handoff(typed)
        elif not self.customer.has_consent:
            self.consent(cid, msg)
        elif cid is not None:
            await self.on_choice(cid)
        elif self.state.step == CONTACT:
            await self.on_contact(raw)
        elif self.state.step in CHOICE_STEPS and len(typed) < 8:
            self.say("choose_listed", *self._offered())
        else:
            await self.on_text(typed)
        return self.replies

    def _offered(self) -> list[Choice]:
        return [Choice(cid, label) for cid, label in self.state.data.get("choices", [])]

    def expire_draft(self) -> None:
        """A draft left longer than ``draft_ttl_minutes`` is gone (it holds what the customer wrote)."""
        ttl = timedelta(minutes=self.settings.dialogue.draft_ttl_minutes)
        updated = self.state.updated_at
        if self.state.step in DRAFT_STEPS and updated is not None and self.now - updated > ttl:
            self.reset()
            self.say("draft_expired")

    def switch_language(self, raw: str) -> bool:
        wanted = intake.explicit_locale(raw)
        if wanted is None:
            return False
        self.customer.locale = wanted
        self.state.data["_lang_run"] = 0
        self.say("language_set")
        if not self.customer.has_consent:
            self.consent(None, Inbound("", ""))
        elif self.state.step in CHOICE_STEPS | {CONTACT}:
            self.say("choose_listed", *self._offered())
        return True

    def follow_language(self, raw: str) -> None:
        """The language follows the customer, not one message: a first message sets it; afterwards it
        changes after ``language_switch_after`` messages in a row in the other language."""
        guess = guess_locale(raw)
        if guess is None:
            return
        if guess == self.customer.locale:
            self.state.data["_lang_run"] = 0
            return
        if self.state.step == NEW and not self.customer.has_consent:
            self.customer.locale = guess
            return
        run = int(self.state.data.get("_lang_run", 0)) + 1
        if run >= self.settings.dialogue.language_switch_after:
            self.customer.locale, run = guess, 0
        self.state.data["_lang_run"] = run

    def wants_person(self, raw: str) -> bool:
        if not raw or len(raw) > HANDOFF_MAX_CHARS or raw.isdigit() or normalize_mobile(raw):
            return False
        found = self.classify(raw)
        return found.intent == "human_handoff" and (
            found.source == "rule" or found.confidence >= HANDOFF_CONFIDENCE)

    def note_pii(self) -> None:
        """Tell the customer what was taken out of the text we are about to store (once per turn)."""
        if not self.pii_found:
            return
        kinds = ", ".join(self.t(f"pii_{k.value}") for k in _PII_ORDER if k in self.pii_found)
        self.replies.insert(0, Reply(self.t("pii_removed", kinds=kinds)))
        self.pii_found = frozenset()

    def consent(self, cid: str | None, msg: Inbound) -> None:
        if cid == "consent:yes":
            self.customer.consent_at, self.customer.consent_version = self.now, CONSENT_VERSION
            self.customer.display_name = msg.display_name[:100]
            unsaved = self.state.data.get("unsaved_text", False)
            self.reset()
            self.say("resend" if unsaved else "ask_text")
            return
        if cid == "consent:no":
            self.reset(NEW)
            self.say("consent_declined")
            return
        raw = clean_text(msg.text)
        if len(raw) >= UNSAVED_TEXT_CHARS:
            self.state.data["unsaved_text"] = True  # only the fact, never the text: there is no consent yet
        if raw and intake.has_no_words(raw) and intake.sounds_upset(raw):
            self.say("feelings")
        else:
            self.say("greeting", institution=self._institution())
        self.ask(CONSENT, "consent", self.choice("consent_yes", "consent:yes"),
                 self.choice("consent_no", "consent:no"), retention=self._retention())

    def _institution(self) -> str:
        inst = self.settings.institution
        return inst.name_en if self.locale == "en" else inst.name

    def _retention(self) -> str:
        inst = self.settings.institution
        return inst.privacy_retention_en if self.locale == "en" else inst.privacy_retention

    async def command(self, command: str) -> None:
        name, _, arg = command.partition(" ")
        name = name.split("@", 1)[0].lower()
        if name == "/start":
            self.reset()
            if self.customer.has_consent:
                self.say("greeting", institution=self._institution())
                self.say("ask_text")
            else:
                self.consent(None, Inbound("", ""))
        elif name == "/lang" and arg.strip().lower() in ("ko", "en"):
            self.switch_language("english" if arg.strip().lower() == "en" else "한국어")
        elif name == "/status":
            await self.status(arg.strip())
        elif name == "/cancel":
            await self.cancel(arg.strip())
        else:
            self.say("help")

    # -- VOC text ---------------------------------------------------------------------------------
    async def on_text(self, typed: str) -> None:
        if not typed:
            self.say("empty")
            return
        if intake.has_no_words(typed):
            self.say("feelings" if intake.sounds_upset(typed) else "ask_text")
            return
        if intake.wants_withdrawal(typed) and await self._open_tickets():
            await self.cancel("")
            return
        found = self.voc_reading(typed)
        intent = self.classify(typed).intent
        open_tickets = await self._open_tickets()
        waiting = next((t for t in open_tickets if t.status is Status.SUPPLEMENT_REQUESTED), None)
        if found is None and (waiting is None or intent in _CONVERSATIONAL):
            await self.dialogue_intent(intent, typed)
            return
        self.note_pii()
        self.state.data = {k: v for k, v in self.state.data.items() if k.startswith("_")} | {
            "draft": {"text": typed, "classification": found.as_dict() if found else None},
            "failures": self.state.data.get("failures", 0),
        }
        two = self.two_matters(typed, found) if found else []
        if two:
            self.state.data["matters"] = [{"text": text, "classification": c.as_dict()} for text, c in two]
        target = waiting if found is None else self.related_ticket(open_tickets, typed, found)
        if target is not None:
            key, to = ("supplement_ask", "supplement_to") if target.status is Status.SUPPLEMENT_REQUESTED else (
                "append_ask", "append_to")
            self.ask(APPEND, key, self.choice(to, f"append:{target.number}", number=target.number),
                     self.choice("append_new", "append:new"), number=target.number)
            return
        self.proceed()

    def voc_reading(self, text: str) -> Classification | None:
        """The classification of ``text`` as a VOC (an intent of the routing table), or None for a
        dialogue intent (greeting, status question, ...)."""
        found = self.classify(text)
        if found.voc_type is None:
            return None
        if found.intent not in self.deps.routing:
            found = _as_route(found, self.deps.routing.default_for(found.voc_type))
        return found

    def two_matters(self, typed: str, found: Classification) -> list[tuple[str, Classification]]:
        """Two pieces of ``typed`` that each read, with confidence, as a different VOC intent."""
        pieces = intake.matters(typed)
        if len(pieces) < 2:
            return []
        readings: list[tuple[str, Classification]] = []
        for piece in pieces:
            reading = self.voc_reading(piece)
            if reading is not None and reading.confidence >= self.settings.dialogue.confirm_threshold:
                readings.append((piece, reading))
        first = readings[0] if readings else None
        second = next((r for r in readings[1:] if first and r[1].intent != first[1].intent), None)
        return [first, second] if first and second else []

    def related_ticket(self, tickets: list[Ticket], typed: str, found: Classification) -> Ticket | None:
        """The open ticket this message may belong to (worth asking about), or None for a new matter."""
        if not tickets:
            return None
        quoted = intake.number_in(typed)
        for t in tickets:
            if t.number == quoted or t.status is Status.SUPPLEMENT_REQUESTED:
                return t
        if intake.follows_up(typed):
            return tickets[0]
        near = {found.intent} | {c.intent for c in found.alternatives[:2]}
        return next((t for t in tickets if t.voc_type is found.voc_type and t.intent in near), None)

    async def _open_tickets(self) -> list[Ticket]:
        return await self.uow.tickets.list(customer_id=self.customer.id, open_only=True, limit=10)

    def proceed(self) -> None:
        """After the draft is known to be new: ask about a second matter, else confirm the first."""
        if self.state.data["draft"]["classification"] is None:  # not read as a VOC: the customer chooses
            self.pick_type()
            return
        two = self.state.data.get("matters")
        if not two:
            self.offer()
            return
        first, second = (Classification.from_dict(m["classification"]) for m in two)
        self.ask(TWO, "two_found", self.choice("two_separate", "two:separate"),
                 self.choice("two_together", "two:together"),
                 first=self._label(self.deps.routing.route(first.intent)), first_text=_snippet(two[0]["text"]),
                 second=self._label(self.deps.routing.route(second.intent)),
                 second_text=_snippet(two[1]["text"]))

    async def dialogue_intent(self, intent: str, typed: str) -> None:
        if intent == "greet":
            self.reset()
            self.say("greeting", institution=self._institution())
            self.say("ask_text")
        elif intent == "goodbye":
            self.reset()
            self.say("goodbye")
        elif intent == "human_handoff":
            await self.handoff(typed)
        elif intent == "check_status":
            await self.status(intake.number_in(typed) or "")
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
        """Hand the customer to a person, from any step. Without consent nothing is stored: they get the
        institution's phone number and hours instead."""
        if not self.customer.has_consent:
            inst = self.settings.institution
            hours = inst.phone_hours_en if self.locale == "en" else inst.phone_hours
            self.say("handoff_no_consent" if inst.phone else "handoff_no_consent_nophone",
                     phone=inst.phone, hours=hours)
            return
        draft = self.state.data.get("draft") or {}
        text = draft.get("text") or typed
        self.note_pii()
        handoff = await self.uow.handoffs.add(Handoff(
            customer_id=self.customer.id or 0, channel=self.customer.channel, text=text,
            step=self.state.step, at=self.now,
        ))
        await self.uow.outbox.put("handoff", {
            "handoff_id": handoff.id, "customer_id": self.customer.id, "channel": self.customer.channel,
            "text": text, "step": handoff.step, "at": self.now.isoformat(),
        }, dedupe_key=f"handoff:{handoff.id}")
        self.reset()
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
                 self.choice("handoff_choice", "handoff"))

    async def on_choice(self, cid: str) -> None:
        kind, _, value = cid.partition(":")
        draft: dict[str, Any] = self.state.data.get("draft") or {}
        if kind in ("confirm", "pick", "type", "contact", "append", "two") and not draft:
            self.reset()
            self.say("ask_text")
            return
        if cid in ("confirm:yes", "confirm:other") and not draft.get("classification"):
            self.pick_type()
        elif cid == "confirm:yes":
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
            await self.handoff(draft.get("text", ""))
        elif cid == "contact:skip":
            self.state.data["_contact_skipped"] = True
            await self.open_ticket()
        elif cid == "append:new":
            self.proceed()
        elif kind == "append":
            await self.append(value, draft["text"])
        elif cid == "two:separate":
            first, second = self.state.data.pop("matters")
            self.state.data["draft"], self.state.data["queued"] = first, second
            self.offer()
        elif cid == "two:together":
            self.state.data.pop("matters", None)
            self.offer()
        elif kind == "cancelpick":
            self.ask(CANCEL, "cancel_ask", self.choice("cancel_yes", f"cancel:{value}"),
                     self.choice("cancel_keep", f"keep:{value}"), number=value)
        elif kind == "cancel":
            await self.withdraw(value)
        elif kind == "keep":
            self.reset()
            self.say("cancel_kept", number=value)
        elif kind == "consent":
            self.reset()
            self.say("ask_text")
        elif kind == survey.CHOICE:
            await self.rate(value)
        elif kind == survey.FOLLOW_UP:
            await self.follow_up(value)
        else:
            self.say("choose_listed", *self._offered())

    async def after_intent(self, intent: str) -> None:
        self.state.data["draft"]["intent"] = intent
        wants_contact = self.settings.dialogue.ask_contact and not self.state.data.get("_contact_skipped")
        if wants_contact and not self.customer.phone:
            self.ask(CONTACT, "ask_contact", self.choice("contact_skip", "contact:skip"))
        else:
            await self.open_ticket()

    async def on_contact(self, raw: str) -> None:
        phone = normalize_mobile(raw)
        if phone is None:
            self.say("contact_invalid", *self._offered())
            return
        self.customer.phone = phone
        await self.open_ticket()

    async def open_ticket(self) -> None:
        draft = self.state.data["draft"]
        route = self.deps.routing.route(draft["intent"])
        found = Classification.from_dict(draft["classification"] or {
            "intent": route.intent, "voc_type": route.voc_type.value, "confidence": 0.0, "alternatives": []})
        ticket = Ticket.open(
            customer_id=self.customer.id or 0, channel=self.customer.channel, voc_type=route.voc_type,
            intent=route.intent, department=route.department, text=draft["text"], received_at=self.now,
            policy=route.period, calendar=self.deps.calendar, actor=f"customer:{self.customer.id}",
            contact_phone=self.customer.phone,
            confidence=found.confidence if found.intent == route.intent else 0.0,
        )
        if route.remedy:  # the service standard's remedy case opens with the ticket (bot.standard.remedies)
            self.new_remedies[id(ticket)] = plan_remedy(ticket, terms_of(self.settings, route.remedy), self.now,
                                                        self.deps.calendar)
        self.new_tickets.append((ticket, route, len(self.replies)))  # numbered at the end of the turn
        queued = self.state.data.get("queued")
        self.reset()
        remedy = f"remedy.{route.intent}"
        if self.deps.texts.has(remedy):
            self.say(remedy)
        if queued:
            self.state.data["draft"] = queued
            self.say("second_next")
            self.offer()
        else:
            self.state.data.pop("_contact_skipped", None)

    async def number_new_tickets(self) -> None:
        """Store the tickets this turn opened, as its last writes: the year's ticket number stays locked from
        its allocation until the commit, so other turns wait on it as briefly as possible. Each "opened"
        reply goes where the ticket was opened in the conversation."""
        for ticket, route, _ in self.new_tickets:
            await self.uow.tickets.add(ticket, announce={
                "department": route.department, "due_at": ticket.due_at.isoformat()})
            remedy = self.new_remedies.get(id(ticket))
            if remedy is not None:
                await store_remedy(self.uow, ticket, remedy)
        for ticket, route, at in reversed(self.new_tickets):  # from the end, so the positions hold
            self.replies.insert(at, Reply(self.t(
                "opened", number=ticket.number, voc_type=self._type_label(route.voc_type), label=self._label(route),
                department=self._department(route.department), due=self._due(ticket))))

    async def append(self, number: str, typed: str) -> None:
        """Add the draft to an open ticket; on a ticket waiting for a supplement it *is* the supplement,
        and the deadline clock runs again (민원처리법 시행령 제20조: only the supplement period is excluded)."""
        ticket = await self.uow.tickets.get(number)
        if ticket is None or ticket.customer_id != self.customer.id or not ticket.is_open:
            self.proceed()
            return
        actor = f"customer:{self.customer.id}"
        if ticket.status is Status.SUPPLEMENT_REQUESTED:
            event = ticket.supplement(self.now, actor, self.deps.calendar, typed)
            kind, key = "ticket_supplement", "supplement_received"
        else:
            event = ticket.add_customer_message(self.now, actor, typed)
            kind, key = "customer_message", "appended"
        await self.uow.tickets.save(ticket)
        await self.uow.outbox.put(kind, {
            "number": number, "at": self.now.isoformat(), "status": ticket.status.value,
            "due_at": ticket.due_at.isoformat(), "text": event.data.get("text", ""),
        }, dedupe_key=f"{number}:{len(ticket.events)}")
        self.reset()
        self.say(key, number=number, due=self._due(ticket))

    # -- the satisfaction survey (bot.standard.survey) --------------------------------------------------
    async def _survey(self, number: str) -> survey.Survey | None:
        found = await self.uow.surveys.by_number(number)
        if found is None or found.customer_id != self.customer.id:
            self.say("survey.unknown")
            return None
        return found

    async def rate(self, value: str) -> None:
        """A rating pressed in the chat (``survey:<number>:<1-5>``): taken once; a low one offers a second look."""
        parsed = survey.parse_rating_choice(value)
        found = await self._survey(parsed[0]) if parsed else None
        if parsed is None or found is None:
            if parsed is None:
                self.say("survey.unknown")
            return
        number, rating = parsed
        if found.rated:
            self.say("survey.already", number=number)
            return
        try:
            rated = await rate_in(self.uow, found, rating, "", "chat", self.now, self.settings.survey.low_score)
        except SurveyRefused:
            self.say("survey.expired", number=number)
            return
        self.say("survey.thanks", number=number, rating=rating)
        if rated.low:
            self.say("survey.low", self.choice("survey.follow_up_yes", f"{survey.FOLLOW_UP}:{number}"), number=number)

    async def follow_up(self, number: str) -> None:
        found = await self._survey(number)
        if found is None:
            return
        if found.follow_up is not survey.FollowUp.OFFERED:
            self.say("survey.unknown")
            return
        await reopen_in(self.uow, found, f"customer:{self.customer.id}", self.now, "만족도 조사 후 재검토 요청")
        self.say("survey.reopened", number=number)

    # -- status and cancel -------------------------------------------------------------------------
    def _number(self, arg: str) -> str | None:
        return intake.ticket_number(arg, self.now.astimezone(self.deps.calendar.tz).year)

    async def status(self, arg: str) -> None:
        if arg:
            number = self._number(arg)
            ticket = await self.uow.tickets.get(number) if number else None
            if ticket is None or ticket.customer_id != self.customer.id:
                self.say("status_unknown", number=number or arg)
            else:
                self.say_status(ticket)
            return
        recent = self.now - STATUS_RECENT
        tickets = [t for t in await self.uow.tickets.list(customer_id=self.customer.id, limit=20)
                   if t.is_open or (t.status is Status.ANSWERED and _answered_at(t) >= recent)]
        if not tickets:
            self.say("status_none")
        for ticket in tickets:
            self.say_status(ticket)

    def say_status(self, ticket: Ticket) -> None:
        """The ticket's status with the staff's own words: what a supplement request asks for, the answer."""
        route = self.deps.routing.route(ticket.intent) if ticket.intent in self.deps.routing else None
        values: dict[str, object] = {
            "number": ticket.number, "status": self.t(f"status.{ticket.status.value}"),
            "voc_type": self._type_label(ticket.voc_type), "label": self._label(route) if route else ticket.intent,
            "department": self._department(ticket.department), "due": self._due(ticket),
        }
        if ticket.status is Status.SUPPLEMENT_REQUESTED:
            self.say("status_paused", **values)
        elif ticket.paused_since is not None:  # another legal clock stop (이송, 현장조사, 시스템 장애, ...)
            self.say("status_stopped", **values)
        else:
            self.say("status_line", **values)
        if ticket.supplement_request:
            self.say("status_supplement", request=ticket.supplement_request, number=ticket.number)
        if ticket.answer and ticket.status in (Status.ANSWERED, Status.CLOSED):
            self.say("status_answer", answer=ticket.answer)

    async def cancel(self, arg: str) -> None:
        if self.state.step in DRAFT_STEPS and not arg:
            self.reset()
            self.say("cancel_draft")
            return
        tickets = await self._open_tickets()
        if arg:
            number = self._number(arg)
            tickets = [t for t in tickets if t.number == number]
        if not tickets:
            self.reset()
            self.say("cancel_nothing")
        elif len(tickets) == 1:
            n = tickets[0].number
            self.ask(CANCEL, "cancel_ask", self.choice("cancel_yes", f"cancel:{n}"),
                     self.choice("cancel_keep", f"keep:{n}"), number=n)
        else:
            self.ask(CANCEL, "cancel_which", *[Choice(f"cancelpick:{t.number}", t.number) for t in tickets])

    async def withdraw(self, number: str) -> None:
        ticket = await self.uow.tickets.get(number)
        self.reset()
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
        return self.t(f"voc_type.{voc_type.value}")

    def _label(self, route: Route) -> str:
        return route.label_en if self.locale == "en" else route.label

    def _department(self, key: str) -> str:
        dept = self.settings.departments.get(key)
        if dept is None:
            return key
        return (dept.name_en or dept.name) if self.locale == "en" else dept.name

    def _due(self, ticket: Ticket) -> str:
        tz = self.deps.calendar.tz
        fmt = english_due if self.locale == "en" else korean_due
        return fmt(ticket.due_at, ticket.due_date_only, tz)


def _as_route(found: Classification, route: Route) -> Classification:
    return replace(found, intent=route.intent, voc_type=route.voc_type)


def _snippet(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _answered_at(ticket: Ticket) -> datetime:
    answers = [e.at for e in ticket.events if e.action.value == "answer"]
    return answers[-1] if answers else ticket.received_at
