"""KakaoTalk (Kakao i Open Builder skill server) ↔ the VOC dialogue, as two pure translators.

``to_inbound`` reads a SkillPayload (``userRequest.utterance``, ``userRequest.user.id``) into our ``Inbound``;
``to_skill_response`` turns the dialogue's replies into a SkillResponse ``version "2.0"``: ``simpleText``
outputs of at most 1,000 characters (at most 3 per response) and at most 10 ``quickReplies`` whose
``messageText`` is the choice's label, which the dialogue maps back to the choice. The route that runs them
(auth, the 5-second limit, the callback) is ``handlers.kakao_skill``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.conversation.messages import Choice, Inbound, Reply

CHANNEL = "kakao"
TEXT_LIMIT = 1000  # simpleText.text
MAX_OUTPUTS = 3  # template.outputs
MAX_QUICK_REPLIES = 10
LABEL_LIMIT = 14  # what a quick reply shows; its messageText carries the whole label
USER_ID_MAX = 255  # botUserKey is at most 70 characters; the customers table keeps 255
Json = dict[str, Any]


@dataclass(frozen=True)
class BadPayload(Exception):
    """A request body that is not a SkillPayload we can answer; ``reason`` is safe to show the caller."""

    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class SkillRequest:
    """What the route needs from a payload: the message, the bot it was sent to, where to call back."""

    inbound: Inbound
    bot_id: str
    callback_url: str | None


def _no_surrogates(text: str) -> str:
    """JSON may carry lone UTF-16 surrogates (``"\\ud800"``) that no database or UTF-8 encoder accepts."""
    return "".join(ch for ch in text if not 0xD800 <= ord(ch) <= 0xDFFF)


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise BadPayload(f"{where} must be a JSON object")
    return value


def to_inbound(payload: object) -> SkillRequest:
    """The customer's message in a SkillPayload. The message key is the request's ``callbackUrl`` (unique per
    request and used once), so a redelivered request is a no-op; without a callback there is no stable key."""
    body = _object(payload, "the body")
    request = _object(body.get("userRequest"), "userRequest")
    user = _object(request.get("user"), "userRequest.user")
    user_id, utterance = user.get("id"), request.get("utterance", "")
    if not isinstance(user_id, str) or not _no_surrogates(user_id).strip():
        raise BadPayload("userRequest.user.id must be a non-empty string")
    if len(user_id) > USER_ID_MAX or _no_surrogates(user_id) != user_id or not user_id.isprintable():
        raise BadPayload(f"userRequest.user.id must be at most {USER_ID_MAX} printable characters")
    if not isinstance(utterance, str):
        raise BadPayload("userRequest.utterance must be a string")
    callback = request.get("callbackUrl")
    if callback is not None and (not isinstance(callback, str) or not callback.startswith(("https://", "http://"))):
        raise BadPayload("userRequest.callbackUrl must be an http(s) URL")
    bot = body.get("bot")
    bot_id = bot.get("id") if isinstance(bot, dict) else None
    lang = request.get("lang")
    key = hashlib.sha256(callback.encode()).hexdigest()[:32] if callback else None
    inbound = Inbound(CHANNEL, user_id, text=_no_surrogates(utterance),
                      locale="en" if isinstance(lang, str) and lang.lower().startswith("en") else None,
                      message_key=key)
    return SkillRequest(inbound, bot_id if isinstance(bot_id, str) else "", callback or None)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut after a newline where possible, else after a
    space, else anywhere; blank pieces are dropped."""
    pieces: list[str] = []
    while len(text) > limit:
        head = text[:limit]
        cut = head.rfind("\n") + 1 or head.rfind(" ") + 1 or limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    return [p for p in pieces if p.strip()]


def pack(replies: Sequence[Reply], cut_note: str) -> list[str]:
    """The replies' texts as at most ``MAX_OUTPUTS`` bubbles of at most ``TEXT_LIMIT`` characters: replies
    share a bubble while they fit; what does not fit in three ends with ``cut_note`` (never cut silently)."""
    bubbles: list[str] = []
    for reply in replies:
        for piece in split_text(reply.text):
            if bubbles and len(bubbles[-1]) + 2 + len(piece) <= TEXT_LIMIT:
                bubbles[-1] += "\n\n" + piece
            else:
                bubbles.append(piece)
    if len(bubbles) <= MAX_OUTPUTS:
        return bubbles
    room = TEXT_LIMIT - len(cut_note) - 2
    last = split_text(bubbles[MAX_OUTPUTS - 1], room)[0]
    return [*bubbles[:MAX_OUTPUTS - 1], f"{last}\n\n{cut_note}"]


def quick_replies(replies: Sequence[Reply]) -> list[Json]:
    """The choices of the last reply that offers any (the ones the dialogue is waiting for), at most 10."""
    choices: Sequence[Choice] = next((r.choices for r in reversed(replies) if r.choices), ())
    return [{"action": "message", "label": _label(c.label), "messageText": c.label}
            for c in choices[:MAX_QUICK_REPLIES]]


def _label(label: str) -> str:
    return label if len(label) <= LABEL_LIMIT else label[:LABEL_LIMIT - 1] + "…"


def to_skill_response(replies: Sequence[Reply], *, cut_note: str, empty: str = "") -> Json:
    """A SkillResponse for ``replies``; ``empty`` is said when there is nothing to say (Kakao needs at least
    one output), e.g. for a redelivered request already answered."""
    texts = pack(replies, cut_note) or [empty or "…"]
    template: Json = {"outputs": [{"simpleText": {"text": t}} for t in texts]}
    if quick := quick_replies(replies):
        template["quickReplies"] = quick
    return {"version": "2.0", "template": template}


def text_response(text: str) -> Json:
    """A SkillResponse saying ``text`` alone."""
    return to_skill_response([Reply(text)], cut_note="")


def callback_ack(text: str) -> Json:
    """The answer that turns the callback on: Kakao shows ``data.text`` while the real answer is prepared."""
    return {"version": "2.0", "useCallback": True, "data": {"text": text}}
