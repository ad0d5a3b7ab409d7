from __future__ import annotations

from datetime import datetime

import pytest

from bot.casework.deadlines import Period, Stop, Unit
from bot.casework.staff import SPECS, Staff, StaffAction
from bot.casework.tickets import Action, ExtensionReason, Status, Ticket
from bot.casework.workcalendar import WorkCalendar
from bot.clock import FixedClock
from bot.conversation.classification import VocType
from bot.errors import ConcurrentUpdate, ExtensionRefused, IllegalTransition, InputRejected, TicketNotFound
from tests.fakes import KST, FakeUnitOfWork, Races, RacingUnitOfWork, Store

CAL = WorkCalendar.build()
AT = datetime(2026, 9, 22, 10, 0, tzinfo=KST)


async def stored_ticket(store: Store, phone: str = "") -> str:
    async with FakeUnitOfWork(store) as uow:
        ticket = await uow.tickets.add(Ticket.open(
            customer_id=1, channel="test", voc_type=VocType.INQUIRY, intent="general_inquiry",
            department="voc_desk", text="문의", received_at=AT, policy=Period(7, Unit.DAYS), calendar=CAL,
            actor="customer:1", contact_phone=phone))
        await uow.commit()
    return ticket.number


def staff_on(store: Store, races: Races | None = None, at: datetime = AT) -> Staff:
    lost = races or Races()
    return Staff(lambda: RacingUnitOfWork(store, lost), CAL, FixedClock(at), frozenset({"voc_desk", "legal"}),
                 desk="voc_desk")


async def test_actions_move_the_ticket_and_queue_a_notice() -> None:
    store = Store()
    number = await stored_ticket(store)
    staff = staff_on(store)
    await staff.act(number, StaffAction("assign", "staff:lee", assignee="kim"))
    ticket = await staff.act(number, StaffAction("transfer", "staff:kim", department="legal", reason="법령"))
    assert (ticket.status, ticket.department) == (Status.RECEIVED, "legal")
    assert [row["kind"] for row in store.outbox] == ["ticket_assign", "ticket_transfer"]


async def test_a_lost_race_is_retried_on_the_fresh_state() -> None:
    store = Store()
    number = await stored_ticket(store)
    races = Races(left=2)
    ticket = await staff_on(store, races).act(number, StaffAction("start", "staff:kim"))
    assert ticket.status is Status.IN_PROGRESS and races.lost == 2
    with pytest.raises(ConcurrentUpdate):
        await staff_on(store, Races(left=3)).act(number, StaffAction("answer", "staff:kim", answer="답변"))
    assert store.tickets[number].status is Status.IN_PROGRESS


@pytest.mark.parametrize(("cmd", "error"), [
    (StaffAction("assign", "s"), InputRejected),  # no --assignee
    (StaffAction("assign", "s", assignee="  "), InputRejected),
    (StaffAction("transfer", "s", department="nowhere", reason="x"), InputRejected),
    (StaffAction("transfer", "s", reason="x"), InputRejected),  # no --to
    (StaffAction("extend", "s", reason="현장 조사"), InputRejected),  # no --reason-code
    (StaffAction("close", "s", answer="답변"), InputRejected),  # close takes no --answer
    (StaffAction("teleport", "s"), InputRejected),
    (StaffAction("close", "s"), IllegalTransition),
])
async def test_bad_actions_are_refused_and_change_nothing(cmd: StaffAction, error: type[Exception]) -> None:
    store = Store()
    number = await stored_ticket(store)
    with pytest.raises(error):
        await staff_on(store).act(number, cmd)
    assert len(store.tickets[number].events) == 1 and not store.outbox


async def test_unknown_ticket() -> None:
    with pytest.raises(TicketNotFound):
        await staff_on(Store()).act("VOC-2026-999999", StaffAction("start", "s"))


async def test_extension_length_is_counted_in_the_tickets_own_unit() -> None:
    store = Store()
    number = await stored_ticket(store)
    ticket = await staff_on(store).act(number, StaffAction(
        "extend", "staff:kim", reason="현장 조사", extension_amount=3, extension_reason=ExtensionReason.FACT_CHECK))
    assert [str(e.period) for e in ticket.extensions] == ["3일"]
    assert ticket.due_at == datetime(2026, 10, 8, 18, 0, tzinfo=KST)  # 10/2, then 10/6, 10/7, 10/8
    assert ticket.extensions[0].reason is ExtensionReason.FACT_CHECK


@pytest.mark.parametrize(("cmd", "message"), [
    (StaffAction("extend", "s", reason="현장 조사"),
     "extend needs --reason-code (cooperation, fact_check, force_majeure, comparable)"),
    (StaffAction("transfer", "s", reason="법령"), "transfer needs --to (legal, voc_desk)"),
    (StaffAction("transfer", "s"), "transfer needs --to (legal, voc_desk) and --reason"),
    (StaffAction("note", "s", reason="메모", assignee="kim"), "note does not take --assignee (it takes --reason)"),
    (StaffAction("start", "s", consent=True), "start does not take --consent (it takes -)"),
])
async def test_a_missing_or_foreign_option_is_named(cmd: StaffAction, message: str) -> None:
    store = Store()
    number = await stored_ticket(store)
    with pytest.raises(InputRejected) as err:
        await staff_on(store).act(number, cmd)
    assert str(err.value) == message


def test_the_action_table_says_what_each_action_needs() -> None:
    assert SPECS["extend"].usage() == "--reason --reason-code [--period] [--consent] [--officer] [--contact]"
    assert SPECS["transfer"].usage() == "--to --reason [--far]"
    assert SPECS["start"].usage() == "-"


