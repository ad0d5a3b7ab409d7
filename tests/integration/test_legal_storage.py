"""What issue 16 keeps, on real SQLite and PostgreSQL: the law of the period, the legal end, the arrival, the
kinds and caps of clock stops (migration 0004), and the legal end given to tickets stored before it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bot.casework.deadlines import Law, Period, Regime, Stop, Unit
from bot.casework.tickets import ExtensionReason, Ticket
from bot.casework.workcalendar import WorkCalendar
from bot.conversation.classification import VocType
from storage.migrate import upgrade
from storage.uow import Database, SqlUnitOfWork

KST = ZoneInfo("Asia/Seoul")
CAL = WorkCalendar.build()
RECEIVED = datetime(2026, 9, 22, 10, 0, tzinfo=KST)


async def test_legal_fields_round_trip(uow_factory: Callable[[], SqlUnitOfWork]) -> None:
    async with uow_factory() as uow:
        customer = await uow.customers.get_or_create("web", "7")
        ticket = Ticket.open(
            customer_id=customer.id or 0, channel="web", voc_type=VocType.INQUIRY, intent="disclosure_request",
            department="disclosure", text="회의록 공개 청구", received_at=RECEIVED,
            arrived_at=RECEIVED - timedelta(hours=20), calendar=CAL, actor="staff:kim",
            policy=Period(10, Unit.DAYS, Regime.CIVIL, Law.DISCLOSURE))
        ticket.stop_clock(RECEIVED + timedelta(hours=1), "staff:kim", CAL, kind=Stop.SITE_INVESTIGATION,
                          reason="현장조사")
        ticket.resume_clock(RECEIVED + timedelta(days=1), "staff:kim", CAL)
        ticket.stop_clock(RECEIVED + timedelta(days=1, hours=1), "staff:kim", CAL, kind=Stop.OUTAGE, reason="장애")
        ticket.extend(RECEIVED + timedelta(days=2), "staff:kim", CAL, period=Period(10, Unit.DAYS),
                      reason=ExtensionReason.COMPARABLE, detail="분량", contact="02-1234-5678")
        stored = await uow.tickets.add(ticket)
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.tickets.get(stored.number)
    assert loaded == stored
    assert loaded.policy.law is Law.DISCLOSURE and loaded.arrived_at == RECEIVED - timedelta(hours=20)
    assert loaded.legal_end == stored.legal_end and loaded.legal_end.astimezone(KST).hour == 0
    assert [(p.kind, p.cap is not None, p.end is None) for p in loaded.pauses] == [
        (Stop.SITE_INVESTIGATION, True, False), (Stop.OUTAGE, False, True)]
    assert loaded.events[-1].data["officer_contact"] == "02-1234-5678"


async def test_migration_0004_gives_stored_tickets_their_legal_end(database_url: str) -> None:
    """Tickets stored before 0004: a day-counted one ends at the next midnight in Korean time, an hour-counted
    one at its due; both are 민원처리법 tickets and their old pauses read as supplements."""
    await upgrade(database_url, "0003")
    database = Database.from_url(database_url)
    day_due = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)  # 18:00 KST
    hour_due = datetime(2026, 10, 2, 7, 30, tzinfo=UTC)
    try:
        async with database.engine.begin() as connection:
            naive = database.sqlite
            await connection.execute(text(
                "INSERT INTO customers (id, channel, external_id, display_name, locale, consent_version, phone, "
                "created_at) VALUES (1, 'web', '1', '', 'ko', '', '', :at)"), {"at": _at(day_due, naive)})
            for i, (due, date_only) in enumerate([(day_due, True), (hour_due, False)], 1):
                await connection.execute(text(
                    "INSERT INTO tickets (id, number, year, customer_id, channel, voc_type, intent, department, "
                    "text, received_at, due_at, due_date_only, policy_amount, policy_unit, policy_regime, status, "
                    "assignee, contact_phone, confidence, answer, pauses, extensions, version, created_at, "
                    "updated_at) VALUES (:id, :number, 2026, 1, 'web', 'inquiry', 'general_inquiry', 'voc_desk', "
                    "'문의', :at, :due, :date_only, 7, 'days', 'minwon', 'received', '', '', 0.9, '', :pauses, "
                    "'[]', 0, :at, :at)"),
                    {"id": i, "number": f"VOC-2026-00000{i}", "at": _at(day_due - timedelta(days=9), naive),
                     "due": _at(due, naive), "date_only": date_only,
                     "pauses": '[{"start": "2026-09-23T00:00:00+00:00", "end": "2026-09-24T00:00:00+00:00"}]'})
        await upgrade(database_url)
        async with database.uow() as uow:
            day, hour = await uow.tickets.get("VOC-2026-000001"), await uow.tickets.get("VOC-2026-000002")
    finally:
        await database.close()
    assert day is not None and hour is not None
    assert day.legal_end == datetime(2026, 10, 3, 0, 0, tzinfo=KST) and hour.legal_end == hour_due
    assert day.policy.law is Law.MINWON and day.arrived_at is None
    assert [p.kind for p in day.pauses] == [Stop.SUPPLEMENT]


def _at(instant: datetime, naive: bool) -> datetime | str:
    return instant.replace(tzinfo=None).isoformat(sep=" ") if naive else instant
