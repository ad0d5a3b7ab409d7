"""A fake SOLAPI v4 on 127.0.0.1 speaking the real wire format (protocols.md §4.1).

``POST /messages/v4/send-many/detail`` checks the ``HMAC-SHA256`` Authorization header (keys read
case-insensitively, as SOLAPI does; date within 15 minutes; signature = HMAC(secret, date + salt); a salt is
never accepted twice) and the body shape, then answers with ``groupInfo``, ``messageList`` and
``failedMessageList``. Tests script failures: a queue of HTTP statuses (with ``Retry-After``), a delay (for
timeouts), phone numbers whose AlimTalk Kakao refuses, and numbers that fail outright. Every accepted message
is counted by its idempotency key (``customFields.vocdeskKey``)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY, API_SECRET = "NCSFAKEKEY000001", "FAKESECRETFAKESECRETFAKESECRET00"
PATH = "/messages/v4/send-many/detail"
Json = dict[str, Any]


@dataclass
class FakeSolapi:
    statuses: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # next HTTP errors to answer
    delay: float = 0.0
    kakao_refuses: set[str] = field(default_factory=set)  # numbers whose AlimTalk fails (no Kakao user)
    failing: set[str] = field(default_factory=set)  # numbers that fail for every type
    accepted: list[Json] = field(default_factory=list)  # every accepted message
    requests: list[Json] = field(default_factory=list)
    in_flight: list[Json] = field(default_factory=list)  # send requests read, not yet answered (in their delay)
    lookups: int = 0  # GET /messages/v4/list requests answered
    auth_errors: list[str] = field(default_factory=list)
    _salts: set[str] = field(default_factory=set)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def delivered(self) -> Counter[str]:
        """How many times each idempotency key was accepted."""
        return Counter(m["customFields"]["vocdeskKey"] for m in self.accepted)

    def check_auth(self, header: str) -> str | None:
        scheme, _, rest = header.partition(" ")
        if scheme != "HMAC-SHA256":
            return "unknown scheme"
        parts = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in rest.split(","))}
        if parts.get("apikey") != API_KEY:
            return "InvalidAPIKey"
        try:
            date = datetime.fromisoformat(parts["date"])
        except (KeyError, ValueError):
            return "InvalidDate"
        if abs(datetime.now(UTC) - date) > timedelta(minutes=15):
            return "RequestTimeTooSkewed"
        salt = parts.get("salt", "")
        if not 12 <= len(salt) <= 64 or salt in self._salts:
            return "DuplicatedSignature"
        expected = hmac.new(API_SECRET.encode(), (parts["date"] + salt).encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts.get("signature", "")):
            return "SignatureDoesNotMatch"
        self._salts.add(salt)
        return None

    def answer(self, body: Json) -> tuple[int, Json]:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or body.get("allowDuplicates") is not False:
            return 400, {"errorCode": "ValidationError", "errorMessage": "messages must be a non-empty list"}
        ok, failed = [], []
        for m in messages:
            if not {"to", "from", "type", "customFields"} <= set(m) or m["type"] not in ("ATA", "SMS", "LMS"):
                return 400, {"errorCode": "ValidationError", "errorMessage": f"bad message {sorted(m)}"}
            if m["type"] == "ATA":
                options = m.get("kakaoOptions") or {}
                if not options.get("pfId") or not options.get("templateId") or not isinstance(
                        options.get("variables"), dict) or not all(k.startswith("#{") for k in options["variables"]):
                    return 400, {"errorCode": "ValidationError", "errorMessage": "bad kakaoOptions"}
            elif not m.get("text") or (m["type"] == "SMS" and len(m["text"].encode("cp949")) > 90):
                return 400, {"errorCode": "ValidationError", "errorMessage": "SMS text over 90 bytes"}
            refused = m["to"] in self.failing or (m["type"] == "ATA" and m["to"] in self.kakao_refuses)
            result = {**m, "messageId": f"M4V{next(self._ids):012d}",
                      "statusCode": "3059" if refused else "2000",
                      "statusMessage": "수신 불가" if refused else "정상 접수(이통사로 접수 예정) "}
            (failed if refused else ok).append(result)
        self.accepted += ok
        count = {"total": len(messages), "registeredSuccess": len(ok), "registeredFailed": len(failed)}
        return 200, {"groupInfo": {"groupId": f"G4V{next(self._ids):012d}", "count": count, "status": "SENDING"},
                     "messageList": ok, "failedMessageList": failed}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSolapi

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        """``/messages/v4/list?to=…``: the accepted messages to that number, keyed by message id."""
        from urllib.parse import parse_qs, urlsplit

        fake = self.fake
        url = urlsplit(self.path)
        with fake.lock:
            if url.path != "/messages/v4/list":
                return self._send(404, {"errorCode": "NotFound", "errorMessage": url.path})
            problem = fake.check_auth(self.headers.get("Authorization", ""))
            if problem:
                fake.auth_errors.append(problem)
                return self._send(401, {"errorCode": problem, "errorMessage": problem})
            to = parse_qs(url.query).get("to", [""])[0]
            listed = {m["messageId"]: m for m in fake.accepted if m["to"] == to}
            fake.lookups += 1
        self._send(200, {"limit": 500, "messageList": listed})

    def do_POST(self) -> None:
        """A request is read whole, then waits ``delay`` (listed in ``in_flight``), then is answered: SOLAPI
        has what it accepted even when the client hung up or was killed meanwhile."""
        fake = self.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        seen = body if isinstance(body, dict) else {}
        if fake.delay:
            with fake.lock:
                fake.in_flight.append(seen)
            time.sleep(fake.delay)
            with fake.lock:
                fake.in_flight.remove(seen)
        with fake.lock:
            fake.requests.append(seen)
            if self.path != PATH:
                return self._send(404, {"errorCode": "NotFound", "errorMessage": self.path})
            problem = fake.check_auth(self.headers.get("Authorization", ""))
            if problem:
                fake.auth_errors.append(problem)
                return self._send(401 if problem != "RequestTimeTooSkewed" else 403,
                                  {"errorCode": problem, "errorMessage": problem})
            if fake.statuses:
                status, headers = fake.statuses.pop(0)
                return self._send(status, {"errorCode": "Scripted", "errorMessage": "scripted"}, headers)
            if not isinstance(body, dict):
                return self._send(400, {"errorCode": "ValidationError", "errorMessage": "not JSON"})
            status, answer = fake.answer(body)
        self._send(status, answer)

    def _send(self, status: int, body: Json, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (timed out, or was killed) before its answer is not an error of the fake."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def fake_solapi() -> Iterator[FakeSolapi]:
    fake = FakeSolapi()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = _Server(("127.0.0.1", 0), handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    """``python -m tests.fake_solapi``: serve on 127.0.0.1 in a process of its own (benchmarks), print the base
    URL, and when stdin closes print what was accepted (JSON: messages, keys, keys accepted more than once)."""
    with fake_solapi() as fake:
        print(fake.base_url, flush=True)
        sys.stdin.read()
        with fake.lock:
            delivered = fake.delivered()
        print(json.dumps({"accepted": sum(delivered.values()), "keys": len(delivered),
                          "twice": sum(1 for n in delivered.values() if n > 1)}), flush=True)


if __name__ == "__main__":
    main()
