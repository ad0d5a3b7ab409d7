"""The real Dispatcher, built by the composition root with ``[notify] provider = "solapi"``, on SQLite and on
PostgreSQL, against the fake SOLAPI on 127.0.0.1: what each kind of provider failure does to a delivery."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.app import open_notices
from bot.clock import FixedClock
from bot.config import load_config
from bot.errors import ConfigError
from bot.notices.ports import DEAD, PENDING, SENT, DeliveryRow
from storage.uow import Database
from tests.fake_solapi import FakeSolapi, fake_solapi
from tests.fakes import KST
from tests.notice_support import (
    CALENDAR,
    SOLAPI_ENV,
    dispatching,
    notify_config,
    notify_toml,
    seed_ticket,
    write_config,
)

PHONE = "010-2345-6789"
BACKOFF_1 = timedelta(seconds=5)  # the first backoff is at most [notify] base (5 s)


@pytest.fixture
def fake() -> Iterator[FakeSolapi]:
    with fake_solapi() as server:
        yield server


async def deliveries(database: Database) -> dict[str, DeliveryRow]:
    """The deliveries by subscriber and kind ("customer ticket_opened", "staff delivery_dead", ...)."""
    async with database.uow() as uow:
        return {f"{r.subscriber} {r.kind}": r for r in await uow.deliveries.rows(None, None) if r.id}


async def test_a_5xx_is_retried_with_backoff_and_delivered_after_recovery(
        database: Database, fake: FakeSolapi, clock: FixedClock, tmp_path: Path) -> None:
    await seed_ticket(database, "c1", phone=PHONE)
    fake.statuses.append((503, {}))
    async with dispatching(notify_config(tmp_path, solapi_url=fake.base_url), database, clock) as (notices, staff):
        done = await notices.dispatcher.run_once()
        assert (done.sent, done.retried) == (1, 1)  # the staff alert is not held up by SOLAPI
        rows = await deliveries(database)
        waiting = rows["customer ticket_opened"]
        assert (waiting.state, waiting.attempts, waiting.last_error) == (PENDING, 1, "SOLAPI HTTP 503")
        assert clock.now() + BACKOFF_1 / 2 <= waiting.next_attempt_at <= clock.now() + BACKOFF_1  # (jitter)
        assert not (await notices.dispatcher.run_once()).busy  # not due yet
        clock.advance(BACKOFF_1)
        assert (await notices.dispatcher.run_once()).sent == 1
    sent = (await deliveries(database))["customer ticket_opened"]
    assert (sent.state, sent.attempts, sent.last_error) == (SENT, 2, "")
    assert list(fake.delivered().values()) == [1] and staff.getvalue().count("새 접수") == 1
    (message,) = fake.accepted
    assert (message["type"], message["to"], message["kakaoOptions"]["templateId"]) == ("ATA", "01023456789",
                                                                                        "VOC_RECEIPT")


async def test_a_timeout_is_retried_and_what_solapi_got_meanwhile_is_not_sent_twice(
        database: Database, fake: FakeSolapi, clock: FixedClock, tmp_path: Path) -> None:
    """SOLAPI accepted the request after vocdesk stopped waiting: the retry asks SOLAPI first and finds it."""
    await seed_ticket(database, "c1", phone=PHONE)
    fake.delay = 0.6
    config = notify_config(tmp_path, solapi_url=fake.base_url, timeout=0.2)
    async with dispatching(config, database, clock) as (notices, _):
        assert (await notices.dispatcher.run_once()).retried == 1
        assert (await deliveries(database))["customer ticket_opened"].last_error == "SOLAPI timed out"
        deadline = time.monotonic() + 5
        while not fake.accepted and time.monotonic() < deadline:  # the fake finishes the request it was sent
            time.sleep(0.05)
        fake.delay = 0
        clock.advance(BACKOFF_1)
        assert (await notices.dispatcher.run_once()).sent == 1
    assert list(fake.delivered().values()) == [1] and len(fake.requests) == 1
    assert (await deliveries(database))["customer ticket_opened"].state == SENT


async def test_a_timeout_before_solapi_accepted_is_sent_on_the_retry(
        database: Database, fake: FakeSolapi, clock: FixedClock, tmp_path: Path) -> None:
    await seed_ticket(database, "c1", phone=PHONE)
    fake.statuses.append((504, {}))  # the gateway gave up: SOLAPI has nothing
    fake.delay = 0.6
    config = notify_config(tmp_path, solapi_url=fake.base_url, timeout=0.2)
    async with dispatching(config, database, clock) as (notices, _):
        assert (await notices.dispatcher.run_once()).retried == 1
        time.sleep(0.7)
        fake.delay = 0
        clock.advance(BACKOFF_1)
        assert (await notices.dispatcher.run_once()).sent == 1
    assert list(fake.delivered().values()) == [1]


async def test_a_429_is_retried_after_its_retry_after(database: Database, fake: FakeSolapi, clock: FixedClock,
                                                      tmp_path: Path) -> None:
    await seed_ticket(database, "c1", phone=PHONE)
    fake.statuses.append((429, {"Retry-After": "30"}))
    async with dispatching(notify_config(tmp_path, solapi_url=fake.base_url), database, clock) as (notices, _):
        await notices.dispatcher.run_once()
        waiting = (await deliveries(database))["customer ticket_opened"]
        assert (waiting.next_attempt_at, waiting.last_error) == (clock.now() + timedelta(seconds=30),
                                                                 "SOLAPI HTTP 429")
        clock.advance(timedelta(seconds=29))
        assert (await notices.dispatcher.run_once()).sent == 0
        clock.advance(timedelta(seconds=1))
        assert (await notices.dispatcher.run_once()).sent == 1
    assert list(fake.delivered().values()) == [1]


async def test_an_alimtalk_kakao_refuses_goes_as_sms(database: Database, fake: FakeSolapi, clock: FixedClock,
                                                     tmp_path: Path) -> None:
    number = await seed_ticket(database, "c1", phone=PHONE)
    fake.kakao_refuses.add("01023456789")
    async with dispatching(notify_config(tmp_path, solapi_url=fake.base_url), database, clock) as (notices, _):
        assert (await notices.dispatcher.run_once()).sent == 2
    (message,) = fake.accepted
    assert message["type"] == "SMS" and message["text"].startswith("[신용보증기금 고객지원센터] " + number)
    assert [m["type"] for r in fake.requests for m in r["messages"]] == ["ATA", "SMS"]
    assert (await deliveries(database))["customer ticket_opened"].state == SENT


async def test_a_per_message_failure_is_dead_at_once_and_staff_are_told(
        database: Database, fake: FakeSolapi, clock: FixedClock, tmp_path: Path) -> None:
    bad = await seed_ticket(database, "c1", phone="010-0000-0000")
    good = await seed_ticket(database, "c2", phone=PHONE)
    fake.failing.add("01000000000")
    async with dispatching(notify_config(tmp_path, solapi_url=fake.base_url), database, clock) as (notices, staff):
        done = await notices.dispatcher.run_once()
    assert (done.dead, len(fake.requests)) == (1, 2)  # one batch (send-many), then the SMS fallback of the refused
    assert [m["customFields"]["vocdeskKey"] for m in fake.accepted] == ["2:customer"]
    rows = await deliveries(database)
    dead = next(r for r in (await _all(database)) if r.number == bad and r.subscriber == "customer")
    assert (dead.state, dead.attempts) == (DEAD, 1) and "SOLAPI 3059" in dead.last_error
    alert = rows["staff delivery_dead"]
    assert (alert.state, alert.number) == (SENT, bad)
    assert f"알림 전달 실패 {bad} [ticket_opened]: SOLAPI 3059" in staff.getvalue()
    assert good not in {r.number for r in await _all(database) if r.state == DEAD}


async def test_a_permanent_4xx_is_dead_at_once_and_staff_are_told(
        database: Database, fake: FakeSolapi, clock: FixedClock, tmp_path: Path) -> None:
    number = await seed_ticket(database, "c1", phone=PHONE)
    fake.statuses.append((400, {}))
    async with dispatching(notify_config(tmp_path, solapi_url=fake.base_url), database, clock) as (notices, staff):
        done = await notices.dispatcher.run_once()
        assert not (await notices.dispatcher.run_once()).busy
    assert (done.dead, done.sent) == (1, 2)  # the receipt dead; the new-ticket alert and the dead-letter alert
    rows = await deliveries(database)
    dead = rows["customer ticket_opened"]
    assert (dead.state, dead.attempts, dead.last_error) == (DEAD, 1, "SOLAPI HTTP 400 Scripted: scripted")
    assert rows["staff delivery_dead"].state == SENT
    assert f"알림 전달 실패 {number} [ticket_opened]: SOLAPI HTTP 400" in staff.getvalue()
    assert not fake.accepted


async def test_after_the_last_attempt_the_delivery_is_dead(database: Database, fake: FakeSolapi, clock: FixedClock,
                                                           tmp_path: Path) -> None:
    number = await seed_ticket(database, "c1", phone=PHONE)
    fake.statuses += [(503, {"Retry-After": "1"})] * 3
    config = notify_config(tmp_path, solapi_url=fake.base_url, max_attempts=3)
    async with dispatching(config, database, clock) as (notices, staff):
        for _ in range(3):
            await notices.dispatcher.run_once()
            clock.advance(timedelta(seconds=1))
        assert not (await notices.dispatcher.run_once()).busy
    dead = (await deliveries(database))["customer ticket_opened"]
    assert (dead.state, dead.attempts, dead.last_error) == (DEAD, 3, "gave up after 3 attempts: SOLAPI HTTP 503")
    assert f"알림 전달 실패 {number} [ticket_opened]: gave up after 3 attempts" in staff.getvalue()
    assert not fake.accepted and len(fake.requests) == 3


async def _all(database: Database) -> list[DeliveryRow]:
    async with database.uow() as uow:
        return await uow.deliveries.rows(None, None)


BAD_TEMPLATE = ('[ko.ticket_opened]\nalimtalk = "VOC_RECEIPT"\n'
                'text = "#{기관} #{접수번호} 접수, 담당 #{담당자}"\nsms = "#{접수번호} 접수"\n')


async def test_a_template_with_a_variable_its_notice_lacks_stops_open_notices(
        database: Database, clock: FixedClock, tmp_path: Path) -> None:
    builtin = (Path(__file__).resolve().parents[2] / "bot" / "notices" / "templates.toml").read_text(encoding="utf-8")
    start = builtin.index("[ko.ticket_opened]")
    end = builtin.index("[ko.supplement_requested]")
    (tmp_path / "notices.toml").write_text(builtin[:start] + BAD_TEMPLATE + "\n" + builtin[end:], encoding="utf-8")
    config = load_config(write_config(tmp_path, notify=notify_toml(templates="notices.toml")), SOLAPI_ENV)
    with pytest.raises(ConfigError) as raised:
        await open_notices(config, database, CALENDAR, clock, stream=io.StringIO())
    assert raised.value.key == "ko.ticket_opened.text" and "#{담당자}" in raised.value.problem


async def test_quiet_hours_hold_a_progress_notice_but_not_the_receipt(
        database: Database, fake: FakeSolapi, clock: FixedClock, tmp_path: Path) -> None:
    clock.at = datetime(2026, 9, 21, 22, 30, tzinfo=KST)
    number = await seed_ticket(database, "c1", phone=PHONE)
    async with database.uow() as uow:
        await uow.outbox.put("progress", {"number": number, "days": 30})
        await uow.commit()
    config = notify_config(tmp_path, solapi_url=fake.base_url, quiet_hours="21:00-08:00")
    async with dispatching(config, database, clock) as (notices, _):
        assert (await notices.dispatcher.run_once()).sent == 2  # the receipt and the staff alert
        held = (await deliveries(database))["customer progress"]
        morning = datetime(2026, 9, 22, 8, 0, tzinfo=KST)
        assert (held.state, held.attempts, held.next_attempt_at) == (PENDING, 0, morning)
        clock.at = morning - timedelta(seconds=1)
        assert not (await notices.dispatcher.run_once()).busy
        clock.at = morning
        assert (await notices.dispatcher.run_once()).sent == 1
    assert [m["kakaoOptions"]["templateId"] for m in fake.accepted] == ["VOC_RECEIPT", "VOC_PROGRESS"]
