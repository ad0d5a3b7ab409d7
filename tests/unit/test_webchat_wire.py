"""The homepage chat's translators: a request body to an Inbound (or a 4xx reason), replies to JSON."""

from __future__ import annotations

import json

import pytest

from bot.config import load_config
from bot.conversation.messages import EXPECTS_PHONE, Choice, Reply
from bot.conversation.texts import Catalog
from handlers.webchat_page import Page, chrome, content_security_policy, render, script_json
from handlers.webchat_wire import (
    CHANNEL,
    MessageRequest,
    Refused,
    body_limit,
    new_session,
    opening,
    parse_message,
    parse_session_request,
    read_json,
    to_inbound,
    to_json,
    user_id,
)
from tests.conftest import ROOT

SESSION = new_session()
JSON = "application/json"


def refusal(call: object, *args: object) -> Refused:
    with pytest.raises(Refused) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def test_a_text_message_becomes_an_inbound_of_the_web_channel_keyed_by_the_session() -> None:
    request = parse_message({"session": SESSION, "message_key": "abcdef12", "text": "불친절해요", "locale": "ko"})
    inbound = to_inbound(request)
    assert inbound.channel == CHANNEL == "web" and inbound.text == "불친절해요" and inbound.choice is None
    assert inbound.user_id == user_id(SESSION) != SESSION and SESSION not in (inbound.message_key or "")
    assert inbound.message_key == f"{user_id(SESSION)}:abcdef12" and inbound.locale == "ko"


def test_a_choice_becomes_an_inbound_choice() -> None:
    request = parse_message({"session": SESSION, "message_key": "abcdef12", "choice": "consent:yes",
                             "locale": None})
    assert request == MessageRequest(SESSION, "abcdef12", "", "consent:yes", None)
    assert to_inbound(request).choice == "consent:yes"


def test_sessions_are_unguessable_and_their_digests_stable() -> None:
    assert len(SESSION) >= 43 and new_session() != SESSION
    assert user_id(SESSION) == user_id(SESSION) and len(user_id(SESSION)) == 40
    first = opening(SESSION, "en")
    assert first.text == "/start" and first.locale == "en" and first.user_id == user_id(SESSION)


@pytest.mark.parametrize("data", [
    {"message_key": "abcdef12", "text": "x"},
    {"session": SESSION, "text": "x"},
    {"session": "short", "message_key": "abcdef12", "text": "x"},
    {"session": SESSION, "message_key": "abc", "text": "x"},
    {"session": SESSION, "message_key": "has space!", "text": "x"},
    {"session": SESSION, "message_key": "abcdef12"},
    {"session": SESSION, "message_key": "abcdef12", "text": "x", "choice": "consent:yes"},
    {"session": SESSION, "message_key": "abcdef12", "text": 42},
    {"session": SESSION, "message_key": "abcdef12", "choice": ""},
    {"session": SESSION, "message_key": "abcdef12", "choice": "c" * 201},
    {"session": SESSION, "message_key": "abcdef12", "text": "x", "locale": "fr"},
    {"session": SESSION, "message_key": "abcdef12", "text": "x", "user_id": "someone"},
])
def test_unexpected_json_is_422_with_a_reason(data: dict[str, object]) -> None:
    refused = refusal(parse_message, data)
    assert refused.status == 422 and refused.code == "invalid_request" and refused.detail
    assert refused.body() == {"error": "invalid_request", "detail": refused.detail}


def test_the_body_must_be_a_json_object_sent_as_json() -> None:
    assert read_json("application/json; charset=UTF-8", b'{"a": 1}') == {"a": 1}
    assert refusal(read_json, "text/plain", b"{}").status == 415
    assert refusal(read_json, None, b"{}").status == 415
    assert refusal(read_json, "application/json-patch+json", b"{}").status == 415
    assert refusal(read_json, JSON, b"{").status == 400
    assert refusal(read_json, JSON, b"").status == 400
    assert refusal(read_json, JSON, "{}".encode("utf-16")).status == 400
    assert refusal(read_json, JSON, b'"text"').status == 422


def test_a_session_request_takes_only_a_locale() -> None:
    assert parse_session_request({}) is None
    assert parse_session_request({"locale": "en"}) == "en"
    assert refusal(parse_session_request, {"locale": "de"}).status == 422
    assert refusal(parse_session_request, {"session": SESSION}).status == 422


def test_the_body_limit_leaves_room_for_a_text_just_over_the_dialogues_limit() -> None:
    assert body_limit(4000) > len(json.dumps({"text": "가" * 4001}).encode()) and body_limit(4000) < 1_048_576


def test_replies_become_json_with_their_choices_and_what_they_expect() -> None:
    replies = [Reply("접수할까요?", (Choice("confirm:yes", "네"),)), Reply("번호?", (), EXPECTS_PHONE)]
    assert to_json(replies) == {"replies": [
        {"text": "접수할까요?", "choices": [{"id": "confirm:yes", "label": "네"}], "expects": None},
        {"text": "번호?", "choices": [], "expects": "phone"},
    ]}


# -- the page ---------------------------------------------------------------------------------------------------

def test_the_page_words_come_from_the_catalog_in_both_languages() -> None:
    settings = load_config(ROOT / "config.toml", {}).settings
    words = chrome(Catalog.load(), settings)
    assert set(words["ko"]) == set(words["en"]) and words["en"]["send"] == "Send"
    assert settings.institution.name in words["ko"]["title"] and settings.institution.name_en in words["en"]["title"]


def test_rendering_escapes_words_and_keeps_script_json_inert() -> None:
    words = {"ko": {"heading": "<b>상담</b>"}, "en": {"heading": "</script><script>alert(1)</script>"}}
    page = render("<h1>{{heading}}</h1><script>{{texts}}</script><a href='x.js?v={{v:x.js}}'>", words,
                  {"x.js": "abc123"})
    assert "<h1>&lt;b&gt;상담&lt;/b&gt;</h1>" in page and "x.js?v=abc123" in page
    assert "</script><script>" not in page.split("<script>", 1)[1].rsplit("</script>", 1)[0]
    assert json.loads(script_json(words)) == words


def test_the_policy_allows_framing_only_by_the_named_sites() -> None:
    policy = content_security_policy(["https://www.example.go.kr"])
    assert "frame-ancestors 'self' https://www.example.go.kr" in policy and "default-src 'none'" in policy


def test_the_shipped_page_has_every_placeholder_filled() -> None:
    settings = load_config(ROOT / "config.toml", {}).settings
    page = Page.build(Catalog.load(), settings)
    assert b"{{" not in page.html and set(page.assets) == {"chat.js", "chat.css"}
    assert page.asset("nope").status_code == 404
