"""The composition root: the one place that builds vocdesk from its config and picks the adapters.

What is heavy (SQLAlchemy and Alembic, the dialogue, the classifier) is imported where it is built, so
that each command loads only what it uses: staff commands open a ``Desk`` (database, calendar, clock),
``chat`` and ``telegram`` build the whole ``App`` and warm it up before the first customer writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TextIO

from bot.casework.staff import Staff
from bot.casework.workcalendar import WorkCalendar
from bot.clock import Clock, SystemClock

if TYPE_CHECKING:
    from bot.alerts.sweep import AlertPlan
    from bot.casework.routing import RoutingTable
    from bot.config import AppConfig, Settings
    from bot.conversation.assisted import AssistedDesk
    from bot.conversation.classification import Classifier
    from bot.conversation.dialogue import Dialogue
    from bot.conversation.texts import Catalog
    from bot.notices.dispatcher import Dispatcher
    from bot.notices.model import Sink
    from bot.notices.templates import Templates
    from bot.ports import UnitOfWorkFactory
    from bot.standard.remedy_desk import RemedyDesk
    from bot.standard.survey_desk import SurveyDesk, SurveyTerms
    from storage.uow import Database


def load_texts(config: AppConfig) -> Catalog:
    """The customer-facing text catalog, with the admin's overrides from ``[texts] dir``."""
    from bot.conversation.texts import Catalog

    folder = config.settings.texts.dir
    return Catalog.load(config.resolve(folder) if folder else None)


def build_calendar(settings: Settings) -> WorkCalendar:
    return settings.work_calendar()


async def open_database(config: AppConfig, *, clock: Clock | None = None, migrate: bool = True) -> Database:
    """The database of ``config``, migrated to the newest schema, with departments synced from config."""
    from storage.migrate import is_current
    from storage.uow import Database

    database = Database.from_url(config.database_url, clock=clock, pool_size=config.settings.database.pool_size,
                                 acquire_timeout=config.settings.database.acquire_timeout)
    try:
        if migrate and not await is_current(database.engine):  # Alembic loads only when there is work for it
            from storage.migrate import upgrade

            await upgrade(config.database_url)
        await database.sync_departments(config.settings.departments)
    except BaseException:
        await database.close()
        raise
    return database


@dataclass
class Desk:
    """What the staff commands need: the database, the calendar and the clock (no classifier, no dialogue)."""

    config: AppConfig
    database: Database
    calendar: WorkCalendar
    clock: Clock

    @property
    def uow(self) -> UnitOfWorkFactory:
        return self.database.uow

    @property
    def staff(self) -> Staff:
        from bot.standard.survey_desk import Inviter

        settings = self.config.settings
        return Staff(self.uow, self.calendar, self.clock, frozenset(settings.departments),
                     desk=settings.desk_department, after=Inviter(survey_terms(settings)))

    @property
    def surveys(self) -> SurveyDesk:
        from bot.standard.survey_desk import SurveyDesk

        return SurveyDesk(self.uow, self.clock, survey_terms(self.config.settings))

    @property
    def remedies(self) -> RemedyDesk:
        from bot.standard.remedy_desk import RemedyDesk
        from bot.standard.rules import RemedyRules

        return RemedyDesk(self.uow, RemedyRules.from_settings(self.config.settings), self.clock)

    async def aclose(self) -> None:
        await self.database.close()


def survey_terms(settings: Settings) -> SurveyTerms:
    from bot.standard.survey_desk import SurveyTerms

    survey = settings.survey
    return SurveyTerms(survey.enabled, survey.low_score, survey.valid_days)


async def open_desk(config: AppConfig, *, clock: Clock | None = None) -> Desk:
    clock = clock or SystemClock()
    return Desk(config, await open_database(config, clock=clock), build_calendar(config.settings), clock)


@dataclass(frozen=True)
class SchemaUpgrade:
    """What ``vocdesk db upgrade`` did; ``before`` is None when the database had no schema yet."""

    where: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before is None:
            return f"created the database at {self.where} (schema revision {self.after})"
        if self.before == self.after:
            return f"the database at {self.where} is already up to date (schema revision {self.after})"
        return f"upgraded the database at {self.where} from schema revision {self.before} to {self.after}"


def database_location(url: str) -> str:
    """Where a database is, for people: the file of SQLite, else the URL without its password."""
    from storage.db import normalize_url

    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed._replace(password=None).render_as_string(hide_password=False)  # (URL.set keeps a None part)


async def upgrade_database(config: AppConfig) -> SchemaUpgrade:
    """Migrate the database of ``config`` to the newest schema and say what that changed."""
    from storage.migrate import current_revision, upgrade

    url = config.database_url
    before = await current_revision(url)
    await upgrade(url)
    return SchemaUpgrade(database_location(url), before, await current_revision(url))


