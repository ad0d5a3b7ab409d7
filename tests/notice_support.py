"""Arranging notices tests: a config with ``[notify]``, customers with tickets and outbox events in a real
database, and the dispatcher the composition root builds (``bot.app.open_notices``)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import Notices, build_calendar, open_notices
from bot.casework.deadlines import Period, Unit
from bot.casework.tickets import Ticket
from bot.casework.workcalendar import WorkCalendar
from bot.clock import Clock
from bot.config import AppConfig, load_config
from bot.conversation.classification import VocType
from storage.uow import Database, SqlUnitOfWork
from tests.fake_solapi import API_KEY, API_SECRET

ROOT = Path(__file__).resolve().parents[1]
SOLAPI_ENV = {"SOLAPI_API_KEY": API_KEY, "SOLAPI_API_SECRET": API_SECRET}
SENDER, PF_ID = "02-1234-5678", "KA01PF_TEST"
CALENDAR = WorkCalendar.build()


def notify_toml(*, solapi_url: str = "", quiet_hours: str = "", templates: str = "", lease_seconds: int = 120,
                max_attempts: int = 8, batch_size: int = 200, poll_interval: float = 5.0, timeout: float = 10.0,
                sender: str = SENDER) -> str:
    """A ``[notify]`` section: SOLAPI at ``solapi_url`` (the console provider without one)."""
    lines = ["[notify]", f'provider = "{"solapi" if solapi_url else "console"}"', f'quiet_hours = "{quiet_hours}"',
             f"lease_seconds = {lease_seconds}", f"max_attempts = {max_attempts}", f"batch_size = {batch_size}",
             f"poll_interval = {poll_interval}", "sweep_minutes = 0"]  # no time-driven alerts in these tests
    if templates:
        lines.append(f'templates = "{templates}"')
    if solapi_url:
        lines += ["", "[notify.solapi]", f'base_url = "{solapi_url}"', f'sender = "{sender}"',
                  f'pf_id = "{PF_ID}"', f"timeout = {timeout}"]
    return "\n".join(lines) + "\n"


def write_config(folder: Path, *, database_url: str = "sqlite+aiosqlite:///vocdesk.db", notify: str = "",
                 base: Path | None = None) -> Path:
    """The shipped config (or ``base``) in ``folder`` with its intents found, ``database_url`` and ``notify``."""
    text = (base or ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('intents_dir = "intents"', f'intents_dir = "{ROOT / "intents"}"')
    text = text.replace('url = "sqlite+aiosqlite:///var/vocdesk.db"', f'url = "{database_url}"')
    path = folder / "config.toml"
    path.write_text(text + "\n" + notify, encoding="utf-8")
    return path


def notify_config(folder: Path, **notify: Any) -> AppConfig:
    return load_config(write_config(folder, notify=notify_toml(**notify)), SOLAPI_ENV)


@asynccontextmanager
async def dispatching(config: AppConfig, database: Database,
                      clock: Clock) -> AsyncIterator[tuple[Notices, io.StringIO]]:
    """The dispatcher of ``config`` on ``database``, and the stream its console sinks (staff) write to."""
    stream = io.StringIO()
    notices = await open_notices(config, database, build_calendar(config.settings), clock, stream=stream)
    try:
        yield notices, stream
    finally:
        await notices.aclose()


async def seed_ticket(database: Database, external_id: str, *, phone: str = "", channel: str = "console",
                      received_at: datetime | None = None, event: bool = True) -> str:
    """A customer (with ``phone``), a ticket of theirs and, with ``event``, its ``ticket_opened`` outbox row,
    in one unit of work; returns the ticket's number."""
    (number,) = await seed_tickets(database, [(external_id, phone)], channel=channel, received_at=received_at,
                                   event=event)
    return number


async def seed_tickets(database: Database, customers: Sequence[tuple[str, str]], *, channel: str = "console",
                       received_at: datetime | None = None, event: bool = True) -> list[str]:
    """``seed_ticket`` for each (external id, phone), all in one unit of work."""
    numbers = []
    async with database.uow() as uow:
        for external_id, phone in customers:
            numbers.append(await _seed(uow, external_id, phone, channel, received_at or database.clock.now(), event))
        await uow.commit()
    return numbers


async def _seed(uow: SqlUnitOfWork, external_id: str, phone: str, channel: str, at: datetime, event: bool) -> str:
    customer = await uow.customers.get_or_create(channel, external_id)
    customer.phone = phone
    await uow.customers.save(customer)
    assert customer.id is not None
    ticket = await uow.tickets.add(Ticket.open(
        customer_id=customer.id, channel=channel, voc_type=VocType.INQUIRY, intent="general_inquiry",
        department="voc_desk", text="보증료 환급 절차가 궁금합니다", received_at=at,
        policy=Period(7, Unit.DAYS), calendar=CALENDAR, actor="customer", contact_phone=phone))
    if event:
        await uow.outbox.put("ticket_opened", {"number": ticket.number, "department": "voc_desk"},
                             dedupe_key=f"opened:{ticket.number}")
    return ticket.number
