"""Telegram as a notice sink: a notice (or a chat reply that could not be sent at once) goes into the
customer's own chat through python-telegram-bot's ``Bot``; Telegram's errors become our outcomes here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.config import AppConfig
from bot.conversation.messages import Choice, Reply
from bot.notices.model import Dead, Outcome, Outgoing, Retry, Sent
from handlers.telegram import keyboard, split_text


def telegram_bot(config: AppConfig) -> Any:
    """A ``telegram.Bot`` for sending (initialised on first use by the sink)."""
    from telegram import Bot

    return Bot(config.telegram_token, base_url=config.settings.telegram.base_url)


class TelegramSink:
    name = "telegram"
    batch_size = 30  # Telegram allows about 30 messages a second to different chats

    def __init__(self, bot: Any) -> None:
        self.bot = bot  # telegram.Bot
        self._ready = False

    async def send(self, batch: Sequence[Outgoing]) -> list[Outcome]:
        if not self._ready:
            try:
                await self.bot.initialize()
            except TelegramError as exc:
                return [Retry(m.key, f"Telegram unreachable: {type(exc).__name__}") for m in batch]
            self._ready = True
        return [await self._one(m) for m in batch]

    async def _one(self, message: Outgoing) -> Outcome:
        if not message.to.lstrip("-").isdigit():
            return Dead(message.key, "no Telegram chat for this customer")
        try:
            sent = None
            chunks = split_text(message.text)
            for i, chunk in enumerate(chunks):  # a notice's buttons (the survey's ratings) go on its last chunk
                markup = _buttons(message) if i == len(chunks) - 1 else None
                sent = await self.bot.send_message(int(message.to), chunk, reply_markup=markup)
        except RetryAfter as exc:
            # the timedelta itself: reading ``retry_after`` as a number is deprecated in PTB 22
            wait = getattr(exc, "_retry_after", None)
            return Retry(message.key, "Telegram flood control", wait.total_seconds() if wait is not None else None)
        except (Forbidden, BadRequest, InvalidToken) as exc:  # BadRequest is a NetworkError: test it first
            return Dead(message.key, f"Telegram refused: {type(exc).__name__}: {exc.message}")
        except (TimedOut, NetworkError) as exc:
            return Retry(message.key, f"Telegram unreachable: {type(exc).__name__}")
        except TelegramError as exc:
            return Retry(message.key, f"Telegram error: {type(exc).__name__}")
        return Sent(message.key, str(getattr(sent, "message_id", "")))


def _buttons(message: Outgoing) -> Any:
    """The inline keyboard of ``extra["choices"]`` (JSON ``[[choice id, label], ...]``), pressed like a reply's."""
    raw = message.extra.get("choices")
    if not raw:
        return None
    return keyboard(Reply(message.text, tuple(Choice(str(cid), str(label)) for cid, label in json.loads(raw))))
