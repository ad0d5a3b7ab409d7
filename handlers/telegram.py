"""Telegram ↔ the VOC dialogue, as two pure translators plus a thin python-telegram-bot handler.

``to_inbound`` turns a Telegram ``Update`` into our ``Inbound`` (or says why it is ``Ignored``);
``to_telegram`` turns our replies into ``sendMessage`` payloads. ``TelegramChannel`` runs them inside
PTB's ``Application``; webhook mode is in ``handlers.telegram_webhook``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.config import AppConfig
from bot.conversation.messages import Inbound, Reply
from bot.conversation.texts import Catalog, builtin
from bot.pii import mask

CHANNEL = "telegram"
ALLOWED_UPDATES = ["message", "edited_message", "channel_post", "callback_query"]
PRIVATE = "private"
log = logging.getLogger(__name__)

Reason = Literal["edited", "non_text", "group", "from_bot", "service", "unsupported"]
Handle = Callable[[Inbound], Awaitable[list[Reply]]]
Defer = Callable[[int, str], Awaitable[None]]
"""Queue a reply that could not be sent now for the notices dispatcher: (chat id, text)."""
TelegramApp = Application[Any, Any, Any, Any, Any, Any]

@dataclass(frozen=True)
class Ignored:
    """An update that does not reach the dialogue, why, and the notice it gets (a ``channel.`` key of the
    text catalog)."""

    reason: Reason
    notice: str | None = None
    chat_id: int | None = None
    locale: str = "ko"


@dataclass(frozen=True)
class OutgoingMessage:
    text: str
    reply_markup: InlineKeyboardMarkup | None = None


class CallbackData:
    """Choice ids as ``callback_data``: as they are when they fit Telegram's 64 bytes, otherwise a short
    digest remembered here (the newest ``capacity`` ones), so a long id still round-trips."""

    PREFIX = "#"

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._long: OrderedDict[str, str] = OrderedDict()

    def encode(self, choice_id: str) -> str:
        if len(choice_id.encode()) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA and not choice_id.startswith(
                self.PREFIX):
            return choice_id
        digest = hashlib.sha256(choice_id.encode()).digest()
        key = self.PREFIX + base64.urlsafe_b64encode(digest[:18]).decode()
        self._long[key] = choice_id
        self._long.move_to_end(key)
        while len(self._long) > self.capacity:
            self._long.popitem(last=False)
        return key

    def decode(self, data: str) -> str:
        return self._long.get(data, data)


def locale_of(language_code: str | None) -> str | None:
    code = (language_code or "").lower()
    if code.startswith("en"):
        return "en"
    return "ko" if code.startswith("ko") else None


def to_inbound(update: Update, callback_data: CallbackData | None = None) -> Inbound | Ignored:
    """The customer message in ``update``, or why it is not one (and what, if anything, to answer)."""
    chat, user = update.effective_chat, update.effective_user
    locale = locale_of(user.language_code if user else None)
    chat_id = chat.id if chat else None
    if update.edited_message or update.edited_channel_post:
        return Ignored("edited", chat_id=chat_id, locale=locale or "ko")
    if chat is not None and chat.type != PRIVATE:
        return Ignored("group", "telegram_private_only", chat_id, locale or "ko")
    if user is None or chat is None:
        return Ignored("unsupported", chat_id=chat_id)
    if user.is_bot:
        return Ignored("from_bot", chat_id=chat_id)
    # update_id alone may repeat: Telegram restarts the sequence after a week without updates.
    item = update.callback_query.id if update.callback_query else getattr(update.effective_message, "message_id", "")
    common: dict[str, Any] = {
        "display_name": user.full_name, "locale": locale, "message_key": f"{update.update_id}:{chat.id}:{item}",
    }
    if (query := update.callback_query) is not None:
        if query.data is None:
            return Ignored("unsupported", chat_id=chat_id)
        data = callback_data.decode(query.data) if callback_data else query.data
        return Inbound(CHANNEL, str(user.id), choice=data, **common)
    message = update.message
    if message is None:
        return Ignored("unsupported", chat_id=chat_id)
    if message.text is not None:
        return Inbound(CHANNEL, str(user.id), text=message.text, **common)
    if message.effective_attachment is not None or message.caption is not None:
        return Ignored("non_text", "telegram_text_only", chat_id, locale or "ko")
    return Ignored("service", chat_id=chat_id)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-16 units, cut after a newline where possible,
    else after a space, else anywhere (never inside a surrogate pair)."""
    chunks: list[str] = []
    while utf16_len(text) > limit:
        fit, units = 0, 0
        for i, ch in enumerate(text):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > limit:
                break
            fit = i + 1
        head = text[:fit]
        cut = head.rfind("\n") + 1 or head.rfind(" ") + 1 or fit
        chunks.append(text[:cut].rstrip("\n"))
        text = text[cut:]
    chunks.append(text)
    return [c for c in chunks if c.strip()]


def keyboard(reply: Reply, callback_data: CallbackData | None = None) -> InlineKeyboardMarkup | None:
    if not reply.choices:
        return None
    codec = callback_data or CallbackData()
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=codec.encode(c.id))] for c in reply.choices])


def to_telegram(replies: Sequence[Reply], callback_data: CallbackData | None = None) -> list[OutgoingMessage]:
    """Plain-text messages (no parse mode, so nothing needs escaping): consecutive replies share a
    message up to and including one with choices, whose buttons (one per row) go on its last chunk."""
    out: list[OutgoingMessage] = []
    pending: list[str] = []
    for i, reply in enumerate(replies):
        if reply.text.strip():
            pending.append(reply.text)
        if not reply.choices and i < len(replies) - 1:
            continue
        chunks = split_text("\n\n".join(pending)) or (["👇"] if reply.choices else [])
        out.extend(OutgoingMessage(chunk) for chunk in chunks[:-1])
        if chunks:
            out.append(OutgoingMessage(chunks[-1], keyboard(reply, callback_data)))
        pending = []
    return out


