"""The Kakao skill handler with the real dialogue on both databases: a conversation tapped through its quick
replies, a request Kakao delivers twice, and a turn past the callback threshold answered through a callback
endpoint on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import httpx

from bot.conversation.texts import builtin
from handlers.background import Background
from handlers.kakao_skill import SECRET_HEADER, KakaoSkill
from storage.uow import Database
from tests.fakes import KST
from tests.integration.test_dialogue_db import dialogue_on
from tests.kakao_support import SECRET, fake_callback, quick_labels, skill_payload, texts

HEADERS = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
AT = datetime(2026, 9, 22, 10, 0, tzinfo=KST)


def skill(database: Database, client: httpx.AsyncClient, background: Background, **options: Any) -> KakaoSkill:
    return KakaoSkill(dialogue_on(database, AT).handle, builtin(), background, client, secret=SECRET, **options)


async def say(handler: KakaoSkill, text: str, user: str = "kakao-1", **payload: Any) -> dict[str, Any]:
    status, body = await handler.answer(HEADERS, json.dumps(skill_payload(text, user, **payload)).encode())
    assert status == 200, body
    return body


async def test_a_conversation_by_quick_replies_opens_a_kakao_ticket(database: Database) -> None:
    async with httpx.AsyncClient() as client:
        handler = skill(database, client, Background())
        greeting = await say(handler, "안녕하세요")
        await say(handler, quick_labels(greeting)[0])  # 동의합니다
        understood = await say(handler, "직원이 불친절했어요")
        contact = await say(handler, quick_labels(understood)[0])  # 네, 접수합니다
        opened = await say(handler, quick_labels(contact)[0])  # 건너뛰기
    assert "VOC-2026-000001" in texts(opened)
    async with database.uow() as uow:
        ticket = await uow.tickets.get("VOC-2026-000001")
    assert ticket is not None and ticket.channel == "kakao"


async def test_a_request_delivered_twice_is_answered_once(database: Database) -> None:
    with fake_callback() as callback:
        async with httpx.AsyncClient() as client:
            handler = skill(database, client, Background())
            url = callback.url("same-token")
            first = await say(handler, "안녕하세요", callback_url=url)
            again = await say(handler, "안녕하세요", callback_url=url)
    assert "개인정보" in texts(first)
    assert "개인정보" not in texts(again) and "/status" in texts(again)
    assert callback.received == []  # both were answered directly


async def test_a_slow_turn_answers_through_the_callback(database: Database) -> None:
    background = Background()
    with fake_callback() as callback:
        async with httpx.AsyncClient() as client:
            handler = skill(database, client, background, callback_after=0.0)
            ack = await say(handler, "안녕하세요", callback_url=callback.url("t1"))
            assert ack["useCallback"] is True
            assert await background.drain(30) == 0
            still = await say(handler, "동의합니다")  # no callbackUrl: "ask /status", the turn still commits
            assert "/status" in texts(still)
            assert await background.drain(30) == 0
            handler.callback_after = 5.0
            asked = await say(handler, "직원이 불친절했어요")
    ((path, body),) = await asyncio.to_thread(callback.wait, 1)
    assert path == "/callback/t1" and "개인정보" in texts(body)
    assert "불친절 신고" in texts(asked)  # the consent of the answer-less turn was stored
