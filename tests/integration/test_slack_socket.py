"""Socket Mode (``vocdesk slack``): slack_sdk's Socket Mode client asks the fake Slack for a WebSocket URL
(``apps.connections.open`` with the app-level token), connects, and acknowledges each envelope by its id with the
answer as its payload."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl

import pytest

from bot.casework.tickets import Status
from bot.clock import FixedClock
from bot.config import Database as DatabaseSettings
from handlers.slack_socket import serve_socket_mode
from storage.uow import Database
from tests.fake_slack import APP_TOKEN, FakeSlack, block_actions, fake_slack, slash
from tests.integration.slack_support import open_ticket, slack_desk
from tests.integration.test_slack_inbound import CS, MONDAY, STAFF


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with fake_slack() as server:
        yield server


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY)


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait for something the other side does (the fake runs in its own thread)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


async def test_socket_mode_envelopes_are_acknowledged_with_the_answer(
        fake: FakeSlack, database: Database, database_url: str, clock: FixedClock) -> None:
    async with slack_desk(fake, database, clock, staff=STAFF, digest_time="") as desk:
        number = await open_ticket(database, MONDAY)
        await desk.dispatch()
        settings = desk.config.settings.model_copy(update={"database": DatabaseSettings(url=database_url)})
        config = desk.config.model_copy(update={"settings": settings, "slack_app_token": APP_TOKEN,
                                                "slack_signing_secret": ""})
        stop = asyncio.Event()
        serving = asyncio.create_task(serve_socket_mode(config, stop))
        try:
            await until(lambda: fake.called("apps.connections.open") and fake._envelopes is not None)
            fake.send_envelope({"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
                                "payload": dict(parse_qsl(slash("U0KIM", "dept")))})
            await until(lambda: fake.acks)
            (ack,) = fake.acks
            assert ack["envelope_id"] == "env-1" and number in ack["payload"]["text"]

            (card,) = fake.in_channel(CS)
            fake.send_envelope({"envelope_id": "env-2", "type": "interactive", "accepts_response_payload": False,
                                "payload": block_actions("U0KIM", "voc_claim", f"{number}|0", channel=CS,
                                                         ts=card.ts)})
            await until(lambda: len(fake.acks) == 2)
            assert fake.acks[1]["envelope_id"] == "env-2"
            async with database.uow() as uow:
                ticket = await uow.tickets.get(number)
            assert ticket is not None and (ticket.status, ticket.assignee) == (Status.ASSIGNED, "kim")
        finally:
            stop.set()
            await asyncio.wait_for(serving, 10)
