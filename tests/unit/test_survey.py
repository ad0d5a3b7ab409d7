"""The satisfaction survey at fixed instants with in-memory fakes: invited once after the answer, rated once in
the chat, a low rating alerting the department and reopening the ticket on the customer's word."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from bot.casework.routing import RoutingTable
from bot.casework.staff import Staff, StaffAction
from bot.casework.tickets import Status
from bot.clock import FixedClock
from bot.conversation.dialogue import Dialogue, DialogueDeps
from bot.conversation.messages import Inbound
from bot.errors import SurveyRefused
from bot.notices.model import Event, Facts
from bot.standard.survey import FollowUp, invite, token_hash
from bot.standard.survey_desk import Inviter, SurveyTerms
from tests.fakes import KST, ScriptedClassifier, Store, fake_uow_factory
from tests.unit.test_remedies import CAL, SETTINGS, TABLE, C, file, planner

AT = datetime(2026, 9, 22, 10, 0, tzinfo=KST)
TOKENS = iter(f"token-{i:02d}-abcdefghijklmnop" for i in range(100))


def test_a_rating_is_taken_once_from_1_to_5_before_it_expires() -> None:
    survey = invite(number="VOC-2026-000001", ticket_id=1, customer_id=1, channel="web", token="t" * 32, now=AT,
                    valid_days=30)
    assert survey.token_hash == token_hash("t" * 32) and "t" * 32 not in repr(survey)
    with pytest.raises(SurveyRefused, match="1 to 5"):
        survey.rate(6, "", AT, "web", 2)
    with pytest.raises(SurveyRefused, match="expired"):
        survey.rate(4, "", AT + timedelta(days=31), "web", 2)
    assert survey.rate(4, "친절했어요 010-1234-5678", AT, "web", 2) is False
    assert survey.comment == "친절했어요 010-****-5678"  # personal numbers never stored
    with pytest.raises(SurveyRefused, match="already been rated"):
        survey.rate(5, "", AT, "web", 2)
    low = invite(number="VOC-2026-000002", ticket_id=2, customer_id=1, channel="web", token="u" * 32, now=AT,
                 valid_days=30)
    assert low.rate(2, "", AT, "web", 2) is True and low.follow_up is FollowUp.OFFERED


class World:
    def __init__(self) -> None:
        self.store, self.clock = Store(), FixedClock(AT)
        uow = fake_uow_factory(self.store)
        self.dialogue = Dialogue(DialogueDeps(
            uow=uow, classifier=ScriptedClassifier(TABLE, C("out_of_scope", None, 0.2)),
            routing=RoutingTable.from_settings(SETTINGS), calendar=CAL, clock=self.clock, settings=SETTINGS))
        self.staff = Staff(uow, CAL, self.clock, frozenset(SETTINGS.departments),
                           after=Inviter(SurveyTerms(), token=lambda: next(TOKENS)))

    async def answered(self) -> str:
        await file(self.dialogue, "보증 신청 절차를 알려 주세요 창구 직원이 불친절했습니다")
        number = "VOC-2026-000001"
        await self.staff.act(number, StaffAction("answer", "staff:kim", answer="조사했습니다"))
        return number

    async def press(self, choice: str) -> str:
        replies = await self.dialogue.handle(Inbound("web", "u1", choice=choice))
        return "\n".join(r.text for r in replies)


async def test_the_answer_invites_once_per_ticket_in_the_same_unit_of_work() -> None:
    world = World()
    number = await world.answered()
    survey = world.store.surveys[number]
    assert survey.invited_at == AT and survey.expires_at == AT + timedelta(days=30)
    kinds = [o["kind"] for o in world.store.outbox]
    assert kinds[-2:] == ["ticket_answer", "survey_invite"]  # the answer first, then the invitation
    token = world.store.outbox[-1]["payload"]["token"]
    assert token_hash(token) == survey.token_hash
    await world.staff.act(number, StaffAction("close", "staff:kim"))
    await world.staff.act(number, StaffAction("reopen", "staff:kim", reason="추가 문의"))
    await world.staff.act(number, StaffAction("answer", "staff:kim", answer="다시 답변"))
    assert [o["kind"] for o in world.store.outbox].count("survey_invite") == 1
    events = [e.data.get("survey") for e in world.store.tickets[number].events if e.action.value == "survey"]
    assert events == ["invited"]


async def test_a_chat_rating_is_taken_once_and_a_second_is_refused() -> None:
    world = World()
    number = await world.answered()
    assert "5점" in await world.press(f"survey:{number}:5")
    assert "이미 평가" in await world.press(f"survey:{number}:1")
    survey = world.store.surveys[number]
    assert (survey.rating, survey.via) == (5, "chat")
    assert "찾지 못했습니다" in await world.press("survey:VOC-2026-000009:5")  # not this customer's ticket
    assert "survey_low" not in [o["kind"] for o in world.store.outbox]


async def test_a_low_rating_alerts_the_department_and_the_follow_up_reopens_the_ticket() -> None:
    world = World()
    number = await world.answered()
    replies = await world.dialogue.handle(Inbound("web", "u1", choice=f"survey:{number}:1"))
    assert [c.id for c in replies[-1].choices] == [f"followup:{number}"]
    low = world.store.outbox[-1]
    assert low["kind"] == "survey_low" and low["payload"]["rating"] == 1
    (alert,) = planner().plan(Event(low["id"], low["kind"], low["payload"]),
                              Facts(number=number, department="service_quality"), AT)
    assert alert.target == "service_quality" and "만족도 1점" in alert.text
    assert "다시 처리하도록" in await world.press(f"followup:{number}")
    ticket = world.store.tickets[number]
    assert ticket.status is Status.IN_PROGRESS and ticket.events[-1].actor == "customer:1"
    assert world.store.surveys[number].follow_up is FollowUp.REOPENED
    assert world.store.outbox[-1]["kind"] == "survey_reopened"
    assert "찾지 못했습니다" in await world.press(f"followup:{number}")  # once


def test_the_invitation_is_a_notice_rendered_per_channel() -> None:
    payload = {"number": "VOC-2026-000001", "token": "tok-abcdefghijklmnopqrstuvwx"}
    telegram = Facts(number="VOC-2026-000001", customer_id=1, channel="telegram", locale="ko")
    (chat,) = planner().plan(Event(1, "survey_invite", payload), telegram, AT)
    assert chat.sink == "telegram" and "1~5점" in chat.text
    buttons = json.loads(chat.variables["choices"])
    assert buttons[0] == ["survey:VOC-2026-000001:5", "5점 · 매우 만족"] and len(buttons) == 5
    sms = Facts(number="VOC-2026-000001", customer_id=1, channel="kakao", locale="en", has_phone=True)
    (alimtalk,) = planner().plan(Event(2, "survey_invite", payload), sms, AT)
    assert alimtalk.sink == "sms" and alimtalk.template_id == "VOC_SURVEY_EN"
    assert "rate it in the chat" in alimtalk.text  # no [survey] base_url: no link
