"""Socket Mode: the Slack app answers Slack's envelopes over a WebSocket it opens itself (slack-bolt's
``AsyncSocketModeHandler``, aiohttp); no public URL and no request signatures (the app-level token is the proof)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.config import AppConfig

log = logging.getLogger("vocdesk.slack")


async def serve_socket_mode(config: AppConfig, stop: asyncio.Event | None = None) -> None:
    """Connect, answer Slack's envelopes until ``stop`` (or SIGINT/SIGTERM), then close the connection."""
    from bot.app import open_desk, slack_app  # the composition root, imported when it runs

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            signals.append(sig)
    desk = await open_desk(config)
    try:
        app = slack_app(config, desk, socket_mode=True)
        handler = AsyncSocketModeHandler(app, config.slack_app_token)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("connected to Slack over Socket Mode (Ctrl-C stops)")
        try:
            await stop.wait()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        await desk.aclose()
    log.info("stopped")
