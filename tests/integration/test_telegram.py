"""The real python-telegram-bot, pointed through ``base_url`` at a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from bot.app import bootstrap
from bot.casework.routing import RoutingTable
from bot.casework.workcalendar import WorkCalendar
from bot.cli.context import CliState
from bot.clock import FixedClock
from bot.config import AppConfig, Telegram, load_config
from bot.config import Database as DatabaseSettings
from bot.conversation.classification import VocType
from bot.conversation.dialogue import Dialogue, DialogueDeps
from bot.conversation.messages import Inbound, Reply
from bot.errors import ConfigError
from handlers.telegram import TelegramChannel, run_polling
from handlers.telegram_cli import telegram_command
from handlers.telegram_webhook import SECRET_HEADER, TelegramWebhook, webhook_running
from tests.fake_telegram import TOKEN, FakeTelegram, fake_telegram
from tests.fakes import KST, ScriptedClassifier, Store, classification, fake_uow_factory

ROOT = Path(__file__).resolve().parents[2]
USER = 42
C = VocType.COMPLAINT
TABLE = {
    "불친절": classification("unfriendly_service", C, 0.91, ("other_complaint", C, 0.05)),
    "rude": classification("unfriendly_service", C, 0.88, ("other_complaint", C, 0.07)),
}
RECEIVED = datetime(2026, 9, 22, 10, 0, tzinfo=KST)
SECRET = "s3cret_Token-1"
Json = dict[str, Any]

# PTB 22.2+ ``RetryAfter.__init__`` reads its own deprecated ``retry_after`` property, so every 429 warns
# (PTB PR #4750; opt-out is the PTB_TIMEDELTA=true environment switch). Not our code: ignore just that one.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:.*`retry_after` will be of type `datetime.timedelta`:telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def fake() -> Any:
    with fake_telegram() as server:
        yield server


def make_config(fake: FakeTelegram, tmp_path: Path, *, mode: str = "polling", secret: str = "") -> AppConfig:
    base = load_config(ROOT / "config.toml", {})
    settings = base.settings.model_copy(update={
        "telegram": Telegram(base_url=fake.base_url, mode=mode, poll_timeout=1),  # type: ignore[arg-type]
        "database": DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'vocdesk.db'}"),
    })
    return base.model_copy(update={"settings": settings, "telegram_token": TOKEN,
                                   "telegram_webhook_secret": secret})


def make_dialogue(config: AppConfig, store: Store) -> Dialogue:
    settings = config.settings
    return Dialogue(DialogueDeps(
        uow=fake_uow_factory(store), classifier=ScriptedClassifier(TABLE, classification("out_of_scope", None, 0.3)),
        routing=RoutingTable.from_settings(settings), calendar=WorkCalendar.build(settings.calendar.windows()),
        clock=FixedClock(RECEIVED), settings=settings,
    ))


@asynccontextmanager
async def polling(channel: TelegramChannel, fake: FakeTelegram) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(channel, stop))
    try:
        await fake.wait_until(lambda: bool(fake.requests("getUpdates")) or task.done())
        if task.done():
            task.result()
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def buttons(message: Json) -> list[str]:
    return [row[0]["callback_data"] for row in message.get("reply_markup", {}).get("inline_keyboard", [])]


async def reply_to(fake: FakeTelegram, action: Any, *args: Any, count: int = 1) -> list[Json]:
    """Do ``action`` as the customer and return the ``count`` new messages the bot sent."""
    before = len(fake.sent(USER))
    action(*args)
    return (await fake.wait_sent(USER, before + count))[before:]


async def test_conversation_opens_a_ticket_in_the_database(fake: FakeTelegram, tmp_path: Path) -> None:
    config = make_config(fake, tmp_path)
    app = await bootstrap(config, clock=FixedClock(RECEIVED),
                          classifier=ScriptedClassifier(TABLE, classification("out_of_scope", None, 0.3)))
    try:
        async with polling(TelegramChannel.build(config, app.dialogue.handle), fake):
            (welcome,) = await reply_to(fake, fake.send_text, USER, "/start")
            assert "개인정보" in welcome["text"] and buttons(welcome) == ["consent:yes", "consent:no"]

            (ask,) = await reply_to(fake, fake.press, USER, welcome, "consent:yes")
            assert "자유롭게" in ask["text"]
            assert fake.requests("answerCallbackQuery")[-1]["callback_query_id"]
            assert "reply_markup" not in fake.sent(USER)[0]  # the pressed keyboard is gone

            (understood,) = await reply_to(fake, fake.send_text, USER, "창구 직원이 너무 불친절했어요")
            assert "불만 · 불친절 신고" in understood["text"]

            fake.fail_next("sendMessage")  # flood control in the middle: 429, retry_after 1
            (contact,) = await reply_to(fake, fake.press, USER, understood, "confirm:yes")
            assert "휴대전화번호" in contact["text"] and buttons(contact) == ["contact:skip"]
            assert [c.status for c in fake.calls if c.method == "sendMessage"][-2:] == [429, 200]

            skip = fake.press(USER, contact, "contact:skip")
            opened = (await fake.wait_sent(USER, 5))[-1]
            assert "VOC-2026-000001" in opened["text"] and "CS혁신팀" in opened["text"]
            assert "2026년 10월 2일(금)까지" in opened["text"] and "1만원" in opened["text"]

            (status,) = await reply_to(fake, fake.send_text, USER, "/status")
            assert "VOC-2026-000001 [접수]" in status["text"]

            fake.redeliver(fake.delivered(skip))  # the same update_id again: nothing happens
            (again,) = await reply_to(fake, fake.send_text, USER, "/status")
            assert again["text"] == status["text"]

        async with app.database.uow() as uow:
            (ticket,) = await uow.tickets.list()
            customer = await uow.customers.get(ticket.customer_id)
        assert (ticket.number, ticket.voc_type, ticket.intent) == ("VOC-2026-000001", C, "unfriendly_service")
        assert ticket.department == "service_quality" and ticket.channel == "telegram"
        assert ticket.received_at == RECEIVED
        assert (ticket.due_at.astimezone(KST).date().isoformat(), ticket.due_date_only) == ("2026-10-02", True)
        assert customer is not None and (customer.channel, customer.external_id) == ("telegram", str(USER))
        assert customer.display_name == "민수 김" and customer.has_consent
    finally:
        await app.aclose()


async def test_english_speaker_gets_english(fake: FakeTelegram, tmp_path: Path) -> None:
    config = make_config(fake, tmp_path)
    async with polling(TelegramChannel.build(config, make_dialogue(config, Store()).handle), fake):
        (welcome,) = await reply_to(fake, fake.send_text, USER, "/start", "en")
        assert "consent" in welcome["text"]
        (sticker,) = await reply_to(fake, fake.send_sticker, USER, "en")
        assert sticker["text"].startswith("I can only read text")


async def test_bad_input_gets_sensible_answers_and_never_stops_the_bot(
        fake: FakeTelegram, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = make_config(fake, tmp_path)
    store = Store()
    async with polling(TelegramChannel.build(config, make_dialogue(config, store).handle), fake):
        for send in (fake.send_sticker, fake.send_photo, fake.send_voice):
            (notice,) = await reply_to(fake, send, USER)
            assert "글(텍스트)로" in notice["text"]

        (too_long,) = await reply_to(fake, fake.send_text, USER, "민원 " * 3334)  # 10,002 characters
        assert "10,002자" in too_long["text"] and "접수되지 않았습니다" in too_long["text"]

        with caplog.at_level(logging.INFO, logger="handlers.telegram"):
            fake.edit_text(USER, "고쳐 쓴 비밀 내용 010-9876-5432")
            (hello,) = await reply_to(fake, fake.send_text, USER, "/start")  # the edit was ignored
        assert "개인정보" in hello["text"]
        assert "ignored: edited" in caplog.text and "010-9876" not in caplog.text and "비밀" not in caplog.text

        fake.send_group_text(USER, "/start")
        fake.send_group_text(USER + 1, "여기서 민원 접수 되나요?")
        await fake.wait_sent(-100777, 1)
        await reply_to(fake, fake.send_text, USER, "/help")  # handled after both group messages
        (group_notice,) = fake.sent(-100777)  # told once, then ignored
        assert "1:1 대화에서만" in group_notice["text"]
    assert not store.tickets and all(key[0] == "telegram" for key in store.inbound)


async def test_telegram_errors_are_contained_and_logged_without_content(
        fake: FakeTelegram, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = make_config(fake, tmp_path)
    dialogue = make_dialogue(config, Store())

    async def flaky(msg: Inbound) -> list[Reply]:
        if "고장" in msg.text:
            raise RuntimeError(f"database is down while storing {msg.text!r}")
        return await dialogue.handle(msg)

    async with polling(TelegramChannel.build(config, flaky), fake):
        with caplog.at_level(logging.INFO, logger="handlers.telegram"):
            fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
            fake.send_text(USER, "/start")
            await fake.wait_until(lambda: "Forbidden" in caplog.text)
            (sorry,) = await reply_to(fake, fake.send_text, USER, "고장 신고합니다 010-1234-5678")
            assert "다시 보내 주세요" in sorry["text"]
            (welcome,) = await reply_to(fake, fake.send_text, USER, "/start")
            fake.fail_next("answerCallbackQuery", 400, "Bad Request: query is too old")
            (ask,) = await reply_to(fake, fake.press, USER, welcome, "consent:yes")
            assert "자유롭게" in ask["text"]
            (again,) = await reply_to(fake, fake.press, USER, welcome, "consent:yes")  # a stale button
            assert "자유롭게" in again["text"]
    assert "RuntimeError" in caplog.text and "Forbidden" in caplog.text
    assert "010-1234" not in caplog.text and "고장" not in caplog.text


async def test_webhook_checks_the_secret_and_hands_updates_to_the_dialogue(
        fake: FakeTelegram, tmp_path: Path) -> None:
    config = make_config(fake, tmp_path, mode="webhook", secret=SECRET)
    store = Store()
    channel = TelegramChannel.build(config, make_dialogue(config, store).handle)
    assert channel.application.updater is None
    async with webhook_running(channel, "https://voc.example.kr/telegram") as webhook:
        (registered,) = fake.requests("setWebhook")
        assert registered["url"] == "https://voc.example.kr/telegram" and registered["secret_token"] == SECRET
        body = json.dumps(fake.make.update(fake.make.text(USER, "/start"))).encode()
        json_type = {"Content-Type": "application/json"}

        assert await webhook.handle_webhook(json_type, body) == (403, b"forbidden")
        assert await webhook.handle_webhook({**json_type, SECRET_HEADER: "wrong"}, body) == (403, b"forbidden")
        assert await webhook.handle_webhook({**json_type, SECRET_HEADER: "ｓ3cret"}, body) == (403, b"forbidden")
        headers = {**json_type, SECRET_HEADER.lower(): SECRET}  # ASGI servers lower-case header names
        assert (await webhook.handle_webhook(headers, b"{not json"))[0] == 400
        assert (await webhook.handle_webhook(headers, b'["update_id", 1]'))[0] == 400
        assert (await webhook.handle_webhook(headers, b'{"update_id": 7, "message": {"text": "x"}}'))[0] == 400
        assert not fake.requests("sendMessage")

        assert await webhook.handle_webhook(headers, body) == (200, b"")
        (welcome,) = await fake.wait_sent(USER, 1)
        assert buttons(welcome) == ["consent:yes", "consent:no"]
        assert await webhook.handle_webhook(headers, body) == (200, b"")  # Telegram retried: no second answer
        press = json.dumps(fake.make.update(fake.make.press(USER, welcome, "consent:yes"))).encode()
        assert await webhook.handle_webhook(headers, press) == (200, b"")
        (_, ask) = await fake.wait_sent(USER, 2)
        assert "자유롭게" in ask["text"]
    assert len(store.inbound) == 2


async def test_webhook_mode_refuses_to_start_without_a_secret(fake: FakeTelegram, tmp_path: Path) -> None:
    config = make_config(fake, tmp_path, mode="webhook")
    channel = TelegramChannel.build(config, make_dialogue(config, Store()).handle)
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        async with webhook_running(channel, "https://voc.example.kr/telegram"):
            pass
    assert not fake.calls


async def test_webhook_before_start_asks_telegram_to_retry(fake: FakeTelegram, tmp_path: Path) -> None:
    config = make_config(fake, tmp_path, mode="webhook", secret=SECRET)
    webhook = TelegramWebhook(TelegramChannel.build(config, make_dialogue(config, Store()).handle))
    body = json.dumps(fake.make.update(fake.make.text(USER, "/start"))).encode()
    assert (await webhook.handle_webhook({SECRET_HEADER: SECRET}, body))[0] == 503


def invoke_cli(environ: dict[str, str], config: Path) -> BaseException | None:
    cli = typer.Typer()

    @cli.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CliState(config_option=config, environ=environ)

    cli.command("telegram")(telegram_command)
    return CliRunner().invoke(cli, ["telegram"]).exception


def test_cli_needs_the_token(tmp_path: Path) -> None:
    error = invoke_cli({}, ROOT / "config.toml")
    assert isinstance(error, ConfigError) and error.key == "TELEGRAM_BOT_TOKEN"
    webhook = tmp_path / "config.toml"
    (tmp_path / "intents").mkdir()  # the shipped config's intents folder must exist next to it
    webhook.write_text((ROOT / "config.toml").read_text(encoding="utf-8").replace(
        'mode = "polling"', 'mode = "webhook"'), encoding="utf-8")
    error = invoke_cli({"TELEGRAM_BOT_TOKEN": TOKEN}, webhook)
    assert isinstance(error, ConfigError) and error.key == "telegram.mode"