async def test_work_in_progress_can_change_hands_and_stays_in_progress() -> None:
    store = Store()
    number = await stored_ticket(store)
    staff = staff_on(store)
    await staff.act(number, StaffAction("assign", "staff:lee", assignee="kim"))
    await staff.act(number, StaffAction("start", "staff:kim"))
    ticket = await staff.act(number, StaffAction("assign", "staff:lee", assignee="park"))
    assert (ticket.status, ticket.assignee) == (Status.IN_PROGRESS, "park")
    event = ticket.events[-1]
    assert (event.action, event.from_status, event.to_status) == (Action.ASSIGN, Status.IN_PROGRESS,
                                                                  Status.IN_PROGRESS)
    assert event.data == {"assignee": "park", "previous": "kim"}
    assert store.outbox[-1]["kind"] == "ticket_assign"


async def test_revealing_the_phone_records_who_saw_it() -> None:
    store = Store()
    number = await stored_ticket(store, phone="010-1234-5678")
    ticket = await staff_on(store).reveal_contact(number, " staff:kim ")
    assert ticket.contact_phone == "010-1234-5678"
    stored = store.tickets[number]
    event = stored.events[-1]
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        Action.REVEAL_CONTACT, "staff:kim", Status.RECEIVED, Status.RECEIVED)
    assert event.at == AT and stored.status is Status.RECEIVED
    assert not store.outbox  # an access record, not a notice to anyone


async def test_nothing_to_reveal_records_nothing_and_an_unnamed_viewer_is_refused() -> None:
    store = Store()
    number = await stored_ticket(store)
    ticket = await staff_on(store).reveal_contact(number, "staff:kim")
    assert ticket.contact_phone == "" and len(store.tickets[number].events) == 1
    with pytest.raises(InputRejected, match="--actor"):
        await staff_on(store).reveal_contact(number, " ")
    with pytest.raises(TicketNotFound):
        await staff_on(store).reveal_contact("VOC-2026-999999", "staff:kim")


def test_the_new_clock_actions_say_what_they_need() -> None:
    assert SPECS["pause"].usage() == "--stop --reason"
    assert SPECS["resume"].usage() == "[--reason]"
    assert SPECS["request-supplement"].usage() == "--reason [--within] [--officer] [--contact]"
    assert SPECS["extend"].usage() == "--reason --reason-code [--period] [--consent] [--officer] [--contact]"
    assert SPECS["transfer-out"].usage() == "--agency --reason"
    assert SPECS["re-request-supplement"].usage() == "--within --reason"


async def test_pause_names_the_stops_it_takes() -> None:
    store = Store()
    number = await stored_ticket(store)
    with pytest.raises(InputRejected) as err:
        await staff_on(store).act(number, StaffAction("pause", "s", reason="장애"))
    assert str(err.value).startswith("pause needs --stop (transit, representative, hearing, test, prerequisite, "
                                     "outage, site_investigation, certificate)")


async def test_an_extension_queues_the_notice_fields_of_articles_21_and_31() -> None:
    """시행령 제21조③, 제31조: reason, new completion date, the officer's 소속·성명·연락처 reach the outbox."""
    store = Store()
    number = await stored_ticket(store)
    await staff_on(store).act(number, StaffAction(
        "extend", "staff:kim", reason="현장 조사", extension_reason=ExtensionReason.FACT_CHECK, officer="김민수",
        contact="02-1234-5678"))
    payload = store.outbox[-1]["payload"]
    assert {k: payload[k] for k in ("reason", "due_at", "legal_due_at", "officer", "officer_department",
                                    "officer_contact")} == {
        "reason": "현장 조사", "due_at": "2026-10-15T18:00:00+09:00", "legal_due_at": "2026-10-16T00:00:00+09:00",
        "officer": "김민수", "officer_department": "voc_desk", "officer_contact": "02-1234-5678"}


async def test_a_late_extension_is_refused_with_its_reason() -> None:
    """시행령 제21조①: `tickets act … extend` on a ticket past its due refuses, naming the article."""
    store = Store()
    number = await stored_ticket(store)
    late = staff_on(store, at=datetime(2026, 10, 6, 10, 0, tzinfo=KST))
    with pytest.raises(ExtensionRefused, match="시행령 제21조①"):
        await late.act(number, StaffAction("extend", "s", reason="협조", extension_reason=ExtensionReason.COOPERATION))
    assert not store.outbox


async def test_transfer_from_the_desk_has_one_working_hour() -> None:
    """시행령 제13조①: the 민원실 (``desk``) hands a 민원 to its department within 1 working hour."""
    store = Store()
    number = await stored_ticket(store)
    ticket = await staff_on(store, at=AT.replace(hour=11, minute=30)).act(
        number, StaffAction("transfer", "s", department="legal", reason="법령"))
    assert (ticket.events[-1].data["late"], ticket.events[-1].data["article"]) == (True, "시행령 제13조①")


async def test_pause_and_resume_through_staff() -> None:
    store = Store()
    number = await stored_ticket(store)
    await staff_on(store).act(number, StaffAction("pause", "s", reason="감정 의뢰", stop=Stop.TEST))
    ticket = await staff_on(store, at=datetime(2026, 9, 23, 10, 0, tzinfo=KST)).act(number, StaffAction("resume", "s"))
    assert ticket.due_at == datetime(2026, 10, 6, 18, 0, tzinfo=KST)  # 9-23 (stopped at its opening) → +1
    assert [row["kind"] for row in store.outbox] == ["ticket_pause", "ticket_resume"]
