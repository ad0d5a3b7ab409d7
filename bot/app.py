"""The composition root: the one place that builds vocdesk from its config and picks the adapters.

What is heavy (SQLAlchemy and Alembic, the dialogue, the classifier) is imported where it is built, so
that each command loads only what it uses: staff commands open a ``Desk`` (database, calendar, clock),
``chat`` and ``telegram`` build the whole ``App`` and warm it up before the first customer writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.casework.staff import Staff
from bot.casework.workcalendar import WorkCalendar
from bot.clock import Clock, SystemClock

if TYPE_CHECKING:
    from bot.casework.routing import RoutingTable
    from bot.config import AppConfig, Settings
    from bot.conversation.classification import Classifier
    from bot.conversation.dialogue import Dialogue
    from bot.conversation.texts import Catalog
    from bot.ports import UnitOfWorkFactory
    from storage.uow import Database


def load_texts(config: AppConfig) -> Catalog:
    """The customer-facing text catalog, with the admin's overrides from ``[texts] dir``."""
    from bot.conversation.texts import Catalog

    folder = config.settings.texts.dir
    return Catalog.load(config.resolve(folder) if folder else None)


def build_calendar(settings: Settings) -> WorkCalendar:
    cal = settings.calendar
    return WorkCalendar.build(
        cal.windows(), settings.institution.timezone,
        extra_holidays=[h.date for h in cal.extra_holidays],
        removed_holidays=[h.date for h in cal.removed_holidays],
    )


async def open_database(config: AppConfig, *, clock: Clock | None = None, migrate: bool = True) -> Database:
    """The database of ``config``, migrated to the newest schema, with departments synced from config."""
    from storage.uow import Database

    if migrate:
        from storage.migrate import upgrade

        await upgrade(config.database_url)
    database = Database.from_url(config.database_url, clock=clock, pool_size=config.settings.database.pool_size,
                                 acquire_timeout=config.settings.database.acquire_timeout)
    await database.sync_departments(config.settings.departments)
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
        return Staff(self.uow, self.calendar, self.clock, frozenset(self.config.settings.departments))

    async def aclose(self) -> None:
        await self.database.close()


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
    return app
