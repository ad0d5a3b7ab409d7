"""The deadline-warning ladder at fixed instants, across weekends and public holidays (추석 2026-09-24..26,
개천절 대체공휴일 2026-10-05, 한글날 2026-10-09)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from bot.alerts.ladder import DEFAULT_LADDER, Ladder, Ladders, LadderTicket, Step, decide, instants
from bot.alerts.sweep import dedupe_key, schedule
from bot.alerts.workingtime import WorkingTime
from bot.casework.deadlines import Period, Unit, compute_due
from bot.casework.workcalendar import WorkCalendar
from tests.fakes import KST

CAL = WorkCalendar.build()
LADDER = Ladder.parse(DEFAULT_LADDER)


def kst(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=KST)  # type: ignore[misc]


def when(ticket: LadderTicket, ladder: Ladder = LADDER) -> dict[str, datetime]:
    return {step.name: datetime.fromtimestamp(at, KST) for step, at in instants(ticket, ladder, WorkingTime(CAL))}


def test_working_time_agrees_with_the_deadline_calendar() -> None:
    time, rng = WorkingTime(CAL), random.Random(11)
    for _ in range(2000):
        a = kst(2026, 9, 1) + timedelta(minutes=rng.randint(-400_000, 400_000))
        b = a + timedelta(minutes=rng.randint(-60_000, 60_000))
        assert time.at(b) - time.at(a) == pytest.approx(CAL.working_time_between(a, b).total_seconds(), abs=1e-3)


def test_one_working_day_before_a_monday_deadline_is_the_friday_before() -> None:
    ticket = LadderTicket("VOC-2026-000001", "voc_desk", kst(2026, 9, 14, 10, 0), kst(2026, 9, 21, 18, 0))
    assert when(ticket) == {
        "half": kst(2026, 9, 17, 9, 30),  # 47 working hours in all (7 + 4·8 + 8): 23.5 h gone on Thursday
        "1d": kst(2026, 9, 18, 18, 0),  # Friday evening: from then on one working day is left
        "due_day": kst(2026, 9, 21, 9, 0),
        "overdue": kst(2026, 9, 21, 18, 0, 0, 1),
    }
    half = when(ticket)["half"]
    assert CAL.working_time_between(ticket.received_at, half) == CAL.working_time_between(half, ticket.due_at)


def test_holidays_are_not_working_time() -> None:
    # received on 개천절's substitute holiday (Mon 10-05), due Mon 10-12 after 한글날 (Fri 10-09)
    ticket = LadderTicket("VOC-2026-000002", "legal", kst(2026, 10, 5, 10, 0), kst(2026, 10, 12, 18, 0))
    assert when(ticket) == {
        "half": kst(2026, 10, 7, 18, 0),  # 32 working hours from Tue 09:00; half = Wed evening
        "1d": kst(2026, 10, 8, 18, 0),  # Thursday: Friday is 한글날
        "due_day": kst(2026, 10, 12, 9, 0),
        "overdue": kst(2026, 10, 12, 18, 0, 0, 1),
    }


def test_chuseok_moves_one_working_day_back_over_five_days_off() -> None:
    ticket = LadderTicket("VOC-2026-000003", "voc_desk", kst(2026, 9, 21, 9, 0), kst(2026, 9, 28, 18, 0))
    assert when(ticket)["1d"] == kst(2026, 9, 23, 18, 0)  # Wed before 추석: Thu–Sun are off


def test_an_hour_counted_case_skips_the_steps_before_its_receipt() -> None:
    received = kst(2026, 9, 22, 10, 0)
    deadline = compute_due(received, Period(0, Unit.IMMEDIATE), CAL)  # 즉시 = 3 working hours: 14:00
    ticket = LadderTicket("VOC-2026-000004", "voc_desk", received, deadline.due_at)
    assert when(ticket) == {"half": kst(2026, 9, 22, 11, 30), "overdue": kst(2026, 9, 22, 14, 0, 0, 1)}


def test_each_step_is_sent_once_and_a_late_pass_sends_only_the_latest() -> None:
    time = WorkingTime(CAL)
    ticket = LadderTicket("VOC-2026-000001", "voc_desk", kst(2026, 9, 14, 10, 0), kst(2026, 9, 21, 18, 0))
    sent: list[str] = []
    passes = [kst(2026, 9, 14, 12, 0), kst(2026, 9, 17, 9, 30), kst(2026, 9, 17, 9, 35), kst(2026, 9, 19, 11, 0),
              kst(2026, 9, 21, 9, 0), kst(2026, 9, 21, 17, 59), kst(2026, 9, 21, 18, 1), kst(2026, 9, 22, 9, 0)]
    for now in passes:
        decision = decide(ticket, now, LADDER, time)
        if decision.send:
            sent.append(decision.send.name)
        ticket = LadderTicket(ticket.number, ticket.department, ticket.received_at, ticket.due_at, decision.passed)
    assert sent == ["half", "1d", "due_day", "overdue"]

    fresh = LadderTicket("VOC-2026-000005", "voc_desk", kst(2026, 9, 14, 10, 0), kst(2026, 9, 21, 18, 0))
    late = decide(fresh, kst(2026, 9, 21, 10, 0), LADDER, time)  # the sweep did not run for a week
    assert late.send is not None and late.send.name == "due_day"
    assert late.passed == {"half", "1d", "due_day"}
    assert late.next_at == kst(2026, 9, 21, 18, 0, 0, 1)
    assert late.left == timedelta(hours=7)


def test_time_left_is_working_time_and_negative_when_overdue() -> None:
    ticket = LadderTicket("VOC-2026-000001", "voc_desk", kst(2026, 9, 14, 10, 0), kst(2026, 9, 21, 18, 0))
    time = WorkingTime(CAL)
    assert decide(ticket, kst(2026, 9, 19, 11, 0), LADDER, time).left == timedelta(hours=8)  # a Saturday
    assert decide(ticket, kst(2026, 9, 22, 10, 0), LADDER, time).left == timedelta(hours=-1)


def test_a_department_ladder_and_other_steps() -> None:
    ladders = Ladders.parse(["overdue"], {"legal": ["75%", "2d", "4h", "overdue"]})
    assert [s.name for s in ladders.of("voc_desk").steps] == ["overdue"]
    ticket = LadderTicket("VOC-2026-000006", "legal", kst(2026, 9, 14, 9, 0), kst(2026, 9, 21, 18, 0))
    assert when(ticket, ladders.of("legal")) == {
        "75%": kst(2026, 9, 18, 14, 0),  # 48 h in all (Mon–Fri, Mon): 36 h gone on Friday after lunch
        "2d": kst(2026, 9, 17, 18, 0),
        "4h": kst(2026, 9, 21, 14, 0),
        "overdue": kst(2026, 9, 21, 18, 0, 0, 1),
    }


@pytest.mark.parametrize("name", ["half", "10%", "99%", "1d", "3h", "due_day", "overdue"])
def test_step_names(name: str) -> None:
    assert Step.parse(name).name == name


@pytest.mark.parametrize("name", ["", "0%", "100%", "0d", "1w", "due-day", "half "])
def test_bad_step_names(name: str) -> None:
    with pytest.raises(ValueError):
        Step.parse(name)


def test_a_step_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        Ladder.parse(["1d", "overdue", "1d"])


def test_a_ladder_has_at_most_eight_steps() -> None:
    Ladder.parse(["10%", "20%", "half", "4d", "2d", "1d", "due_day", "overdue"])
    with pytest.raises(ValueError, match="at most 8"):
        Ladder.parse(["10%", "20%", "half", "4d", "2d", "1d", "4h", "due_day", "overdue"])


def test_a_schedule_lists_the_steps_in_the_order_they_come_with_the_warnings_key() -> None:
    ticket = LadderTicket("VOC-2026-000001", "voc_desk", kst(2026, 9, 14, 10, 0), kst(2026, 9, 21, 18, 0))
    made = schedule(ticket, Ladder.parse(["overdue", "due_day", "1d", "half"]), WorkingTime(CAL))
    assert [(p.step, p.at) for p in made.steps] == [
        ("half", kst(2026, 9, 17, 9, 30)), ("1d", kst(2026, 9, 18, 18, 0)), ("due_day", kst(2026, 9, 21, 9, 0)),
        ("overdue", kst(2026, 9, 21, 18, 0, 0, 1))]
    assert f"ladder:{ticket.number}:half@{made.due_key}" == dedupe_key(ticket.number, "half", ticket.due_at)
    assert made.due_key == "20260921T0900Z"
