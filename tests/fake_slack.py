"""A fake Slack on 127.0.0.1 speaking the real wire format (protocols.md §2): the Web API and Socket Mode.

``POST /api/<method>`` with ``Authorization: Bearer xoxb-…`` (``xapp-…`` for ``apps.connections.open``) and a form
or JSON body; answers ``{"ok": true, ...}`` or ``{"ok": false, "error": ...}`` (HTTP 429 with ``Retry-After``
when a test says so). Implemented: ``auth.test``, ``chat.postMessage`` (channel names resolve to ids, every
message gets a ``ts``), ``chat.update`` (only messages it has; ``message_not_found`` otherwise),
``chat.getPermalink`` (a GET with query parameters, as the SDK sends it: the message's URL in the workspace of
``auth.test``), ``chat.postEphemeral``, ``views.open``, ``apps.connections.open`` (a ``ws://`` URL of its own), and the
``response_url`` endpoint. The WebSocket speaks Socket Mode: ``hello`` on connect, then the envelopes a test
sends, and records the acknowledgements (``envelope_id``) the app sends back. Every call is recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from aiohttp import WSMsgType, web

BOT_TOKEN, APP_TOKEN, SIGNING_SECRET = "xoxb-1-vocdesk-test", "xapp-1-vocdesk-test", "8f742231b10e8888abcd99yyyzzz85a5"
TEAM, BOT_USER = "T0VOCDESK", "U0VOCBOT"
Json = dict[str, Any]


@dataclass
class Call:
    method: str
    params: Json
    status: int
    ok: bool


@dataclass
class Posted:
    channel: str
    ts: str
    text: str
    blocks: list[Json]
    thread_ts: str | None
    updates: int = 0


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], Posted] = field(default_factory=dict)
    failures: dict[str, list[tuple[int, Json, dict[str, str]]]] = field(default_factory=dict)
    refused_channels: set[str] = field(default_factory=set)  # chat.postMessage → not_in_channel
    delay: float = 0.0
    acks: list[Json] = field(default_factory=list)  # Socket Mode acknowledgements received
    responses: list[Json] = field(default_factory=list)  # what came to response_url
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self._envelopes: asyncio.Queue[Json] | None = None
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()
        self._worker = threading.Thread(target=self._serve, daemon=True)

    # -- what tests read ---------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def response_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/response/1"

    def called(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method and c.ok]

    def in_channel(self, channel: str) -> list[Posted]:
        """Top-level messages of a channel (id), oldest first."""
        with self.lock:
            return [m for m in self.messages.values() if m.channel == channel and m.thread_ts is None]

    def thread(self, channel: str, ts: str) -> list[Posted]:
        with self.lock:
            return [m for m in self.messages.values() if m.channel == channel and m.thread_ts == ts]

    @staticmethod
    def channel_id(name: str) -> str:
        """The id the fake gives a channel name (``#voc-cs`` → ``CVOC_CS``); an id stays as it is."""
        if not name.startswith("#"):
            return name
        return "C" + name[1:].upper().replace("-", "_")

    # -- what tests inject -----------------------------------------------------------------------------------
    def fail_next(self, method: str, status: int = 429, error: str = "ratelimited",
                  headers: dict[str, str] | None = None) -> None:
        if status == 429 and headers is None:
            headers = {"Retry-After": "3"}
        with self.lock:
            self.failures.setdefault(method, []).append((status, {"ok": False, "error": error}, headers or {}))

    def send_envelope(self, envelope: Json) -> None:
        """Send a Socket Mode envelope to the connected app."""
        assert self._envelopes is not None, "no Socket Mode connection yet"
        self.loop.call_soon_threadsafe(self._envelopes.put_nowait, envelope)

    # -- the server ------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._worker.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake Slack did not start")

    def close(self) -> None:
        async def stop() -> None:
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._worker.join(10)
        self.loop.close()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        self.loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self.loop.run_forever()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.text()
        if request.method == "GET":
            params: Json = dict(request.query)
        elif request.content_type == "application/json":
            params: Json = json.loads(raw) if raw else {}
        else:
            params = dict(parse_qsl(raw))
        if self.delay:
            await asyncio.sleep(self.delay)
        token = request.headers.get("Authorization", "")
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != f"Bearer {expected}":
            return self._answer(method, params, 200, {"ok": False, "error": "invalid_auth"})
        with self.lock:
            queued = self.failures.get(method)
            failure = queued.pop(0) if queued else None
        if failure is not None:
            status, body, headers = failure
            return self._answer(method, params, status, body, headers)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return self._answer(method, params, 200, {"ok": False, "error": "unknown_method"})
        return self._answer(method, params, 200, handler(params))

    def _answer(self, method: str, params: Json, status: int, body: Json,
                headers: dict[str, str] | None = None) -> web.Response:
        with self.lock:
            self.calls.append(Call(method, params, status, bool(body.get("ok"))))
        return web.json_response(body, status=status, headers=headers)

    # -- the methods -----------------------------------------------------------------------------------------
    def _auth_test(self, params: Json) -> Json:
        return {"ok": True, "url": "https://vocdesk-test.slack.com/", "team": "vocdesk", "user": "vocbot",
                "team_id": TEAM, "user_id": BOT_USER, "bot_id": "B0VOCBOT"}

    def _chat_postMessage(self, params: Json) -> Json:
        channel = self.channel_id(str(params.get("channel", "")))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.refused_channels:
            return {"ok": False, "error": "not_in_channel"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = f"1790000000.{next(self._ts):06d}"
        blocks = params.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        posted = Posted(channel, ts, str(params.get("text", "")), blocks, params.get("thread_ts"))
        with self.lock:
            self.messages[channel, ts] = posted
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": posted.text, "ts": ts}}

    def _chat_update(self, params: Json) -> Json:
        key = (self.channel_id(str(params.get("channel", ""))), str(params.get("ts", "")))
        with self.lock:
            posted = self.messages.get(key)
            if posted is None:
                return {"ok": False, "error": "message_not_found"}
            posted.text = str(params.get("text", posted.text))
            blocks = params.get("blocks", posted.blocks)
            posted.blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
            posted.updates += 1
        return {"ok": True, "channel": key[0], "ts": key[1], "text": posted.text}

    def _chat_getPermalink(self, params: Json) -> Json:
        channel, ts = self.channel_id(str(params.get("channel", ""))), str(params.get("message_ts", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        with self.lock:
            if (channel, ts) not in self.messages:
                return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel,
                "permalink": f"https://vocdesk-test.slack.com/archives/{channel}/p{ts.replace('.', '')}"}

    def _chat_postEphemeral(self, params: Json) -> Json:
        if not params.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": f"1790000000.{next(self._ts):06d}"}

    def _views_open(self, params: Json) -> Json:
        view = params.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        if not params.get("trigger_id") or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {"id": f"V{next(self._views):04d}", **view}}

    def _apps_connections_open(self, params: Json) -> Json:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}

    async def _response(self, request: web.Request) -> web.Response:
        with self.lock:
            self.responses.append(await request.json())
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._envelopes = asyncio.Queue()
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"},
                            "connection_info": {"app_id": "A0VOCDESK"}})

        async def relay() -> None:
            assert self._envelopes is not None
            while True:
                await ws.send_json(await self._envelopes.get())

        relaying = asyncio.ensure_future(relay())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    with self.lock:
                        self.acks.append(json.loads(msg.data))
        finally:
            relaying.cancel()
        return ws


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.start()
    try:
        yield fake
    finally:
        fake.close()


