"""Slack in: the card's buttons, the forms and ``/voc``, through slack-bolt's ``AsyncApp``.

Two pure translators — Slack's payloads → ``bot.alerts.actions`` (``Click``, ``Submission``, ``Command``) and a
``Reply`` → what Slack is told (``views.open``, ``chat.postEphemeral``, ``chat.update``, the form's errors, the
command's ephemeral answer) — and thin listeners between them. Bolt checks every HTTP request's signature (v0
HMAC-SHA256 over ``v0:timestamp:body``, five minutes at most) and answers 401 otherwise; Socket Mode needs none.

``slack_events(app)`` is the ASGI app of ``POST /slack/events`` (request URL and interactivity URL);
``vocdesk slack`` runs the same app over Socket Mode (``handlers/slack_cli.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.actions import AlertDesk, Click, Command, Reply, Submission
from bot.alerts.modals import Where

log = logging.getLogger("vocdesk.slack")
Json = dict[str, Any]
EVENTS_PATH = "/slack/events"


# -- Slack → ours ------------------------------------------------------------------------------------------------
def click_from(body: Json) -> Click:
    """A ``block_actions`` payload (its first action) as a ``Click``."""
    action = (body.get("actions") or [{}])[0]
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
    ts = "" if container.get("is_ephemeral") else str(container.get("message_ts") or
                                                      (body.get("message") or {}).get("ts", ""))
    return Click(user=str((body.get("user") or {}).get("id", "")), action=str(action.get("action_id", "")),
                 value=str(action.get("value", "")), trigger_id=str(body.get("trigger_id", "")),
                 channel=str(channel), ts=ts)


def submission_from(body: Json) -> Submission:
    """A ``view_submission`` payload as a ``Submission``: each input block's value by its ``block_id``."""
    view = body.get("view") or {}
    values: dict[str, str] = {}
    for block_id, inputs in ((view.get("state") or {}).get("values") or {}).items():
        for element in inputs.values():
            values[block_id] = _value(element)
    return Submission(user=str((body.get("user") or {}).get("id", "")),
                      action=str(view.get("callback_id", "")).removeprefix("voc_"),
                      where=Where.decode(str(view.get("private_metadata", ""))), values=values)


def _value(element: Json) -> str:
    kind = element.get("type")
    if kind == "static_select":
        return str((element.get("selected_option") or {}).get("value", ""))
    if kind == "checkboxes":
        return "yes" if element.get("selected_options") else ""
    return str(element.get("value") or "").strip()


def command_from(body: Json) -> Command:
    return Command(user=str(body.get("user_id", "")), text=str(body.get("text", "")))


# -- ours → Slack ------------------------------------------------------------------------------------------------
async def tell(client: AsyncWebClient, reply: Reply, *, user: str, channel: str, ts: str = "",
               trigger_id: str = "") -> None:
    """Carry out ``reply`` after a button or a form: open the form, replace the card, tell the user alone."""
    if reply.view is not None:
        await client.views_open(trigger_id=trigger_id, view=reply.view)
    if reply.card is not None and channel and ts:
        try:
            await client.chat_update(channel=channel, ts=ts, **reply.card)
        except SlackApiError as exc:  # the dispatcher updates it again with the next message anyway
            log.warning("could not update the card: %s", exc.response.get("error"))
    if reply.text and channel:
        await client.chat_postEphemeral(channel=channel, user=user, text=reply.text)


def form_answer(reply: Reply) -> Json:
    """The acknowledgement of a form: its errors (the form stays open) or nothing (it closes)."""
    return {"response_action": "errors", "errors": dict(reply.errors)} if reply.errors else {}


def command_answer(reply: Reply) -> Json:
    answer: Json = {"response_type": "ephemeral", "text": reply.text}
    if reply.blocks:
        answer["blocks"] = reply.blocks
    return answer


# -- the app -----------------------------------------------------------------------------------------------------
def build_app(desk: AlertDesk, client: AsyncWebClient, *, signing_secret: str, socket_mode: bool = False) -> AsyncApp:
    """The Bolt app: ``voc_*`` buttons, ``voc_*`` forms, ``/voc``. Over HTTP every request must be signed with
    ``signing_secret``; in Socket Mode the WebSocket is the proof."""
    app = AsyncApp(client=client, signing_secret=signing_secret, process_before_response=True,
                   request_verification_enabled=not socket_mode, logger=log, name="vocdesk")
    app.action(re.compile(r"^voc_"))(_on_click(desk))
    app.view(re.compile(r"^voc_"))(_on_submit(desk))
    app.command("/voc")(_on_command(desk))
    return app


def slack_events(app: AsyncApp) -> AsyncSlackRequestHandler:
    """The ASGI app answering ``POST /slack/events`` (mount it at the root; other paths answer 404)."""
    return AsyncSlackRequestHandler(app, path=EVENTS_PATH)


Listener = Callable[..., Any]


def _on_click(desk: AlertDesk) -> Listener:
    async def on_click(ack: AsyncAck, body: Json, client: AsyncWebClient) -> None:
        await ack()
        click = click_from(body)
        reply = await desk.click(click)
        await tell(client, reply, user=click.user, channel=click.channel, ts=click.ts, trigger_id=click.trigger_id)

    return on_click


def _on_submit(desk: AlertDesk) -> Listener:
    async def on_submit(ack: AsyncAck, body: Json, client: AsyncWebClient) -> None:
        submission = submission_from(body)
        reply = await desk.submit(submission)
        await ack(**form_answer(reply))
        if not reply.errors:
            where = submission.where
            await tell(client, reply, user=submission.user, channel=where.channel, ts=where.ts)

    return on_submit


def _on_command(desk: AlertDesk) -> Listener:
    async def on_command(ack: AsyncAck, body: Mapping[str, Any]) -> None:
        reply = await desk.command(command_from(dict(body)))
        await ack(**command_answer(reply))

    return on_command
