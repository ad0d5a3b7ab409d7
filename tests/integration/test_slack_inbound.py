"""Staff act from Slack: requests built and signed exactly as Slack builds and signs them, posted to the ASGI app
of ``/slack/events`` (slack-bolt's adapter); Slack's Web API is the fake on 127.0.0.1. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Desk, slack_asgi
from bot.casework.staff import StaffAction
from bot.casework.tickets import ExtensionReason, Status
from bot.clock import FixedClock
from bot.config import SlackStaff
from storage.uow import Database
from tests.fake_slack import (
    BOT_TOKEN,
    FakeSlack,
    block_actions,
    fake_slack,
    interaction,
    signed,
    slash,
    view_submission,
)
from tests.fakes import KST
from tests.integration.slack_support import CAL, SlackDesk, open_ticket, slack_desk

CS = FakeSlack.channel_id("#voc-cs")
MONDAY = datetime(2026, 9, 14, 10, 0, tzinfo=KST)
STAFF = {
    "U0KIM": SlackStaff(id="kim", department="service_quality"),
    "U0LEE": SlackStaff(id="lee", department="legal"),
    "U0BOSS": SlackStaff(id="boss", department="voc_desk", role="admin"),
}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with fake_slack() as server:
        yield server


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY)


@dataclass
class Inbound:
    desk: SlackDesk
    http: httpx.AsyncClient
    fake: FakeSlack
    number: str = ""

    async def post(self, body: str, **signing: Any) -> httpx.Response:
        return await self.http.post("/slack/events", content=body.encode(), headers=signed(body, **signing))

    def button(self, action: str) -> str:
        """The value of ``action``'s button on the ticket's card as Slack shows it now."""
        (card,) = self.fake.in_channel(CS)
        for block in card.blocks:
            for element in block.get("elements", []):
                if element.get("action_id") == action:
                    return str(element["value"])
        raise AssertionError(f"no {action} button on the card")

    async def click(self, user: str, action: str, value: str | None = None) -> httpx.Response:
        (card,) = self.fake.in_channel(CS)
        payload = block_actions(user, action, value or self.button(action), channel=CS, ts=card.ts)
        return await self.post(interaction(payload))

    async def form(self, user: str, action: str, values: dict[str, Any]) -> httpx.Response:
        assert (await self.click(user, action)).status_code == 200
        view = self.fake.called("views.open")[-1].params["view"]
        return await self.post(interaction(view_submission(user, view, values)))

    async def ticket(self) -> Any:
        async with self.desk.database.uow() as uow:
            return await uow.tickets.get(self.number)

    def told(self) -> str:
        return str(self.fake.called("chat.postEphemeral")[-1].params["text"])


@asynccontextmanager
async def inbound(fake: FakeSlack, database: Database, clock: FixedClock) -> AsyncIterator[Inbound]:
    async with slack_desk(fake, database, clock, staff=STAFF, digest_time="") as desk:
        asgi = slack_asgi(desk.config, Desk(desk.config, database, CAL, clock),
                          client=AsyncWebClient(token=BOT_TOKEN, base_url=fake.base_url))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi),
                                     base_url="http://vocdesk.test") as http:
            found = Inbound(desk, http, fake)
            found.number = await open_ticket(database, MONDAY)
            await desk.dispatch()  # the card is in #voc-cs
            yield found


async def test_claim_assigns_the_ticket_to_the_staff_member_and_logs_the_slack_user(
        fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    async with inbound(fake, database, clock) as slack:
        response = await slack.click("U0KIM", "voc_claim")
        assert response.status_code == 200
        ticket = await slack.ticket()
        assert (ticket.status, ticket.assignee) == (Status.ASSIGNED, "kim")
        assert ticket.events[-1].actor == "kim (slack:U0KIM)"
        assert "담당자로 지정" in slack.told()
        assert "kim" in str(fake.in_channel(CS)[0].blocks)  # the card shows it at once
        await slack.desk.dispatch()
        (card,) = fake.in_channel(CS)
        assert fake.thread(CS, card.ts)[-1].text == f"{slack.number}: 담당자 배정 (kim (<@U0KIM>)): 담당자 kim"
    assert fake.called("auth.test")  # Bolt asked who it is, once, lazily


async def test_answer_opens_a_form_and_its_submission_answers_the_customer(
        fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    async with inbound(fake, database, clock) as slack:
        answer = "불편을 드려 죄송합니다. 010-9999-8888로 연락드리겠습니다."
        response = await slack.form("U0KIM", "voc_answer", {"answer": answer})
        assert response.status_code == 200 and response.content in (b"", b"{}")
        (opened,) = fake.called("views.open")
        assert opened.params["view"]["callback_id"] == "voc_answer" and opened.params["trigger_id"]
        ticket = await slack.ticket()
        assert ticket.status is Status.ANSWERED and "010-****-8888" in ticket.answer
        assert [e.actor for e in ticket.events if e.action.value == "answer"] == ["kim (slack:U0KIM)"]
        assert ticket.events[-1].data["survey"] == "invited"  # the satisfaction survey, with the answer
        await slack.desk.dispatch()
        sent = [m.kind for m in slack.desk.customers.sent]
        assert "answered" in sent  # through the notices dispatcher
        assert slack.button("voc_close").startswith(slack.number)  # the card offers closing now
        assert (await slack.click("U0KIM", "voc_close")).status_code == 200
        assert (await slack.ticket()).status is Status.CLOSED


async def test_request_supplement_and_transfer_forms(fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    async with inbound(fake, database, clock) as slack:
        await slack.form("U0KIM", "voc_supplement", {"reason": "영수증 사본을 보내 주세요"})
        ticket = await slack.ticket()
        assert ticket.status is Status.SUPPLEMENT_REQUESTED and ticket.supplement_request == "영수증 사본을 보내 주세요"
        await slack.desk.staff.act(slack.number, StaffAction("supplement", "customer:1", reason="첨부합니다"))
        await slack.desk.dispatch()
        assert (await slack.click("U0KIM", "voc_transfer")).status_code == 200
        view = fake.called("views.open")[-1].params["view"]
        options = view["blocks"][1]["element"]["options"]
        assert "service_quality" not in {o["value"] for o in options}
        await slack.post(interaction(view_submission("U0KIM", view, {
            "department": ("select", "legal"), "reason": "법령 해석이 필요합니다"})))
        assert (await slack.ticket()).department == "legal"


async def test_extension_twice_the_second_with_consent_then_no_more(
        fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    async with inbound(fake, database, clock) as slack:
        due = (await slack.ticket()).due_at
        first = {"reason_code": ("select", "fact_check"), "detail": "현장 조사가 필요합니다", "period": "3"}
        assert (await slack.form("U0KIM", "voc_extend", first)).status_code == 200
        form = fake.called("views.open")[-1].params["view"]
        (reasons,) = [b["element"]["options"] for b in form["blocks"] if b.get("block_id") == "reason_code"]
        assert {o["value"] for o in reasons} == {r.value for r in ExtensionReason}  # 시행령 제21조① only
        assert "consent" not in {b.get("block_id") for b in form["blocks"]}  # the first needs no consent
        ticket = await slack.ticket()
        assert len(ticket.extensions) == 1 and ticket.due_at > due
        await slack.desk.dispatch()
        assert slack.desk.customers.sent[-1].kind == "extended"  # the customer is told

        second = {"reason_code": ("select", "cooperation"), "detail": "타 기관 회신 대기"}
        refused = await slack.form("U0KIM", "voc_extend", second)
        view = fake.called("views.open")[-1].params["view"]
        assert "consent" in {b.get("block_id") for b in view["blocks"]}
        assert refused.json() == {"response_action": "errors", "errors": {
            "consent": "두 번째 연장에는 고객의 동의가 필요합니다."}}
        await slack.post(interaction(view_submission("U0KIM", view, second | {"consent": ("checked", ["yes"])})))
        assert len((await slack.ticket()).extensions) == 2

        await slack.desk.dispatch()
        await slack.click("U0KIM", "voc_extend")
        assert "이미 2번 연장" in slack.told()


async def test_a_click_on_a_card_that_changed_meanwhile_is_refused_with_the_card_as_it_is(
        fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    async with inbound(fake, database, clock) as slack:
        shown = slack.button("voc_claim")
        await slack.desk.staff.act(slack.number, StaffAction("assign", "lee (cli)", assignee="park"))
        await slack.click("U0KIM", "voc_claim", value=shown)
        ticket = await slack.ticket()
        assert ticket.assignee == "park"  # not overwritten
        assert "그 사이 변경되었습니다(현재 담당자 배정)" in slack.told()
        (card,) = fake.in_channel(CS)
        assert card.updates == 1 and "park" in str(card.blocks)
        await slack.click("U0KIM", "voc_claim")  # the refreshed card works
        assert (await slack.ticket()).assignee == "kim"


async def test_a_form_submitted_after_the_ticket_changed_keeps_the_form_open(
        fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    async with inbound(fake, database, clock) as slack:
        assert (await slack.click("U0KIM", "voc_answer")).status_code == 200
        view = fake.called("views.open")[-1].params["view"]
        await slack.desk.staff.act(slack.number, StaffAction("answer", "lee (cli)", answer="먼저 답변"))
        response = await slack.post(interaction(view_submission("U0KIM", view, {"answer": "나중 답변"})))
        assert response.json()["response_action"] == "errors"
        assert "그 사이 변경되었습니다" in response.json()["errors"]["answer"]
        assert (await slack.ticket()).answer == "먼저 답변"


async def test_anyone_else_is_refused_politely_and_nothing_changes(
        fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    async with inbound(fake, database, clock) as slack:
        assert (await slack.click("U0STRANGER", "voc_claim")).status_code == 200
        assert "등록된 담당 직원만" in slack.told()
        await slack.click("U0LEE", "voc_claim")  # legal's staff, a CS ticket
        assert "CS혁신팀 소관" in slack.told() and "법무실" in slack.told()
        assert (await slack.ticket()).assignee == ""
        view = {"type": "modal", "callback_id": "voc_answer", "private_metadata": f"{slack.number}|0||"}
        forged = await slack.post(interaction(view_submission("U0STRANGER", view, {"answer": "x"})))
        assert "등록된 담당 직원만" in forged.json()["errors"]["answer"]
        await slack.click("U0BOSS", "voc_claim")  # an admin may act on any department's ticket
        assert (await slack.ticket()).assignee == "boss"


async def test_a_forged_or_stale_signature_is_rejected(fake: FakeSlack, database: Database,
                                                       clock: FixedClock) -> None:
    async with inbound(fake, database, clock) as slack:
        (card,) = fake.in_channel(CS)
        body = interaction(block_actions("U0KIM", "voc_claim", slack.button("voc_claim"), channel=CS, ts=card.ts))
        forged = await slack.post(body, secret="not-the-signing-secret")
        stale = await slack.post(body, at=time.time() - 301)
        other = interaction(block_actions("U0BOSS", "voc_claim", slack.button("voc_claim"), channel=CS, ts=card.ts))
        tampered = await slack.http.post("/slack/events", content=other.encode(), headers=signed(body))
        assert [r.status_code for r in (forged, stale, tampered)] == [401, 401, 401]
        assert (await slack.ticket()).assignee == ""
        assert fake.called("chat.postEphemeral") == []
        assert (await slack.post(body, at=time.time() - 290)).status_code == 200  # within five minutes


async def test_the_voc_slash_command(fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    async with inbound(fake, database, clock) as slack:
        number = slack.number
        assert "없습니다" in (await slack.post(slash("U0KIM", ""))).json()["text"]
        await slack.click("U0KIM", "voc_claim")
        mine = (await slack.post(slash("U0KIM", ""))).json()
        assert mine["response_type"] == "ephemeral" and number in mine["text"] and "근무시간" in mine["text"]
        dept = (await slack.post(slash("U0KIM", "dept"))).json()["text"]
        assert "CS혁신팀* 처리 중 티켓 1건" in dept and number in dept
        shown = (await slack.post(slash("U0KIM", f"show {number.lower()}"))).json()
        assert number in shown["text"] and any("receive" in json.dumps(b, ensure_ascii=False)
                                               for b in shown["blocks"])
        assert "CS혁신팀 소관" in (await slack.post(slash("U0LEE", f"show {number}"))).json()["text"]
        stats = (await slack.post(slash("U0BOSS", "stats"))).json()["text"]
        assert "CS혁신팀: 처리 중 1건" in stats
        assert "`/voc dept`" in (await slack.post(slash("U0KIM", "help"))).json()["text"]
        assert "등록된 담당 직원만" in (await slack.post(slash("U0STRANGER", "dept"))).json()["text"]
