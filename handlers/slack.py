"""Slack as the staff sink: a new ticket's card goes to its department's channel, every later message about the
ticket into that card's thread, and the card is updated (``chat.update``) to the ticket's current state first.
An overdue warning also goes to the escalation channel. Slack's errors become our outcomes here: 429 → retry
after ``Retry-After``, 5xx and timeouts → retry, any other refusal → dead (staff are told).

Sent with slack_sdk's ``AsyncWebClient`` pointed at ``[slack] base_url``, without retries of its own: the
dispatcher's backoff is the one retry policy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.channels import Channels
from bot.alerts.messages import Cards, mentions
from bot.alerts.ports import Thread
from bot.casework.tickets import Ticket
from bot.config import AppConfig
from bot.notices.model import Dead, Outcome, Outgoing, Retry, Sent
from bot.notices.plan import ESCALATION
from bot.ports import UnitOfWorkFactory

log = logging.getLogger("vocdesk.slack")
TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})
LOST_CARD = frozenset({"message_not_found", "cant_update_message", "channel_not_found"})


def slack_client(config: AppConfig, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """The Web API client of ``[slack]``: the bot token, ``base_url``, no retries of its own."""
    slack = config.settings.slack
    return AsyncWebClient(token=config.slack_bot_token, base_url=slack.base_url, session=session,
                          timeout=max(1, round(slack.timeout)), retry_handlers=[])


def slack_session(config: AppConfig) -> aiohttp.ClientSession:
    """One connection pool for the sink, with ``[slack] timeout`` on every call (close it on the way out)."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=config.settings.slack.timeout))


def outcome_of(key: str, exc: Exception) -> Outcome:
    """A failed Web API call as an outcome."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        error = str(response.get("error", "") or "") if isinstance(response.data, dict) else ""
        status = int(response.status_code)
        if status == 429 or error == "ratelimited":
            wait = response.headers.get("Retry-After") if response.headers else None
            return Retry(key, "Slack rate limit", float(wait) if wait and str(wait).isdigit() else None)
        if status >= 500 or error in TRANSIENT:
            return Retry(key, f"Slack error {status} {error}".strip())
        return Dead(key, f"Slack refused: {error or status}")
    if isinstance(exc, aiohttp.ClientError | TimeoutError | OSError):
        return Retry(key, f"Slack unreachable: {type(exc).__name__}")
    return Dead(key, f"Slack client error: {type(exc).__name__}")


class NoChannel(Exception):
    """Neither the department nor ``[slack] default_channel`` names a channel."""


class SlackSink:
    name = "staff"
    batch_size = 20  # sent one by one, in order (a thread's replies keep their order)

    def __init__(self, client: AsyncWebClient, uow: UnitOfWorkFactory, channels: Channels, cards: Cards) -> None:
        self.client, self.uow, self.channels, self.cards = client, uow, channels, cards

    async def send(self, batch: Sequence[Outgoing]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for message in batch:
            try:
                outcomes.append(Sent(message.key, await self._deliver(message)))
            except NoChannel:
                outcomes.append(Dead(message.key, f"no Slack channel for {message.to!r}: set its slack_channel or "
                                                  "[slack] default_channel"))
            except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                found = outcome_of(message.key, exc)
                log.info("Slack: %s %s → %s", message.kind, message.extra.get("number", ""), found)
                outcomes.append(found)
        return outcomes

    async def sent_before(self, batch: Sequence[Outgoing]) -> set[str]:
        """A new ticket's alert whose card is already in Slack (the worker died before recording it)."""
        found = set()
        for m in batch:
            number = m.extra.get("number", "")
            if m.kind == "ticket_opened" and number:
                async with self.uow() as uow:
                    if await uow.alerts.thread(number) is not None:
                        found.add(m.key)
        return found

    # -- one message ---------------------------------------------------------------------------------------
    async def _deliver(self, message: Outgoing) -> str:
        number = message.extra.get("number", "")
        if message.to == ESCALATION:
            return await self._escalate(message, number)
        ticket, thread = await self._read(number) if number else (None, None)
        if ticket is None:  # no ticket (a hand-off, a digest): the department's channel
            return await self._post(self.channels.of(message.to), mentions(message.text))
        if thread is not None and thread.department == ticket.department:
            thread = await self._refresh(ticket, thread)
            if message.kind == "ticket_opened":
                return thread.ts
            return await self._post(thread.channel, mentions(message.text), thread.ts)
        if thread is not None:  # transferred: a word in the old thread, then a new card for the new department
            await self._refresh(ticket, thread)
            await self._post(thread.channel, mentions(message.text), thread.ts)
        thread = await self._new_card(ticket)
        if message.kind == "ticket_opened":
            return thread.ts
        return await self._post(thread.channel, mentions(message.text), thread.ts)

    async def _escalate(self, message: Outgoing, number: str) -> str:
        if not self.channels.escalation:
            return ""  # no escalation channel: the thread has the warning
        thread = (await self._read(number))[1] if number else None
        where = f" (<#{thread.channel}> {await self._link(thread)})" if thread else ""
        return await self._post(self.channels.escalation, mentions(message.text) + where)

    async def _link(self, thread: Thread) -> str:
        """A link to the ticket's thread (``chat.getPermalink``); when Slack cannot say, just the word: the
        escalation goes out all the same."""
        try:
            found = await self.client.chat_getPermalink(channel=thread.channel, message_ts=thread.ts)
        except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.info("Slack: no permalink for %s %s: %s", thread.channel, thread.ts, type(exc).__name__)
            return "스레드"
        return f"<{found['permalink']}|스레드 보기>"

    async def _read(self, number: str) -> tuple[Ticket | None, Thread | None]:
        async with self.uow() as uow:
            return await uow.tickets.get(number), await uow.alerts.thread(number)

    def _card(self, ticket: Ticket) -> dict[str, Any]:
        return self.cards(ticket)

    async def _new_card(self, ticket: Ticket) -> Thread:
        posted = await self.client.chat_postMessage(channel=self.channels.of(ticket.department),
                                                    **self._card(ticket))
        thread = Thread(ticket.department, str(posted["channel"]), str(posted["ts"]))
        async with self.uow() as uow:
            await uow.alerts.remember_thread(ticket.number, thread)
            await uow.commit()
        return thread

    async def _refresh(self, ticket: Ticket, thread: Thread) -> Thread:
        """The card as the ticket is now (idempotent, so it goes before the reply that is not); a card deleted
        in Slack is posted again and starts the thread anew."""
        try:
            await self.client.chat_update(channel=thread.channel, ts=thread.ts, **self._card(ticket))
        except SlackApiError as exc:
            if exc.response.get("error") not in LOST_CARD:
                raise
            log.warning("Slack: the card of %s is gone (%s); posting a new one", ticket.number,
                        exc.response.get("error"))
            return await self._new_card(ticket)
        return thread

    async def _post(self, channel: str, text: str, thread_ts: str | None = None) -> str:
        if not channel:
            raise NoChannel()
        posted = await self.client.chat_postMessage(channel=channel, text=text, thread_ts=thread_ts)
        return str(posted["ts"])
