"""What the server's lifespan opens and closes: the app (database, classifier, dialogue), the channels that are
on, and the workers (the notices dispatcher, the deadline sweeper, the draft purge).

Nothing here is kept in memory that another worker process would need: conversations, tickets and deliveries
live in the database (deliveries are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, sweeps are
idempotent), so ``vocdesk serve --workers N`` runs N of these side by side.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from bot.app import App, Desk, bootstrap, load_texts, settle
from bot.config import AppConfig
from bot.conversation.messages import Inbound, Reply
from handlers.background import Background
from handlers.metrics import Metrics
from handlers.server_workers import start_workers

if TYPE_CHECKING:
    from bot.standard.survey_desk import SurveyDesk
    from handlers.kakao_skill import KakaoSkill
    from handlers.telegram_webhook import TelegramWebhook
    from storage.gauges import DeskGauges

def telegram_webhook_on(config: AppConfig) -> bool:
    return bool(config.telegram_token) and config.settings.telegram.mode == "webhook"


def slack_on(config: AppConfig) -> bool:
    return bool(config.slack_bot_token and config.slack_signing_secret)


class Runtime:
    """The server's resources, opened by ``start`` (the lifespan's start-up) and closed by ``stop``."""

    def __init__(self, config: AppConfig, metrics: Metrics | None = None) -> None:
        self.config = config
        self.metrics = metrics or Metrics()
        self.texts = load_texts(config)
        self.background = Background()
        self.app: App | None = None
        self.kakao: KakaoSkill | None = None
        self.telegram: TelegramWebhook | None = None
        self.slack: Any = None  # the ASGI app of POST /slack/events
        self.workers: dict[str, asyncio.Task[Any]] = {}
        self._handle: Callable[[Inbound], Awaitable[list[Reply]]] | None = None
        self._stack = AsyncExitStack()

    async def handle(self, msg: Inbound) -> list[Reply]:
        """A customer message through the dialogue (counted); for every channel, the homepage chat included."""
        if self._handle is None:
            raise RuntimeError("the server is not started")
        return await self._handle(msg)

    def surveys(self) -> SurveyDesk:
        """The satisfaction survey of the running app (the web form's votes)."""
        if self.app is None:
            raise RuntimeError("the server is not started")
        app = self.app
        return Desk(self.config, app.database, app.calendar, app.clock).surveys

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise

    async def _start(self) -> None:
        import httpx

        from intents import load_classifier

        config, stack = self.config, self._stack
        app = await bootstrap(config, classifier=self.metrics.timed(load_classifier(config)))
        stack.push_async_callback(app.aclose)
        self.app, self._handle = app, self.metrics.counted(app.dialogue.handle)
        self.workers = await start_workers(config, app, stack)
        client = httpx.AsyncClient()
        stack.push_async_callback(client.aclose)
        if config.kakao_skill_secret:
            from handlers.kakao_skill import KakaoSkill

            kakao = config.settings.kakao
            self.kakao = KakaoSkill(self.handle, app.texts, self.background, client,
                                    secret=config.kakao_skill_secret, bot_id=kakao.bot_id,
                                    callback_after=kakao.callback_after_ms / 1000,
                                    callback_timeout=kakao.callback_timeout,
                                    count=lambda way: self.metrics.callbacks.labels(way).inc())
        if telegram_webhook_on(config):
            from handlers.telegram import TelegramChannel
            from handlers.telegram_webhook import webhook_running

            channel = TelegramChannel.build(config, self.handle, texts=app.texts,
                                            defer=lambda chat, text: app.defer_reply("telegram", chat, text))
            self.telegram = await stack.enter_async_context(
                webhook_running(channel, config.settings.telegram.webhook_url, file=str(config.path)))
        if slack_on(config):
            from bot.app import slack_asgi

            self.slack = slack_asgi(config, Desk(config, app.database, app.calendar, app.clock))
        # Closed first: the turns and callbacks still running finish before the rest closes.
        stack.push_async_callback(self.background.drain, config.settings.server.shutdown_grace)
        settle()  # the channels and workers too

    async def stop(self) -> None:
        await self._stack.aclose()

    async def gauges(self) -> DeskGauges:
        from storage.gauges import read_gauges

        assert self.app is not None
        async with asyncio.timeout(self.config.settings.server.health_timeout):
            return await read_gauges(self.app.database, self.app.clock.now())

    async def health(self) -> tuple[bool, dict[str, Any]]:
        """Whether the database answers ``SELECT 1`` within ``[server] health_timeout`` and every worker runs."""
        from storage.gauges import ping

        database = "not open"
        if self.app is not None:
            try:
                async with asyncio.timeout(self.config.settings.server.health_timeout):
                    await ping(self.app.database)
                database = "ok"
            except TimeoutError:
                database = "timeout"
            except Exception as exc:
                database = f"error: {type(exc).__name__}"
        workers = {name: _state(task) for name, task in self.workers.items()}
        ok = database == "ok" and all(state == "running" for state in workers.values())
        return ok, {"status": "ok" if ok else "failing", "database": database, "workers": workers,
                    "background_tasks": len(self.background), "pid": os.getpid()}


def _state(task: asyncio.Task[Any]) -> str:
    if not task.done():
        return "running"
    if task.cancelled():
        return "cancelled"
    error = task.exception()
    return f"failed: {type(error).__name__}" if error else "stopped"
