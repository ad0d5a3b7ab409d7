"""The pure Rasa translators (Tracker → Ask, Answer → events and responses) and the webhook guard."""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest

from tests.conftest import require_extra

require_extra("rasa_sdk", "rasa")

from rasa_sdk import Tracker  # noqa: E402

from bot.conversation.assisted import Answer, Ask  # noqa: E402
from handlers.rasa import KEY_MAX, message_key, to_ask, to_rasa  # noqa: E402
from handlers.rasa_server import check_call  # noqa: E402

KNOWN = {"action_voc_open_ticket"}


def tracker(text: str = "창구 직원이 불친절했어요", slots: dict[str, Any] | None = None,
            events: list[dict[str, Any]] | None = None, **latest: Any) -> Tracker:
    return Tracker.from_dict({
        "sender_id": "user-7", "slots": slots or {}, "events": events or [], "paused": False,
        "latest_message": {"text": text, "intent": {"name": "complain", "confidence": 0.9}, "entities": []} | latest,
        "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
    })


def test_the_latest_message_and_the_slots_become_an_ask() -> None:
    found = to_ask(tracker(message_id="m1", slots={"voc_intent": "delay_complaint", "voc_ticket_number": 31.0,
                                                   "voc_phone": "010-1234-5678", "voc_text": "예전 글"}))
    assert found == Ask(user_id="user-7", text="창구 직원이 불친절했어요", message_key="user-7:m1",
                        intent="delay_complaint", number="31", phone="010-1234-5678")


def test_opening_takes_the_words_kept_by_classify_before_a_bare_yes() -> None:
    assert to_ask(tracker("네", slots={"voc_text": "직원이 불친절"}), text_slot=True).text == "직원이 불친절"
    assert to_ask(tracker("직원이 불친절", slots={"voc_text": None}), text_slot=True).text == "직원이 불친절"
    assert to_ask(tracker("네", slots={"voc_text": 5}), text_slot=True).text == "네"


def test_the_message_key_comes_from_the_message_id_else_the_user_event() -> None:
    user = {"event": "user", "timestamp": 1789999999.25, "text": "x"}
    assert message_key("s", {"message_id": "abc"}, []) == "s:abc"
    assert message_key("s", {}, [user | {"message_id": "def"}, {"event": "action"}]) == "s:def"
    assert message_key("s", {}, [user, {"event": "bot"}]) == "s:1789999999.25"
    assert message_key("s", {}, [{"event": "bot"}]) is None
    long_key = message_key("x" * 500, {"message_id": "m"}, [])
    assert long_key is not None and long_key.startswith("sha256:") and len(long_key) <= KEY_MAX


def test_an_answer_becomes_slot_events_and_text_responses() -> None:
    events, messages = to_rasa(Answer(("접수되었습니다.", "보상 안내"), {"ticket_number": "VOC-2026-000001",
                                                                     "text": None}))
    assert events == [{"event": "slot", "timestamp": None, "name": "voc_ticket_number", "value": "VOC-2026-000001"},
                      {"event": "slot", "timestamp": None, "name": "voc_text", "value": None}]
    assert messages == [{"text": "접수되었습니다."}, {"text": "보상 안내"}]


def body(**call: Any) -> bytes:
    base = {"next_action": "action_voc_open_ticket", "sender_id": "s", "version": "3.21.1",
            "tracker": {"sender_id": "s", "slots": {}, "latest_message": {}, "events": []}, "domain": {}}
    return json.dumps(base | call).encode()


@pytest.mark.parametrize(("raw", "error"), [
    (b"", "Invalid body request"),
    (b"{not json", "Invalid body request"),
    (b"[1, 2]", "the body must be a JSON object"),
    (body(next_action=None), "next_action must name an action"),
    (body(tracker=[]), "tracker must be an object with a sender_id"),
    (body(tracker={"slots": {}}), "tracker must be an object with a sender_id"),
    (body(tracker={"sender_id": ""}), "tracker.sender_id must have 1 to 255 characters"),
    (body(tracker={"sender_id": "x" * 256}), "tracker.sender_id must have 1 to 255 characters"),
    (body(tracker={"sender_id": "s", "slots": []}), "tracker.slots must be a JSON dict"),
    (body(tracker={"sender_id": "s", "events": {}}), "tracker.events must be a JSON list"),
    (body(version=3.21), "version must be a string"),
])
def test_a_malformed_call_gets_a_400_in_rasa_sdk_s_error_shape(raw: bytes, error: str) -> None:
    found = check_call(raw, None, KNOWN)
    assert found is not None and found[0] == 400 and found[1]["error"] == error and "action_name" in found[1]


def test_a_well_formed_call_an_unknown_action_and_a_deflated_body_pass_to_rasa_sdk() -> None:
    assert check_call(body(), None, KNOWN) is None
    assert check_call(zlib.compress(body()), "deflate", KNOWN) is None
    assert check_call(body(next_action="action_other", tracker=[]), None, KNOWN) is None  # rasa-sdk's 404
    assert check_call(b"\x78\x9cgarbage", "deflate", KNOWN) == (400, {"error": "Invalid body request",
                                                                     "action_name": None})
