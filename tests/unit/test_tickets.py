from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.casework.deadlines import Interval, Law, Period, Regime, Stop, Unit
from bot.casework.tickets import OPEN, TRANSITIONS, Action, ExtensionReason, Status, Ticket
from bot.casework.views import is_overdue, ticket_json
from bot.casework.workcalendar import WorkCalendar
from bot.conversation.classification import VocType
from bot.errors import ActionRefused, ExtensionRefused, IllegalTransition
from tests.fakes import KST

CAL = WorkCalendar.build()
AT = datetime(2026, 9, 22, 10, 0, tzinfo=KST)


DISCLOSURE = Period(10, Unit.DAYS, Regime.CIVIL, Law.DISCLOSURE)


def kst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=KST)


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
    t = new_ticket(DISCLOSURE if action is Action.THIRD_PARTY_NOTICE else Period(7, Unit.DAYS))
    if status is Status.SUPPLEMENT_REQUESTED:
        t.request_supplement(AT - timedelta(hours=1), "s", "서류", calendar=CAL, within=3)
    t.status = status
    if action is Action.RESUME:
        t.pauses.append(Interval(AT, None, Stop.OUTAGE))
    if action is Action.EXTEND_INVESTIGATION:
        t.pauses.append(Interval(AT, None, Stop.SITE_INVESTIGATION, AT + timedelta(days=14)))
    later = AT + timedelta(days=30)  # after the customer's 3 days
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
        Action.PAUSE: lambda: t.stop_clock(AT, "s", CAL, kind=Stop.OUTAGE, reason="장애"),
        Action.RESUME: lambda: t.resume_clock(AT + timedelta(hours=1), "s", CAL),
        Action.EXTEND_INVESTIGATION: lambda: t.extend_investigation(AT, "s", CAL, "현장 재조사"),
        Action.EXTEND_SUPPLEMENT: lambda: t.extend_supplement(AT, "s", CAL, within=5, reason="서류 발급 대기"),
        Action.RE_REQUEST_SUPPLEMENT: lambda: t.re_request_supplement(later, "s", CAL, within=5, reason="미제출"),
        Action.RETURN: lambda: t.return_filing(later, "s", "보완 없음"),
        Action.TRANSFER_OUT: lambda: t.transfer_out(AT, "s", CAL, agency="국세청", reason="소관 기관"),
        Action.THIRD_PARTY_NOTICE: lambda: t.notify_third_party(AT, "s", "거래처 A사: 계약서"),
        Action.REMEDY: lambda: t.record_standard(Action.REMEDY, AT, "s", "", {"remedy": "approve"}),
        Action.SURVEY: lambda: t.record_standard(Action.SURVEY, AT, "c", "", {"rating": 5}),
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

    # a remedy case outlives its ticket (staff close it); a withdrawn ticket is not surveyed
    assert allowed_from(Status.WITHDRAWN) == {Action.NOTE, Action.REVEAL_CONTACT, Action.REMEDY}
    assert allowed_from(Status.CLOSED) == {Action.REOPEN, Action.NOTE, Action.REVEAL_CONTACT, Action.REMEDY,
                                           Action.SURVEY}
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


# ----- issue 16: the legal end, late and 정보공개 extensions -------------------------------------------------


def test_an_answer_at_19_on_the_due_day_is_on_time_regression() -> None:
    """법 제19조 names no hour: 행정기본법 제6조① → 민법 제159조 ends the period at 24:00 of its last day; 18:00
    stays the practical target. Compliance (the answer event, ``overdue``) is judged by the legal end."""
    t = new_ticket()
    assert t.due_at == kst(2026, 10, 2, 18) and t.legal_end == kst(2026, 10, 3)
    assert not is_overdue(t, kst(2026, 10, 2, 19)) and is_overdue(t, kst(2026, 10, 3, 0, 1))
    t.answer_with(kst(2026, 10, 2, 19), "s", "답변")
    assert t.events[-1].data == {"on_time": True}
    late = new_ticket()
    late.answer_with(kst(2026, 10, 3, 9), "s", "답변")
    assert late.events[-1].data == {"on_time": False}


def test_an_extension_after_the_period_ran_out_is_refused_regression() -> None:
    """시행령 제21조①: a period is extended while it runs; a late extension would move a past due to another
    past date."""
    t = new_ticket()
    with pytest.raises(ExtensionRefused, match=r"already ended at 2026-10-03T00:00:00\+09:00.*시행령 제21조①"):
        t.extend(kst(2026, 10, 6, 10), "s", CAL, period=Period(7, Unit.DAYS),
                 reason=ExtensionReason.COOPERATION, detail="협조")
    assert not t.extensions and t.due_at == kst(2026, 10, 2, 18)
    t.extend(kst(2026, 10, 2, 20), "s", CAL, period=Period(7, Unit.DAYS),  # before 24:00: still running
             reason=ExtensionReason.COOPERATION, detail="협조")
    assert t.due_at == kst(2026, 10, 15, 18)


