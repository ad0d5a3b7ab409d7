"""A fake Telegram Bot API on 127.0.0.1 speaking the real wire format (protocols.md §1).

``POST /bot<token>/<method>`` with a form-encoded (or JSON, or empty) body; answers
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": ..., "description": ...}``.
``getUpdates`` honours ``offset`` and holds the request up to ``timeout`` seconds until an update is
queued. Every request is recorded (method + decoded params) so tests assert on what the bot sent.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

TOKEN = "123456:TEST-token_for-the-fake"
BOT = {"id": 123456, "is_bot": True, "first_name": "VOC bot", "username": "voc_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
START = 1_790_000_000
_JSON_FIELDS = {"reply_markup", "entities", "allowed_updates", "link_preview_options", "reply_parameters"}
_INT_FIELDS = {"chat_id", "message_id", "offset", "timeout", "limit", "max_connections"}
Json = dict[str, Any]


@dataclass
class Call:
    method: str
    params: Json
    status: int = 200
    result: Any = None


class Payloads:
    """Update payloads shaped like Telegram's (protocols.md §1.3); each method returns ``(kind, payload)``."""

    def __init__(self) -> None:
        self._message_ids = itertools.count(5000)
        self._query_ids = itertools.count(1)
        self._update_ids = itertools.count(1)

    def update(self, kind_payload: tuple[str, Json], update_id: int | None = None) -> Json:
        """A whole Update object, for feeding translators or a webhook directly."""
        kind, payload = kind_payload
        return {"update_id": next(self._update_ids) if update_id is None else update_id, kind: payload}

    @staticmethod
    def user(user_id: int, language_code: str | None = "ko", first_name: str = "민수") -> Json:
        user: Json = {"id": user_id, "is_bot": False, "first_name": first_name, "last_name": "김"}
        if language_code:
            user["language_code"] = language_code
        return user

    def message(self, user_id: int, chat: Json | None = None, language_code: str | None = "ko",
                **content: Any) -> Json:
        sender = self.user(user_id, language_code)
        return {"message_id": next(self._message_ids), "date": START, "from": sender,
                "chat": chat or {"id": user_id, "type": "private", "first_name": sender["first_name"]}, **content}

    def text(self, user_id: int, text: str, language_code: str | None = "ko",
             chat: Json | None = None) -> tuple[str, Json]:
        extra: Json = {}
        if text.startswith("/"):
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}]
        return "message", self.message(user_id, chat, language_code, text=text, **extra)

    def group_text(self, user_id: int, text: str, chat_id: int = -100777,
                   kind: str = "supergroup") -> tuple[str, Json]:
        return self.text(user_id, text, chat={"id": chat_id, "type": kind, "title": "민원 게시판"})

    def channel_post(self, text: str, chat_id: int = -100888) -> tuple[str, Json]:
        chat = {"id": chat_id, "type": "channel", "title": "공지 채널"}
        return "channel_post", {"message_id": next(self._message_ids), "date": START, "chat": chat, "text": text}

    def sticker(self, user_id: int, language_code: str | None = "ko") -> tuple[str, Json]:
        sticker = {"file_id": "CAACAgIAAxk", "file_unique_id": "AgAD", "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}
        return "message", self.message(user_id, language_code=language_code, sticker=sticker)

    def photo(self, user_id: int, caption: str = "") -> tuple[str, Json]:
        sizes = [{"file_id": f"AgACAgU{n}", "file_unique_id": f"AQAD{n}", "width": w, "height": w}
                 for n, w in enumerate((90, 320, 800))]
        content: Json = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return "message", self.message(user_id, **content)

    def voice(self, user_id: int) -> tuple[str, Json]:
        voice = {"file_id": "AwACAgIAAxk", "file_unique_id": "AgADvoice", "duration": 4, "mime_type": "audio/ogg"}
        return "message", self.message(user_id, voice=voice)

    def document(self, user_id: int) -> tuple[str, Json]:
        document = {"file_id": "BQACAgIAAxk", "file_unique_id": "AgADdoc", "file_name": "민원서.hwp"}
        return "message", self.message(user_id, document=document)

    def edited(self, user_id: int, text: str) -> tuple[str, Json]:
        _, message = self.text(user_id, text)
        message["edit_date"] = START + 60
        return "edited_message", message

    def press(self, user_id: int, sent: Json, callback_data: str, language_code: str | None = "ko",
              chat: Json | None = None) -> tuple[str, Json]:
        """A callback query: ``user_id`` presses the button ``callback_data`` of the bot's message ``sent``."""
        buttons = [row[0]["callback_data"] for row in (sent.get("reply_markup") or {}).get("inline_keyboard", [])]
        if callback_data not in buttons:
            raise AssertionError(f"no button {callback_data!r} on that message (has {buttons})")
        if chat is not None:
            sent = {**sent, "chat": chat}
        return "callback_query", {"id": f"q{next(self._query_ids)}", "from": self.user(user_id, language_code),
                                  "chat_instance": "-5551234", "message": sent, "data": callback_data}


@dataclass
class FakeTelegram:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    updates: list[Json] = field(default_factory=list)
    messages: dict[tuple[int, int], Json] = field(default_factory=dict)
    failures: dict[str, list[tuple[int, Json]]] = field(default_factory=dict)
    closing: bool = False

    def __post_init__(self) -> None:
        self.cond = threading.Condition()
        self.make = Payloads()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self.server = _Server(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        with self.cond:
            self.closing = True
            self.cond.notify_all()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    # -- what tests inject ---------------------------------------------------------------------------
    def fail_next(self, method: str, error_code: int = 429, description: str = "Too Many Requests: retry after 1",
                  parameters: Json | None = None) -> None:
        """The next call of ``method`` fails once (default: flood control with ``retry_after`` 1 s)."""
        if error_code == 429 and parameters is None:
            parameters = {"retry_after": 1}
        body: Json = {"ok": False, "error_code": error_code, "description": description}
        if parameters:
            body["parameters"] = parameters
        with self.cond:
            self.failures.setdefault(method, []).append((error_code, body))

    def queue(self, kind: str, payload: Json, update_id: int | None = None) -> int:
        uid = next(self._update_ids) if update_id is None else update_id
        with self.cond:
            self.updates.append({"update_id": uid, kind: payload, "_redeliver": update_id is not None})
            self.cond.notify_all()
        return uid

    def redeliver(self, update: Json) -> int:
        """Deliver an already delivered update again, same update_id (a restart before the offset was
        confirmed, or a webhook retry)."""
        kind = next(k for k in update if k != "update_id")
        return self.queue(kind, update[kind], update_id=update["update_id"])

    def delivered(self, update_id: int) -> Json:
        for call in list(self.calls):
            if call.method == "getUpdates":
                for u in call.result or []:
                    if u["update_id"] == update_id:
                        return dict(u)
        raise KeyError(update_id)

    # -- a customer does something ------------------------------------------------------------------
    def send_text(self, user_id: int, text: str, language_code: str = "ko") -> int:
        return self.queue(*self.make.text(user_id, text, language_code))

    def send_group_text(self, user_id: int, text: str, chat_id: int = -100777, kind: str = "supergroup") -> int:
        return self.queue(*self.make.group_text(user_id, text, chat_id, kind))

    def send_sticker(self, user_id: int, language_code: str = "ko") -> int:
        return self.queue(*self.make.sticker(user_id, language_code))

    def send_photo(self, user_id: int, caption: str = "") -> int:
        return self.queue(*self.make.photo(user_id, caption))

    def send_voice(self, user_id: int) -> int:
        return self.queue(*self.make.voice(user_id))

    def edit_text(self, user_id: int, text: str) -> int:
        return self.queue(*self.make.edited(user_id, text))

    def press(self, user_id: int, sent: Json, callback_data: str) -> int:
        """The customer presses the button ``callback_data`` of a message the bot sent."""
        return self.queue(*self.make.press(user_id, sent, callback_data))

    # -- what tests read -----------------------------------------------------------------------------
    def requests(self, method: str) -> list[Json]:
        with self.cond:
            return [c.params for c in self.calls if c.method == method and c.status == 200]

    def sent(self, chat_id: int) -> list[Json]:
        """Messages the bot sent into ``chat_id``, as they stand now (keyboards removed later show so)."""
        with self.cond:
            return [copy.deepcopy(m) for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s; calls: {[c.method for c in self.calls]}")
            await asyncio.sleep(0.01)

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 5.0) -> list[Json]:
        """The messages in ``chat_id`` once there are at least ``count``."""
        await self.wait_until(lambda: len(self.sent(chat_id)) >= count, timeout)
        return self.sent(chat_id)

    # -- the Bot API ---------------------------------------------------------------------------------
    def call(self, method: str, params: Json) -> tuple[int, Json]:
        with self.cond:
            pending = self.failures.get(method)
            if pending:
                status, body = pending.pop(0)
                self.calls.append(Call(method, params, status))
                return status, body
            call = Call(method, params)
            self.calls.append(call)
        if method == "getUpdates":
            call.result = self._get_updates(params)
            return 200, {"ok": True, "result": call.result}
        with self.cond:
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                call.status = 404
                return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            try:
                return 200, {"ok": True, "result": handler(params)}
            except _ApiError as err:
                call.status = err.code
                return err.code, {"ok": False, "error_code": err.code, "description": err.description}

    def _get_updates(self, params: Json) -> list[Json]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self.cond:
            while True:
                self.updates = [u for u in self.updates if u["_redeliver"] or u["update_id"] >= offset]
                ready = self.updates[: int(params.get("limit") or 100)]
                remaining = deadline - time.monotonic()
                if ready or self.closing or remaining <= 0:
                    break
                self.cond.wait(remaining)
            for u in ready:
                self.updates.remove(u)
            return [{k: v for k, v in u.items() if k != "_redeliver"} for u in ready]

    def _api_getMe(self, params: Json) -> Json:
        return BOT

    def _api_deleteWebhook(self, params: Json) -> bool:
        return True

    def _api_setWebhook(self, params: Json) -> bool:
        return True

    def _api_answerCallbackQuery(self, params: Json) -> bool:
        if not params.get("callback_query_id"):
            raise _ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        return True

    def _api_sendMessage(self, params: Json) -> Json:
        chat_id, text = params.get("chat_id"), params.get("text", "")
        if not isinstance(chat_id, int):
            raise _ApiError(400, "Bad Request: chat not found")
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        message: Json = {"message_id": next(self._message_ids), "date": START, "from": BOT,
                         "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}, "text": text}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[chat_id, message["message_id"]] = message
        return message

    def _edited(self, params: Json) -> Json:
        message = self.messages.get((params.get("chat_id"), params.get("message_id")))
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return message

    def _api_editMessageReplyMarkup(self, params: Json) -> Json:
        message = self._edited(params)
        markup = params.get("reply_markup")
        if markup == message.get("reply_markup") or (not markup and "reply_markup" not in message):
            raise _ApiError(400, "Bad Request: message is not modified: specified new message content and "
                                 "reply markup are exactly the same as a current content and reply markup")
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return message

    def _api_editMessageText(self, params: Json) -> Json:
        message = self._edited(params)
        message["text"] = params.get("text", "")
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (PTB cancelling a long poll on stop) is not an error of the fake."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


def decode_params(body: bytes, content_type: str) -> Json:
    """What the bot sent: form fields (JSON-typed ones decoded, ids as int) or a JSON object."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        data = json.loads(body)
        return dict(data) if isinstance(data, dict) else {}
    params: Json = {}
    for key, values in parse_qs(body.decode(), keep_blank_values=True).items():
        value: Any = values[-1]
        if key in _JSON_FIELDS:
            value = json.loads(value)
        elif key in _INT_FIELDS:
            value = int(value)
        params[key] = value
    return params


def _handler(fake: FakeTelegram) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            prefix = f"/bot{fake.token}/"
            if not self.path.startswith(prefix):
                self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                return
            try:
                params = decode_params(body, self.headers.get("Content-Type", ""))
            except (ValueError, UnicodeDecodeError):
                self._reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: can't parse"})
                return
            self._reply(*fake.call(self.path[len(prefix):], params))

        do_GET = do_POST

        def _reply(self, status: int, body: Json) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    fake.start()
    try:
        yield fake
    finally:
        fake.close()
