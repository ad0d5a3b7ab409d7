"""Notices: the fan-out plan, the dispatcher's retries and dead letters, and the sweep, at fixed instants with
in-memory fakes (the SQL side is in tests/integration)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.casework.routing import RoutingTable
from bot.casework.staff import Staff, StaffAction
from bot.casework.tickets import ExtensionReason
from bot.casework.workcalendar import WorkCalendar
from bot.clock import FixedClock
from bot.config import load_config
from bot.conversation.dialogue import Dialogue, DialogueDeps
from bot.conversation.messages import Inbound
from bot.conversation.texts import Catalog
from bot.notices.dispatcher import Dispatcher, Settings
from bot.notices.model import Dead, Retry
from bot.notices.plan import NoticePlanner
from bot.notices.policy import parse_quiet_hours
from bot.notices.sweep import progress_times, sweep
from bot.notices.templates import BUILTIN, Templates
from tests.fakes import KST, RecordingSink, ScriptedClassifier, Store, classification, fake_uow_factory
from tests.unit.test_conversation import TABLE

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = load_config(ROOT / "config.toml", {}).settings
# These tests are about notices: the tickets they file open no remedy case (tests/unit/test_remedies.py does).
SETTINGS = SHIPPED.model_copy(update={"intents": {
    name: meta.model_copy(update={"remedy": ""}) for name, meta in SHIPPED.intents.items()}})
CAL = WorkCalendar.build(SETTINGS.calendar.windows())
DAY = datetime(2026, 9, 22, 10, 0, tzinfo=KST)  # a Tuesday morning


def planner(quiet: str = "21:00-08:00") -> NoticePlanner:
    return NoticePlanner(SETTINGS, RoutingTable.from_settings(SETTINGS), Templates.load(BUILTIN), Catalog.load(),
                         parse_quiet_hours(quiet), CAL.tz)


class Desk:
    """A fake desk: the dialogue, staff and a dispatcher with recording sinks, all on one in-memory store."""

    def __init__(self, at: datetime = DAY, quiet: str = "21:00-08:00") -> None:
        self.store, self.clock = Store(), FixedClock(at)
        uow = fake_uow_factory(self.store)
        self.dialogue = Dialogue(DialogueDeps(
            uow=uow, classifier=ScriptedClassifier(TABLE, classification("out_of_scope", None, 0.3)),
            routing=RoutingTable.from_settings(SETTINGS), calendar=CAL, clock=self.clock, settings=SETTINGS,
        ))
        self.staff = Staff(uow, CAL, self.clock, frozenset(SETTINGS.departments))
        self.sinks = {name: RecordingSink(name) for name in ("sms", "console", "staff", "telegram")}
        self.dispatcher = Dispatcher(uow, planner(quiet), self.sinks, self.clock,
                                     Settings(max_attempts=3), rng=random.Random(7))

    async def file(self, channel: str = "console", user: str = "u1", phone: str | None = "010-1234-5678") -> str:
        for msg in (Inbound(channel, user, text="/start"), Inbound(channel, user, choice="consent:yes"),
                    Inbound(channel, user, text="직원이 불친절했어요"), Inbound(channel, user, choice="confirm:yes")):
            await self.dialogue.handle(msg)
        last = Inbound(channel, user, text=phone) if phone else Inbound(channel, user, choice="contact:skip")
        replies = await self.dialogue.handle(last)
        return next(w for r in replies for w in r.text.split() if w.startswith("VOC-"))


async def test_a_receipt_goes_by_alimtalk_to_a_customer_with_a_phone_and_staff_hear_of_it() -> None:
    desk = Desk()
    number = await desk.file()
    done = await desk.dispatcher.run_once()
    assert (done.fanned_out, done.sent) == (1, 2)
    (sms,) = desk.sinks["sms"].sent
    assert sms.to == "010-1234-5678" and sms.alimtalk is not None
    assert sms.alimtalk.template_id == "VOC_RECEIPT" and sms.alimtalk.variables["접수번호"] == number
    assert "2026년 10월 2일(금)까지" in sms.text and sms.alimtalk.fallback_text.startswith("[신용보증기금")
    (staff,) = desk.sinks["staff"].sent
    assert staff.to == "service_quality" and number in staff.text
    assert (await desk.dispatcher.run_once()).busy is False  # nothing twice


async def test_a_customer_without_a_phone_is_logged_and_a_telegram_customer_hears_in_the_chat() -> None:
    desk = Desk()
    await desk.file(phone=None)
    tg = await desk.file(channel="telegram", user="42", phone=None)
    await desk.staff.act(tg, StaffAction("answer", "staff:kim", answer="확인 결과 사과드립니다."))
    await desk.dispatcher.run_once()
    assert [m.kind for m in desk.sinks["console"].sent] == ["ticket_opened"]
    (chat,) = desk.sinks["telegram"].sent  # the receipt was already in the chat: only the answer
    assert chat.to == "42" and chat.kind == "answered" and "확인 결과 사과드립니다." in chat.text


async def test_quiet_hours_hold_an_answer_until_morning_but_not_a_receipt() -> None:
    desk = Desk(at=datetime(2026, 9, 22, 22, 30, tzinfo=KST))
    number = await desk.file()
    await desk.staff.act(number, StaffAction("answer", "staff:kim", answer="답변입니다."))
    await desk.dispatcher.run_once()
    assert [m.kind for m in desk.sinks["sms"].sent] == ["ticket_opened"]
    held = [d for d in desk.store.deliveries if d["state"] == "pending"]
    assert [d["next_attempt_at"] for d in held] == [datetime(2026, 9, 23, 8, 0, tzinfo=KST)]
    desk.clock.at = datetime(2026, 9, 23, 8, 0, tzinfo=KST)
    await desk.dispatcher.run_once()
    assert [m.kind for m in desk.sinks["sms"].sent] == ["ticket_opened", "answered"]


async def test_a_long_answer_is_cut_with_how_to_read_the_rest() -> None:
    desk = Desk()
    number = await desk.file()
    await desk.staff.act(number, StaffAction("answer", "staff:kim", answer="가나다라마바사 " * 400))
    await desk.dispatcher.run_once()
    answer = desk.sinks["sms"].sent[-1]
    assert len(answer.text) <= 1000 and f"/status {number}" in answer.text
    assert answer.alimtalk is not None and len(answer.alimtalk.fallback_text.encode("cp949")) <= 2000


async def test_an_extension_notice_says_the_reason_the_new_date_and_who_handles_it() -> None:
    desk = Desk()
    number = await desk.file()
    await desk.staff.act(number, StaffAction("assign", "staff:kim", assignee="김민수 대리"))
    await desk.staff.act(number, StaffAction("extend", "staff:kim", reason="현장 조사가 필요합니다",
                                             extension_reason=ExtensionReason.FACT_CHECK))
    await desk.dispatcher.run_once()
    extended = desk.sinks["sms"].sent[-1]
    assert extended.kind == "extended"
    assert extended.alimtalk is not None
    assert {"현장 조사가 필요합니다", "김민수 대리", "1588-6565"} <= set(extended.alimtalk.variables.values())


async def test_transient_failures_back_off_then_dead_letter_with_a_staff_event() -> None:
    desk = Desk()
    await desk.file()
    sms = desk.sinks["sms"]
    sms.script = [lambda m: Retry(m.key, "HTTP 503", after=30.0)] * 3
    await desk.dispatcher.run_once()

    def sms() -> dict[str, object]:
        return next(d for d in desk.store.deliveries if d["new"].sink == "sms")

    assert sms()["state"] == "pending" and sms()["next_attempt_at"] == DAY + timedelta(seconds=30)
    for _ in range(2):
        desk.clock.advance(timedelta(hours=2))
        await desk.dispatcher.run_once()
    assert sms()["state"] == "dead" and "gave up after 3 attempts" in str(sms()["last_error"])
    assert [r["kind"] for r in desk.store.outbox][-1] == "delivery_dead"
    assert "알림 전달 실패" in desk.sinks["staff"].sent[-1].text  # staff are told
    async with fake_uow_factory(desk.store)() as uow:
        assert await uow.deliveries.retry(int(str(sms()["id"])), desk.clock.now())
        await uow.commit()
    await desk.dispatcher.run_once()
    assert sms()["state"] == "sent"


async def test_a_permanent_failure_is_dead_at_once_and_another_sink_is_not_held_up() -> None:
    desk = Desk()
    await desk.file()
    desk.sinks["sms"].script = [lambda m: Dead(m.key, "SOLAPI 3059: 수신 불가")]
    done = await desk.dispatcher.run_once()
    assert done.dead == 1 and len(desk.sinks["staff"].sent) == 2  # the receipt alert and the dead letter


async def test_a_send_cut_off_by_a_crash_is_checked_with_the_provider_before_sending_again() -> None:
    desk = Desk()
    await desk.file()
    await desk.dispatcher.fan_out()
    async with fake_uow_factory(desk.store)() as uow:  # a worker claims, sends, and dies before recording
        (claimed, _) = await uow.deliveries.claim(desk.clock.now(), 10, desk.clock.now() + timedelta(minutes=2))
        await uow.commit()
    desk.sinks["sms"].already.add(claimed.key)
    desk.clock.advance(timedelta(minutes=3))  # the lease ran out
    await desk.dispatcher.run_once()
    assert desk.sinks["sms"].sent == []  # found at the provider: not sent twice
    assert [d["state"] for d in desk.store.deliveries] == ["sent", "sent"]


async def test_a_sink_that_raises_loses_nothing() -> None:
    desk = Desk()
    await desk.file()

    def boom(m: object) -> Dead:
        raise RuntimeError("bug")

    desk.sinks["sms"].script = [boom]
    done = await desk.dispatcher.run_once()
    assert done.retried == 1 and [d["state"] for d in desk.store.deliveries] == ["pending", "sent"]


async def test_the_sweep_queues_a_progress_notice_once() -> None:
    desk = Desk()
    number = await desk.file()
    later = DAY + timedelta(days=31)
    assert (await sweep(fake_uow_factory(desk.store), CAL, later)).progress == 1
    assert (await sweep(fake_uow_factory(desk.store), CAL, later)).progress == 0
    desk.clock.at = later
    await desk.dispatcher.run_once()
    progress = desk.sinks["sms"].sent[-1]
    assert progress.kind == "progress" and progress.alimtalk is not None
    assert progress.alimtalk.variables["경과일"] == "30" and number in progress.text


@pytest.mark.parametrize(("received", "first"), [
    (datetime(2026, 9, 22, 10, 0, tzinfo=KST), datetime(2026, 10, 22, 10, 0, tzinfo=KST)),  # a Thursday
    (datetime(2026, 9, 18, 10, 0, tzinfo=KST), datetime(2026, 10, 16, 10, 0, tzinfo=KST)),  # Sun 10/18 → Fri
    (datetime(2026, 12, 2, 10, 0, tzinfo=KST), datetime(2026, 12, 31, 10, 0, tzinfo=KST)),  # 1/1 is a holiday
])
def test_a_progress_notice_on_a_non_working_day_moves_to_the_working_day_before(
        received: datetime, first: datetime) -> None:
    """민원처리법 시행령 제23조: the notice is never late; a trigger on 2027-01-01 moves to 2026-12-31."""
    (at,) = progress_times(received, received + timedelta(days=31), CAL)
    assert at == first and CAL.is_working_day(at.date()) and at.date() != date(2027, 1, 1)


@pytest.mark.parametrize(("kind", "payload", "expected"), [
    ("ticket_extend", {"reason": "현장 조사", "officer": "박지현 과장", "officer_contact": "02-710-4000"},
     {"담당자": "박지현 과장", "연락처": "02-710-4000", "사유": "현장 조사"}),  # 시행령 제21조③
    ("ticket_return", {"reason": "보완 기한 경과"}, {"사유": "보완 기한 경과"}),  # 시행령 제25조①
    ("ticket_transfer_out", {"reason": "소관 아님", "agency": "중소벤처기업부"},
     {"기관명": "중소벤처기업부"}),  # 시행령 제13조③
])
def test_legal_notices_carry_what_the_law_says_the_customer_must_be_told(
        kind: str, payload: dict[str, str], expected: dict[str, str]) -> None:
    from bot.notices.model import Event, Facts

    facts = Facts(number="VOC-2026-000001", voc_type="complaint", intent="unfriendly_service",
                  department="service_quality", status="in_progress", due_at=DAY + timedelta(days=10),
                  received_at=DAY, customer_id=1, channel="console", locale="ko", has_phone=True)
    planned = planner("").plan(Event(7, kind, {"number": facts.number, **payload}), facts, DAY)
    (notice,) = [d for d in planned if d.subscriber == "customer"]
    assert notice.sink == "sms" and expected.items() <= notice.variables.items()
    assert "#{" not in notice.text


async def test_the_sweeper_runs_once_or_on_an_interval_until_stopped() -> None:
    import asyncio

    from bot.alerts.ladder import Ladders
    from bot.alerts.sweep import AlertPlan
    from bot.notices.sweep import Sweeper

    desk = Desk()
    number = await desk.file()
    plan = AlertPlan(Ladders.parse(["overdue"], {}))
    desk.clock.at = DAY + timedelta(days=30)
    sweeper = Sweeper(fake_uow_factory(desk.store), CAL, desk.clock, plan)
    assert (await sweeper.run_once()).warnings == 1
    await desk.dispatcher.run_once()
    overdue, escalated = desk.sinks["staff"].sent[-2:]
    assert overdue.to == "service_quality" and escalated.to == "!escalation" and number in overdue.text
    stop, passes = asyncio.Event(), []

    def seen(swept: object) -> None:
        passes.append(swept)
        if len(passes) == 2:
            stop.set()

    await asyncio.wait_for(sweeper.run(stop, 0.01, on_pass=seen), 5)
    assert [p.warnings for p in passes] == [0, 0]  # sent once