def test_an_extension_while_the_clock_is_stopped_since_before_the_end_is_allowed() -> None:
    """시행령 제20조: a stopped clock keeps the period running; extending it then is in time (제21조①)."""
    t = new_ticket()
    t.request_supplement(kst(2026, 10, 1, 10), "s", "서류")
    t.extend(kst(2026, 10, 6, 10), "s", CAL, period=Period(7, Unit.DAYS), reason=ExtensionReason.FACT_CHECK,
             detail="현장 확인")
    assert len(t.extensions) == 1


def test_disclosure_allows_one_extension_even_with_consent() -> None:
    """정보공개법 제11조②: one extension of at most 10 days, counted from the day after the period ended."""
    t = new_ticket(DISCLOSURE)  # 2026-09-22 10:00: civil reading 10-02, minwon 10-06
    assert (t.due_at, t.legal_end) == (kst(2026, 10, 2, 18), kst(2026, 10, 3))
    with pytest.raises(ExtensionRefused, match="exceed"):
        t.extend(AT, "s", CAL, period=Period(11, Unit.DAYS), reason=ExtensionReason.COMPARABLE, detail="분량")
    t.extend(AT, "s", CAL, period=Period(10, Unit.DAYS), reason=ExtensionReason.COMPARABLE, detail="분량 과다")
    assert t.due_at == kst(2026, 10, 12, 18)  # 10-03 … 10-12
    with pytest.raises(ExtensionRefused, match="정보공개법 제11조② allows one extension"):
        t.extend(AT, "s", CAL, period=Period(5, Unit.DAYS), reason=ExtensionReason.COMPARABLE, detail="또",
                 consent=True)


def test_disclosure_third_party_notice_is_logged_and_only_for_disclosure() -> None:
    """정보공개법 제11조③: a third party the information concerns is told without delay; the clock runs on."""
    t = new_ticket(DISCLOSURE)
    event = t.notify_third_party(AT, "staff:kim", "A사: 납품 계약서")
    assert (event.action, event.data["article"], t.due_at) == (Action.THIRD_PARTY_NOTICE, "정보공개법 제11조③",
                                                               kst(2026, 10, 2, 18))
    with pytest.raises(ActionRefused, match="정보공개"):
        new_ticket().notify_third_party(AT, "s", "A사")


def test_extension_notice_carries_reason_date_and_officer() -> None:
    """시행령 제21조③ (reason, new completion date) and 제31조 (the officer's 소속·성명·연락처): the officer's
    work contact is kept as typed (it is given to the customer, not redacted)."""
    t = new_ticket()
    t.assign(AT, "s", "김민수")
    event = t.extend(AT, "s", CAL, period=Period(7, Unit.DAYS), reason=ExtensionReason.FACT_CHECK,
                     detail="현장 확인 필요", contact="02-1234-5678")
    assert event.reason == "현장 확인 필요"
    assert {k: event.data[k] for k in ("due_at", "officer", "officer_department", "officer_contact")} == {
        "due_at": "2026-10-15T18:00:00+09:00", "officer": "김민수", "officer_department": "voc_desk",
        "officer_contact": "02-1234-5678"}
    named = new_ticket().extend(AT, "s", CAL, period=Period(7, Unit.DAYS), reason=ExtensionReason.FACT_CHECK,
                                detail="현장", officer="박지훈")
    assert named.data["officer"] == "박지훈" and "officer_contact" not in named.data


# ----- clock stops ------------------------------------------------------------------------------------------


def test_a_stopped_clock_shows_the_stop_and_then_the_shifted_date() -> None:
    """시행령 제20조제2호 (정보시스템 장애): while stopped the view says so instead of the old date as if it held;
    once resumed the due moves by the stopped days (here Tue and Wed: 민법 제157조, stopped at opening)."""
    t = new_ticket()
    event = t.stop_clock(kst(2026, 9, 28, 9), "staff:kim", CAL, kind=Stop.OUTAGE, reason="전산 장애")
    assert event.data == {"stop": "outage", "article": "민원처리법 시행령 제20조제2호"}
    assert t.paused_since == kst(2026, 9, 28, 9)
    view = ticket_json(t, KST, kst(2026, 10, 5, 10))
    assert view["clock"] == "stopped" and not view["overdue"]
    assert view["due_text"].startswith("시계 정지 중 (정보시스템 장애, 2026-09-28 09:00+09:00부터)")
    assert "legal_due_text" in view and view["legal_due_text"] == "2026-10-02 24:00+09:00"
    t.resume_clock(kst(2026, 9, 29, 11), "staff:kim", CAL)
    assert t.paused_since is None and t.due_at == kst(2026, 10, 7, 18)  # 9-28, 9-29 → +2 working days
    view = ticket_json(t, KST, kst(2026, 10, 5, 10))
    assert view["clock"] == "running" and view["due_text"] == "2026년 10월 7일(수)까지"
    assert view["paused"] == [{"start": "2026-09-28T09:00:00+09:00", "end": "2026-09-29T11:00:00+09:00",
                               "kind": "outage", "article": "민원처리법 시행령 제20조제2호", "limit": None}]


