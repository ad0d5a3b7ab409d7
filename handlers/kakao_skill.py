"""``POST /kakao/skill``, framework-free: the route hands over the headers and the body and sends back
``(status, json)``.

Kakao waits 5 seconds for an answer. The turn runs as a task of its own: when it is done within
``[kakao] callback_after_ms`` its replies are the answer; otherwise, when the request carries a
``callbackUrl``, the answer turns the callback on and the replies are POSTed there when the turn ends (Kakao
accepts them for one minute); without one, the customer is told to ask ``/status`` in a moment. Either way the
turn runs to its end and commits: a message accepted is never lost.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from bot.conversation.messages import Inbound, Reply
from bot.conversation.texts import Catalog, guess_locale
from handlers.background import Background
from handlers.kakao import BadPayload, callback_ack, text_response, to_inbound, to_skill_response

SECRET_HEADER = "X-Vocdesk-Skill-Secret"
CALLBACK_WINDOW_S = 55.0  # Kakao's callbackUrl is valid for one minute
Handle = Callable[[Inbound], Awaitable[list[Reply]]]
Answer = tuple[int, dict[str, Any]]
log = logging.getLogger("vocdesk.kakao")


def header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def is_json(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "application/json"


class KakaoSkill:
    def __init__(self, handle: Handle, texts: Catalog, background: Background, client: httpx.AsyncClient, *,
                 secret: str, bot_id: str = "", callback_after: float = 3.5, callback_timeout: float = 10.0,
                 count: Callable[[str], None] = lambda way: None) -> None:
        self.handle, self.texts, self.background, self.client = handle, texts, background, client
        self.secret, self.bot_id = secret, bot_id
        self.callback_after, self.callback_timeout = callback_after, callback_timeout
        self.count = count

    async def answer(self, headers: Mapping[str, str], body: bytes) -> Answer:
        """404 while off (no secret), 401 without the right secret header (or for another bot), 415 for a
        body that is not JSON, 400 for JSON that is not a SkillPayload, else 200 with a SkillResponse."""
        if not self.secret:
            return 404, {"error": "KakaoTalk is off: set KAKAO_SKILL_SECRET"}
        given = header(headers, SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("kakao skill: request without the right %s refused", SECRET_HEADER)
            return 401, {"error": f"missing or wrong {SECRET_HEADER}"}
        if not is_json(header(headers, "content-type")):
            return 415, {"error": "send the SkillPayload as application/json"}
        try:
            request = to_inbound(json.loads(body))
        except (ValueError, RecursionError):
            return 400, {"error": "the body is not JSON"}
        except BadPayload as exc:
            return 400, {"error": exc.reason}
        if self.bot_id and request.bot_id != self.bot_id:
            log.warning("kakao skill: request for another bot refused")
            return 401, {"error": "bot.id is not this server's bot"}
        msg = request.inbound
        locale = msg.locale or guess_locale(msg.text) or "ko"
        turn = self.background.spawn(self._turn(msg, locale))
        if self.callback_after > 0:  # 0: always the callback (a turn may finish before the loop comes round)
            await asyncio.wait({turn}, timeout=self.callback_after)
        if turn.done():
            self.count("direct")
            return 200, self._response(turn.result(), locale)
        if request.callback_url:
            self.count("callback")
            self.background.spawn(self._call_back(turn, request.callback_url, locale))
            return 200, callback_ack(self._t(locale, "kakao_wait"))
        self.count("still_working")
        return 200, text_response(self._t(locale, "kakao_still_working"))

    def _t(self, locale: str, key: str) -> str:
        return self.texts.text(locale, f"channel.{key}")

    def _response(self, replies: list[Reply], locale: str) -> dict[str, Any]:
        return to_skill_response(replies, cut_note=self._t(locale, "kakao_cut"),
                                 empty=self._t(locale, "kakao_still_working"))

    async def _turn(self, msg: Inbound, locale: str) -> list[Reply]:
        try:
            return await self.handle(msg)
        except Exception as exc:
            # Exception texts may quote the customer (SQL parameters): only the type and the frames.
            log.error("kakao turn failed: %s\n%s", type(exc).__name__,
                      "".join(traceback.format_tb(exc.__traceback__)).rstrip())
            return [Reply(self._t(locale, "try_again"))]

    async def _call_back(self, turn: asyncio.Task[list[Reply]], url: str, locale: str) -> None:
        """POST the turn's SkillResponse to ``url`` (never logged: it holds a one-time token)."""
        loop = asyncio.get_running_loop()
        started = loop.time() - self.callback_after  # the request came in this long before
        replies = await turn
        if loop.time() - started > CALLBACK_WINDOW_S:
            log.warning("kakao callback: the turn outlasted the callback's minute; the reply is not sent")
            return
        try:
            sent = await self.client.post(url, json=self._response(replies, locale), timeout=self.callback_timeout)
            status = sent.json().get("status") if sent.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.warning("kakao callback failed: %s", type(exc).__name__)
            return
        if status != "SUCCESS":
            log.warning("kakao callback refused: HTTP %d, status %s", sent.status_code, status)
