"""config.toml, read once into a typed, validated object.

Secrets never live in the file: tokens are read from the environment mapping passed in.
An unknown key or a bad value stops start-up with a ``ConfigError`` naming the file and the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.alerts.ladder import DEFAULT_LADDER
from bot.casework.deadlines import Law, Period, Regime, Unit
from bot.casework.workcalendar import WorkCalendar
from bot.conversation.classification import DIALOGUE_INTENTS, VocType
from bot.errors import ConfigError
from bot.tomlfile import read_toml

CONFIG_ENV = "VOCDESK_CONFIG"
SERVE_WORKERS_ENV = "VOCDESK_SERVE_WORKERS"  # set by ``vocdesk serve`` for its worker processes
DEFAULT_CONFIG = Path("config.toml")
_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
DATABASE_SCHEMES = frozenset({"sqlite", "sqlite+aiosqlite", "postgresql", "postgresql+asyncpg", "postgres"})
"""The URL schemes storage can open (checked here because the core does not import storage)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Institution(_Strict):
    name: str = "고객센터"
    name_en: str = "Customer Center"
    timezone: str = "Asia/Seoul"
    privacy_retention: str = "처리 완료 후 3년"
    privacy_retention_en: str = "3 years after the case is closed"
    phone: str = ""  # told to customers who want a person but did not consent to the messenger
    phone_hours: str = "평일 09:00-18:00"
    phone_hours_en: str = "weekdays 09:00-18:00"

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as \"Asia/Seoul\"") from None
        return value


class Database(_Strict):
    url: str = "sqlite+aiosqlite:///var/vocdesk.db"
    pool_size: int = Field(default=5, ge=1, le=200)  # PostgreSQL connections; SQLite has one writer
    acquire_timeout: float = Field(default=10.0, gt=0, le=600)  # seconds a turn may wait for a connection

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        # The message names only the scheme: the rest of a URL may hold a password.
        scheme, separator, _ = value.partition("://")
        if scheme not in DATABASE_SCHEMES or not separator:
            what = f"database {scheme!r}" if separator else "database URL"
            raise ValueError(f"unsupported {what}: use \"sqlite+aiosqlite:///PATH\" "
                             "or \"postgresql+asyncpg://USER@HOST:PORT/DB\"")
        return value


class HolidayOverride(_Strict):
    date: date
    reason: str = ""


class Calendar(_Strict):
    work_windows: list[str] = ["09:00-12:00", "13:00-18:00"]
    extra_holidays: list[HolidayOverride] = []
    removed_holidays: list[HolidayOverride] = []

    @field_validator("work_windows")
    @classmethod
    def _windows(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one working window is needed, e.g. \"09:00-12:00\"")
        parsed = [_parse_window(w) for w in value]
        for (s1, e1), (s2, _) in pairwise(parsed):
            if not s1 < e1 <= s2:
                raise ValueError("windows must be in order and must not overlap")
        return value

    def windows(self) -> tuple[tuple[time, time], ...]:
        return tuple(_parse_window(w) for w in self.work_windows)


def _parse_window(text: str) -> tuple[time, time]:
    m = _WINDOW.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a window like \"09:00-12:00\"")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    if not start < end:
        raise ValueError(f"{text!r}: the window must end after it starts")
    return start, end


class Policy(_Strict):
    """A deadline policy: ``period`` in ``unit`` under ``regime`` (민원처리법 제19조 or 민법), set by ``law``
    (민원처리법, or 정보공개법 제11조: one 10-day extension, both readings computed, the earlier alerts and
    ``regime`` is the reading compliance is judged by)."""

    period: int = Field(default=1, ge=0, le=366)
    unit: Unit = Unit.DAYS
    regime: Regime = Regime.MINWON
    law: Law = Law.MINWON
    label: str = ""

    def to_period(self) -> Period:
        return Period(self.period if self.unit is not Unit.IMMEDIATE else 0, self.unit, self.regime, self.law)

    @model_validator(mode="after")
    def _a_period(self) -> Policy:
        self.to_period()  # e.g. a 정보공개 period in weeks, or 즉시 under the civil regime, is refused here
        return self


class Department(_Strict):
    name: str
    name_en: str = ""
    slack_channel: str = ""


class IntentMeta(_Strict):
    voc_type: VocType
    policy: str
    department: str = ""
    remedy: str = ""  # a key of [remedies]: the remedy a ticket of this intent opens
    label: str = ""
    label_en: str = ""


