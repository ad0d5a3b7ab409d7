"""SOLAPI (v4) as a notice sink: KakaoTalk AlimTalk, and SMS/LMS when AlimTalk cannot be delivered.

Two pure translators (our ``Outgoing`` → the ``send-many/detail`` body; its response → our outcomes) and a thin
async sender over httpx. SOLAPI's own Python SDK is synchronous (``httpx.Client``) and would block the event
loop or need a thread per batch, so vocdesk speaks the documented HTTP API itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from bot.notices.model import Dead, Outcome, Outgoing, Retry, Sent

SEND_PATH = "/messages/v4/send-many/detail"
LIST_PATH = "/messages/v4/list"
KEY_FIELD = "vocdeskKey"
SMS_BYTES, LMS_BYTES = 90, 2000
ACCEPTED = "2000"


def byte_length(text: str) -> int:
    """Length as Korean carriers count it: cp949 (not euc-kr, which spells some syllables as 8 bytes)."""
    return len(text.encode("cp949", errors="replace"))


def sms_type(text: str) -> str:
    return "SMS" if byte_length(text) <= SMS_BYTES else "LMS"


def authorization(api_key: str, api_secret: str, *, now: datetime | None = None, salt: str | None = None) -> str:
    """``HMAC-SHA256 apiKey=…, date=…, salt=…, signature=hex(HMAC(secret, date + salt))``."""
    date = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    salt = salt or secrets.token_hex(16)
    signature = hmac.new(api_secret.encode(), (date + salt).encode(), hashlib.sha256).hexdigest()
    return f"HMAC-SHA256 apiKey={api_key}, date={date}, salt={salt}, signature={signature}"


def to_solapi(batch: Sequence[Outgoing], *, sender: str, pf_id: str, as_sms: bool = False) -> dict[str, Any]:
    """The request body. With ``as_sms`` (or without a profile id or template) every message goes as SMS/LMS."""
    messages = []
    for m in batch:
        body: dict[str, Any] = {"to": _digits(m.to), "from": _digits(sender), "country": "82",
                                "customFields": {KEY_FIELD: m.key}}
        if m.alimtalk and pf_id and not as_sms:
            body |= {"type": "ATA", "kakaoOptions": {
                "pfId": pf_id, "templateId": m.alimtalk.template_id, "disableSms": True,
                "variables": {f"#{{{k}}}": str(v) for k, v in m.alimtalk.variables.items()},
            }}
        else:
            text = m.alimtalk.fallback_text if m.alimtalk else m.text
            body |= {"type": sms_type(text), "text": text}
        messages.append(body)
    return {"messages": messages, "allowDuplicates": False}


def from_solapi(batch: Sequence[Outgoing], response: Mapping[str, Any]) -> tuple[list[Outcome], list[Outgoing]]:
    """Outcomes of a 2xx response, and the AlimTalk messages Kakao refused that should go again as SMS/LMS."""
    by_key = {m.key: m for m in batch}
    outcomes: list[Outcome] = []
    fallback: list[Outgoing] = []
    seen: set[str] = set()
    for item in response.get("messageList") or []:
        key = (item.get("customFields") or {}).get(KEY_FIELD, "")
        if key in by_key:
            seen.add(key)
            code = str(item.get("statusCode", ACCEPTED))
            outcomes.append(Sent(key, str(item.get("messageId", ""))) if code == ACCEPTED
                            else Dead(key, f"SOLAPI {code}: {item.get('statusMessage', '')}".strip()))
    for item in response.get("failedMessageList") or []:
        key = (item.get("customFields") or {}).get(KEY_FIELD, "")
        if key not in by_key or key in seen:
            continue
        seen.add(key)
        message = by_key[key]
        if item.get("type") == "ATA" and message.alimtalk is not None:
            fallback.append(message)
        else:
            outcomes.append(Dead(key, f"SOLAPI {item.get('statusCode', '?')}: {item.get('statusMessage', '')}"))
    outcomes += [Retry(m.key, "no result for this message", unsure=True) for m in batch if m.key not in seen]
    return outcomes, fallback


def retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class SolapiSink:
    """The ``sms`` sink. ``client`` is injectable (tests point it at a fake SOLAPI on 127.0.0.1)."""

    name = "sms"
    batch_size = 100

    def __init__(self, client: httpx.AsyncClient, *, api_key: str, api_secret: str, sender: str,
                 pf_id: str) -> None:
        self.client, self.api_key, self.api_secret = client, api_key, api_secret
        self.sender, self.pf_id = sender, pf_id

    async def send(self, batch: Sequence[Outgoing]) -> list[Outcome]:
        outcomes, fallback = await self._post(batch, as_sms=False)
        if fallback:
            again, _ = await self._post(fallback, as_sms=True)
            outcomes += again
        return outcomes

    async def sent_before(self, batch: Sequence[Outgoing]) -> set[str]:
        """Which of ``batch`` SOLAPI already has (a worker died between sending and recording): its message
        list, searched by recipient, tells by our key in ``customFields``. SOLAPI has no idempotency key."""
        wanted = {m.key for m in batch}
        found: set[str] = set()
        for to in sorted({_digits(m.to) for m in batch}):
            headers = {"Authorization": authorization(self.api_key, self.api_secret)}
            response = await self.client.get(LIST_PATH, params={"to": to, "limit": 500}, headers=headers)
            response.raise_for_status()
            listed = response.json().get("messageList") or {}
            items = listed.values() if isinstance(listed, dict) else listed
            found |= {(item.get("customFields") or {}).get(KEY_FIELD, "") for item in items} & wanted
        return found

    async def _post(self, batch: Sequence[Outgoing], *, as_sms: bool) -> tuple[list[Outcome], list[Outgoing]]:
        body = to_solapi(batch, sender=self.sender, pf_id=self.pf_id, as_sms=as_sms)
        headers = {"Authorization": authorization(self.api_key, self.api_secret)}
        try:
            response = await self.client.post(SEND_PATH, json=body, headers=headers)
        except httpx.TransportError as exc:
            # Not connected: SOLAPI has nothing. Cut off after the request went out: it may have it all.
            unsure = not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
            reason = "SOLAPI timed out" if isinstance(exc, httpx.TimeoutException) else \
                f"SOLAPI unreachable: {type(exc).__name__}"
            return [Retry(m.key, reason, unsure=unsure) for m in batch], []
        status = response.status_code
        if status in (408, 429) or status >= 500:
            after = retry_after(response.headers)
            return [Retry(m.key, f"SOLAPI HTTP {status}", after) for m in batch], []
        try:
            data = response.json()
        except ValueError:
            data = {}
        if status >= 400:
            reason = f"SOLAPI HTTP {status} {data.get('errorCode', '')}: {data.get('errorMessage', '')}".strip()
            return [Dead(m.key, reason) for m in batch], []
        return from_solapi(batch, data if isinstance(data, dict) else {})


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())
