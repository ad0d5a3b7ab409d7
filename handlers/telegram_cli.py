"""``vocdesk telegram``: run the Telegram bot by long polling until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import contextlib
import logging
import signal
from typing import TYPE_CHECKING

import typer

from bot.cli.context import app_config
from bot.errors import ConfigError

if TYPE_CHECKING:
    import asyncio

    from bot.app import App
    from bot.config import AppConfig

log = logging.getLogger("vocdesk.telegram")


def telegram_command(ctx: typer.Context) -> None:
    """Run the Telegram bot (long polling; needs TELEGRAM_BOT_TOKEN). Stop with Ctrl-C."""
    config = app_config(ctx)
    file = str(config.path)
    if not config.telegram_token:
        raise ConfigError(file, "TELEGRAM_BOT_TOKEN",
                          "not set: export TELEGRAM_BOT_TOKEN=<the token @BotFather gave you>")
    if config.settings.telegram.mode != "polling":
        raise ConfigError(file, "telegram.mode", "'vocdesk telegram' polls; webhook mode is served by the "
                                                 "HTTP server (set mode = \"polling\" to use this command)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines carry the bot token
    with contextlib.suppress(KeyboardInterrupt):
        import asyncio

        asyncio.run(_serve(config))


async def _serve(config: AppConfig) -> None:
    import asyncio

    from telegram.error import InvalidToken  # python-telegram-bot loads only when the bot runs

    from bot.app import bootstrap
    from handlers.telegram import TelegramChannel, run_polling

    app = await bootstrap(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = [s for s in (signal.SIGINT, signal.SIGTERM) if _on_signal(loop, s, stop)]
    purging = asyncio.create_task(_purge_drafts(app, stop))
    try:
        channel = TelegramChannel.build(config, app.dialogue.handle, texts=app.texts,
                                        defer=lambda chat, text: app.defer_reply("telegram", chat, text))
        log.info("polling %s (Ctrl-C stops)", config.settings.telegram.base_url)
        await run_polling(channel, stop)
    except InvalidToken:
        raise ConfigError(str(config.path), "TELEGRAM_BOT_TOKEN", "Telegram rejected this token") from None
    finally:
        for s in signals:
            loop.remove_signal_handler(s)
        stop.set()
        await purging
        await app.aclose()
    log.info("stopped")


async def _purge_drafts(app: App, stop: asyncio.Event, every: float = 3600.0) -> None:
    import asyncio

    """Delete abandoned drafts every ``every`` seconds until ``stop`` (bootstrap already did once)."""
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        if stop.is_set():
            return
        try:
            purged = await app.purge_drafts()
        except Exception as exc:  # the bot keeps serving; the next pass tries again
            log.warning("purging abandoned drafts failed: %s", type(exc).__name__)
        else:
            log.info("purged %d abandoned drafts", purged)


def _on_signal(loop: asyncio.AbstractEventLoop, sig: signal.Signals, stop: asyncio.Event) -> bool:
    try:
        loop.add_signal_handler(sig, stop.set)
    except (NotImplementedError, RuntimeError):  # Windows, or not the main thread: Ctrl-C raises instead
        return False
    return True
