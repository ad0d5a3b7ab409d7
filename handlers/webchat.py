"""The homepage chat (issue #12): the page at ``/``, its files under ``/chat/static/`` and the JSON API under
``/api/chat``, as one FastAPI router that the server mounts with ``app.include_router(webchat_router(...))``.

No visitor state is kept in process memory, so any number of worker processes can serve one database: the
dialogue state is stored per session (``handlers.webchat_wire.user_id``) and the page keeps the transcript.
Only the rate-limit buckets are per process (see ``handlers.ratelimit``). The API is documented in
docs/webchat.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from bot.config import Settings
from bot.conversation.messages import Inbound, Reply
from bot.conversation.texts import Catalog
from handlers.ratelimit import RateLimit, RateLimiter
from handlers.webchat_page import Page
from handlers.webchat_wire import (
    Refused,
    body_limit,
    new_session,
    opening,
    parse_message,
    parse_session_request,
    read_json,
    to_inbound,
    to_json,
)

Handle = Callable[[Inbound], Awaitable[list[Reply]]]
RETRY_AFTER_UNAVAILABLE = 5
_API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
log = logging.getLogger(__name__)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to be over ``limit`` bytes (declared or streamed)."""
    too_large = Refused(413, "too_large", f"the body is over {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _json(status: int, body: dict[str, Any], **headers: str) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=_API_HEADERS | headers)


def webchat_router(handle: Handle, *, texts: Catalog, settings: Settings, rate_limit: RateLimit | None = None,
                   monotonic: Callable[[], float] = time.monotonic,
                   embed_origins: Sequence[str] = ()) -> APIRouter:
    """The chat's routes around ``handle`` (``Dialogue.handle``). ``rate_limit``: per client address, per
    process (default ``RateLimit()``); ``embed_origins``: sites allowed to show the page in a frame."""
    limiter = RateLimiter(rate_limit or RateLimit())
    limit = body_limit(settings.dialogue.max_text_chars)
    page = Page.build(texts, settings, embed_origins=embed_origins)
    router = APIRouter()

    async def admitted(request: Request) -> dict[str, Any]:
        client = request.client.host if request.client else "unknown"
        wait = limiter.take(client, monotonic())
        if wait:
            seconds = limiter.retry_after(wait)
            raise Refused(429, "rate_limited", f"too many requests: retry after {seconds} s", seconds)
        return read_json(request.headers.get("content-type"), await read_body(request, limit))

    async def answer(inbound: Inbound, status: int = 200, **extra: str) -> JSONResponse:
        try:
            replies = await handle(inbound)
        except Exception:  # the turn was rolled back whole: the page resends the same message key
            log.exception("webchat: the dialogue failed; the visitor's page will resend")
            message = texts.text(inbound.locale or "ko", "channel.try_again")
            return _json(503, {"error": "unavailable", "detail": "try again", "message": message},
                         **{"Retry-After": str(RETRY_AFTER_UNAVAILABLE)})
        return _json(status, extra | to_json(replies))

    def refused(exc: Refused) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
        return _json(exc.status, exc.body(), **headers)

    @router.get("/", include_in_schema=False)
    async def index() -> Response:
        return page.index()

    @router.get("/chat/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        return page.asset(name)

    @router.post("/api/chat/sessions", status_code=201)
    async def open_session(request: Request) -> JSONResponse:
        """A new session: its token and the greeting with the consent question."""
        try:
            locale = parse_session_request(await admitted(request))
        except Refused as exc:
            return refused(exc)
        session = new_session()
        return await answer(opening(session, locale), 201, session=session)

    @router.post("/api/chat/messages")
    async def message(request: Request) -> JSONResponse:
        """One visitor message (text or a pressed choice) and the dialogue's replies; a repeated
        ``message_key`` gets no replies."""
        try:
            inbound = to_inbound(parse_message(await admitted(request)))
        except Refused as exc:
            return refused(exc)
        return await answer(inbound)

    return router
