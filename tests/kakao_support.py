"""Kakao skill requests as Open Builder sends them (protocols.md §3.1) and a fake ``callbackUrl`` endpoint on
127.0.0.1 that records what is POSTed to it and answers like Kakao's (``{taskId, status, message, timestamp}``)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "skill-secret-for-tests"
BOT_ID = "5ae9b76d7409b11ec845b746"
Json = dict[str, Any]


def skill_payload(utterance: str, user_id: str = "8dcae25ae7508eafa4dd2207fbf94187", *,
                  callback_url: str | None = None, bot_id: str = BOT_ID) -> Json:
    request: Json = {"timezone": "Asia/Seoul", "utterance": utterance, "lang": "ko",
                     "params": {"surface": "Kakaotalk.plusfriend"}, "block": {"id": "b1", "name": "폴백 블록"},
                     "user": {"id": user_id, "type": "botUserKey",
                              "properties": {"plusfriendUserKey": "UEBpJodrFRCP", "isFriend": True}}}
    if callback_url:
        request["callbackUrl"] = callback_url
    return {"intent": {"id": "i1", "name": "폴백 블록"}, "userRequest": request,
            "bot": {"id": bot_id, "name": "VOC봇"},
            "action": {"id": "a1", "name": "voc_skill", "params": {}, "detailParams": {}, "clientExtra": {}},
            "contexts": []}


def texts(response: Json) -> str:
    return "\n".join(o["simpleText"]["text"] for o in response["template"]["outputs"])


def quick_labels(response: Json) -> list[str]:
    return [q["messageText"] for q in response["template"].get("quickReplies", [])]


class FakeCallback:
    """Kakao's callback endpoint: ``POST /callback/<token>``; every body is kept in ``received``."""

    def __init__(self) -> None:
        self.received: list[tuple[str, Json]] = []
        self.cond = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                with fake.cond:
                    fake.received.append((self.path, body))
                    fake.cond.notify_all()
                answer = json.dumps({"taskId": str(uuid.uuid4()), "status": "SUCCESS", "message": "",
                                     "timestamp": int(time.time())}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def url(self, token: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/callback/{token}"

    def wait(self, count: int, timeout: float = 30.0) -> list[tuple[str, Json]]:
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"{len(self.received)} callbacks after {timeout}s, wanted {count}")
            return list(self.received)


@contextmanager
def fake_callback() -> Iterator[FakeCallback]:
    fake = FakeCallback()
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
