"""``POST /kakao/skill`` as a bare ASGI app, served in front of FastAPI.

Through FastAPI a skill request passed seven middlewares (error pages, telemetry, body limits, exit stacks),
the router and the endpoint's dependency solving: about a sixth of the CPU of a whole turn, for a route that
takes raw bytes and answers JSON. ``FastRoutes`` hands the paths it knows to their own small ASGI apps (still
behind the server's body limit and request timer) and everything else, lifespan included, to FastAPI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from handlers.kakao_skill import KakaoSkill

PATH = "/kakao/skill"


async def send_json(send: Send, status: int, body: Any, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    """``body`` as Starlette's ``JSONResponse`` renders it (compact, UTF-8)."""
    data = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": data})


class KakaoRoute:
    """The skill endpoint: the request's headers and body to ``KakaoSkill.answer``, its answer as JSON.
    ``kakao`` is read per request: the server's lifespan sets it (None while KakaoTalk is off)."""

    path = PATH  # the route label of the request timer

    def __init__(self, kakao: Any) -> None:
        self._kakao = kakao

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self
        if scope["method"] != "POST":
            await send_json(send, 405, {"detail": "Method Not Allowed"}, ((b"allow", b"POST"),))
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        skill: KakaoSkill | None = self._kakao()
        if skill is None:
            await send_json(send, 404, {"error": "KakaoTalk is off: set KAKAO_SKILL_SECRET"})
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        status, answer = await skill.answer(headers, b"".join(chunks))
        await send_json(send, status, answer)


class FastRoutes(FastAPI):
    """FastAPI, but HTTP requests for a path in ``fast`` go straight to its ASGI app."""

    fast: Mapping[str, ASGIApp] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (app := self.fast.get(scope["path"])) is not None:
            await app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
