"""The homepage chat's JSON API as two pure translators: a request body to our ``Inbound`` (or a ``Refused`` with
the 4xx status and a short reason), and our replies to the response body.

A visitor is known by a session token (``secrets.token_urlsafe``) that the page keeps; the database holds only
its digest as the customer's ``user_id``, so a leaked table does not let anyone continue a visitor's session.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.conversation.messages import Inbound, Reply

CHANNEL = "web"
LOCALES = ("ko", "en")
SESSION = re.compile(r"[A-Za-z0-9_-]{32,128}")
MESSAGE_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_CHOICE_CHARS = 200
_MESSAGE_FIELDS = frozenset({"session", "message_key", "text", "choice", "locale"})
_SESSION_FIELDS = frozenset({"locale"})
Json = dict[str, Any]


@dataclass(frozen=True)
class Refused(Exception):
    """A request refused before it reaches the dialogue: ``status`` (4xx), a stable ``code``, a short
    ``detail`` for the developer and, for 429, the seconds to wait."""

    status: int
    code: str
    detail: str
    retry_after: int | None = None

    def body(self) -> Json:
        return {"error": self.code, "detail": self.detail}


@dataclass(frozen=True)
class MessageRequest:
    session: str
    message_key: str
    text: str = ""
    choice: str | None = None
    locale: str | None = None


def body_limit(max_text_chars: int) -> int:
    """The largest body accepted: room for a text a little over the dialogue's limit, even written with
    ``\\uXXXX`` escapes (12 bytes for a character outside the BMP), so the dialogue itself can refuse it."""
    return 8 * 1024 + 12 * max_text_chars


def new_session() -> str:
    return secrets.token_urlsafe(32)


def user_id(session: str) -> str:
    """The customer's ``user_id`` for a session token: a digest, never the token itself."""
    return hashlib.sha256(session.encode()).hexdigest()[:40]


def read_json(content_type: str | None, body: bytes) -> Json:
    """The JSON object in ``body``; 415 for another content type, 400 for a body that is not JSON, 422 for
    JSON that is not an object."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise Refused(415, "unsupported_media_type", "send Content-Type: application/json")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused(400, "malformed_json", f"the body is not UTF-8 JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise Refused(422, "invalid_request", "the body must be a JSON object")
    return data


def _check_fields(data: Mapping[str, object], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise Refused(422, "invalid_request", f"unknown field: {unknown[0][:40]}")


def parse_locale(data: Mapping[str, object]) -> str | None:
    locale = data.get("locale")
    if locale is not None and locale not in LOCALES:
        raise Refused(422, "invalid_request", "locale must be \"ko\", \"en\" or null")
    return locale if isinstance(locale, str) else None


def parse_session_request(data: Mapping[str, object]) -> str | None:
    """The locale asked for when a session opens (``{}`` or ``{"locale": "en"}``)."""
    _check_fields(data, _SESSION_FIELDS)
    return parse_locale(data)


def _string(data: Mapping[str, object], name: str, pattern: re.Pattern[str] | None = None) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Refused(422, "invalid_request", f"{name} must be a string")
    if pattern is not None and not pattern.fullmatch(value):
        raise Refused(422, "invalid_request", f"{name} has the wrong format")
    return value


def parse_message(data: Mapping[str, object]) -> MessageRequest:
    """A chat message: the session, a client-made ``message_key`` and either ``text`` or ``choice``."""
    _check_fields(data, _MESSAGE_FIELDS)
    session = _string(data, "session", SESSION)
    key = _string(data, "message_key", MESSAGE_KEY)
    if session is None or key is None:
        raise Refused(422, "invalid_request", "session and message_key are required")
    text, choice = _string(data, "text"), _string(data, "choice")
    if (text is None) == (choice is None):
        raise Refused(422, "invalid_request", "send either text or choice")
    if choice is not None and not 0 < len(choice) <= MAX_CHOICE_CHARS:
        raise Refused(422, "invalid_request", "choice has the wrong length")
    return MessageRequest(session, key, text or "", choice, parse_locale(data))


def to_inbound(request: MessageRequest) -> Inbound:
    """The dialogue's message; the message key is the session's, so no visitor can spend another's keys."""
    uid = user_id(request.session)
    return Inbound(CHANNEL, uid, text=request.text, choice=request.choice, locale=request.locale,
                   message_key=f"{uid}:{request.message_key}")


def opening(session: str, locale: str | None) -> Inbound:
    """What a new session says first: ``/start``, which greets and asks for consent."""
    uid = user_id(session)
    return Inbound(CHANNEL, uid, text="/start", locale=locale, message_key=f"{uid}:open")


def to_json(replies: Sequence[Reply]) -> Json:
    return {"replies": [
        {"text": r.text, "choices": [{"id": c.id, "label": c.label} for c in r.choices], "expects": r.expects}
        for r in replies
    ]}
