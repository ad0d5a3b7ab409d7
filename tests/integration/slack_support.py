"""What the Slack integration tests share: a config pointed at the fake Slack, tickets opened as the dialogue
opens them (with their outbox row), and a desk whose dispatcher sends staff alerts through the real Slack sink."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.alerts.channels import Channels
from bot.alerts.messages import Cards, Labels
from bot.app import alert_plan
from bot.casework.deadlines import Period, Unit
from bot.casework.routing import RoutingTable
from bot.casework.staff import Staff
from bot.casework.tickets import Ticket
from bot.casework.workcalendar import WorkCalendar
from bot.clock import FixedClock
from bot.config import AppConfig, load_config
from bot.conversation.classification import VocType
from bot.conversation.texts import Catalog
from bot.notices.dispatcher import Dispatcher, Settings
from bot.notices.plan import NoticePlanner
from bot.notices.policy import parse_quiet_hours
from bot.notices.sweep import Swept, sweep
from bot.notices.templates import BUILTIN, Templates
from handlers.slack import SlackSink, slack_client, slack_session
from storage.uow import Database
from tests.conftest import ROOT
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.fakes import RecordingSink

CAL = WorkCalendar.build()


def slack_config(fake: FakeSlack, **slack: Any) -> AppConfig:
    base = load_config(ROOT / "config.toml", {})
    settings = base.settings.model_copy(update={
        "slack": base.settings.slack.model_copy(update={"base_url": fake.base_url, "timeout": 1.0, **slack})})
    return base.model_copy(update={"settings": settings, "slack_bot_token": BOT_TOKEN,
                                   "slack_signing_secret": SIGNING_SECRET})


async def open_ticket(database: Database, received_at: datetime, *, text: str = "창구 직원이 불친절했어요",
                      department: str = "service_quality", intent: str = "unfriendly_service",
                      period: Period = Period(7, Unit.DAYS), user: str = "u1") -> str:
    """A ticket filed as the dialogue files it: the ticket and its ``ticket_opened`` row in one unit of work."""
    async with database.uow() as uow:
        customer = await uow.customers.get_or_create("console", user)
        ticket = Ticket.open(customer_id=customer.id or 0, channel="console", voc_type=VocType.COMPLAINT,
                             intent=intent, department=department, text=text, received_at=received_at,
                             policy=period, calendar=CAL, actor=f"customer:{customer.id}")
        number = (await uow.tickets.add(ticket)).number
        await uow.outbox.put("ticket_opened", {"number": number, "department": department,
                                               "due_at": ticket.due_at.isoformat()}, dedupe_key=f"opened:{number}")
        await uow.commit()
    return number


@dataclass
class SlackDesk:
    config: AppConfig
    database: Database
    clock: FixedClock
    staff: Staff
    dispatcher: Dispatcher
    sink: SlackSink
    customers: RecordingSink

    async def dispatch(self) -> None:
        await self.dispatcher.run_once()

    async def sweep(self, now: datetime) -> Swept:
        return await sweep(self.database.uow, CAL, now, alert_plan(self.config))


@asynccontextmanager
async def slack_desk(fake: FakeSlack, database: Database, clock: FixedClock, **slack: Any) -> AsyncIterator[SlackDesk]:
    config = slack_config(fake, **slack)
    settings = config.settings
    planner = NoticePlanner(settings, RoutingTable.from_settings(settings), Templates.load(BUILTIN), Catalog.load(),
                            parse_quiet_hours(""), CAL.tz)
    session = slack_session(config)
    try:
        sink = SlackSink(slack_client(config, session), database.uow, Channels.from_settings(settings),
                         Cards(Labels.from_settings(settings), CAL, clock))
        customers = RecordingSink("console")
        sinks = {"staff": sink, "console": customers, "sms": customers, "telegram": customers}
        dispatcher = Dispatcher(database.uow, planner, sinks, clock, Settings(max_attempts=4), rng=random.Random(3))
        staff = Staff(database.uow, CAL, clock, frozenset(settings.departments))
        yield SlackDesk(config, database, clock, staff, dispatcher, sink, customers)
    finally:
        await session.close()
