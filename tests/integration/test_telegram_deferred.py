"""A Telegram reply that cannot be sent (the Bot API is down) is queued in the real database by the channel's
``defer`` (``App.defer_reply``), and the notices dispatcher's TelegramSink delivers it, once, when Telegram is
back: the real python-telegram-bot against the fake Bot API on 127.0.0.1, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import bootstrap, open_notices
from bot.clock import FixedClock
from bot.config import AppConfig, Telegram, load_config
from bot.config import Database as DatabaseSettings
from handlers.telegram import TelegramChannel, run_polling
from storage.uow import Database
from tests.fake_telegram import TOKEN, FakeTelegram, fake_telegram
from tests.fakes import KST, ScriptedClassifier, classification
from tests.notice_support import notify_toml, write_config

USER = 42
NOW = datetime(2026, 9, 22, 10, 0, tzinfo=KST)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_telegram() as server:
        yield server


def telegram_config(fake: FakeTelegram, tmp_path: Path, database_url: str) -> AppConfig:
    base = load_config(write_config(tmp_path, notify=notify_toml()), {})
    settings = base.settings.model_copy(update={
        "telegram": Telegram(base_url=fake.base_url, mode="polling", poll_timeout=1),
        "database": DatabaseSettings(url=database_url),
    })
    return base.model_copy(update={"settings": settings, "telegram_token": TOKEN})


async def test_a_reply_telegram_refused_is_delivered_once_when_it_is_back(
        fake: FakeTelegram, tmp_path: Path, database_url: str) -> None:
    config = telegram_config(fake, tmp_path, database_url)
    clock = FixedClock(NOW)
    app = await bootstrap(config, clock=clock, classifier=ScriptedClassifier({}, classification("out_of_scope", None,
                                                                                                0.3)))
    try:
        channel = TelegramChannel.build(config, app.dialogue.handle, texts=app.texts,
                                        defer=lambda chat, text: app.defer_reply("telegram", chat, text))
        stop = asyncio.Event()
        polling = asyncio.create_task(run_polling(channel, stop))
        try:
            fake.fail_next("sendMessage", 502, "Bad Gateway")  # the Bot API is down when the reply goes out
            fake.send_text(USER, "/start")
            await fake.wait_until(lambda: any(c.method == "sendMessage" for c in fake.calls) or polling.done())
            await _until_queued(app.database)
        finally:
            stop.set()
            await asyncio.wait_for(polling, 10)
        assert fake.sent(USER) == []

        notices = await open_notices(config, app.database, app.calendar, clock, stream=io.StringIO())
        try:
            done = await notices.dispatcher.run_once()  # Telegram is back
            assert (done.fanned_out, done.sent) == (1, 1)
            assert not (await notices.dispatcher.run_once()).busy
        finally:
            await notices.aclose()
        (reply,) = fake.sent(USER)
        assert "개인정보" in reply["text"]
        async with app.database.uow() as uow:
            (row,) = await uow.deliveries.rows(None, None)
        assert (row.kind, row.sink, row.state, row.attempts) == ("channel_reply", "telegram", "sent", 1)
    finally:
        await app.aclose()


async def _until_queued(database: Database) -> None:
    for _ in range(500):
        async with database.uow() as uow:
            if await uow.outbox.pending(1):
                return
        await asyncio.sleep(0.01)
    raise AssertionError("the reply was not queued")