# -- inbound: requests built and signed the way Slack builds and signs them ------------------------------------
def signed(body: str, *, secret: str = SIGNING_SECRET, at: float | None = None) -> dict[str, str]:
    """The headers Slack sends: ``X-Slack-Signature = v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")``."""
    timestamp = str(int(time.time() if at is None else at))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


def interaction(payload: Json) -> str:
    """Interactivity arrives as one form field ``payload`` holding the JSON."""
    return f"payload={quote(json.dumps(payload, ensure_ascii=False))}"


def user(user_id: str) -> Json:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM}


def block_actions(user_id: str, action_id: str, value: str, *, channel: str, ts: str,
                  response_url: str = "") -> Json:
    """A button pressed on the bot's message ``ts`` in ``channel``."""
    return {
        "type": "block_actions", "user": user(user_id), "api_app_id": "A0VOCDESK", "token": "legacy",
        "trigger_id": f"{time.time():.0f}.{user_id}.trigger", "team": {"id": TEAM, "domain": "vocdesk"},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": channel.lower()}, "message": {"type": "message", "ts": ts, "text": ""},
        "response_url": response_url or "https://hooks.slack.com/actions/T0/1/x",
        "actions": [{"type": "button", "action_id": action_id, "block_id": "voc_ticket", "value": value,
                     "text": {"type": "plain_text", "text": action_id}, "action_ts": f"{time.time():.6f}"}],
    }


def view_submission(user_id: str, view: Json, values: dict[str, Any]) -> Json:
    """The form ``view`` (as ``views.open`` got it) submitted with ``values`` by block id: a string for a text or
    number input, ``("select", value)`` for a select, ``("checked", [values])`` for checkboxes."""
    state: dict[str, Any] = {}
    for block_id, value in values.items():
        if isinstance(value, tuple) and value[0] == "select":
            element = {"type": "static_select", "selected_option": {"value": value[1],
                                                                     "text": {"type": "plain_text", "text": "x"}}}
        elif isinstance(value, tuple) and value[0] == "checked":
            element = {"type": "checkboxes", "selected_options": [{"value": v} for v in value[1]]}
        else:
            element = {"type": "plain_text_input", "value": value}
        state[block_id] = {"value": element}
    return {"type": "view_submission", "user": user(user_id), "api_app_id": "A0VOCDESK", "token": "legacy",
            "team": {"id": TEAM, "domain": "vocdesk"}, "trigger_id": "t.submit",
            "view": {**view, "id": "V0001", "team_id": TEAM, "state": {"values": state}}}


def slash(user_id: str, text: str, *, channel: str = "CVOC_CS", response_url: str = "") -> str:
    """``/voc`` as Slack posts it: form fields."""
    return urlencode({"token": "legacy", "team_id": TEAM, "team_domain": "vocdesk", "channel_id": channel,
                      "channel_name": "voc-cs", "user_id": user_id, "user_name": user_id.lower(), "command": "/voc",
                      "text": text, "api_app_id": "A0VOCDESK", "response_url": response_url or "https://hooks.x/1",
                      "trigger_id": "t.slash"})
