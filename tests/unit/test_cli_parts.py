"""The pure parts of the command line: argument order, streamed JSON, how tickets and hand-offs read."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import SchemaUpgrade, database_location
from bot.casework.deadlines import Period, Unit
from bot.casework.tickets import Ticket
from bot.casework.views import event_text, handoff_json, is_overdue, ticket_json, ticket_row
from bot.casework.workcalendar import WorkCalendar
from bot.cli.context import hoist_config, write_json_array
from bot.cli.tickets import read_handoffs
from bot.conversation.classification import VocType
from bot.conversation.customers import Handoff
from tests.fakes import KST, FakeUnitOfWork, Store, fake_uow_factory

CAL = WorkCalendar.build()
AT = datetime(2026, 9, 22, 10, 0, tzinfo=KST)


@pytest.mark.parametrize(("args", "expected"), [
    (["tickets", "list", "--config", "x.toml"], ["--config", "x.toml", "tickets", "list"]),
    (["tickets", "list", "--config=x.toml", "--json"], ["--config=x.toml", "tickets", "list", "--json"]),
    (["--config", "a.toml", "chat", "--config", "b.toml"], ["--config", "a.toml", "--config", "b.toml", "chat"]),
    (["classify", "--", "--config", "x"], ["classify", "--", "--config", "x"]),
    (["tickets", "list", "--config"], ["--config", "tickets", "list"]),
    (["tickets", "list"], ["tickets", "list"]),
])
def test_config_is_moved_to_the_front(args: list[str], expected: list[str]) -> None:
    assert hoist_config(args) == expected


def test_json_array_is_written_while_it_is_read() -> None:
    out = io.StringIO()
    seen: list[int] = []

    def items() -> Iterator[dict[str, int]]:
        for i in range(3):
            seen.append(out.getvalue().count("{"))  # how many items were already written
            yield {"n": i}

    assert write_json_array(items(), out) == 3
    assert seen == [0, 1, 2]
    assert json.loads(out.getvalue()) == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert len(out.getvalue().splitlines()) == 5  # one item a line: "[", three items, "]"


def test_an_empty_json_array() -> None:
    out = io.StringIO()
    assert write_json_array(iter([]), out) == 0
    assert json.loads(out.getvalue()) == []


def test_what_db_upgrade_says() -> None:
    assert str(SchemaUpgrade("x", None, "0002")) == "created the database at x (schema revision 0002)"
    assert str(SchemaUpgrade("x", "0001", "0002")) == "upgraded the database at x from schema revision 0001 to 0002"
    assert str(SchemaUpgrade("x", "0002", "0002")) == "the database at x is already up to date (schema revision 0002)"


@pytest.mark.parametrize(("url", "where"), [
    ("sqlite+aiosqlite:////srv/voc/vocdesk.db", "/srv/voc/vocdesk.db"),
    ("postgresql://voc:s3cret@db.local:5432/voc", "postgresql+asyncpg://voc@db.local:5432/voc"),
    ("postgres://voc@db/voc?ssl=require", "postgresql+asyncpg://voc@db/voc?ssl=require"),
])
def test_where_the_database_is_never_shows_a_password(url: str, where: str) -> None:
    assert database_location(url) == where


def filed(phone: str = "010-1234-5678") -> Ticket:
    t = Ticket.open(customer_id=1, channel="telegram", voc_type=VocType.COMPLAINT, intent="delay_complaint",
                    department="voc_desk", text="늦어요", received_at=AT, policy=Period(7, Unit.DAYS), calendar=CAL,
                    actor="customer:1", contact_phone=phone)
    t.number = "VOC-2026-000001"
    return t


def test_every_instant_is_in_the_institutions_zone_with_its_offset() -> None:
    t = filed()
    t.add_customer_message(datetime(2026, 9, 22, 3, 0, tzinfo=UTC), "customer:1", "추가 설명입니다")
    data = ticket_json(t, KST, AT)
    assert data["received_at"] == "2026-09-22T10:00:00+09:00"
    assert [e["at"] for e in data["events"]] == ["2026-09-22T10:00:00+09:00", "2026-09-22T12:00:00+09:00"]
    assert data["events"][1]["text"] == "추가 설명입니다"


def test_the_phone_is_masked_unless_revealed() -> None:
    t = filed()
    assert ticket_json(t, KST, AT)["contact_phone"] == "010-****-5678"
    assert ticket_json(t, KST, AT, reveal_phone=True)["contact_phone"] == "010-1234-5678"


def test_event_text_shows_what_was_said_and_where_the_ticket_went() -> None:
    t = filed()
    t.request_supplement(AT, "staff:kim", "계약서 사본")
    t.supplement(AT + timedelta(hours=1), "customer:1", CAL, "사본 첨부합니다")
    t.assign(AT, "staff:lee", "kim")
    t.transfer(AT, "staff:kim", "legal", "법령 해석")
    assert [event_text(e) for e in t.events[1:]] == [
        "계약서 사본", "사본 첨부합니다", "assignee kim", "법령 해석\nvoc_desk → legal"]


def test_overdue_means_open_and_past_the_legal_end() -> None:
    """행정기본법 제6조① → 민법 제159조: a day-counted period ends at 24:00; 18:00 (``due_at``) is only the target."""
    t = filed()
    later = t.legal_end + timedelta(minutes=1)
    assert t.legal_end == t.due_at + timedelta(hours=6)
    assert not is_overdue(t, t.due_at + timedelta(hours=5)) and is_overdue(t, later)
    assert ticket_row(t, KST, later) == (
        "VOC-2026-000001", "불만", "접수", "voc_desk", "-", "2026-09-22 10:00", "2026-10-02", "지연")
    t.answer_with(later, "staff:kim", "답변")
    assert not is_overdue(t, later)


def test_handoff_time_is_local() -> None:
    h = Handoff(customer_id=3, channel="telegram", text="상담원 연결", step="idle",
                at=datetime(2026, 9, 22, 1, 30, tzinfo=UTC), id=7)
    assert handoff_json(h, KST) == {"id": 7, "at": "2026-09-22T10:30:00+09:00", "customer_id": 3,
                                    "channel": "telegram", "step": "idle", "status": "open", "text": "상담원 연결"}


def test_warming_the_calendar_indexes_this_year_and_the_next() -> None:
    cal = WorkCalendar.build()
    cal.warm(datetime(2026, 12, 31, 16, 0, tzinfo=UTC))  # already 2027 in Seoul
    assert set(cal._years) == {2027, 2028}


async def test_handoffs_list_reads_open_requests_newest_first() -> None:
    store = Store()
    async with FakeUnitOfWork(store) as uow:
        for i, status in enumerate(("open", "done", "open")):
            await uow.handoffs.add(Handoff(customer_id=i, channel="console", text=f"요청 {i}", step="idle",
                                           at=AT + timedelta(minutes=i), status=status))
        await uow.commit()
    factory = fake_uow_factory(store)
    shown = await read_handoffs(factory, KST, include_done=False, limit=0)
    assert [(h["id"], h["at"]) for h in shown] == [(3, "2026-09-22T10:02:00+09:00"), (1, "2026-09-22T10:00:00+09:00")]
    assert [h["id"] for h in await read_handoffs(factory, KST, include_done=True, limit=2)] == [3, 2]