def test_each_stop_names_its_article_and_one_of_a_kind_runs_at_a_time() -> None:
    """행정절차법 시행령 제11조제2–6호 (transit, representative, hearing, tests, prerequisite) and 민원처리법
    시행령 제7조의2③: staff actions with their legal reason in the event log."""
    t = new_ticket()
    t.stop_clock(AT, "s", CAL, kind=Stop.HEARING, reason="이해관계인 의견청취")
    t.stop_clock(AT, "s", CAL, kind=Stop.TEST, reason="감정 의뢰")
    assert [e.data["article"] for e in t.events[-2:]] == [
        "행정절차법 시행령 제11조제4호", "행정절차법 시행령 제11조제5호"]
    with pytest.raises(ActionRefused, match="already stopped"):
        t.stop_clock(AT, "s", CAL, kind=Stop.HEARING, reason="또")
    with pytest.raises(ActionRefused, match="request-supplement"):
        t.stop_clock(AT, "s", CAL, kind=Stop.SUPPLEMENT, reason="서류")
    event = t.resume_clock(AT + timedelta(hours=2), "s", CAL)
    assert event.data["stops"] == ["hearing", "test"] and not t.open_stops
    with pytest.raises(ActionRefused, match="not stopped"):
        t.resume_clock(AT, "s", CAL)


def test_a_site_investigation_counts_14_days_extendable_once_by_7() -> None:
    """시행령 제17조④⑤: investigation time is not counted, for at most 14 days (+7 once)."""
    t = new_ticket()
    t.stop_clock(kst(2026, 11, 2, 10), "s", CAL, kind=Stop.SITE_INVESTIGATION, reason="현장조사")
    assert t.pauses[-1].cap == kst(2026, 11, 20)
    t.extend_investigation(kst(2026, 11, 19, 10), "s", CAL, "관계인 부재")
    assert t.pauses[-1].cap == kst(2026, 12, 1)
    with pytest.raises(ActionRefused, match="only once"):
        t.extend_investigation(kst(2026, 11, 20, 10), "s", CAL, "또")
    assert ticket_json(t, KST, kst(2026, 12, 2, 10))["warnings"][0].startswith("현장조사 기간 초과")
    t.resume_clock(kst(2026, 12, 10, 10), "s", CAL)  # ran past its limit: counted only to 12-01 24:00
    capped = new_ticket()
    capped.pauses.append(Interval(kst(2026, 11, 2, 10), kst(2026, 12, 1, 0), Stop.SITE_INVESTIGATION))
    capped._recompute_due(CAL, kst(2026, 12, 10, 10))
    assert t.due_at == capped.due_at
    with pytest.raises(ActionRefused, match="one site investigation"):
        t.stop_clock(kst(2026, 12, 11, 10), "s", CAL, kind=Stop.SITE_INVESTIGATION, reason="재조사")


# ----- the customer's supplement period (시행령 제24·25조) ----------------------------------------------------


