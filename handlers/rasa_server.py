"""The action server: rasa-sdk's own Sanic app (``/webhook``, ``/health``, ``/actions``) with a guard that
answers a malformed request with 400 before rasa-sdk would fail on it with a 500, served on the caller's
event loop so that it shares vocdesk's database and classifier."""

from __future__ import annotations

import asyncio
import json
import socket
import zlib
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import HTTPResponse, Request, Sanic
from sanic.response import json as json_response

from bot.errors import CannotListen

KEEP_ALIVE_S = 120  # rasa-sdk's own default: Rasa keeps its connection to the action server open
GRACE_S = 5.0  # how long a stopping server lets requests in flight finish
SENDER_MAX = 255  # a customer's identity is stored in 255 characters
_OPTIONAL = {"slots": dict, "latest_message": dict, "events": list}

Problem = tuple[int, dict[str, Any]]
WebApp: TypeAlias = Sanic[Any, Any]


def check_call(body: bytes, content_encoding: str | None, known: Collection[str]) -> Problem | None:
    """Why a ``/webhook`` body cannot be run, as rasa-sdk's error body with a 400; None when rasa-sdk can
    take it (an unknown action then gets rasa-sdk's 404, a call without its domain rasa-sdk's 449)."""
    try:
        raw = zlib.decompress(body) if content_encoding == "deflate" else body
        call = json.loads(raw)
    except (zlib.error, ValueError):
        return 400, {"error": "Invalid body request", "action_name": None}
    if not isinstance(call, dict):
        return 400, {"error": "the body must be a JSON object", "action_name": None}
    name = call.get("next_action")
    if not isinstance(name, str) or not name:
        return 400, {"error": "next_action must name an action", "action_name": None}
    if name not in known:
        return None
    tracker = call.get("tracker")
    if not isinstance(tracker, dict) or not isinstance(tracker.get("sender_id"), str):
        return 400, {"error": "tracker must be an object with a sender_id", "action_name": name}
    if not 0 < len(tracker["sender_id"]) <= SENDER_MAX:
        return 400, {"error": f"tracker.sender_id must have 1 to {SENDER_MAX} characters", "action_name": name}
    for key, kind in _OPTIONAL.items():
        if tracker.get(key) is not None and not isinstance(tracker[key], kind):
            return 400, {"error": f"tracker.{key} must be a JSON {kind.__name__}", "action_name": name}
    if call.get("version") is not None and not isinstance(call["version"], str):
        return 400, {"error": "version must be a string", "action_name": name}
    return None


def action_server(executor: ActionExecutor, *, cors_origins: str | list[str] | None = "*") -> WebApp:
    """rasa-sdk's app for ``executor`` (``endpoint.create_app``), guarded by ``check_call``."""
    app: WebApp = create_app(executor, cors_origins=cors_origins)
    app.config.KEEP_ALIVE_TIMEOUT = KEEP_ALIVE_S
    app.config.TOUCHUP = False  # it rewrites Sanic's own classes, which works once per process only

    async def guard(request: Request) -> HTTPResponse | None:
        if request.method != "POST" or request.path != "/webhook":
            return None
        headers: Mapping[str, str] = request.headers
        problem = check_call(request.body, headers.get("Content-Encoding"), executor.actions)
        return json_response(problem[1], status=problem[0]) if problem else None

    app.register_middleware(guard, "request")
    return app


@asynccontextmanager
async def serving(app: WebApp, host: str, port: int) -> AsyncIterator[int]:
    """Serve ``app`` on ``host:port`` from this event loop until the block ends; yields the bound port
    (``port`` 0 picks a free one). Requests in flight get ``GRACE_S`` to finish."""
    try:
        sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        Sanic.unregister_app(app)
        raise CannotListen(host, port, exc.strerror or str(exc)) from None
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None and server.server is not None
    try:
        await server.startup()
    except BaseException:
        server.server.close()
        Sanic.unregister_app(app)
        raise
    try:
        await server.before_start()
        await server.after_start()
        await server.start_serving()
        yield int(sock.getsockname()[1])
    finally:
        await server.before_stop()
        server.server.close()
        for connection in list(server.connections):
            connection.close_if_idle()
        loop = asyncio.get_running_loop()
        until = loop.time() + GRACE_S
        while server.connections and loop.time() < until:
            await asyncio.sleep(0.05)
        for connection in list(server.connections):
            connection.abort()
        await server.server.wait_closed()
        await server.after_stop()
        Sanic.unregister_app(app)  # the app's name is free again in this process
