"""rasa-sdk's real action server (its executor and Sanic app, our actions registered) served on 127.0.0.1,
driven with the request bodies Rasa posts to ``/webhook``, on a real SQLite and PostgreSQL database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import require_extra

require_extra("rasa_sdk", "rasa")

from bot.casework.routing import RoutingTable  # noqa: E402
from bot.casework.workcalendar import WorkCalendar  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.conversation.assisted import AssistedDesk  # noqa: E402
from bot.conversation.classification import VocType  # noqa: E402
from bot.conversation.dialogue import DialogueDeps  # noqa: E402
from handlers.rasa import build_executor  # noqa: E402
from handlers.rasa_server import action_server, serving  # noqa: E402
from storage.uow import Database  # noqa: E402
from tests.fakes import KST, ScriptedClassifier, classification  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
C = VocType.COMPLAINT
TABLE = {"불친절": classification("unfriendly_service", C, 0.91, ("other_complaint", C, 0.05))}
RECEIVED = datetime(2026, 9, 22, 10, 0, tzinfo=KST)  # a Tuesday: 7 days end on Friday 2 October
COMPLAINT = "창구 직원이 너무 불친절하게 응대했어요"
Json = dict[str, Any]


def call(action: str, text: str = COMPLAINT, *, message_id: str = "m1", sender: str = "user-7",
         slots: Json | None = None) -> Json:
    """A request body as Rasa posts it to the action server."""
    return {
        "next_action": action, "sender_id": sender, "version": "3.21.1",
        "tracker": {
            "sender_id": sender, "slots": slots or {}, "paused": False, "followup_action": None,
            "latest_message": {"text": text, "intent": {"name": "complain", "confidence": 0.93}, "entities": [],
                               "intent_ranking": [], "message_id": message_id},
            "events": [{"event": "action", "timestamp": 1789000000.0, "name": "action_listen"},
                       {"event": "user", "timestamp": 1789000001.5, "text": text, "message_id": message_id}],
            "active_loop": {}, "latest_action_name": "action_listen",
        },
        "domain": {"version": "3.1", "intents": ["complain"], "slots": {}, "responses": {},
                   "actions": [action]},
    }


def slot(name: str, value: object) -> Json:
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def said(reply: httpx.Response) -> str:
    return "\n".join(r["text"] for r in reply.json()["responses"])


@pytest.fixture
async def client(database: Database) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_config(ROOT / "config.toml", {}).settings
    deps = DialogueDeps(
        uow=database.uow, classifier=ScriptedClassifier(TABLE, classification("out_of_scope", None, 0.3)),
        routing=RoutingTable.from_settings(settings), calendar=WorkCalendar.build(settings.calendar.windows()),
        clock=FixedClock(RECEIVED), settings=settings,
    )
    await database.sync_departments(settings.departments)
    async with serving(action_server(build_executor(AssistedDesk(deps, "rasa"))), "127.0.0.1", 0) as port, \
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        yield http


async def count(database: Database, table: str) -> int:
    async with database.engine.connect() as connection:
        return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_open_ticket_sets_the_slots_utters_the_confirmation_and_stores_the_deadline(
        client: httpx.AsyncClient, database: Database) -> None:
    reply = await client.post("/webhook", json=call("action_voc_open_ticket"))
    assert reply.status_code == 200, reply.text
    assert reply.json()["events"] == [
        slot("voc_ticket_number", "VOC-2026-000001"), slot("voc_due_date", "2026-10-02T18:00:00+09:00"),
        slot("voc_department", "service_quality"), slot("voc_text", None), slot("voc_intent", None)]
    (confirmation, remedy) = reply.json()["responses"]
    assert confirmation["text"].startswith("접수되었습니다.\n- 접수번호: VOC-2026-000001")
    assert "- 처리기한: 2026년 10월 2일(금)까지" in confirmation["text"]
    assert set(confirmation) >= {"text", "buttons", "elements", "custom", "template", "response", "image"}
    assert "불친절 신고는" in remedy["text"]
    async with database.uow() as uow:
        ticket = await uow.tickets.get("VOC-2026-000001")
        customer = await uow.customers.get(ticket.customer_id) if ticket else None
        outbox = await uow.outbox.pending()
    assert ticket is not None and customer is not None
    assert ticket.due_at == datetime(2026, 10, 2, 18, 0, tzinfo=KST) and ticket.due_date_only
    assert (ticket.channel, ticket.intent, ticket.text) == ("rasa", "unfriendly_service", COMPLAINT)
    assert (customer.channel, customer.external_id) == ("rasa", "user-7")
    assert [o["kind"] for o in outbox] == ["ticket_opened", "remedy_open"]  # its remedy case, same transaction


async def test_a_redelivered_request_opens_no_second_ticket(client: httpx.AsyncClient, database: Database) -> None:
    first = await client.post("/webhook", json=call("action_voc_open_ticket"))
    again = await client.post("/webhook", json=call("action_voc_open_ticket"))
    assert again.status_code == 200 and again.json()["events"] == first.json()["events"]
    assert "VOC-2026-000001" in said(again)
    assert await count(database, "tickets") == 1 and await count(database, "outbox") == 2  # with its remedy case
    other = await client.post("/webhook", json=call("action_voc_open_ticket", message_id="m2"))
    assert slot("voc_ticket_number", "VOC-2026-000002") in other.json()["events"]


async def test_classify_then_a_bare_yes_files_the_classified_words(client: httpx.AsyncClient,
                                                                   database: Database) -> None:
    classified = await client.post("/webhook", json=call("action_voc_classify", f"{COMPLAINT} 010-1234-5678"))
    assert classified.json() == {"events": [
        slot("voc_type", "complaint"), slot("voc_intent", "unfriendly_service"), slot("voc_confidence", 0.91),
        slot("voc_text", f"{COMPLAINT} 010-****-5678")], "responses": []}
    slots = {e["name"]: e["value"] for e in classified.json()["events"]}
    opened = await client.post("/webhook", json=call("action_voc_open_ticket", "네", message_id="m2", slots=slots))
    assert slot("voc_ticket_number", "VOC-2026-000001") in opened.json()["events"]
    async with database.uow() as uow:
        ticket = await uow.tickets.get("VOC-2026-000001")
    assert ticket is not None and ticket.text == f"{COMPLAINT} 010-****-5678"


async def test_status_from_the_latest_message_and_from_the_slot(client: httpx.AsyncClient) -> None:
    await client.post("/webhook", json=call("action_voc_open_ticket"))
    asked = await client.post("/webhook", json=call("action_voc_status", "VOC-2026-000001 어떻게 됐나요?",
                                                    message_id="m2"))
    assert asked.json()["events"] == [
        slot("voc_ticket_number", "VOC-2026-000001"), slot("voc_due_date", "2026-10-02T18:00:00+09:00"),
        slot("voc_department", "service_quality"), slot("voc_status", "received")]
    assert said(asked) == "VOC-2026-000001 [접수] 불만 · 불친절 신고 — CS혁신팀, 처리기한 2026년 10월 2일(금)까지"
    by_slot = await client.post("/webhook", json=call("action_voc_status", "what about my case?", message_id="m3",
                                                      slots={"voc_ticket_number": "VOC-2026-000001"}))
    assert "VOC-2026-000001 [received]" in said(by_slot) and "by Fri 2 Oct 2026" in said(by_slot)
    stranger = await client.post("/webhook", json=call("action_voc_status", "VOC-2026-000001", sender="other"))
    assert stranger.json()["events"] == [] and "찾을 수 없습니다" in said(stranger)


async def test_handoff_stores_the_request_and_queues_the_staff_alert(client: httpx.AsyncClient,
                                                                   database: Database) -> None:
    reply = await client.post("/webhook", json=call("action_voc_handoff", "상담원 연결해 주세요"))
    assert reply.json()["events"] == [slot("voc_handoff", True)]
    assert "상담 직원에게 연결을 요청했습니다" in said(reply)
    await client.post("/webhook", json=call("action_voc_handoff", "상담원 연결해 주세요"))  # redelivered
    async with database.uow() as uow:
        (handoff,) = await uow.handoffs.list()
        (alert,) = await uow.outbox.pending()
    assert (handoff.channel, handoff.text) == ("rasa", "상담원 연결해 주세요")
    assert alert["kind"] == "handoff" and alert["payload"]["handoff_id"] == handoff.id


async def test_unknown_malformed_and_domainless_requests_get_rasa_sdk_s_errors(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    assert {a["name"] for a in (await client.get("/actions")).json()} == {
        "action_voc_open_ticket", "action_voc_classify", "action_voc_status", "action_voc_handoff"}
    unknown = await client.post("/webhook", json=call("action_does_not_exist"))
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "No registered action found for name 'action_does_not_exist'.",
                              "action_name": "action_does_not_exist"}
    for body in (b"{oops", b"[]", json.dumps(call("action_voc_status") | {"tracker": "x"}).encode()):
        bad = await client.post("/webhook", content=body, headers={"Content-Type": "application/json"})
        assert bad.status_code == 400 and "error" in bad.json()
    domainless = {k: v for k, v in call("action_voc_status").items() if k != "domain"}
    assert (await client.post("/webhook", json=domainless)).status_code == 449  # Rasa resends with its domain


FAIL_OUTBOX = {
    "sqlite": ["CREATE TRIGGER outbox_down BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"],
    "postgresql": [
        "CREATE FUNCTION outbox_down() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'disk I/O error'; END $$",
        "CREATE TRIGGER outbox_down BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_down()",
    ],
}


async def test_a_database_failure_mid_action_leaves_no_half_opened_ticket(
        client: httpx.AsyncClient, database: Database, caplog: pytest.LogCaptureFixture) -> None:
    """The ticket row is written, then the outbox row fails: the unit of work rolls back whole, the customer
    is told to try again, and the retry (the message was not marked handled) opens the ticket."""
    async with database.engine.begin() as connection:
        for statement in FAIL_OUTBOX[database.engine.dialect.name]:
            await connection.execute(text(statement))
    failed = await client.post("/webhook", json=call("action_voc_open_ticket"))
    assert failed.status_code == 200
    assert failed.json()["events"] == [] and "잠시 후 다시 시도해 주세요" in said(failed)
    assert await count(database, "tickets") == 0 and await count(database, "ticket_events") == 0
    assert await count(database, "inbound_messages") == 0 and await count(database, "customers") == 0
    assert "action_voc_open_ticket failed" in caplog.text and COMPLAINT not in caplog.text
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP TRIGGER outbox_down" + (
            " ON outbox" if database.engine.dialect.name == "postgresql" else "")))
    retried = await client.post("/webhook", json=call("action_voc_open_ticket"))
    assert slot("voc_ticket_number", "VOC-2026-000001") in retried.json()["events"]
