"""``vocdesk serve``: every channel over HTTP in one process (or N, on PostgreSQL), until SIGTERM or Ctrl-C.

Before uvicorn starts, what would make a worker fail is checked here, so it is one ``error: ...`` line with
exit status 2 rather than a traceback per worker: the config, the workers against the database, the Telegram
webhook settings, the port, the schema (migrated once, not by every worker) and, for several workers, the
classifier's model cache (trained once). FastAPI and uvicorn load only when the command runs.
"""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import socket
import sys
from typing import TYPE_CHECKING, Any

import typer

from bot.cli.context import app_config, run
from bot.errors import CannotListen, ConfigError, InputRejected

if TYPE_CHECKING:
    from bot.config import AppConfig

FACTORY = "handlers.server:create_app"


def serve_command(
    ctx: typer.Context,
    workers: int | None = typer.Option(None, "--workers", min=1, max=64, metavar="N",
                                       help="Server processes side by side (PostgreSQL only for more than 1; "
                                            "default [server] workers)."),
    host: str | None = typer.Option(None, "--host", metavar="HOST", help="Listen here (default [server] host)."),
    port: int | None = typer.Option(None, "--port", min=0, max=65535, metavar="PORT",
                                    help="Listen on this port (default [server] port)."),
) -> None:
    """Serve every channel over HTTP at [server] host:port: the homepage chat, KakaoTalk, Telegram (webhook
    mode), Slack, /healthz and /metrics, with the notices dispatcher and the deadline sweeper. Stops cleanly on
    SIGTERM or Ctrl-C, finishing the requests in flight."""
    config = listening(app_config(ctx), host, port)
    server = config.settings.server
    count = workers or server.workers
    preflight(config, count, option="--workers" if workers else "[server] workers =")
    run(_prepare(config, count))
    for line in banner(config, count):
        typer.echo(line)
    sys.stdout.flush()
    _serve(config, count)


def listening(config: AppConfig, host: str | None, port: int | None) -> AppConfig:
    """``config`` with ``--host``/``--port`` in place of ``[server] host``/``port`` where given."""
    changes = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    if not changes:
        return config
    settings = config.settings
    server = settings.server.model_copy(update=changes)
    return config.model_copy(update={"settings": settings.model_copy(update={"server": server})})


def preflight(config: AppConfig, workers: int, *, option: str = "--workers") -> None:
    """Refuse what a worker would fail on, naming the option or key (``option``: where ``workers`` came from)."""
    from handlers.server_runtime import telegram_webhook_on

    if workers > 1 and config.database_url.startswith("sqlite"):
        raise InputRejected(f"{option} {workers}: SQLite has one writer, so vocdesk serves it from one process; "
                            "use PostgreSQL ([database] url) for several workers")
    if telegram_webhook_on(config):
        from handlers.telegram_webhook import check_secret

        if not config.settings.telegram.webhook_url:
            raise ConfigError(str(config.path), "telegram.webhook_url", "webhook mode needs the public HTTPS URL")
        check_secret(config.telegram_webhook_secret)
    host, port = config.settings.server.host, config.settings.server.port
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise CannotListen(host, port, exc.strerror or str(exc)) from None


async def _prepare(config: AppConfig, workers: int) -> None:
    from bot.app import open_database

    database = await open_database(config)  # migrates when needed and syncs departments, once
    await database.close()
    if workers > 1:
        from intents import load_classifier

        load_classifier(config, progress=sys.stderr.isatty())  # trains the model cache once, not per worker


def banner(config: AppConfig, workers: int) -> list[str]:
    """What is on and where, one line each (what is off says how to turn it on)."""
    from bot.app import database_location
    from handlers.server_runtime import slack_on, telegram_webhook_on

    settings = config.settings
    host = f"[{settings.server.host}]" if ":" in settings.server.host else settings.server.host
    base = f"http://{host}:{settings.server.port}"
    kakao = f"{base}/kakao/skill" if config.kakao_skill_secret else "off (set KAKAO_SKILL_SECRET)"
    if not config.telegram_token:
        telegram = "off (set TELEGRAM_BOT_TOKEN)"
    elif telegram_webhook_on(config):
        telegram = f"{base}/telegram/webhook (registered at Telegram as {settings.telegram.webhook_url})"
    else:
        telegram = 'off here ([telegram] mode = "polling": run vocdesk telegram, or set mode = "webhook")'
    slack = f"{base}/slack/events" if slack_on(config) else "off (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)"
    notify = settings.notify
    sweep = f", sweeping every {notify.sweep_minutes:g} min" if notify.sweep_minutes else ", no sweep"
    return [
        f"vocdesk serve: {base} ({workers} worker{'s' if workers > 1 else ''}, database "
        f"{database_location(config.database_url)})",
        f"homepage chat: {base}/",
        f"KakaoTalk: {kakao}",
        f"Telegram: {telegram}",
        f"Slack: {slack}",
        f"notices: provider {notify.provider}{sweep}",
        f"health: {base}/healthz, metrics: {base}/metrics",
    ]


def log_config() -> dict[str, Any]:
    """uvicorn's logging plus vocdesk's loggers; httpx only from WARNING (its request lines hold bot tokens)."""
    from uvicorn.config import LOGGING_CONFIG

    logging = copy.deepcopy(LOGGING_CONFIG)
    logging["loggers"]["vocdesk"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    logging["loggers"]["httpx"] = {"level": "WARNING"}
    return logging


def _serve(config: AppConfig, workers: int) -> None:
    import uvicorn

    from bot.config import CONFIG_ENV, SERVE_WORKERS_ENV

    settings = config.settings.server
    os.environ[CONFIG_ENV] = str(config.path)  # what the factory reads, in every worker process
    os.environ[SERVE_WORKERS_ENV] = str(workers)  # ... and how many share [database] pool_size
    # uvicorn re-raises the SIGTERM it handled once it has shut down; a stop asked for is a clean exit (0).
    signal.signal(signal.SIGTERM, lambda *_: None)
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(FACTORY, factory=True, host=settings.host, port=settings.port, workers=workers,
                    timeout_graceful_shutdown=max(1, round(settings.shutdown_grace)), access_log=False,
                    log_config=log_config(), server_header=False)
