"""The Kakao skill translators, pure: SkillPayload → Inbound, replies → SkillResponse (protocols.md §3)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.conversation.messages import Choice, Reply
from handlers.kakao import (
    LABEL_LIMIT,
    MAX_OUTPUTS,
    MAX_QUICK_REPLIES,
    TEXT_LIMIT,
    BadPayload,
    callback_ack,
    split_text,
    to_inbound,
    to_skill_response,
)

CUT = "(잘렸습니다)"


def payload(utterance: Any = "주문 배송이 안 와요", user_id: Any = "8dcae25ae7508eafa4dd",
            **request: Any) -> dict[str, Any]:
    """A SkillPayload shaped like Kakao's (protocols.md §3.1)."""
    return {
        "intent": {"id": "64f0c0ffee0000000000aaaa", "name": "폴백 블록"},
        "userRequest": {"timezone": "Asia/Seoul", "utterance": utterance, "lang": "ko",
                        "params": {"surface": "Kakaotalk.plusfriend"}, "block": {"id": "b1", "name": "폴백 블록"},
                        "user": {"id": user_id, "type": "botUserKey",
                                 "properties": {"plusfriendUserKey": "UEBpJodrFRCP", "isFriend": True}},
                        **request},
        "bot": {"id": "5ae9b76d7409b11ec845b746", "name": "VOC봇"},
        "action": {"id": "a1", "name": "voc_skill", "params": {}, "detailParams": {}, "clientExtra": {}},
        "contexts": [],
    }


def texts(response: dict[str, Any]) -> list[str]:
    return [o["simpleText"]["text"] for o in response["template"]["outputs"]]


def test_a_payload_becomes_an_inbound_of_the_kakao_channel() -> None:
    request = to_inbound(payload())
    msg = request.inbound
    assert (msg.channel, msg.user_id, msg.text, msg.choice, msg.message_key) == (
        "kakao", "8dcae25ae7508eafa4dd", "주문 배송이 안 와요", None, None)
    assert request.bot_id == "5ae9b76d7409b11ec845b746" and request.callback_url is None


def test_the_callback_url_is_the_stable_key_of_a_request() -> None:
    one = to_inbound(payload(callbackUrl="https://bot-api.kakao.com/callback/abc"))
    again = to_inbound(payload(callbackUrl="https://bot-api.kakao.com/callback/abc"))
    other = to_inbound(payload(callbackUrl="https://bot-api.kakao.com/callback/xyz"))
    assert one.callback_url == "https://bot-api.kakao.com/callback/abc"
    assert one.inbound.message_key == again.inbound.message_key != other.inbound.message_key
    assert "abc" not in str(one.inbound.message_key)  # the one-time token is not stored


def test_empty_utterance_and_english_lang() -> None:
    assert to_inbound(payload("")).inbound.text == ""
    body = payload("hello")
    del body["userRequest"]["utterance"]
    assert to_inbound(body).inbound.text == ""
    assert to_inbound(payload("hi", lang="en")).inbound.locale == "en"
    assert to_inbound(payload("hi")).inbound.locale is None


def test_odd_unicode_survives_and_lone_surrogates_are_dropped() -> None:
    text = "가\u0301 👩‍👩‍👧 e\u0301 ＡＢＣ \u200b 𝕏"
    assert to_inbound(payload(text)).inbound.text == text
    decoded = json.loads(json.dumps(payload("앞\ud800뒤")))  # JSON can carry a lone surrogate
    assert to_inbound(decoded).inbound.text == "앞뒤"


@pytest.mark.parametrize(("body", "reason"), [
    ([], "the body must be a JSON object"),
    ({}, "userRequest must be a JSON object"),
    ({"userRequest": {"utterance": "x"}}, "userRequest.user must be a JSON object"),
    (payload(user_id=""), "userRequest.user.id must be a non-empty string"),
    (payload(user_id=42), "userRequest.user.id must be a non-empty string"),
    (payload(user_id="x" * 300), "at most 255 printable characters"),
    (payload(user_id="a\nb"), "at most 255 printable characters"),
    (payload(user_id="\ud800"), "userRequest.user.id must be a non-empty string"),
    (payload(utterance=["list"]), "userRequest.utterance must be a string"),
    (payload(callbackUrl="ftp://x"), "userRequest.callbackUrl must be an http(s) URL"),
])
def test_unexpected_json_is_refused_with_a_reason(body: Any, reason: str) -> None:
    with pytest.raises(BadPayload) as caught:
        to_inbound(body)
    assert reason in caught.value.reason


def test_replies_become_simple_texts_and_their_choices_quick_replies() -> None:
    replies = [Reply("안녕하세요"), Reply("동의해 주세요", (Choice("consent:yes", "동의합니다"),
                                                    Choice("consent:no", "동의하지 않습니다")))]
    response = to_skill_response(replies, cut_note=CUT)
    assert response["version"] == "2.0"
    assert texts(response) == ["안녕하세요\n\n동의해 주세요"]
    assert response["template"]["quickReplies"] == [
        {"action": "message", "label": "동의합니다", "messageText": "동의합니다"},
        {"action": "message", "label": "동의하지 않습니다", "messageText": "동의하지 않습니다"},
    ]


def test_a_long_label_is_shortened_on_the_button_but_sent_back_whole() -> None:
    label = "None of these, it is something else"
    (quick,) = to_skill_response([Reply("?", (Choice("pick:none", label),))], cut_note=CUT)["template"][
        "quickReplies"]
    assert len(quick["label"]) == LABEL_LIMIT and quick["label"].endswith("…")
    assert quick["messageText"] == label


def test_at_most_ten_quick_replies_from_the_last_reply_that_offers_choices() -> None:
    many = tuple(Choice(f"pick:{i}", f"유형 {i}") for i in range(15))
    replies = [Reply("a", (Choice("old", "옛 선택"),)), Reply("b", many), Reply("c")]
    quick = to_skill_response(replies, cut_note=CUT)["template"]["quickReplies"]
    assert len(quick) == MAX_QUICK_REPLIES
    assert [q["messageText"] for q in quick] == [f"유형 {i}" for i in range(10)]


def test_a_text_over_1000_characters_is_split_not_truncated() -> None:
    line = "가나다라마바사 " * 30  # 240 characters
    text = "\n".join([line] * 7)  # 1,686 characters
    out = texts(to_skill_response([Reply(text)], cut_note=CUT))
    assert len(out) == 2 and all(len(t) <= TEXT_LIMIT for t in out)
    assert "".join(out).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_text_beyond_three_bubbles_ends_with_a_visible_note() -> None:
    out = texts(to_skill_response([Reply("나" * 3500)], cut_note=CUT))
    assert len(out) == MAX_OUTPUTS and all(len(t) <= TEXT_LIMIT for t in out)
    assert out[-1].endswith(CUT)


def test_split_text_never_loses_a_character_of_an_unbroken_text() -> None:
    text = "😀" * 2500
    assert "".join(split_text(text)) == text
    assert [len(p) for p in split_text(text)] == [1000, 1000, 500]


def test_nothing_to_say_still_answers_with_one_output() -> None:
    assert texts(to_skill_response([], cut_note=CUT, empty="처리 중입니다")) == ["처리 중입니다"]


def test_the_callback_answer() -> None:
    assert callback_ack("잠시만요") == {"version": "2.0", "useCallback": True, "data": {"text": "잠시만요"}}
