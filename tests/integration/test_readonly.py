"""The light read path of ``tickets list`` and ``tickets show`` (``storage.readonly``: sqlite3 or asyncpg, no
SQLAlchemy) reads exactly what the repository reads, and the real process prints byte for byte what the
command printed when it listed through the repository, on both databases."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.casework.deadlines import Interval, Period, Unit
from bot.casework.tickets import Extension, ExtensionReason, Status, Ticket
from bot.casework.views import TICKET_COLUMNS, is_overdue, ticket_json, ticket_row
from bot.cli.context import print_table, write_json_array
from bot.conversation.classification import VocType
from storage.models import Base
from storage.readonly import Listing, open_reader
from storage.revision import SchemaNotCurrent, newest_script
from storage.rows import EVENT_INSTANTS, EVENT_JSON, TICKET_FLAGS, TICKET_INSTANTS, TICKET_JSON
from storage.uow import Database
from tests.e2e.conftest import VOCDESK, clean_environ
from tests.notice_support import write_config

KST = ZoneInfo("Asia/Seoul")
LONG_AGO = datetime(2025, 3, 3, 9, 30, tzinfo=KST)  # every deadline long past: output does not drift with the clock
RECENT = datetime.now(UTC) - timedelta(hours=2)  # every deadline days ahead


def ticket(customer_id: int, received: datetime, *, department: str = "voc_desk", channel: str = "telegram",
           text: str = "주차 요금이 \"이상\"해요 😟") -> Ticket:
    return Ticket(customer_id=customer_id, channel=channel, voc_type=VocType.COMPLAINT, intent="parking_fee",
                  department=department, text=text, received_at=received, policy=Period(7, Unit.DAYS),
                  due_at=received + timedelta(days=9), due_date_only=True, confidence=0.8125)


async def seed(database: Database) -> list[str]:
    """Tickets in every shape the listing shows: open, overdue, paused, extended, answered, closed, in two
    departments and channels, some received at the same instant (ties go newest id first)."""
    async with database.uow() as uow:
        customer = await uow.customers.get_or_create("telegram", "42", display_name="홍길동")
        assert customer.id is not None
        made = []
        for n in range(12):
            received = (LONG_AGO if n < 8 else RECENT) + timedelta(hours=n // 2)
            t = ticket(customer.id, received, department=("voc_desk", "legal")[n % 2],
                       channel=("telegram", "console", "kakao")[n % 3])
            at = received + timedelta(hours=1)
            if n % 4 == 1:
                t.assign(at, "slack:U1", "김담당")
            if n % 4 == 2:
                t.request_supplement(at, "slack:U1", "영수증 사본이 필요합니다")
            if n == 3:
                t.extensions.append(Extension(Period(7, Unit.DAYS), ExtensionReason.FACT_CHECK, "현장 조사",
                                              False, at))
                t.pauses.append(Interval(at, at + timedelta(days=1)))
                t.arrived_at, t.legal_due_at = received - timedelta(hours=3), received + timedelta(days=10)
            if n in (4, 9):
                t.answer_with(at, "slack:U1", "환급해 드렸습니다")
            if n == 5:
                t.note(at, "slack:U1", "메모")
                t.answer_with(at, "slack:U1", "답변")
                t.close(at + timedelta(hours=1), "slack:U1", "완료")
            t.contact_phone = "010-1234-5678" if n % 3 == 0 else ""
            made.append((await uow.tickets.add(t)).number)
        await uow.commit()
    return made


FILTERS: list[dict[str, Any]] = [
    {}, {"status": Status.RECEIVED}, {"department": "legal"}, {"channel": "console"},
    {"department": "voc_desk", "channel": "kakao"}, {"open_only": True}, {"customer_id": 1},
    {"status": Status.ANSWERED, "department": "legal"},
]


def read(url: str, listing: Listing, limit: int | None, chunk: int) -> list[Ticket]:
    with open_reader(url) as reader:
        return list(reader.tickets(listing, limit=limit, chunk=chunk))


def show(url: str, numbers: list[str]) -> list[Ticket | None]:
    with open_reader(url) as reader:
        return [reader.ticket(n) for n in [*numbers, "VOC-2026-999999"]]


async def test_the_reader_reads_what_the_repository_reads(database_url: str, database: Database) -> None:
    numbers = await seed(database)
    now = datetime.now(UTC)
    async with database.uow() as uow:
        for filters in [*FILTERS, {"overdue_at": now}]:
            for limit, chunk in ((None, 1000), (None, 1), (5, 2), (500, 3)):
                expected = [t async for t in uow.tickets.stream(**filters, limit=limit, chunk=chunk)]
                found = await asyncio.to_thread(read, database_url, Listing(**filters), limit, chunk)
                assert found == expected, (filters, limit, chunk)
        assert len([t async for t in uow.tickets.stream()]) == len(numbers)
        shown = await asyncio.to_thread(show, database_url, numbers)
        assert shown == [*[await uow.tickets.get(n) for n in numbers], None]


async def test_the_reader_decodes_every_column_the_models_store_differently(database: Database) -> None:
    """The reader's list of instants, JSON documents and flags is the models' (a new column of those types in
    ``storage.models`` needs its place in ``storage.rows``)."""
    def typed(table: str, kind: str) -> set[str]:
        return {c.name for c in Base.metadata.tables[table].c if type(c.type).__name__ == kind}

    assert typed("tickets", "UtcDateTime") == TICKET_INSTANTS
    assert typed("tickets", "JSON") == TICKET_JSON
    assert typed("tickets", "Boolean") == TICKET_FLAGS
    assert typed("ticket_events", "UtcDateTime") == EVENT_INSTANTS
    assert typed("ticket_events", "JSON") == EVENT_JSON


def vocdesk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VOCDESK), "--config", str(config), *args], capture_output=True, text=True,
                          env=clean_environ({"COLUMNS": "200"}), timeout=300, encoding="utf-8")


async def as_before(database: Database, now: datetime, args: dict[str, Any], *, as_json: bool,
                    capsys: pytest.CaptureFixture[str]) -> str:
    """What ``tickets list`` printed when it listed through the repository (the code it replaced)."""
    overdue, most = args.pop("overdue", False), args.pop("limit", 500) or None
    async with database.uow() as uow:
        found = [t async for t in uow.tickets.stream(**args, overdue_at=now if overdue else None,
                                                      limit=None if overdue else most)]
    wanted = [t for t in found if not overdue or is_overdue(t, now)][:most]
    if as_json:
        out = io.StringIO()
        write_json_array((ticket_json(t, KST, now) for t in wanted), out)
        return out.getvalue()
    capsys.readouterr()
    print_table(TICKET_COLUMNS, [ticket_row(t, KST, now) for t in wanted], empty="no tickets")
    return capsys.readouterr().out


@pytest.mark.parametrize("args", [
    (), ("--status", "received"), ("--department", "legal"), ("--channel", "console"), ("--overdue",),
    ("--overdue", "--limit", "2"), ("--limit", "3"), ("--all",), ("--department", "legal", "--channel", "kakao"),
])
async def test_the_process_prints_byte_for_byte_what_the_repository_listing_printed(
        database_url: str, database: Database, tmp_path: Path, args: tuple[str, ...],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    await seed(database)
    config = write_config(tmp_path, database_url=database_url)
    options: dict[str, Any] = {}
    names = iter(args)
    for name in names:
        if name in ("--overdue", "--all"):
            options["overdue" if name == "--overdue" else "limit"] = True if name == "--overdue" else 0
        else:
            value = next(names)
            options[name[2:]] = Status(value) if name == "--status" else int(value) if name == "--limit" else value
    monkeypatch.setenv("COLUMNS", "200")
    for as_json in (True, False):
        done = await asyncio.to_thread(vocdesk, config, "tickets", "list", *args, *(["--json"] if as_json else []))
        assert done.returncode == 0, done.stderr
        expected = await as_before(database, datetime.now(UTC), dict(options), as_json=as_json, capsys=capsys)
        assert done.stdout == expected
        assert done.stdout.strip() not in ("[]", "no tickets")


async def test_show_reads_the_ticket_with_its_log(database_url: str, database: Database, tmp_path: Path) -> None:
    numbers = await seed(database)
    config = write_config(tmp_path, database_url=database_url)
    done = await asyncio.to_thread(vocdesk, config, "tickets", "show", numbers[3], "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["number"] == numbers[3] and shown["extensions"][0]["detail"] == "현장 조사"
    assert shown["arrived_at"] == "2025-03-03T07:30:00+09:00" and shown["contact_phone"] == "010-****-5678"
    missing = await asyncio.to_thread(vocdesk, config, "tickets", "show", "VOC-2026-999999")
    assert (missing.returncode, missing.stderr) == (2, "error: no ticket VOC-2026-999999\n")


async def test_a_database_behind_the_scripts_is_not_read(database_url: str, database: Database,
                                                         tmp_path: Path) -> None:
    await seed(database)
    async with database.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    with pytest.raises(SchemaNotCurrent) as behind:
        await asyncio.to_thread(open_reader, database_url)
    assert str(behind.value).endswith(f"is at schema revision 0001, this vocdesk needs {newest_script()}: "
                                      "run `vocdesk db upgrade`")
    config = write_config(tmp_path, database_url=database_url)
    done = await asyncio.to_thread(vocdesk, config, "tickets", "list", "--json")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: the database at ") and done.stderr.endswith("run `vocdesk db upgrade`\n")
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP TABLE alembic_version"))
    with pytest.raises(SchemaNotCurrent, match="has no vocdesk schema yet: run `vocdesk db upgrade`"):
        await asyncio.to_thread(open_reader, database_url)


def test_reading_a_missing_sqlite_database_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "var" / "vocdesk.db"
    with pytest.raises(SchemaNotCurrent, match=f"the database at {path} has no vocdesk schema yet"):
        open_reader(f"sqlite+aiosqlite:///{path}")
    assert not path.parent.exists()