REMEDY_KINDS = ("kindness", "accuracy", "damage")
"""KODIT's 잘못된 서비스 시정조치: 친절서비스 보증, 서비스 정확성 보증, 피해보상 (the keys of ``[remedies]``)."""
REMEDY_STEPS = ("investigation", "cs_training", "apology", "written_apology", "referral", "decision", "compensation")


class RemedyTerms(_Strict):
    """One remedy of the service standard: what it promises (amounts in won), how long the investigation may take
    (a period on the deadline engine, counted like a 민원's), which steps close it and who owns it."""

    label: str
    description: str = ""
    amount: int = Field(default=0, ge=0, le=100_000_000)  # won, once the facts are confirmed
    repeat_amount: int = Field(default=0, ge=0, le=100_000_000)  # won, from ``repeat_visits`` visits on
    repeat_visits: int = Field(default=3, ge=2, le=100)
    investigate_days: int = Field(default=7, ge=1, le=366)
    steps: list[str] = []
    department: str = ""  # the owning department; "" = the ticket's

    @field_validator("steps")
    @classmethod
    def _steps(cls, value: list[str]) -> list[str]:
        unknown = [s for s in value if s not in REMEDY_STEPS]
        if unknown:
            raise ValueError(f"unknown step {unknown[0]!r}; one of {', '.join(REMEDY_STEPS)}")
        return value


class Remedies(_Strict):
    kindness: RemedyTerms = RemedyTerms(
        label="친절서비스 보증", amount=10_000, steps=["investigation", "cs_training", "apology", "compensation"])
    accuracy: RemedyTerms = RemedyTerms(
        label="서비스 정확성 보증", amount=10_000, repeat_amount=20_000,
        steps=["investigation", "written_apology", "compensation"])
    damage: RemedyTerms = RemedyTerms(label="피해보상", investigate_days=14, steps=["referral", "decision"])

    def terms(self, kind: str) -> RemedyTerms:
        terms: RemedyTerms = getattr(self, kind)
        return terms


class Survey(_Strict):
    """The satisfaction survey (happy call) after an answer: once per ticket, 1–5."""

    enabled: bool = True
    base_url: str = ""  # where ``/survey/{token}`` is served, for links in AlimTalk/SMS ("" = no link)
    low_score: int = Field(default=2, ge=1, le=4)  # this rating or lower alerts the department
    valid_days: int = Field(default=30, ge=1, le=365)  # an invitation can be answered this long


class Dialogue(_Strict):
    max_text_chars: int = Field(default=4000, ge=100, le=100_000)
    confirm_threshold: float = Field(default=0.55, ge=0.0, le=1.0)
    margin: float = Field(default=0.15, ge=0.0, le=1.0)
    max_failures: int = Field(default=2, ge=1, le=10)
    ask_contact: bool = True
    draft_ttl_minutes: int = Field(default=1440, ge=5, le=60 * 24 * 30)  # abandoned drafts are deleted
    language_switch_after: int = Field(default=2, ge=1, le=10)  # messages in a row in the other language


class Classifier(_Strict):
    intents_dir: str = "intents"
    cache_dir: str = "var/model"


class Texts(_Strict):
    dir: str = ""  # a folder with ko.toml / en.toml overriding the built-in catalog ("" = built-in only)


class Solapi(_Strict):
    base_url: str = "https://api.solapi.com"
    sender: str = ""  # the registered sender number (발신번호)
    pf_id: str = ""  # the KakaoTalk channel's profile id; "" sends SMS/LMS only
    timeout: float = Field(default=10.0, gt=0, le=120)


class Notify(_Strict):
    provider: Literal["console", "solapi"] = "console"
    quiet_hours: str = "21:00-08:00"  # institution time; "" = none. Non-urgent notices wait for the end
    templates: str = ""  # a notice templates file of your own; "" = the built-in bot/notices/templates.toml
    max_attempts: int = Field(default=8, ge=1, le=100)
    poll_interval: float = Field(default=5.0, gt=0, le=3600)
    lease_seconds: int = Field(default=120, ge=5, le=3600)
    batch_size: int = Field(default=200, ge=1, le=5000)
    sweep_minutes: float = Field(default=5.0, ge=0, le=1440)  # `vocdesk dispatch` sweeps this often; 0 = never
    solapi: Solapi = Solapi()

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        from bot.notices.policy import parse_quiet_hours

        parse_quiet_hours(value)
        return value


class Telegram(_Strict):
    base_url: str = "https://api.telegram.org/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str = ""
    poll_timeout: int = Field(default=10, ge=0, le=50)