@dataclass
class App:
    config: AppConfig
    database: Database
    calendar: WorkCalendar
    routing: RoutingTable
    classifier: Classifier
    clock: Clock
    dialogue: Dialogue
    texts: Catalog

    async def purge_drafts(self) -> int:
        """Delete conversations left half-written longer than ``[dialogue] draft_ttl_minutes`` (they hold what
        the customer wrote); returns how many."""
        from bot.conversation.dialogue import DRAFT_STEPS

        ttl = timedelta(minutes=self.config.settings.dialogue.draft_ttl_minutes)
        async with self.database.uow() as uow:
            purged = await uow.conversations.purge(self.clock.now() - ttl, DRAFT_STEPS)
            await uow.commit()
        return purged

    def assisted(self, channel: str) -> AssistedDesk:
        """The VOC actions for an assistant that keeps the conversation itself (Rasa), as ``channel``."""
        from bot.conversation.assisted import AssistedDesk

        return AssistedDesk(self.dialogue.deps, channel)

    async def defer_reply(self, channel: str, chat_id: int | str, text: str) -> None:
        """Queue a chat reply the channel could not send now; the notices dispatcher delivers it."""
        async with self.database.uow() as uow:
            await uow.outbox.put("channel_reply", {"channel": channel, "chat_id": str(chat_id), "text": text})
            await uow.commit()

    async def aclose(self) -> None:
        await self.database.close()


async def bootstrap(config: AppConfig, *, clock: Clock | None = None,
                    classifier: Classifier | None = None, migrate: bool = True, progress: bool = False) -> App:
    """Build the whole app for a long-running process (``chat``, ``telegram``). Everything a customer's
    first message needs is loaded here, not on that message: the classifier with Kiwi, and the holidays of
    this year and the next. Tests pass a clock and a classifier (``progress`` shows a bar when the
    classifier has to be trained first)."""
    from bot.casework.routing import RoutingTable
    from bot.conversation.dialogue import Dialogue, DialogueDeps

    if classifier is None:
        from intents import load_classifier

        classifier = load_classifier(config, progress=progress)
    clock = clock or SystemClock()
    settings = config.settings
    calendar = build_calendar(settings)
    calendar.warm(clock.now())
    routing = RoutingTable.from_settings(settings)
    texts = load_texts(config)
    database = await open_database(config, clock=clock, migrate=migrate)
    dialogue = Dialogue(DialogueDeps(
        uow=database.uow, classifier=classifier, routing=routing, calendar=calendar, clock=clock,
        settings=settings, texts=texts,
    ))
    app = App(config, database, calendar, routing, classifier, clock, dialogue, texts)
    await app.purge_drafts()
    settle()
    return app


def settle() -> None:
    """Freeze what a long-running process has loaded at its start (the classifier with Kiwi's model, the
    libraries, the config): it stays for the process's life, and frozen, the garbage collector no longer walks
    it at every full collection. Unfrozen, a full collection paused the server for ~110 ms at 50 concurrent
    customers (measured), every turn in flight waiting."""
    import gc

    gc.collect()
    gc.freeze()


@dataclass
class Notices:
    """The notices dispatcher and what it holds open (provider clients, the outbox listener)."""

    dispatcher: Dispatcher
    wake: asyncio.Event
    closers: list[Callable[[], Awaitable[None]]]

    async def aclose(self) -> None:
        for close in reversed(self.closers):
            await close()


def load_templates(config: AppConfig) -> Templates:
    """The notice templates: the admin's file (``[notify] templates``) or the built-in one, validated."""
    from bot.notices.templates import BUILTIN, Templates

    name = config.settings.notify.templates
    return Templates.load(config.resolve(name) if name else BUILTIN)


