"""The homepage chat's router in a minimal FastAPI app around a real bootstrapped App (SQLite and PostgreSQL),
driven over ASGI as the page drives it."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from bot.app import App, bootstrap
from bot.clock import FixedClock
from bot.config import Database as DatabaseSettings
from bot.config import load_config
from bot.conversation.classification import VocType
from bot.conversation.messages import Inbound, Reply
from handlers.ratelimit import RateLimit
from handlers.webchat import webchat_router
from handlers.webchat_wire import user_id
from tests.conftest import ROOT
from tests.fakes import KST, ScriptedClassifier, classification

RECEIVED = datetime(2026, 9, 22, 10, 0, tzinfo=KST)
TABLE = {"불친절": classification("unfriendly_service", VocType.COMPLAINT, 0.91,
                               ("other_complaint", VocType.COMPLAINT, 0.05))}
COMPLAINT = "창구 직원이 너무 불친절하게 응대했어요"
NUMBER = re.compile(r"VOC-2026-\d{6}")
Json = dict[str, Any]


class Ticking:
    """A monotonic clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[App]:
    base = load_config(ROOT / "config.toml", {})
    settings = base.settings.model_copy(update={"database": DatabaseSettings(url=database_url)})
    built = await bootstrap(base.model_copy(update={"settings": settings}), clock=FixedClock(RECEIVED),
                            classifier=ScriptedClassifier(TABLE, classification("out_of_scope", None, 0.3)))
    try:
        yield built
    finally:
        await built.aclose()


def client_for(app: App, handle: Callable[[Inbound], Any] | None = None, **options: Any) -> httpx.AsyncClient:
    server = FastAPI()
    server.include_router(webchat_router(handle or app.dialogue.handle, texts=app.texts,
                                         settings=app.config.settings, **options))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=server), base_url="http://chat.test")


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http


async def open_session(http: httpx.AsyncClient, locale: str | None = None) -> tuple[str, Json]:
    response = await http.post("/api/chat/sessions", json={"locale": locale} if locale else {})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["session"], body


async def send(http: httpx.AsyncClient, session: str, key: str, **fields: str) -> Json:
    response = await http.post("/api/chat/messages", json={"session": session, "message_key": key, **fields})
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def choice_ids(body: Json) -> list[str]:
    return [c["id"] for r in body["replies"] for c in r["choices"]]


def said(body: Json) -> str:
    return "\n".join(r["text"] for r in body["replies"])


async def test_a_whole_conversation_files_a_web_ticket_and_a_reload_continues_it(
        app: App, client: httpx.AsyncClient) -> None:
    session, opened = await open_session(client)
    assert "개인정보" in said(opened) and choice_ids(opened) == ["consent:yes", "consent:no"]
    assert len(session) >= 43

    await send(client, session, "key-00001", choice="consent:yes")
    understood = await send(client, session, "key-00002", text=COMPLAINT)
    assert choice_ids(understood) == ["confirm:yes", "confirm:other"]
    # A reload: the page has only its session token; the conversation is where it was, in the database.
    asked = await send(client, session, "key-00003", choice="confirm:yes")
    (question,) = asked["replies"]
    assert question["expects"] == "phone" and choice_ids(asked) == ["contact:skip"]
    done = await send(client, session, "key-00004", choice="contact:skip")
    (number,) = set(NUMBER.findall(said(done)))
    assert all(r["expects"] is None for r in done["replies"])

    async with app.database.uow() as uow:
        ticket = await uow.tickets.get(number)
    assert ticket is not None and ticket.channel == "web" and ticket.text == COMPLAINT
    async with app.database.engine.connect() as connection:
        stored = (await connection.execute(text("SELECT external_id FROM customers WHERE channel = 'web'"))).all()
    assert [row[0] for row in stored] == [user_id(session)] and session not in repr(stored)


async def test_a_retried_message_key_is_a_no_op(app: App, client: httpx.AsyncClient) -> None:
    session, _ = await open_session(client)
    await send(client, session, "key-00001", choice="consent:yes")
    await send(client, session, "key-00002", text=COMPLAINT)
    await send(client, session, "key-00003", choice="confirm:yes")
    first = await send(client, session, "key-00004", choice="contact:skip")
    again = await send(client, session, "key-00004", choice="contact:skip")
    assert NUMBER.search(said(first)) and again == {"replies": []}
    async with app.database.uow() as uow:
        assert len(await uow.tickets.list()) == 1
    # Keys belong to their session: another visitor's identical key is a message of its own.
    other, _ = await open_session(client)
    assert (await send(client, other, "key-00001", choice="consent:yes"))["replies"]