class Server(_Strict):
    """``vocdesk serve``: where it listens and what it accepts."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)  # processes (PostgreSQL only for more than one)
    max_body_bytes: int = Field(default=65536, ge=1024, le=10_000_000)  # larger request bodies get 413
    shutdown_grace: float = Field(default=10.0, ge=0, le=600)  # seconds requests in flight get on SIGTERM
    health_timeout: float = Field(default=2.0, gt=0, le=60)  # /healthz: seconds the database has to answer


class Kakao(_Strict):
    """KakaoTalk through a Kakao i Open Builder skill (``POST /kakao/skill``); on with KAKAO_SKILL_SECRET."""

    bot_id: str = ""  # when set, a payload's bot.id must equal it
    callback_after_ms: int = Field(default=3500, ge=0, le=4500)  # a slower turn answers through the callback
    callback_timeout: float = Field(default=10.0, gt=0, le=60)  # seconds the POST to callbackUrl may take


class SlackStaff(_Strict):
    """A Slack user who may act on tickets: who they are in vocdesk, their department and their role."""

    id: str = Field(min_length=1, max_length=100)  # the staff id recorded as assignee and in the ticket's log
    department: str
    role: Literal["staff", "admin"] = "staff"  # admin: any department's tickets


class Slack(_Strict):
    base_url: str = "https://slack.com/api/"
    default_channel: str = ""  # every department without its own slack_channel
    escalation_channel: str = ""  # overdue tickets, besides their thread ("" = the thread only)
    ladder: list[str] = list(DEFAULT_LADDER)  # the deadline warnings (bot/alerts/ladder.py)
    ladders: dict[str, list[str]] = {}  # department -> its own ladder
    digest_time: str = "09:00"  # institution time, working days; "" = no digest
    timeout: float = Field(default=10.0, gt=0, le=120)
    staff: dict[str, SlackStaff] = {}  # Slack user id (U...) -> staff

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("ladder")
    @classmethod
    def _ladder(cls, value: list[str]) -> list[str]:
        from bot.alerts.ladder import Ladder

        Ladder.parse(value)
        return value

    @field_validator("ladders")
    @classmethod
    def _ladders(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from bot.alerts.ladder import Ladder

        for key, steps in value.items():
            try:
                Ladder.parse(steps)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        return value

    @field_validator("digest_time")
    @classmethod
    def _digest_time(cls, value: str) -> str:
        if value and not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", value):
            raise ValueError(f"{value!r} is not a time like \"09:00\" (or \"\" for no digest)")
        return value


class Settings(_Strict):
    institution: Institution = Institution()
    database: Database = Database()
    calendar: Calendar = Calendar()
    dialogue: Dialogue = Dialogue()
    classifier: Classifier = Classifier()
    telegram: Telegram = Telegram()
    texts: Texts = Texts()
    notify: Notify = Notify()
    slack: Slack = Slack()
    remedies: Remedies = Remedies()
    survey: Survey = Survey()
    server: Server = Server()
    kakao: Kakao = Kakao()
    desk_department: str = "voc_desk"
    policies: dict[str, Policy] = {}
    departments: dict[str, Department] = {}
    intents: dict[str, IntentMeta] = {}

    def work_calendar(self) -> WorkCalendar:
        """The working days and windows that the deadlines and the ladder count in."""
        return WorkCalendar.build(
            self.calendar.windows(), self.institution.timezone,
            extra_holidays=[h.date for h in self.calendar.extra_holidays],
            removed_holidays=[h.date for h in self.calendar.removed_holidays],
        )

    @model_validator(mode="after")
    def _references(self) -> Settings:
        if self.desk_department not in self.departments:
            raise ValueError(f"desk_department {self.desk_department!r} is not in [departments]")
        for name, meta in self.intents.items():
            if name in DIALOGUE_INTENTS:
                raise ValueError(f"intents.{name}: {name!r} is a dialogue intent and opens no ticket")
            if meta.policy not in self.policies:
                raise ValueError(f"intents.{name}.policy: no policy {meta.policy!r} in [policies]")
            if meta.department and meta.department not in self.departments:
                raise ValueError(f"intents.{name}.department: no department {meta.department!r}")
            if meta.remedy and meta.remedy not in REMEDY_KINDS:
                raise ValueError(f"intents.{name}.remedy: no remedy {meta.remedy!r}; one of {', '.join(REMEDY_KINDS)}")
        for kind in REMEDY_KINDS:
            owner = self.remedies.terms(kind).department
            if owner and owner not in self.departments:
                raise ValueError(f"remedies.{kind}.department: no department {owner!r}")
        return self

    @model_validator(mode="after")
    def _slack_references(self) -> Settings:
        for user, member in self.slack.staff.items():
            if member.department not in self.departments:
                raise ValueError(f"slack.staff.{user}.department: no department {member.department!r}")
        for key in self.slack.ladders:
            if key not in self.departments:
                raise ValueError(f"slack.ladders.{key}: no department {key!r}")
        return self


Secret = Annotated[str, "from the environment"]


class AppConfig(BaseModel):
    """Settings from the file plus what came from the environment and where the file was."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    settings: Settings
    path: Path
    telegram_token: Secret = ""
    telegram_webhook_secret: Secret = ""
    solapi_api_key: Secret = ""
    solapi_api_secret: Secret = ""
    slack_bot_token: Secret = ""
    slack_signing_secret: Secret = ""
    slack_app_token: Secret = ""
    kakao_skill_secret: Secret = ""

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def sharing_pool(self, processes: int) -> AppConfig:
        """The config of one of ``processes`` server processes (``vocdesk serve --workers``): ``[database]
        pool_size`` is the whole server's, shared among them, each getting at least 2. Every turn that opens a
        ticket waits for the year's number row until the turn before it commits, so the server's connections in
        all make the queue there: 2 workers of 10 connections each tripled the p99 of those turns."""
        if processes <= 1:
            return self
        database = self.settings.database
        share = max(2, -(-database.pool_size // processes))
        settings = self.settings.model_copy(update={"database": database.model_copy(update={"pool_size": share})})
        return self.model_copy(update={"settings": settings})

    def resolve(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else self.base_dir / p

    @property
    def database_url(self) -> str:
        """The database URL; a relative SQLite path is taken relative to the config file."""
        url = self.settings.database.url
        prefix = "sqlite+aiosqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve(url[len(prefix):]))
        return url


def config_path(explicit: str | Path | None, environ: Mapping[str, str]) -> Path:
    if explicit:
        return Path(explicit)
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    return DEFAULT_CONFIG


def load_config(path: str | Path, environ: Mapping[str, str]) -> AppConfig:
    """Read and validate ``path``; raise ``ConfigError`` naming the file and key on any problem."""
    p = Path(path)
    raw = read_toml(p, missing="config file not found (use --config PATH or VOCDESK_CONFIG)")
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(part) for part in err["loc"])
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key (check the spelling)"
        elif err["type"] == "value_error" and "error" in err.get("ctx", {}):
            message = str(err["ctx"]["error"])  # our own validators' words, without pydantic's "Value error, "
        raise ConfigError(str(p), key, message) from None
    config = AppConfig(
        settings=settings,
        path=p.resolve(),
        telegram_token=environ.get("TELEGRAM_BOT_TOKEN", ""),
        telegram_webhook_secret=environ.get("TELEGRAM_WEBHOOK_SECRET", ""),
        solapi_api_key=environ.get("SOLAPI_API_KEY", ""),
        solapi_api_secret=environ.get("SOLAPI_API_SECRET", ""),
        slack_bot_token=environ.get("SLACK_BOT_TOKEN", ""),
        slack_signing_secret=environ.get("SLACK_SIGNING_SECRET", ""),
        slack_app_token=environ.get("SLACK_APP_TOKEN", ""),
        kakao_skill_secret=environ.get("KAKAO_SKILL_SECRET", ""),
    )
    if settings.notify.provider == "solapi":
        for variable, value in (("SOLAPI_API_KEY", config.solapi_api_key),
                                ("SOLAPI_API_SECRET", config.solapi_api_secret)):
            if not value:
                raise ConfigError(str(p), variable, 'not set: [notify] provider = "solapi" needs it in the environment')
        if not settings.notify.solapi.sender:
            raise ConfigError(str(p), "notify.solapi.sender", "the registered sender number is required for SOLAPI")
    if settings.notify.templates and not config.resolve(settings.notify.templates).is_file():
        raise ConfigError(str(p), "notify.templates",
                          f"no file {str(config.resolve(settings.notify.templates))!r} (notice templates)")
    intents = config.resolve(settings.classifier.intents_dir)
    if not intents.is_dir():
        raise ConfigError(str(p), "classifier.intents_dir",
                          f"no folder {str(intents)!r} (a relative path is taken from the config file's folder)")
    return config
