from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.casework.deadlines import Interval, Period, Unit
from bot.casework.tickets import OPEN, TRANSITIONS, Action, ExtensionReason, Status, Ticket
from bot.casework.workcalendar import WorkCalendar
from bot.conversation.classification import VocType
from bot.errors import ExtensionRefused, IllegalTransition
from tests.fakes import KST

CAL = WorkCalendar.build()
AT = datetime(2026, 9, 22, 10, 0, tzinfo=KST)


def new_ticket(period: Period = Period(7, Unit.DAYS)) -> Ticket:
    t = Ticket.open(customer_id=1, channel="test", voc_type=VocType.COMPLAINT, intent="delay_complaint",
                    department="voc_desk", text="늦어요", received_at=AT, policy=period, calendar=CAL,
                    actor="customer:1")
    t.number = "VOC-2026-000001"
    return t


def test_open_computes_the_legal_due_date_and_records_receipt() -> None:
    t = new_ticket()
    assert t.due_at == datetime(2026, 10, 2, 18, 0, tzinfo=KST) and t.due_date_only
    assert [(e.action, e.from_status, e.to_status) for e in t.events] == [(Action.RECEIVE, None, Status.RECEIVED)]


def test_happy_path_writes_one_event_per_transition() -> None:
    t = new_ticket()
    t.assign(AT, "staff:lee", "kim")
    t.start(AT, "staff:kim")
    t.answer_with(AT, "staff:kim", "답변드립니다")
    t.close(AT, "staff:kim")
    assert [e.to_status for e in t.events] == [
        Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS, Status.ANSWERED, Status.CLOSED]
    assert t.events[3].data == {"on_time": True}
    assert t.new_events == t.events


@pytest.mark.parametrize("action", list(TRANSITIONS))
@pytest.mark.parametrize("status", list(Status))
def test_transition_table_is_enforced(action: Action, status: Status) -> None:
    t = new_ticket()
    t.status = status
    if status is Status.SUPPLEMENT_REQUESTED:
        t.pauses.append(Interval(AT, None))
    allowed, _ = TRANSITIONS[action]
    calls = {
        Action.ASSIGN: lambda: t.assign(AT, "s", "kim"),
        Action.START: lambda: t.start(AT, "s"),
        Action.REQUEST_SUPPLEMENT: lambda: t.request_supplement(AT, "s", "서류"),
        Action.SUPPLEMENT: lambda: t.supplement(AT + timedelta(hours=1), "c", CAL),
        Action.EXTEND: lambda: t.extend(AT, "s", CAL, period=Period(7, Unit.DAYS),
                                        reason=ExtensionReason.COOPERATION, detail="협조 필요"),
        Action.TRANSFER: lambda: t.transfer(AT, "s", "legal", "법령 해석"),
        Action.ANSWER: lambda: t.answer_with(AT, "s", "답"),
        Action.CLOSE: lambda: t.close(AT, "s"),
        Action.REOPEN: lambda: t.reopen(AT, "s", "재문의"),
        Action.WITHDRAW: lambda: t.withdraw(AT, "c"),
        Action.CUSTOMER_MESSAGE: lambda: t.add_customer_message(AT, "c", "추가"),
        Action.NOTE: lambda: t.note(AT, "s", "메모"),
        Action.REVEAL_CONTACT: lambda: t.reveal_contact(AT, "staff:kim"),
    }
    before = len(t.events)
    if status in allowed:
        calls[action]()
        assert len(t.events) == before + 1
    else:
        with pytest.raises(IllegalTransition) as err:
            calls[action]()
        assert err.value.status == status.value and err.value.action == action.value
        assert len(t.events) == before and t.status is status


def test_withdrawn_is_final_and_closed_only_reopens() -> None:
    def allowed_from(status: Status) -> set[Action]:
        return {action for action, (allowed, _) in TRANSITIONS.items() if status in allowed}

    assert allowed_from(Status.WITHDRAWN) == {Action.NOTE, Action.REVEAL_CONTACT}
    assert allowed_from(Status.CLOSED) == {Action.REOPEN, Action.NOTE, Action.REVEAL_CONTACT}
    assert not OPEN & {Status.CLOSED, Status.WITHDRAWN, Status.ANSWERED}


def test_supplement_pause_moves_the_due_date() -> None:
    t = new_ticket()
    t.request_supplement(datetime(2026, 9, 23, 9, 0, tzinfo=KST), "staff", "계약서")
    assert t.paused_since is not None
    t.supplement(datetime(2026, 9, 29, 11, 0, tzinfo=KST), "customer", CAL)
    assert t.due_at == datetime(2026, 10, 8, 18, 0, tzinfo=KST)
    assert t.paused_since is None


def test_extensions_follow_article_21() -> None:
    t = new_ticket()
    with pytest.raises(ExtensionRefused, match="exceed"):
        t.extend(AT, "s", CAL, period=Period(8, Unit.DAYS), reason=ExtensionReason.FACT_CHECK, detail="현장")
    with pytest.raises(ExtensionRefused, match="reason"):
        t.extend(AT, "s", CAL, period=Period(7, Unit.DAYS), reason=ExtensionReason.FACT_CHECK, detail="  ")
    t.extend(AT, "s", CAL, period=Period(7, Unit.DAYS), reason=ExtensionReason.FACT_CHECK, detail="현장 조사")
    assert t.due_at == datetime(2026, 10, 15, 18, 0, tzinfo=KST)  # worked example E1
    with pytest.raises(ExtensionRefused, match="consent"):
        t.extend(AT, "s", CAL, period=Period(3, Unit.DAYS), reason=ExtensionReason.COOPERATION, detail="협조")
    t.extend(AT, "s", CAL, period=Period(3, Unit.DAYS), reason=ExtensionReason.COOPERATION, detail="협조",
             consent=True)
    assert t.due_at == datetime(2026, 10, 20, 18, 0, tzinfo=KST)
    with pytest.raises(ExtensionRefused, match="twice"):
        t.extend(AT, "s", CAL, period=Period(1, Unit.DAYS), reason=ExtensionReason.COOPERATION, detail="x",
                 consent=True)
    assert [e.action for e in t.events].count(Action.EXTEND) == 2


def test_transfer_goes_back_to_received_in_the_new_department() -> None:
    t = new_ticket()
    t.assign(AT, "s", "kim")
    t.transfer(AT, "s", "legal", "법령 해석 필요")
    assert (t.status, t.department, t.assignee) == (Status.RECEIVED, "legal", "")
    assert t.events[-1].data == {"from": "voc_desk", "to": "legal"}