def test_supplement_period_extensions_re_request_and_return() -> None:
    """시행령 제24조: the period given to the customer (민법 counting), at most two longer periods at their
    request (②), one more request of at most 10 days once it lapsed (③); then 제25조①: the filing is
    returned with its reasons."""
    t = new_ticket()
    t.request_supplement(kst(2026, 11, 18, 14), "s", "통장 사본", calendar=CAL, within=7, officer="김민수")
    assert t.supplement_until == kst(2026, 11, 26) and t.events[-1].data["officer"] == "김민수"
    with pytest.raises(ActionRefused, match="시행령 제25조①"):
        t.return_filing(kst(2026, 11, 25, 10), "s", "보완 없음")
    t.extend_supplement(kst(2026, 11, 20, 10), "s", CAL, within=5, reason="은행 발급 대기")
    t.extend_supplement(kst(2026, 11, 24, 10), "s", CAL, within=3, reason="재발급")
    assert t.supplement_until == kst(2026, 11, 28)  # 11-25 … 11-27
    with pytest.raises(ActionRefused, match="twice"):
        t.extend_supplement(kst(2026, 11, 25, 10), "s", CAL, within=3, reason="또")
    with pytest.raises(ActionRefused, match="runs until 2026-11-28"):
        t.re_request_supplement(kst(2026, 11, 27, 10), "s", CAL, within=5, reason="미제출")
    with pytest.raises(ActionRefused, match="at most 10 days"):
        t.re_request_supplement(kst(2026, 11, 30, 10), "s", CAL, within=11, reason="미제출")
    t.re_request_supplement(kst(2026, 11, 30, 10), "s", CAL, within=10, reason="미제출")
    assert t.supplement_until == kst(2026, 12, 11)  # 12-01 … 12-10
    with pytest.raises(ActionRefused, match="already been asked for again"):
        t.re_request_supplement(kst(2026, 12, 14, 10), "s", CAL, within=3, reason="또")
    assert ticket_json(t, KST, kst(2026, 12, 14, 10))["warnings"][0].startswith("보완기한 경과")
    event = t.return_filing(kst(2026, 12, 14, 10), "s", "통장 사본이 제출되지 않아 반려합니다")
    assert (t.status, event.data["article"], t.open_stops) == (Status.CLOSED, "시행령 제25조①", [])


def test_a_supplement_period_is_needed_to_extend_or_return() -> None:
    t = new_ticket()
    t.request_supplement(AT, "s", "서류")
    for refused in (lambda: t.extend_supplement(AT, "s", CAL, within=3, reason="x"),
                    lambda: t.return_filing(AT + timedelta(days=60), "s", "x")):
        with pytest.raises(ActionRefused, match="no supplement period"):
            refused()


def test_a_supplement_after_its_period_still_restarts_the_clock() -> None:
    t = new_ticket()
    t.request_supplement(kst(2026, 9, 23, 9), "s", "계약서", calendar=CAL, within=3)
    event = t.supplement(kst(2026, 9, 29, 11), "customer", CAL)
    assert event.data["after_period"] is True and t.due_at == kst(2026, 10, 8, 18)


# ----- arrival and transfers (시행령 제6조⑧, 제13조) -----------------------------------------------------------


def test_registration_later_than_8_working_hours_after_arrival_is_flagged() -> None:
    """시행령 제6조⑧: arrival and 접수 are both kept; the clock runs from 접수; a late 접수 is flagged."""
    t = Ticket.open(customer_id=1, channel="web", voc_type=VocType.INQUIRY, intent="general_inquiry",
                    department="voc_desk", text="문의", received_at=kst(2026, 11, 24, 10),
                    arrived_at=kst(2026, 11, 20, 17), policy=Period(7, Unit.DAYS), calendar=CAL, actor="staff")
    data = t.events[0].data
    assert (data["limit"], data["late"], data["article"]) == ("2026-11-23T17:00:00+09:00", True, "시행령 제6조⑧")
    assert t.due_at == kst(2026, 12, 2, 18)  # 7 days from 접수 11-24, not from arrival
    assert any("시행령 제6조⑧" in w for w in ticket_json(t, KST, kst(2026, 11, 24, 11))["warnings"])


def test_transfers_are_checked_against_article_13() -> None:
    """시행령 제13조: 1 working hour from the 민원실 (3 when far), 3 from a department it does not belong to,
    counted from when that department got it; 8 to another agency, which closes the ticket here."""
    t = new_ticket()  # received 10:00 Tue 2026-09-22 at voc_desk (the 민원실)
    first = t.transfer(kst(2026, 9, 22, 10, 50), "s", "legal", "법령", calendar=CAL, from_desk=True)
    assert (first.data["limit"], first.data["late"]) == ("2026-09-22T11:00:00+09:00", False)
    second = t.transfer(kst(2026, 9, 22, 15), "s", "service_quality", "소관 아님", calendar=CAL)
    assert (second.data["limit"], second.data["late"], second.data["article"]) == (
        "2026-09-22T14:50:00+09:00", True, "시행령 제13조②")
    far = new_ticket().transfer(kst(2026, 9, 22, 12, 30), "s", "legal", "법령", calendar=CAL, from_desk=True,
                                far=True)
    assert far.data["late"] is False  # limit 14:00
    out = new_ticket().transfer_out(kst(2026, 9, 23, 11), "s", CAL, agency="국세청", reason="세무 소관")
    assert (out.to_status, out.data["limit"], out.data["late"]) == (Status.CLOSED, "2026-09-23T10:00:00+09:00", True)
