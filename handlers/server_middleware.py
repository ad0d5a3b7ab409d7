"""Two plain ASGI middlewares of the server: the body size limit, enforced before anything parses a body, and
the request latency histogram by route."""

from __future__ import annotations

import json
import time
from typing import Any

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DRAIN_LIMIT = 8 * 1024 * 1024  # an oversized body is read up to this much (so the client sees the 413), then cut


async def _refuse(send: Send, status: int, reason: str) -> None:
    body = json.dumps({"error": reason}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Read the whole request body first, answering 413 when it passes ``max_bytes`` (announced by
    ``Content-Length`` or not), then hand the app the body already read."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and not declared.isdigit():
            await _refuse(send, 400, "bad Content-Length")
            return
        too_big = f"the body is larger than {self.max_bytes} bytes"
        chunks: list[bytes] = []
        size, over = 0, declared is not None and int(declared) > self.max_bytes
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            over = over or size > self.max_bytes
            if not over:
                chunks.append(message.get("body", b""))
            if not message.get("more_body", False) or size > DRAIN_LIMIT:
                break
        if over:
            await _refuse(send, 413, too_big)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


class RequestTimer:
    """Observe each request's latency, labelled by its route's path template (``other`` for no route)."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app, self.histogram = app, histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route: Any = scope.get("route")
            path = getattr(route, "path", None) or "other"
            self.histogram.labels(path, scope["method"], str(status[0])).observe(time.perf_counter() - start)
