"""The real ``vocdesk rasa-actions`` process, driven over HTTP with the request bodies Rasa posts to
``/webhook``; what it filed is then read with the staff CLI."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import require_extra
from tests.e2e.conftest import VOCDESK, Run, clean_environ

require_extra("rasa_sdk", "rasa")

COMPLAINT = "창구 직원이 너무 불친절하게 응대했어요"
STARTUP_S = 300  # the first start of a test session trains the classifier
Json = dict[str, Any]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_call(action: str, text: str = COMPLAINT, *, message_id: str = "m1", slots: Json | None = None) -> Json:
    sender = "rasa-user-1"
    return {
        "next_action": action, "sender_id": sender, "version": "3.21.1",
        "tracker": {
            "sender_id": sender, "slots": slots or {}, "paused": False, "followup_action": None,
            "latest_message": {"text": text, "intent": {"name": "complain", "confidence": 0.9}, "entities": [],
                               "message_id": message_id},
            "events": [{"event": "user", "timestamp": 1789000001.5, "text": text, "message_id": message_id}],
            "active_loop": {}, "latest_action_name": "action_listen",
        },
        "domain": {"version": "3.1", "slots": {}, "responses": {}, "actions": [action]},
    }


def slots_of(reply: httpx.Response) -> Json:
    return {e["name"]: e["value"] for e in reply.json()["events"] if e["event"] == "slot"}


def said(reply: httpx.Response) -> str:
    return "\n".join(r["text"] for r in reply.json()["responses"])


@pytest.fixture
def server(config_file: Path, tmp_path: Path) -> Iterator[httpx.Client]:
    """``vocdesk rasa-actions`` on a free port of 127.0.0.1, stopped with SIGTERM afterwards."""
    port = free_port()
    log = (tmp_path / "rasa-actions.log").open("w+", encoding="utf-8")
    process = subprocess.Popen([str(VOCDESK), "--config", str(config_file), "rasa-actions", "--port", str(port)],
                               stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=clean_environ())
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        until = time.monotonic() + STARTUP_S
        while True:
            try:
                if client.get("/health").json() == {"status": "ok"}:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, Path(log.name).read_text(encoding="utf-8")[-3000:]
            assert time.monotonic() < until, "the action server did not start"
            time.sleep(0.2)  # waiting for another process to listen, not for time to pass
        yield client
    finally:
        client.close()
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=30) == 0, Path(log.name).read_text(encoding="utf-8")[-3000:]
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()


def test_the_action_server_files_a_ticket_that_the_staff_cli_shows_with_its_legal_deadline(
        server: httpx.Client, vocdesk: Run) -> None:
    opened = server.post("/webhook", json=webhook_call("action_voc_open_ticket"))
    assert opened.status_code == 200, opened.text
    slots = slots_of(opened)
    number = slots["voc_ticket_number"]
    assert number.startswith("VOC-") and slots["voc_department"] == "service_quality"
    assert f"접수번호: {number}" in said(opened) and "CS혁신팀" in said(opened)

    shown = vocdesk("tickets", "show", number, "--json")
    assert shown.returncode == 0, shown.stderr
    ticket = json.loads(shown.stdout)
    assert (ticket["channel"], ticket["voc_type"], ticket["intent"]) == ("rasa", "complaint", "unfriendly_service")
    assert ticket["text"] == COMPLAINT and ticket["due_at"] == slots["voc_due_date"]
    assert f"처리기한: {ticket['due_text']}" in said(opened)
    legal = vocdesk("sla", "due", "--received", ticket["received_at"], "--intent", "unfriendly_service", "--json")
    assert json.loads(legal.stdout)["due_at"] == ticket["due_at"]  # 민원처리법 제19조: 7 working days

    again = server.post("/webhook", json=webhook_call("action_voc_open_ticket"))  # Rasa redelivers
    assert slots_of(again)["voc_ticket_number"] == number
    assert len(json.loads(vocdesk("tickets", "list", "--json").stdout)) == 1

    status = server.post("/webhook", json=webhook_call("action_voc_status", f"{number} 어떻게 됐나요", message_id="m2"))
    assert slots_of(status)["voc_status"] == "received" and f"{number} [접수]" in said(status)


def test_classify_then_handoff_reaches_the_staff_lists(server: httpx.Client, vocdesk: Run) -> None:
    classified = server.post("/webhook", json=webhook_call("action_voc_classify"))
    assert slots_of(classified) | {"voc_confidence": None} == {
        "voc_type": "complaint", "voc_intent": "unfriendly_service", "voc_confidence": None, "voc_text": COMPLAINT}
    assert 0 < slots_of(classified)["voc_confidence"] <= 1
    handed = server.post("/webhook", json=webhook_call("action_voc_handoff", "talk to a person", message_id="m3"))
    assert slots_of(handed) == {"voc_handoff": True} and "staff member" in said(handed)
    (handoff,) = json.loads(vocdesk("handoffs", "list", "--json").stdout)
    assert (handoff["channel"], handoff["text"]) == ("rasa", "talk to a person")
    assert "handoff" in vocdesk("outbox", "list").stdout


def test_unknown_actions_and_malformed_requests_get_http_errors(server: httpx.Client) -> None:
    unknown = server.post("/webhook", json=webhook_call("action_unknown"))
    assert unknown.status_code == 404 and unknown.json()["action_name"] == "action_unknown"
    assert server.post("/webhook", content=b"not json").status_code == 400
    assert server.post("/webhook", json={"next_action": "action_voc_open_ticket"}).status_code == 400


def test_a_database_failure_mid_action_files_nothing_and_tells_the_customer(
        server: httpx.Client, vocdesk: Run, config_file: Path) -> None:
    database = sqlite3.connect(config_file.parent / "vocdesk.db")
    try:
        database.execute("CREATE TRIGGER outbox_down BEFORE INSERT ON outbox "
                         "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
        database.commit()
        failed = server.post("/webhook", json=webhook_call("action_voc_open_ticket"))
        assert failed.status_code == 200 and failed.json()["events"] == []
        assert "잠시 후 다시 시도해 주세요" in said(failed)
        assert json.loads(vocdesk("tickets", "list", "--json").stdout) == []
        database.execute("DROP TRIGGER outbox_down")
        database.commit()
    finally:
        database.close()
    retried = server.post("/webhook", json=webhook_call("action_voc_open_ticket"))
    assert slots_of(retried)["voc_ticket_number"].startswith("VOC-")
    assert len(json.loads(vocdesk("tickets", "list", "--json").stdout)) == 1