def notice(key: str, locale: str, texts: Catalog | None = None) -> str:
    return (texts or builtin()).text(locale, f"channel.{key}")


def build_application(config: AppConfig, *, max_retries: int = 3) -> TelegramApp:
    """PTB's Application for ``config``: base_url from ``[telegram]``, AIORateLimiter retrying 429s,
    no Updater in webhook mode."""
    builder = (ApplicationBuilder().token(config.telegram_token)
               .base_url(config.settings.telegram.base_url)
               .rate_limiter(AIORateLimiter(max_retries=max_retries)))
    if config.settings.telegram.mode == "webhook":
        builder = builder.updater(None)
    return builder.build()


class TelegramChannel:
    """The thin handler: every update goes through ``to_inbound`` → the dialogue → ``to_telegram``.

    Updates are processed one at a time (PTB's default), so one customer's turns never race. A failure
    is contained to its update and logged without message text (``bot.pii.mask`` on error texts)."""

    def __init__(self, application: TelegramApp, handle: Handle, *, poll_timeout: int = 10,
                 webhook_secret: str = "", texts: Catalog | None = None, defer: Defer | None = None) -> None:
        self.application, self.handle = application, handle
        self.texts = texts or builtin()
        self.defer = defer
        self._sent = 0  # messages of the current reply already sent (PTB handles updates one at a time)
        self.poll_timeout, self.webhook_secret = poll_timeout, webhook_secret
        self.callback_data = CallbackData()
        self.told_groups: OrderedDict[int, None] = OrderedDict()
        application.add_handler(TypeHandler(Update, self.on_update))

    @classmethod
    def build(cls, config: AppConfig, handle: Handle, *, max_retries: int = 3,
              texts: Catalog | None = None, defer: Defer | None = None) -> TelegramChannel:
        return cls(build_application(config, max_retries=max_retries), handle,
                   poll_timeout=config.settings.telegram.poll_timeout,
                   webhook_secret=config.telegram_webhook_secret, texts=texts, defer=defer)

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self.process(update)
        except TelegramError as exc:
            log.warning("telegram update %s: %s: %s", update.update_id, type(exc).__name__, mask(exc.message))
        except Exception as exc:
            # Exception texts may quote the customer (SQL parameters): only the type and the frames.
            log.error("telegram update %s failed: %s\n%s", update.update_id, type(exc).__name__,
                      "".join(traceback.format_tb(exc.__traceback__)).rstrip())

    async def process(self, update: Update) -> None:
        found = to_inbound(update, self.callback_data)
        if isinstance(found, Ignored):
            log.info("telegram update %s ignored: %s", update.update_id, found.reason)
            if found.notice and found.chat_id is not None and self._first_notice(found):
                await self.send(found.chat_id, [OutgoingMessage(notice(found.notice, found.locale, self.texts))])
            return
        chat = update.effective_chat
        assert chat is not None  # to_inbound ignores updates without a chat
        query = update.callback_query
        if query is not None:
            await self._quietly(query.answer())
        try:
            replies = await self.handle(found)
        except Exception:
            sorry = notice("try_again", found.locale or "ko", self.texts)
            await self._quietly(self.send(chat.id, [OutgoingMessage(sorry)]))
            raise
        if query is not None:
            await self._remove_keyboard(query)
        messages = to_telegram(replies, self.callback_data)
        try:
            await self.send(chat.id, messages)
        except TelegramError as exc:
            unsent = messages[self._sent:]
            if self.defer is None or not unsent:
                raise
            # The turn is committed; its reply must not be lost: the dispatcher sends it when Telegram is back.
            log.warning("telegram reply to update %s deferred: %s", update.update_id, type(exc).__name__)
            await self.defer(chat.id, "\n\n".join(m.text for m in unsent))

    async def send(self, chat_id: int, messages: Sequence[OutgoingMessage]) -> None:
        self._sent = 0
        for m in messages:
            await self.application.bot.send_message(chat_id, m.text, reply_markup=m.reply_markup)
            self._sent += 1

    def _first_notice(self, found: Ignored) -> bool:
        """Group chats are told once (per process) that VOC is taken only in private, then ignored."""
        if found.reason != "group" or found.chat_id is None:
            return True
        if found.chat_id in self.told_groups:
            return False
        self.told_groups[found.chat_id] = None
        if len(self.told_groups) > 10_000:
            self.told_groups.popitem(last=False)
        return True

    async def _remove_keyboard(self, query: CallbackQuery) -> None:
        """Stale buttons must not be pressed twice."""
        message = query.message
        if message is not None:
            await self._quietly(self.application.bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=message.message_id, reply_markup=None))

    @staticmethod
    async def _quietly(call: Awaitable[Any]) -> None:
        """Courtesy calls (answering a button, removing a keyboard) may fail without harm."""
        try:
            await call
        except TelegramError as exc:
            log.info("telegram: %s: %s", type(exc).__name__, mask(exc.message))


async def run_polling(channel: TelegramChannel, stop: asyncio.Event) -> None:
    """Long-poll Telegram until ``stop`` is set, then shut PTB down cleanly (offset confirmed)."""
    application = channel.application
    if application.updater is None:
        raise RuntimeError("this Application was built for webhook mode (no Updater)")
    async with application:
        await application.start()
        await application.updater.start_polling(timeout=channel.poll_timeout, allowed_updates=ALLOWED_UPDATES)
        try:
            await stop.wait()
        finally:
            await application.updater.stop()
            await application.stop()
