"""The HTTP server of ``vocdesk serve``: one FastAPI app for every channel, built from the config.

``build_server`` makes the app; its lifespan opens the ``Runtime`` (database, channels, workers) and closes
it on shutdown, after the requests in flight and the turns they started. ``create_app`` is the factory
uvicorn imports in each worker process (the config path comes in ``VOCDESK_CONFIG``).

| route | what |
|---|---|
| ``POST /kakao/skill`` | KakaoTalk skill (``handlers.kakao_skill``), in front of FastAPI (``handlers.kakao_route``) |
| ``POST /telegram/webhook`` | Telegram in webhook mode (``handlers.telegram_webhook``) |
| ``POST /slack/events`` | Slack's buttons, forms and ``/voc`` (``bot.app.slack_asgi``) |
| ``GET /healthz``, ``GET /metrics`` | health (JSON, 503 when failing) and Prometheus metrics |
| ``GET /`` ... | the homepage chat, from the routers passed in (a placeholder without one) |
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bot.config import SERVE_WORKERS_ENV, AppConfig, config_path, load_config
from handlers.kakao_route import PATH as KAKAO_PATH
from handlers.kakao_route import FastRoutes, KakaoRoute
from handlers.metrics import CONTENT_TYPE
from handlers.server_middleware import BodyLimit, RequestTimer
from handlers.server_runtime import Runtime
from handlers.survey_web import survey_router
from handlers.webchat import webchat_router

PLACEHOLDER = "<!doctype html><meta charset=utf-8><title>vocdesk</title><p>vocdesk is running.</p>"


def _off(what: str) -> JSONResponse:
    return JSONResponse({"error": f"{what} is off on this server"}, status_code=404)


class _SlackEvents:
    """The Slack app is built in the lifespan; this ASGI endpoint hands it the request when there is one."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await (self.runtime.slack or _off("Slack"))(scope, receive, send)


async def _placeholder() -> str:
    return PLACEHOLDER


def build_server(config: AppConfig, runtime: Runtime | None = None, *,
                 routers: Sequence[APIRouter] = ()) -> FastAPI:
    """The app for ``config``. ``routers`` add routes (the homepage chat's ``webchat_router(runtime.handle,
    ...)``); they are served as they are, behind the body limit and the request timer."""
    rt = runtime or Runtime(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await rt.start()
        try:
            yield
        finally:
            await rt.stop()

    api = FastRoutes(title="vocdesk", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    api.state.runtime = rt
    limit = config.settings.server.max_body_bytes
    api.fast = {KAKAO_PATH: RequestTimer(BodyLimit(KakaoRoute(lambda: rt.kakao), max_bytes=limit),
                                         histogram=rt.metrics.requests)}

    @api.post("/telegram/webhook")
    async def telegram_webhook(request: Request) -> Response:
        if rt.telegram is None:
            return _off("the Telegram webhook")
        status, body = await rt.telegram.handle_webhook(request.headers, await request.body())
        return Response(body, status_code=status)

    api.router.routes.append(Route("/slack/events", _SlackEvents(rt), methods=["POST"]))

    @api.get("/healthz")
    async def healthz() -> Response:
        ok, details = await rt.health()
        return JSONResponse(details, status_code=200 if ok else 503)

    @api.get("/metrics")
    async def metrics() -> Response:
        return Response(await rt.metrics.render(rt.gauges), media_type=CONTENT_TYPE)

    for router in routers:
        api.include_router(router)
    if not any(getattr(route, "path", None) == "/" for route in api.routes):
        api.get("/", response_class=HTMLResponse)(_placeholder)
    api.add_middleware(BodyLimit, max_bytes=limit)
    api.add_middleware(RequestTimer, histogram=rt.metrics.requests)
    return api


def create_app() -> FastAPI:
    """The factory ``vocdesk serve`` gives uvicorn (``handlers.server:create_app``, ``factory=True``): the
    config named by ``VOCDESK_CONFIG``, read in the worker process that serves it."""
    environ = dict(os.environ)
    config = load_config(config_path(None, environ), environ).sharing_pool(int(environ.get(SERVE_WORKERS_ENV) or 1))
    runtime = Runtime(config)
    return build_server(config, runtime, routers=[
        webchat_router(runtime.handle, texts=runtime.texts, settings=config.settings),
        survey_router(runtime.surveys, runtime.texts),
    ])
