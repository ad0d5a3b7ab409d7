"""Remedies for wrong service (KODIT 서비스 이행표준): each path at fixed instants, with in-memory fakes; what staff
and the customer are told, planned from the outbox rows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.casework.routing import RoutingTable
from bot.casework.workcalendar import WorkCalendar
from bot.clock import FixedClock
from bot.config import load_config
from bot.conversation.classification import VocType
from bot.conversation.dialogue import Dialogue, DialogueDeps
from bot.conversation.messages import Inbound
from bot.conversation.texts import Catalog
from bot.errors import RemedyRefused
from bot.notices.model import Event, Facts
from bot.notices.plan import NoticePlanner
from bot.notices.templates import BUILTIN, Templates
from bot.standard.remedies import Approval, Payout, Remedy, RemedyCommand, RemedyStatus
from bot.standard.remedy_desk import RemedyDesk
from bot.standard.rules import RemedyKind, RemedyRules
from tests.fakes import KST, ScriptedClassifier, Store, classification, fake_uow_factory

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = load_config(ROOT / "config.toml", {}).settings
RULES = RemedyRules.from_settings(SETTINGS)
CAL = WorkCalendar.build(SETTINGS.calendar.windows())
MON = datetime(2026, 9, 21, 10, 0, tzinfo=KST)  # 7 days counted by the engine: Mon 9/21 … (추석 9/24–27) … 10/1
C = classification
TABLE = {
    "불친절": C("unfriendly_service", VocType.COMPLAINT, 0.95, source="rule"),
    "재방문": C("repeat_visit", VocType.COMPLAINT, 0.95, source="rule"),
    "피해": C("financial_damage", VocType.COMPLAINT, 0.95, source="rule"),
}


def test_routing_is_data_intents_name_the_remedy_they_open() -> None:
    assert RULES.by_intent == {"unfriendly_service": RemedyKind.KINDNESS, "repeat_visit": RemedyKind.ACCURACY,
                               "financial_damage": RemedyKind.DAMAGE}
    assert RULES.for_intent("general_inquiry") is None
    accuracy = RULES.terms[RemedyKind.ACCURACY]
    assert [accuracy.amount_for(v) for v in (1, 2, 3, 5)] == [10_000, 10_000, 20_000, 20_000]


def opened(kind: RemedyKind, at: datetime = MON) -> Remedy:
    remedy, change = Remedy.open(RULES.terms[kind], number="VOC-2026-000001", department="service_quality",
                                 owner="", at=at, calendar=CAL)
    remedy.id = 1
    assert change.action == "open" and change.data["amount"] == remedy.amount
    return remedy


def act(remedy: Remedy, action: str, at: datetime = MON, **values: object) -> RemedyStatus:
    remedy.act(RemedyCommand(action, "staff:kim", **values), RULES.terms[remedy.kind], at)  # type: ignore[arg-type]
    return remedy.status


def test_unfriendly_service_investigated_in_7_days_training_apology_and_10000_won() -> None:
    remedy = opened(RemedyKind.KINDNESS)
    # the deadline engine: 7 days counted from the first, Saturdays, Sundays and 추석 (9/24–9/27) left out
    assert remedy.legal_due_at == datetime(2026, 10, 2, 0, 0, tzinfo=KST)  # 24:00 of Thu 10/1, the 7th day
    assert (remedy.amount, remedy.status, remedy.department) == (10_000, RemedyStatus.INVESTIGATING, "service_quality")
    assert remedy.is_overdue(datetime(2026, 10, 2, 1, 0, tzinfo=KST)) is True
    assert act(remedy, "training", staff="이직원") is RemedyStatus.INVESTIGATING
    assert act(remedy, "apology", by="지점장 박") is RemedyStatus.INVESTIGATING
    assert act(remedy, "approve", reason="CCTV·녹취로 확인") is RemedyStatus.APPROVED
    assert (remedy.approval, remedy.payout, remedy.approved_by) == (Approval.APPROVED, Payout.PENDING, "staff:kim")
    with pytest.raises(RemedyRefused, match="not paid"):
        act(remedy, "close")
    assert act(remedy, "pay") is RemedyStatus.PAID and remedy.payout is Payout.PAID
    assert set(remedy.steps) == {"investigation", "cs_training", "apology", "compensation"}
    assert act(remedy, "close") is RemedyStatus.CLOSED
    assert not remedy.is_overdue(datetime(2026, 12, 1, tzinfo=KST))


def test_a_kindness_case_cannot_close_without_its_training_and_apology() -> None:
    remedy = opened(RemedyKind.KINDNESS)
    act(remedy, "approve")
    act(remedy, "pay")
    with pytest.raises(RemedyRefused, match="cs_training, apology"):
        act(remedy, "close")


def test_repeat_visit_written_apology_10000_won_and_20000_from_the_third_visit() -> None:
    two = opened(RemedyKind.ACCURACY)
    act(two, "visits", visits=2)
    assert two.amount == 10_000
    three = opened(RemedyKind.ACCURACY)
    act(three, "visits", visits=3)
    assert three.amount == 20_000
    act(three, "apology", by="지점장 박")
    assert "written_apology" in three.steps
    act(three, "approve")
    act(three, "pay")
    assert (three.status, three.steps["compensation"]["detail"]) == (RemedyStatus.PAID, "20000 won")
    assert act(three, "close") is RemedyStatus.CLOSED


def test_financial_damage_goes_to_the_mediation_committee_and_its_decision_is_recorded() -> None:
    upheld = opened(RemedyKind.DAMAGE)
    assert upheld.amount == 0 and upheld.department == "mediation"
    with pytest.raises(RemedyRefused, match="not an action of a damage remedy"):
        act(upheld, "approve")
    with pytest.raises(RemedyRefused, match="not allowed while investigating"):
        act(upheld, "decide", decision="upheld", reason="x")
    assert act(upheld, "refer", reason="보증료 과다 징수 주장, 환급 계좌 110-123-456789") is RemedyStatus.REFERRED
    assert "456789" not in str(upheld.steps)  # personal numbers never stored
    assert act(upheld, "decide", decision="upheld", reason="과다 징수 인정", amount=350_000) is RemedyStatus.APPROVED
    assert (upheld.amount, upheld.payout, upheld.decision) == (350_000, Payout.PENDING, "과다 징수 인정")
    assert act(upheld, "pay") is RemedyStatus.PAID
    dismissed = opened(RemedyKind.DAMAGE)
    act(dismissed, "refer")
    assert act(dismissed, "decide", decision="dismissed", reason="위법·부당 행위 없음") is RemedyStatus.REJECTED
    assert (dismissed.amount, dismissed.payout, dismissed.approval) == (0, Payout.NONE, Approval.REJECTED)
    assert act(dismissed, "close") is RemedyStatus.CLOSED


def test_refusals_name_the_problem() -> None:
    remedy = opened(RemedyKind.KINDNESS)
    with pytest.raises(RemedyRefused, match="needs --reason"):
        act(remedy, "reject")
    with pytest.raises(RemedyRefused, match="unknown action"):
        act(remedy, "refund")
    with pytest.raises(RemedyRefused, match="not an action of a kindness"):
        act(remedy, "visits", visits=3)
    act(remedy, "reject", reason="사실 확인 안 됨")
    assert (remedy.status, remedy.amount) == (RemedyStatus.REJECTED, 0)
    with pytest.raises(RemedyRefused, match="not allowed while rejected"):
        act(remedy, "pay")


async def file(dialogue: Dialogue, text: str, user: str = "u1") -> None:
    for msg in (Inbound("web", user, text="/start"), Inbound("web", user, choice="consent:yes"),
                Inbound("web", user, text=text), Inbound("web", user, choice="confirm:yes"),
                Inbound("web", user, choice="contact:skip")):
        await dialogue.handle(msg)


def planner() -> NoticePlanner:
    return NoticePlanner(SETTINGS, RoutingTable.from_settings(SETTINGS), Templates.load(BUILTIN), Catalog.load(),
                         None, CAL.tz)


async def test_a_remedy_opens_with_its_ticket_and_each_step_is_logged_queued_and_told() -> None:
    store, clock = Store(), FixedClock(MON)
    uow = fake_uow_factory(store)
    dialogue = Dialogue(DialogueDeps(uow=uow, classifier=ScriptedClassifier(TABLE, C("out_of_scope", None, 0.2)),
                                     routing=RoutingTable.from_settings(SETTINGS), calendar=CAL, clock=clock,
                                     settings=SETTINGS))
    await file(dialogue, "예약했는데 직원 실수로 세 번이나 재방문했습니다")
    (remedy,) = store.remedies.values()
    assert (remedy.number, remedy.kind, remedy.ticket_id) == ("VOC-2026-000001", RemedyKind.ACCURACY, 1)
    desk = RemedyDesk(uow, RULES, clock)
    await desk.act(1, RemedyCommand("visits", "staff:kim", visits=3))
    await desk.act(1, RemedyCommand("apology", "staff:kim", by="지점장 박"))
    done = await desk.act(1, RemedyCommand("approve", "staff:lee", reason="예약 누락 확인"))
    assert (done.amount, done.status, done.version) == (20_000, RemedyStatus.APPROVED, 3)
    ticket = store.tickets["VOC-2026-000001"]
    logged = [(e.actor, e.data["remedy"]) for e in ticket.events if e.action.value == "remedy"]
    assert logged == [("system", "open"), ("staff:kim", "visits"), ("staff:kim", "apology"),
                      ("staff:lee", "approve")]
    kinds = [o["kind"] for o in store.outbox]
    assert kinds[-4:] == ["remedy_open", "remedy_visits", "remedy_apology", "remedy_approve"]
    approve = store.outbox[-1]
    facts = Facts(number=ticket.number, department=ticket.department, customer_id=ticket.customer_id,
                  channel="web", locale="ko")
    customer, staff = planner().plan(Event(approve["id"], approve["kind"], approve["payload"]), facts, MON)
    assert customer.kind == "remedy_outcome" and customer.subscriber == "customer"
    assert "서비스 정확성 보증" in customer.text and "20,000원 상당을 보상" in customer.text
    assert staff.target == "service_quality" and "사실 확인·보상 승인 (staff:lee)" in staff.text
    assert "20,000원" in staff.text
    visits = store.outbox[-3]
    (only_staff,) = planner().plan(Event(visits["id"], visits["kind"], visits["payload"]), facts, MON)
    assert only_staff.subscriber == "staff"  # a step in between is for staff only


async def test_a_refused_action_changes_nothing() -> None:
    store, clock = Store(), FixedClock(MON)
    uow = fake_uow_factory(store)
    dialogue = Dialogue(DialogueDeps(uow=uow, classifier=ScriptedClassifier(TABLE, C("out_of_scope", None, 0.2)),
                                     routing=RoutingTable.from_settings(SETTINGS), calendar=CAL, clock=clock,
                                     settings=SETTINGS))
    await file(dialogue, "보증료를 잘못 징수해서 금전 피해를 입었습니다")
    before = (len(store.outbox), len(store.tickets["VOC-2026-000001"].events))
    with pytest.raises(RemedyRefused):
        await RemedyDesk(uow, RULES, clock).act(1, RemedyCommand("pay", "staff:kim"))
    assert (len(store.outbox), len(store.tickets["VOC-2026-000001"].events)) == before
    referred = await RemedyDesk(uow, RULES, clock).act(1, RemedyCommand("refer", "staff:kim", reason="과다 징수"))
    event = store.tickets["VOC-2026-000001"].events[-1]
    assert referred.status is RemedyStatus.REFERRED
    assert event.data["case_file"]["number"] == "VOC-2026-000001" and event.data["committee"] == "민원조정위원회"
