"""``vocdesk serve``: the real process on a free port, driven over HTTP with Kakao's own payloads."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import VOCDESK, Run, clean_environ
from tests.e2e.server_support import Served, edit, serve
from tests.kakao_support import SECRET, fake_callback, quick_labels, skill_payload, texts

pytestmark = pytest.mark.e2e
COMPLAINT = "창구 직원이 너무 불친절하게 응대했어요"


@pytest.fixture(scope="module")
def module_config(tmp_path_factory: pytest.TempPathFactory, shipped_config_file: Path) -> Path:
    path = tmp_path_factory.mktemp("serve") / "config.toml"
    path.write_text(shipped_config_file.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def served(module_config: Path) -> Iterator[Served]:
    server = serve(module_config)
    try:
        yield server
    finally:
        assert server.stop() == 0, server.output()[-3000:]


def converse(server: Served, user: str) -> list[dict[str, object]]:
    """A whole Kakao conversation, each answer tapped as its quick reply's messageText."""
    answers = []
    for say in ("안녕하세요", "동의합니다", COMPLAINT, "네, 접수합니다", "건너뛰기"):
        response = server.kakao(skill_payload(say, user))
        assert response.status_code == 200, response.text
        answers.append(response.json())
    return answers


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_a_kakao_conversation_opens_a_ticket_of_channel_kakao(served: Served, module_config: Path,
                                                              vocdesk: Run) -> None:
    banner = served.out.read_text(encoding="utf-8")
    assert f"homepage chat: {served.base}/" in banner and f"KakaoTalk: {served.base}/kakao/skill" in banner
    assert "Telegram: off (set TELEGRAM_BOT_TOKEN)" in banner
    before = httpx.get(f"{served.base}/metrics").text

    greeting, asked, understood, contact, opened = converse(served, "kakao-user-1")
    assert greeting["version"] == "2.0" and "개인정보" in texts(greeting)
    assert quick_labels(greeting) == ["동의합니다", "동의하지 않습니다"]
    assert "자유롭게" in texts(asked)
    assert "불친절 신고" in texts(understood) and quick_labels(understood)[0] == "네, 접수합니다"
    assert quick_labels(contact) == ["건너뛰기"]
    number = re.search(r"VOC-\d{4}-\d{6}", texts(opened))
    assert number, texts(opened)

    listed = vocdesk("tickets", "list", "--json", config=module_config)
    ticket = next(t for t in json.loads(listed.stdout) if t["number"] == number.group(0))
    assert (ticket["channel"], ticket["intent"], ticket["status"]) == ("kakao", "unfriendly_service", "received")

    after = httpx.get(f"{served.base}/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    moved = after.text
    assert metric(moved, 'vocdesk_messages_in_total{channel="kakao"}') - metric(
        before, 'vocdesk_messages_in_total{channel="kakao"}') == 5
    assert metric(moved, 'vocdesk_tickets_opened_total{voc_type="complaint"}') >= 1
    classified = "vocdesk_classification_seconds_count"
    assert metric(moved, classified) > metric(before, classified)
    assert 'vocdesk_http_request_seconds_count{method="POST",route="/kakao/skill",status="200"}' in moved
    assert metric(moved, "vocdesk_database_up") == 1
    for gauge in ("vocdesk_tickets_overdue", "vocdesk_deliveries_pending", "vocdesk_deliveries_dead"):
        assert f"\n{gauge} " in moved

    health = httpx.get(f"{served.base}/healthz")
    assert health.status_code == 200
    assert health.json()["database"] == "ok"
    assert set(health.json()["workers"].values()) == {"running"}


@pytest.mark.parametrize(("headers", "content", "status"), [
    ({}, json.dumps(skill_payload("안녕")), 401),
    ({"X-Vocdesk-Skill-Secret": "wrong"}, json.dumps(skill_payload("안녕")), 401),
    ({"X-Vocdesk-Skill-Secret": SECRET}, "{not json", 400),
    ({"X-Vocdesk-Skill-Secret": SECRET}, '{"userRequest": {"utterance": 3}}', 400),
    ({"X-Vocdesk-Skill-Secret": SECRET}, "[1, 2]", 400),
    ({"X-Vocdesk-Skill-Secret": SECRET}, '"\\ud800"', 400),
    ({"X-Vocdesk-Skill-Secret": SECRET}, "[" * 100_000 + "]" * 100_000, 413),
    ({"X-Vocdesk-Skill-Secret": SECRET}, "[" * 30_000 + "]" * 30_000, 400),
    ({"X-Vocdesk-Skill-Secret": SECRET}, "x" * 1_048_576, 413),
])
def test_bad_requests_get_a_4xx_with_a_reason_never_a_500(served: Served, headers: dict[str, str], content: str,
                                                          status: int) -> None:
    response = httpx.post(f"{served.base}/kakao/skill", content=content.encode(),
                          headers={"Content-Type": "application/json", **headers}, timeout=30)
    assert response.status_code == status, response.text
    assert response.json()["error"]


def test_wrong_content_type_and_method(served: Served) -> None:
    form = httpx.post(f"{served.base}/kakao/skill", data={"utterance": "x"},
                      headers={"X-Vocdesk-Skill-Secret": SECRET})
    assert form.status_code == 415 and "application/json" in form.json()["error"]
    assert httpx.get(f"{served.base}/kakao/skill").status_code == 405
    assert httpx.post(f"{served.base}/telegram/webhook", json={}).status_code == 404
    assert httpx.get(f"{served.base}/").status_code == 200


def test_a_body_streamed_past_the_limit_without_length_gets_413(served: Served) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 65536

    response = httpx.post(f"{served.base}/kakao/skill", content=chunks(), timeout=30,
                          headers={"X-Vocdesk-Skill-Secret": SECRET, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert httpx.get(f"{served.base}/healthz").status_code == 200


def test_slow_turns_answer_through_the_callback_and_nothing_is_lost(config_file: Path) -> None:
    with fake_callback() as callback:
        server = serve(config_file, changes={"callback_after_ms = 3500": "callback_after_ms = 0"})
        try:
            first = server.kakao(skill_payload("안녕하세요", "slow-user", callback_url=callback.url("t1"))).json()
            assert first["useCallback"] is True and first["data"]["text"]
            ((path, body),) = callback.wait(1)
            assert path == "/callback/t1" and body["version"] == "2.0" and "개인정보" in texts(body)
            assert quick_labels(body) == ["동의합니다", "동의하지 않습니다"]

            # Without a callbackUrl the customer is told to ask later; the turn still completes and commits.
            still = server.kakao(skill_payload("동의합니다", "slow-user")).json()
            assert "/status" in texts(still) and "useCallback" not in still
            server.kakao(skill_payload(COMPLAINT, "slow-user", callback_url=callback.url("t2")))
            _, understood = callback.wait(2)[1]
            assert "불친절 신고" in texts(understood)  # so the consent given in the answer-less turn was kept
        finally:
            assert server.stop() == 0


def test_sigterm_lets_a_request_in_flight_finish_then_exits_0(config_file: Path) -> None:
    server = serve(config_file)
    body = json.dumps(skill_payload("안녕하세요", "in-flight")).encode()
    head = (f"POST /kakao/skill HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-Vocdesk-Skill-Secret: {SECRET}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as client:
        client.sendall(head + body[:20])  # the request has begun and is waiting for the rest of its body
        time.sleep(1.0)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert server.process.poll() is None  # still serving the request in flight
        client.sendall(body[20:])
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = client.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert "개인정보" in answer.decode()
    assert server.process.wait(60) == 0, server.output()[-3000:]
    assert "Application shutdown complete" in server.output()


def test_telegram_webhook_with_a_wrong_secret_is_refused(config_file: Path) -> None:
    from tests.fake_telegram import TOKEN, fake_telegram

    with fake_telegram() as fake:
        edit(config_file, {'base_url = "https://api.telegram.org/bot"\nmode = "polling"':
                           f'base_url = "{fake.base_url}"\nmode = "webhook"\n'
                           'webhook_url = "https://voc.example.go.kr/telegram/webhook"'})
        server = serve(config_file, env={"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "tg-secret_1"})
        try:
            assert "Telegram: " + server.base + "/telegram/webhook" in server.out.read_text(encoding="utf-8")
            (registered,) = fake.requests("setWebhook")
            assert registered["url"] == "https://voc.example.go.kr/telegram/webhook"
            update = fake.make.update(fake.make.text(42, "안녕하세요"))
            url = f"{server.base}/telegram/webhook"
            wrong = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            assert wrong.status_code == 403
            assert httpx.post(url, json=update).status_code == 403
            right = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "tg-secret_1"})
            assert right.status_code == 200
            deadline = time.monotonic() + 20
            while not fake.sent(42) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "개인정보" in fake.sent(42)[0]["text"]
        finally:
            assert server.stop() == 0


def test_sqlite_refuses_several_workers_and_a_taken_port_is_named(vocdesk: Run, config_file: Path) -> None:
    two = vocdesk("serve", "--workers", "2")
    assert two.returncode == 2
    assert two.stderr.startswith("error: --workers 2: SQLite has one writer") and "Traceback" not in two.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        edit(config_file, {"port = 8080": f"port = {port}"})
        busy = subprocess.run([str(VOCDESK), "--config", str(config_file), "serve"], capture_output=True, text=True,
                              env=clean_environ(), timeout=120)
    assert busy.returncode == 2
    assert busy.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}:"), busy.stderr


def test_slack_events_are_served_and_checked_when_slack_is_configured(config_file: Path) -> None:
    from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, fake_slack, signed, slash

    with fake_slack() as fake:
        server = serve(config_file, env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET},
                       changes={'base_url = "https://slack.com/api/"': f'base_url = "{fake.base_url}"'})
        try:
            assert f"Slack: {server.base}/slack/events" in server.out.read_text(encoding="utf-8")
            body = slash("U0NOBODY", "help")
            url = f"{server.base}/slack/events"
            assert httpx.post(url, content=body, headers=signed(body, secret="forged")).status_code == 401
            answer = httpx.post(url, content=body, headers=signed(body))
            assert answer.status_code == 200 and "등록된 담당 직원만" in answer.json()["text"]  # Bolt answered
        finally:
            assert server.stop() == 0