async def open_notices(config: AppConfig, database: Database, calendar: WorkCalendar, clock: Clock, *,
                       stream: TextIO, texts: Catalog | None = None, routing: RoutingTable | None = None) -> Notices:
    """The dispatcher with the sinks ``[notify]`` picks: AlimTalk/SMS through SOLAPI or the console, the
    customer's Telegram chat when a bot token is set, and for staff Slack when ``SLACK_BOT_TOKEN`` is set (else
    the console)."""
    from bot.casework.routing import RoutingTable
    from bot.notices.dispatcher import Dispatcher
    from bot.notices.dispatcher import Settings as DispatchSettings
    from bot.notices.plan import NoticePlanner
    from bot.notices.policy import parse_quiet_hours
    from handlers.notice_console import ConsoleSink

    settings = config.settings
    notify = settings.notify
    planner = NoticePlanner(settings, routing or RoutingTable.from_settings(settings), load_templates(config),
                            texts or load_texts(config), parse_quiet_hours(notify.quiet_hours), calendar.tz)
    closers: list[Callable[[], Awaitable[None]]] = []
    sinks: dict[str, Sink] = {"console": ConsoleSink("console", stream), "staff": ConsoleSink("staff", stream)}
    if notify.provider == "solapi":
        import httpx

        from handlers.solapi import SolapiSink

        client = httpx.AsyncClient(base_url=notify.solapi.base_url, timeout=notify.solapi.timeout)
        closers.append(client.aclose)
        sinks["sms"] = SolapiSink(client, api_key=config.solapi_api_key, api_secret=config.solapi_api_secret,
                                  sender=notify.solapi.sender, pf_id=notify.solapi.pf_id)
    else:
        sinks["sms"] = ConsoleSink("sms", stream)
    if config.slack_bot_token:
        sinks["staff"] = slack_sink(config, database, calendar, clock, closers)
    if config.telegram_token:
        from handlers.telegram_notices import TelegramSink, telegram_bot

        bot = telegram_bot(config)
        sinks["telegram"] = TelegramSink(bot)
        closers.append(bot.shutdown)
    wake = asyncio.Event()
    closers.append(await database.listen_outbox(wake))
    dispatcher = Dispatcher(database.uow, planner, sinks, clock, DispatchSettings(
        batch=notify.batch_size, lease=timedelta(seconds=notify.lease_seconds), max_attempts=notify.max_attempts,
    ))
    return Notices(dispatcher, wake, closers)


def slack_sink(config: AppConfig, database: Database, calendar: WorkCalendar, clock: Clock,
               closers: list[Callable[[], Awaitable[None]]]) -> Sink:
    """Staff alerts into Slack (``[slack]``), with the client's connection pool added to ``closers``."""
    from bot.alerts.channels import Channels
    from bot.alerts.messages import Cards, Labels
    from handlers.slack import SlackSink, slack_client, slack_session

    session = slack_session(config)
    closers.append(session.close)
    settings = config.settings
    return SlackSink(slack_client(config, session), database.uow, Channels.from_settings(settings),
                     Cards(Labels.from_settings(settings), calendar, clock))


def alert_plan(config: AppConfig) -> AlertPlan:
    """What ``vocdesk sweep`` needs for the staff alerts: the ladders and the digest time."""
    from datetime import time

    from bot.alerts.ladder import Ladders
    from bot.alerts.sweep import AlertPlan

    settings = config.settings
    slack = settings.slack
    digest = time.fromisoformat(slack.digest_time) if slack.digest_time else None
    return AlertPlan(Ladders.parse(slack.ladder, slack.ladders), digest, tuple(settings.departments))


def slack_app(config: AppConfig, desk: Desk, *, socket_mode: bool = False, client: Any = None) -> Any:
    """The Slack app (slack-bolt ``AsyncApp``) behind the cards' buttons, the forms and ``/voc``: serve it over
    HTTP with ``handlers.slack_inbound.slack_events`` (``POST /slack/events``) or over Socket Mode
    (``vocdesk slack``). ``client``: the Web API client (default: ``[slack]`` with ``SLACK_BOT_TOKEN``)."""
    from bot.alerts.actions import AlertDesk, Directory
    from bot.alerts.messages import Cards, Labels
    from bot.errors import ConfigError
    from handlers.slack import slack_client
    from handlers.slack_inbound import build_app

    file = str(config.path)
    if not config.slack_bot_token:
        raise ConfigError(file, "SLACK_BOT_TOKEN", "not set: export SLACK_BOT_TOKEN=xoxb-… (the app's bot token)")
    if not socket_mode and not config.slack_signing_secret:
        raise ConfigError(file, "SLACK_SIGNING_SECRET", "not set: requests from Slack cannot be verified without it")
    settings = config.settings
    labels = Labels.from_settings(settings)
    service = AlertDesk(desk.staff, desk.uow, Directory.from_settings(settings),
                        Cards(labels, desk.calendar, desk.clock), labels)
    return build_app(service, client or slack_client(config), signing_secret=config.slack_signing_secret,
                     socket_mode=socket_mode)


def slack_asgi(config: AppConfig, desk: Desk, *, client: Any = None) -> Any:
    """The ASGI app answering Slack's signed requests at ``POST /slack/events`` (buttons, forms, ``/voc``): what
    an HTTP server mounts (other paths answer 404)."""
    from handlers.slack_inbound import slack_events

    return slack_events(slack_app(config, desk, client=client))
