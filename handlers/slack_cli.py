"""``vocdesk slack``: the Slack app over Socket Mode (a WebSocket the app opens to Slack), for sites without a
public URL. Needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN (an ``xapp-`` app-level token with ``connections:write``).
Alerts are still sent by ``vocdesk dispatch``."""

from __future__ import annotations

import contextlib
import logging

import typer

from bot.cli.context import app_config
from bot.errors import ConfigError


def slack_command(ctx: typer.Context) -> None:
    """Run the Slack app over Socket Mode: the cards' buttons, the forms and /voc without a public URL (needs
    SLACK_BOT_TOKEN and SLACK_APP_TOKEN). Stop with Ctrl-C."""
    config = app_config(ctx)
    if not config.slack_app_token:
        raise ConfigError(str(config.path), "SLACK_APP_TOKEN",
                          "not set: export SLACK_APP_TOKEN=xapp-… (an app-level token with connections:write)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from handlers.slack_socket import serve_socket_mode

    with contextlib.suppress(KeyboardInterrupt):
        import asyncio

        asyncio.run(serve_socket_mode(config))
