"""Personal numbers sent through every path never reach the database, on SQLite and PostgreSQL (issue 8):
every row of every table is read back and searched; only the contact-phone columns may hold the number the
customer gave for notices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from bot.casework.staff import Staff, StaffAction
from bot.conversation.messages import Inbound
from storage.models import Base
from storage.uow import Database
from tests.fakes import KST
from tests.integration.test_dialogue_db import CLASSIFIER, SETTINGS, dialogue_on

RRN, CARD, ACCOUNT, PHONE = "900101-1234567", "4111 1111 1111 1111", "110-123-456789", "010-9876-5432"
CONTACT = "010-5555-6666"
CARRIER = f"직원이 불친절했어요. 주민번호 {RRN}, 카드 {CARD}, 계좌 {ACCOUNT}, 폰 {PHONE}"


def forms(raw: str) -> set[str]:
    """The value as typed and as its bare digits."""
    return {raw, "".join(ch for ch in raw if ch.isdigit())}


async def test_no_raw_personal_number_is_stored_on_any_path(database: Database) -> None:
    assert CLASSIFIER  # the scripted classifier reads "불친절" as an unfriendly-service complaint
    d = dialogue_on(database, datetime(2026, 9, 22, 10, 0, tzinfo=KST))

    async def say(user: str, text: str = "", choice: str | None = None) -> None:
        await d.handle(Inbound("web", user, text=text, choice=choice))

    await say("a", "/start")
    await say("a", choice="consent:yes")
    await say("a", CARRIER)                       # a new ticket
    await say("a", choice="confirm:yes")
    await say("a", CONTACT)                       # the contact number: kept whole
    await say("a", "추가로 " + CARRIER)             # text appended to the open ticket
    await say("a", choice="append:VOC-2026-000001")
    await say("b", CARRIER)                       # before consent: nothing kept
    await say("c", "/start")
    await say("c", choice="consent:yes")
    await say("c", CARRIER)                       # an abandoned draft
    await say("d", "/start")
    await say("d", choice="consent:yes")
    await say("d", CARRIER)
    await say("d", "상담원 연결")                    # a hand-off with the draft
    staff = Staff(database.uow, d.deps.calendar, d.deps.clock, frozenset(SETTINGS.departments))
    await staff.act("VOC-2026-000001", StaffAction("request-supplement", "staff:kim", reason=f"카드 {CARD} 확인"))
    await staff.act("VOC-2026-000001", StaffAction("supplement", "staff:kim"))
    await staff.act("VOC-2026-000001", StaffAction("answer", "staff:kim", answer=f"{PHONE}로 연락드렸습니다 {RRN}"))

    found: list[str] = []
    async with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = (await connection.execute(text(f"SELECT * FROM {table.name}"))).mappings().all()
            for row in rows:
                for column, value in row.items():
                    cell = str(value)
                    leaks = [raw for raw in (RRN, CARD, ACCOUNT, PHONE) for f in forms(raw) if f in cell]
                    found += [f"{table.name}.{column}: {leak}" for leak in leaks]
                    if CONTACT in cell and column not in ("phone", "contact_phone"):
                        found.append(f"{table.name}.{column}: contact phone outside its column")
    assert found == []
