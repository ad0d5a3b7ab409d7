"""Rasa ↔ vocdesk, as two pure translators plus thin rasa-sdk custom actions.

``to_ask`` turns rasa-sdk's ``Tracker`` into our ``Ask``; ``to_rasa`` turns our ``Answer`` into the slot
events and responses a custom action returns. ``VocAction`` runs one ``AssistedDesk`` call between them;
``build_executor`` registers the actions with rasa-sdk's ``ActionExecutor`` (served by
``handlers.rasa_server``).
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from bot.conversation.assisted import Answer, Ask, AssistedDesk

CHANNEL = "rasa"
KEY_MAX = 200  # inbound keys are stored in 255 characters, with a short prefix
SLOTS = {  # Answer.facts → the slots of the Rasa domain (docs/rasa.md)
    "ticket_number": "voc_ticket_number", "due_date": "voc_due_date", "department": "voc_department",
    "voc_type": "voc_type", "intent": "voc_intent", "confidence": "voc_confidence", "text": "voc_text",
    "status": "voc_status", "handoff": "voc_handoff",
}
log = logging.getLogger(__name__)

Call = Callable[[Ask], Awaitable[Answer]]
Event = dict[str, Any]


def message_key(sender: str, latest: Mapping[str, Any], events: Sequence[Any]) -> str | None:
    """One key per customer message: the sender and the message's id (or the time Rasa received it).
    A redelivered request carries the same, so its ticket is not opened twice."""
    ident = latest.get("message_id")
    if not ident:
        user = next((e for e in reversed(events) if isinstance(e, dict) and e.get("event") == "user"), None)
        ident = (user.get("message_id") or user.get("timestamp")) if user else None
    if ident is None or ident == "":
        return None
    key = f"{sender}:{ident}"
    return key if len(key) <= KEY_MAX else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _text(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _number(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(int(value))
    return _text(value)


def to_ask(tracker: Tracker, *, text_slot: bool = False) -> Ask:
    """What the tracker asks about. ``text_slot``: the words in slot ``voc_text`` (kept by
    ``action_voc_classify``) come before the latest message, which may only be "yes, file it"."""
    slots: Mapping[str, Any] = tracker.slots if isinstance(tracker.slots, Mapping) else {}
    latest: Mapping[str, Any] = tracker.latest_message if isinstance(tracker.latest_message, Mapping) else {}
    events: Sequence[Any] = tracker.events if isinstance(tracker.events, list) else []
    sender = str(tracker.sender_id)
    text = (_text(slots.get("voc_text")) if text_slot else None) or _text(latest.get("text")) or ""
    return Ask(user_id=sender, text=text, message_key=message_key(sender, latest, events),
               intent=_text(slots.get("voc_intent")), number=_number(slots.get("voc_ticket_number")),
               phone=_text(slots.get("voc_phone")))


def to_rasa(answer: Answer) -> tuple[list[Event], list[dict[str, Any]]]:
    """The events (a ``SlotSet`` per fact) and the ``utter_message`` arguments of ``answer``."""
    events = [SlotSet(SLOTS[name], value) for name, value in answer.facts.items()]
    return events, [{"text": line} for line in answer.says]


class VocAction(Action):  # type: ignore[misc]  # (rasa-sdk ships no type information)
    """The thin handler: tracker → ``to_ask`` → vocdesk → ``to_rasa``. A failure is contained here: the
    customer gets a sentence to try again, the log gets the error's type and frames only (its message may
    quote what the customer wrote)."""

    def __init__(self, action_name: str, call: Call, sorry: Callable[[Ask], Answer], *,
                 text_slot: bool = False) -> None:
        self.action_name, self.call, self.sorry, self.text_slot = action_name, call, sorry, text_slot

    def name(self) -> str:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[Event]:
        ask = to_ask(tracker, text_slot=self.text_slot)
        try:
            answer = await self.call(ask)
        except Exception as exc:
            log.error("rasa action %s failed: %s\n%s", self.action_name, type(exc).__name__,
                      "".join(traceback.format_tb(exc.__traceback__)).rstrip())
            answer = self.sorry(ask)
        events, messages = to_rasa(answer)
        for message in messages:
            dispatcher.utter_message(**message)
        return events


def actions(desk: AssistedDesk) -> list[VocAction]:
    async def classify(ask: Ask) -> Answer:
        return desk.classify(ask)

    return [
        VocAction("action_voc_open_ticket", desk.open_ticket, desk.unavailable, text_slot=True),
        VocAction("action_voc_classify", classify, desk.unavailable),
        VocAction("action_voc_status", desk.status, desk.unavailable),
        VocAction("action_voc_handoff", desk.handoff, desk.unavailable),
    ]


def build_executor(desk: AssistedDesk) -> ActionExecutor:
    executor = ActionExecutor()
    for action in actions(desk):
        executor.register_action(action)
    return executor