async def test_english_from_the_start_and_by_switching(client: httpx.AsyncClient) -> None:
    _, opened = await open_session(client, "en")
    assert "consent" in said(opened).lower()
    session, _ = await open_session(client)
    switched = await send(client, session, "key-00001", text="/lang en")
    assert "English" in said(switched) and choice_ids(switched) == ["consent:yes", "consent:no"]
    assert switched["replies"][-1]["choices"][0]["label"] == "I agree"


async def test_a_too_long_text_gets_the_dialogues_answer(app: App, client: httpx.AsyncClient) -> None:
    session, _ = await open_session(client)
    limit = app.config.settings.dialogue.max_text_chars
    body = await send(client, session, "key-00001", text="가" * (limit + 1))
    assert f"{limit:,}" in said(body)


@pytest.mark.parametrize(("content", "headers", "status", "error"), [
    (b"{not json", {"Content-Type": "application/json"}, 400, "malformed_json"),
    (b"\xff\xfe", {"Content-Type": "application/json"}, 400, "malformed_json"),
    (b'{"text": "hi"}', {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
    (b'{"text": "hi"}', {}, 415, "unsupported_media_type"),
    (b"[1, 2]", {"Content-Type": "application/json"}, 422, "invalid_request"),
    (b'{"session": "x", "message_key": "y", "text": "hi"}', {"Content-Type": "application/json"}, 422,
     "invalid_request"),
    (b'{"text": "hi", "admin": true}', {"Content-Type": "application/json; charset=utf-8"}, 422,
     "invalid_request"),
    (b'{"a": "' + b"x" * 1_048_576 + b'"}', {"Content-Type": "application/json"}, 413, "too_large"),
])
async def test_bad_requests_get_a_4xx_with_a_short_reason(
        client: httpx.AsyncClient, content: bytes, headers: dict[str, str], status: int, error: str) -> None:
    response = await client.post("/api/chat/messages", content=content, headers=headers)
    assert response.status_code == status
    assert response.json()["error"] == error and 0 < len(response.json()["detail"]) < 80


async def test_a_body_streamed_without_a_length_is_cut_off_at_the_limit(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(16):
            yield b"x" * 65_536
        yield b'"}'

    response = await client.post("/api/chat/messages", content=chunks(),
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 413


async def test_bad_session_requests_get_a_4xx(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/chat/sessions", json={"locale": "fr"})).status_code == 422
    assert (await client.post("/api/chat/sessions", content=b"", headers={"Content-Type": "application/json"})
            ).status_code == 400
    assert (await client.get("/api/chat/messages")).status_code == 405


async def test_too_many_requests_get_429_with_retry_after(app: App) -> None:
    clock = Ticking()
    async with client_for(app, rate_limit=RateLimit(burst=2, per_minute=6), monotonic=clock) as http:
        session, _ = await open_session(http)
        await send(http, session, "key-00001", choice="consent:yes")
        refused = await http.post("/api/chat/messages", json={
            "session": session, "message_key": "key-00002", "text": COMPLAINT})
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "10"
        assert refused.json()["error"] == "rate_limited"
        clock.now += 10
        # The refused message was not handled: sent again with the same key, it is.
        assert choice_ids(await send(http, session, "key-00002", text=COMPLAINT)) == ["confirm:yes", "confirm:other"]


async def test_a_failing_dialogue_gets_503_and_the_same_message_can_be_sent_again(app: App) -> None:
    failures = [RuntimeError("database went away")]

    async def flaky(msg: Inbound) -> list[Reply]:
        if failures:
            raise failures.pop()
        return await app.dialogue.handle(msg)

    async with client_for(app, handle=flaky) as http:
        response = await http.post("/api/chat/sessions", json={})
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert "다시" in response.json()["message"]
        session, _ = await open_session(http)
        assert choice_ids(await send(http, session, "key-00001", text="/start")) == ["consent:yes", "consent:no"]


async def test_the_page_and_its_files(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    assert '<html lang="ko">' in html and "고객의 소리 상담" in html and 'aria-live="polite"' in html
    assert 'type="tel"' in html and 'autocomplete="tel"' in html and "{{" not in html
    words = json.loads(re.search(r'id="chat-texts">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert words["en"]["send"] == "Send" and words["ko"]["send"] == "보내기"
    for name in re.findall(r'/chat/static/([a-z.]+)\?v=[0-9a-f]{12}', html):
        asset = await client.get(f"/chat/static/{name}")
        assert asset.status_code == 200 and "max-age" in asset.headers["cache-control"]
    assert (await client.get("/chat/static/../webchat.py")).status_code == 404
    assert (await client.get("/chat/static/secret.txt")).status_code == 404
