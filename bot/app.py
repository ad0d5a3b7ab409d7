"""The composition root: the one place that builds vocdesk from its config and picks the adapters."""

from __future__ import annotations

from dataclasses import dataclass

from bot.classification import Classifier
from bot.clock import Clock, SystemClock
from bot.config import AppConfig, Settings
from bot.dialogue import Dialogue, DialogueDeps
from bot.routing import RoutingTable
from bot.workcalendar import WorkCalendar
from storage.migrate import upgrade
from storage.uow import Database


def build_calendar(settings: Settings) -> WorkCalendar:
    cal = settings.calendar
    return WorkCalendar.build(
        cal.windows(), settings.institution.timezone,
        extra_holidays=[h.date for h in cal.extra_holidays],
        removed_holidays=[h.date for h in cal.removed_holidays],
    )


@dataclass
class App:
    config: AppConfig
    database: Database
    calendar: WorkCalendar
    routing: RoutingTable
    classifier: Classifier
    clock: Clock
    dialogue: Dialogue

    async def aclose(self) -> None:
        await self.database.close()


async def open_database(config: AppConfig, *, clock: Clock | None = None, migrate: bool = True) -> Database:
    """The database of ``config``, migrated to the newest schema, with departments synced from config."""
    if migrate:
        await upgrade(config.database_url)
    database = Database.from_url(config.database_url, clock=clock)
    await database.sync_departments(config.settings.departments)
    return database


async def bootstrap(config: AppConfig, *, clock: Clock | None = None,
                    classifier: Classifier | None = None, migrate: bool = True, progress: bool = False) -> App:
    """Build the whole app. Tests pass a clock and a classifier; production takes the real ones
    (``progress`` shows a bar when the classifier has to be trained first)."""
    if classifier is None:
        from intents import load_classifier

        classifier = load_classifier(config, progress=progress)
    clock = clock or SystemClock()
    settings = config.settings
    calendar = build_calendar(settings)
    routing = RoutingTable.from_settings(settings)
    database = await open_database(config, clock=clock, migrate=migrate)
    dialogue = Dialogue(DialogueDeps(
        uow=database.uow, classifier=classifier, routing=routing, calendar=calendar, clock=clock,
        settings=settings,
    ))
    return App(config, database, calendar, routing, classifier, clock, dialogue)
