"""The pure Telegram translators: Update → Inbound | Ignored, replies → sendMessage payloads."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update

from bot.conversation.messages import Choice, Inbound, Reply
from handlers.telegram import CallbackData, Ignored, split_text, to_inbound, to_telegram, utf16_len
from tests.fake_telegram import Payloads

make = Payloads()


def update(kind_payload: tuple[str, dict[str, Any]], update_id: int | None = None) -> Update:
    return Update.de_json(make.update(kind_payload, update_id), None)


def test_text_message_becomes_inbound_keyed_by_update_chat_and_message() -> None:
    found = to_inbound(update(make.text(42, "창구 직원이 불친절했어요"), update_id=777))
    assert isinstance(found, Inbound)
    message_id = found.message_key.rsplit(":", 1)[-1] if found.message_key else ""
    assert found == Inbound("telegram", "42", text="창구 직원이 불친절했어요", display_name="민수 김",
                            locale="ko", message_key=f"777:42:{message_id}")
    assert message_id.isdigit()


def test_command_text_is_passed_as_is() -> None:
    found = to_inbound(update(make.text(42, "/status VOC-2026-000001")))
    assert isinstance(found, Inbound) and found.text == "/status VOC-2026-000001"


@pytest.mark.parametrize(("code", "locale"), [("en", "en"), ("en-GB", "en"), ("ko", "ko"), ("ja", None), (None, None)])
def test_language_code_sets_the_locale(code: str | None, locale: str | None) -> None:
    found = to_inbound(update(make.text(42, "hello", language_code=code)))
    assert isinstance(found, Inbound) and found.locale == locale


def test_button_press_becomes_a_choice() -> None:
    sent = {"message_id": 9, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "동의하시나요?",
            "reply_markup": {"inline_keyboard": [[{"text": "동의합니다", "callback_data": "consent:yes"}]]}}
    pressed = update(make.press(42, sent, "consent:yes"), update_id=5)
    found = to_inbound(pressed)
    assert pressed.callback_query is not None
    assert found == Inbound("telegram", "42", choice="consent:yes", display_name="민수 김", locale="ko",
                            message_key=f"5:42:{pressed.callback_query.id}")


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "document"])
def test_non_text_gets_a_please_write_text_notice(kind: str) -> None:
    found = to_inbound(update(getattr(make, kind)(42)))
    assert found == Ignored("non_text", "telegram_text_only", 42, "ko")


def test_non_text_notice_follows_the_language() -> None:
    found = to_inbound(update(make.sticker(42, language_code="en")))
    assert isinstance(found, Ignored) and found.locale == "en"


def test_photo_with_caption_is_still_not_filed() -> None:
    found = to_inbound(update(make.photo(42, caption="이 서류 좀 봐 주세요")))
    assert isinstance(found, Ignored) and found.reason == "non_text"


def test_edited_message_is_ignored_without_notice() -> None:
    assert to_inbound(update(make.edited(42, "고쳐 쓴 내용"))) == Ignored("edited", None, 42, "ko")


@pytest.mark.parametrize("kind", ["group", "supergroup"])
def test_group_chat_is_told_private_only(kind: str) -> None:
    found = to_inbound(update(make.group_text(42, "/start", chat_id=-1001, kind=kind)))
    assert found == Ignored("group", "telegram_private_only", -1001, "ko")


def test_channel_post_is_not_a_customer() -> None:
    found = to_inbound(update(make.channel_post("공지")))
    assert isinstance(found, Ignored) and found.reason == "group"


def test_button_in_a_group_is_not_filed() -> None:
    sent = {"message_id": 9, "date": 0, "chat": {"id": -5, "type": "group"}, "text": "?",
            "reply_markup": {"inline_keyboard": [[{"text": "네", "callback_data": "confirm:yes"}]]}}
    found = to_inbound(update(make.press(42, sent, "confirm:yes")))
    assert isinstance(found, Ignored) and found.reason == "group"


def test_service_message_and_bots_are_ignored_silently() -> None:
    _, joined = make.text(42, "")
    del joined["text"]
    joined["new_chat_title"] = "이름 변경"
    assert to_inbound(update(("message", joined))) == Ignored("service", None, 42)
    _, from_bot = make.text(42, "hi")
    from_bot["from"]["is_bot"] = True
    assert to_inbound(update(("message", from_bot))) == Ignored("from_bot", None, 42)


def test_replies_join_until_one_with_buttons() -> None:
    replies = [Reply("안녕하세요"), Reply("동의해 주세요", (Choice("consent:yes", "동의합니다"),
                                                    Choice("consent:no", "동의하지 않습니다"))), Reply("끝")]
    out = to_telegram(replies)
    assert [m.text for m in out] == ["안녕하세요\n\n동의해 주세요", "끝"]
    assert out[0].reply_markup is not None
    assert [[b.callback_data for b in row] for row in out[0].reply_markup.inline_keyboard] == [
        ["consent:yes"], ["consent:no"]]
    assert out[1].reply_markup is None


def test_no_replies_send_nothing() -> None:
    assert to_telegram([]) == []
    assert to_telegram([Reply("   ")]) == []


def test_long_reply_is_split_on_lines_with_buttons_on_the_last_chunk() -> None:
    lines = [f"{i:05d} " + "가" * 94 for i in range(100)]  # 100 lines of 100 characters
    out = to_telegram([Reply("\n".join(lines), (Choice("confirm:yes", "네"),))])
    assert len(out) == 3
    assert all(utf16_len(m.text) <= 4096 for m in out)
    assert "\n".join(m.text for m in out) == "\n".join(lines)
    assert all(len(line) == 100 for m in out for line in m.text.split("\n"))
    assert [m.reply_markup is not None for m in out] == [False, False, True]


def test_split_without_newlines_cuts_at_spaces_or_anywhere() -> None:
    words = split_text("단어 " * 3000)
    assert all(utf16_len(c) <= 4096 for c in words) and all(not c.startswith(" ") for c in words[1:])
    solid = split_text("가" * 10_000)
    assert [len(c) for c in solid] == [4096, 4096, 1808]


def test_split_counts_emoji_as_two_units_and_never_halves_one() -> None:
    chunks = split_text("😀" * 3000)
    assert [len(c) for c in chunks] == [2048, 952]
    assert "".join(chunks) == "😀" * 3000


def test_long_choice_id_round_trips_through_a_short_digest() -> None:
    codec = CallbackData()
    long_id = "append:" + "VOC-2026-000001" * 5
    out = to_telegram([Reply("?", (Choice(long_id, "추가"), Choice("append:new", "새로")))], codec)
    assert out[0].reply_markup is not None
    data = [row[0].callback_data for row in out[0].reply_markup.inline_keyboard]
    assert isinstance(data[0], str) and len(data[0].encode()) <= 64 and data[1] == "append:new"
    sent = {"message_id": 9, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "?",
            "reply_markup": out[0].reply_markup.to_dict()}
    found = to_inbound(update(make.press(42, sent, data[0])), codec)
    assert isinstance(found, Inbound) and found.choice == long_id


def test_callback_data_counts_bytes_not_characters() -> None:
    korean = "pick:" + "가" * 20  # 25 characters, 65 bytes
    assert CallbackData().encode(korean) != korean
    assert CallbackData().encode("pick:unfriendly_service") == "pick:unfriendly_service"
