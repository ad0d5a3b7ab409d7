"""Telegram webhook mode, framework-free: the HTTP server only mounts ``TelegramWebhook.handle_webhook``
on a POST route and enters ``webhook_running`` in its lifespan."""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from telegram import Update

from bot.errors import ConfigError
from handlers.telegram import ALLOWED_UPDATES, TelegramChannel

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
log = logging.getLogger(__name__)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header value, whatever the case of its name in ``headers``."""
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def check_secret(secret: str, file: str = "environment") -> None:
    if not _SECRET.fullmatch(secret):
        raise ConfigError(file, "TELEGRAM_WEBHOOK_SECRET",
                          "webhook mode needs a secret of 1-256 characters A-Z a-z 0-9 _ -")


class TelegramWebhook:
    """POSTs from Telegram, checked and queued for the channel's running Application."""

    def __init__(self, channel: TelegramChannel) -> None:
        self.channel = channel

    async def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]:
        """403 without the configured secret header, 400 for a body that is not an Update, 503 outside
        ``webhook_running``, else 200 once the update is queued (a retried delivery is harmless: the
        dialogue skips an update_id it has handled)."""
        secret = self.channel.webhook_secret
        if secret:
            given = header(headers, SECRET_HEADER)
            if given is None or not hmac.compare_digest(given.encode(), secret.encode()):
                log.warning("telegram webhook: request without the right secret token refused")
                return 403, b"forbidden"
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an Update")
            update = Update.de_json(data, self.channel.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("telegram webhook: malformed body refused (%s)", type(exc).__name__)
            return 400, b"bad request"
        if not self.channel.application.running:
            return 503, b"not running"  # Telegram retries later; the update is not lost
        await self.channel.application.update_queue.put(update)
        return 200, b""


@asynccontextmanager
async def webhook_running(channel: TelegramChannel, url: str, *, file: str = "config.toml") -> AsyncIterator[
        TelegramWebhook]:
    """Register ``url`` (with the secret) at Telegram, process queued updates while inside, stop cleanly.
    The webhook stays registered on exit so Telegram keeps updates while we restart."""
    if not url:
        raise ConfigError(file, "telegram.webhook_url", "webhook mode needs the public HTTPS URL")
    check_secret(channel.webhook_secret)
    application = channel.application
    async with application:
        await application.bot.set_webhook(url, secret_token=channel.webhook_secret,
                                          allowed_updates=ALLOWED_UPDATES)
        await application.start()
        try:
            yield TelegramWebhook(channel)
        finally:
            await application.stop()
