from __future__ import annotations

from datetime import datetime

import pytest

from bot.casework.deadlines import Period, Unit
from bot.casework.staff import SPECS, Staff, StaffAction
from bot.casework.tickets import Action, ExtensionReason, Status, Ticket
from bot.casework.workcalendar import WorkCalendar
from bot.clock import FixedClock
from bot.conversation.classification import VocType
from bot.errors import ConcurrentUpdate, IllegalTransition, InputRejected, TicketNotFound
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


def staff_on(store: Store, races: Races | None = None) -> Staff:
    lost = races or Races()
    return Staff(lambda: RacingUnitOfWork(store, lost), CAL, FixedClock(AT), frozenset({"voc_desk", "legal"}))


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
    assert SPECS["extend"].usage() == "--reason --reason-code [--period] [--consent]"
    assert SPECS["transfer"].usage() == "--to --reason"
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
