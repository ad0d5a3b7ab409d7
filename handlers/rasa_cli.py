"""``vocdesk rasa-actions``: the Rasa action server, until Ctrl-C (or SIGTERM).

rasa-sdk is an optional extra (``pip install 'vocdesk[rasa]'``): it is imported only when the server runs,
so ``vocdesk --help`` stays quick and an install without it still has every other command."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import signal
from typing import TYPE_CHECKING

import typer

from bot.cli.context import app_config
from bot.errors import MissingExtra

if TYPE_CHECKING:
    import asyncio

    from bot.config import AppConfig

log = logging.getLogger("vocdesk.rasa")


def rasa_actions_command(
    ctx: typer.Context,
    port: int = typer.Option(5055, "--port", min=0, max=65535, help="Port to listen on (0: any free one)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)."),
) -> None:
    """Run the Rasa action server (rasa-sdk's /webhook, /health, /actions) with the vocdesk actions:
    action_voc_open_ticket, action_voc_classify, action_voc_status, action_voc_handoff. Needs the [rasa]
    extra. Stop with Ctrl-C."""
    config = app_config(ctx)
    if importlib.util.find_spec("rasa_sdk") is None:
        raise MissingExtra("vocdesk rasa-actions", "rasa", "rasa-sdk")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        import asyncio

        asyncio.run(_serve(config, host, port))


async def _serve(config: AppConfig, host: str, port: int) -> None:
    import asyncio

    from bot.app import bootstrap
    from handlers.rasa import CHANNEL, build_executor
    from handlers.rasa_server import action_server, serving

    app = await bootstrap(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = [s for s in (signal.SIGINT, signal.SIGTERM) if _on_signal(loop, s, stop)]
    try:
        async with serving(action_server(build_executor(app.assisted(CHANNEL))), host, port) as bound:
            log.info("Rasa action server on http://%s:%d/webhook (Ctrl-C stops)", host, bound)
            await stop.wait()
    finally:
        for s in signals:
            loop.remove_signal_handler(s)
        await app.aclose()
    log.info("stopped")


def _on_signal(loop: asyncio.AbstractEventLoop, sig: signal.Signals, stop: asyncio.Event) -> bool:
    try:
        loop.add_signal_handler(sig, stop.set)
    except (NotImplementedError, RuntimeError):  # Windows, or not the main thread: Ctrl-C raises instead
        return False
    return True
