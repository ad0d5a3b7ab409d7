"""The PII search of issue 8 through the real process: messages carrying each kind of number go through every
path (new ticket, append, abandoned draft, hand-off, staff answer); then the database files, every CLI output
and the outbox are searched for the raw values. Only the contact phone column may hold the number given for
notices, and no listing shows it unless a staff member reveals it (which is audited)."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

from tests.e2e.conftest import Run

RRN, CARD, ACCOUNT, PHONE = "900101-1234567", "4111 1111 1111 1111", "110-123-456789", "010-9876-5432"
CONTACT = "010-5555-6666"
CARRIER = f"창구 직원이 너무 불친절했어요. 주민번호 {RRN}, 카드 {CARD}, 계좌 {ACCOUNT}, 폰 {PHONE}"


def forms(raw: str) -> set[str]:
    return {raw, "".join(ch for ch in raw if ch.isdigit())}


def leaks(blob: str | bytes) -> list[str]:
    data = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    return [raw for raw in (RRN, CARD, ACCOUNT, PHONE) if any(f in data for f in forms(raw))]


def test_personal_numbers_are_nowhere_but_the_contact_column(vocdesk: Run, config_file: Path) -> None:
    lines = "\n".join
    filed = vocdesk("chat", "--user", "a", stdin=lines(["/start", "1", CARRIER, "1", CONTACT]) + "\n")
    assert filed.returncode == 0, filed.stderr
    assert "주민등록번호" in filed.stdout and "VOC-2026-" in filed.stdout
    assert not leaks(filed.stdout.replace(CARRIER, ""))  # the bot never echoes a raw number back
    number = filed.stdout.split("접수번호: ")[1].split()[0]
    appended = vocdesk("chat", "--user", "a", stdin=lines(["추가로 " + CARRIER, "1"]) + "\n")
    assert "추가했습니다" in appended.stdout, appended.stdout
    vocdesk("chat", "--user", "b", stdin=CARRIER + "\n")                                 # no consent
    vocdesk("chat", "--user", "c", stdin=lines(["/start", "1", CARRIER]) + "\n")           # abandoned draft
    vocdesk("chat", "--user", "d", stdin=lines(["/start", "1", CARRIER, "상담원 연결"]) + "\n")  # hand-off
    answered = vocdesk("tickets", "act", number, "answer", "--actor", "staff:kim",
                       "--answer", f"{PHONE}로 연락드렸습니다. {RRN} 확인")
    assert answered.returncode == 0, answered.stderr

    outputs = [vocdesk(*args) for args in (
        ("tickets", "list"), ("tickets", "list", "--json"), ("tickets", "show", number),
        ("tickets", "show", number, "--json"), ("handoffs", "list"), ("handoffs", "list", "--json"),
    )]
    for out in outputs:
        assert out.returncode == 0, out.stderr
        assert not leaks(out.stdout + out.stderr), out.args
        assert CONTACT not in out.stdout
    handoffs = json.loads(outputs[-1].stdout)
    assert len(handoffs) == 1 and "****-****-****-1111" in handoffs[0]["text"]

    db = config_file.parent / "vocdesk.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    files = [p for p in db.parent.iterdir() if p.name.startswith("vocdesk.db")]
    assert not [f.name for f in files if leaks(f.read_bytes())]
    with sqlite3.connect(db) as connection:
        outbox = connection.execute("SELECT payload FROM outbox").fetchall()
        contact_cells = connection.execute(
            "SELECT count(*) FROM customers WHERE phone = ?", (CONTACT,)).fetchone()
    assert outbox and not leaks(json.dumps(outbox, ensure_ascii=False))
    assert contact_cells == (1,)

    revealed = vocdesk("tickets", "show", number, "--reveal-phone", "--actor", "staff:lee")
    assert revealed.returncode == 0, revealed.stderr
    assert CONTACT in revealed.stdout
    audit = json.loads(vocdesk("tickets", "show", number, "--json").stdout)
    assert any(e["action"] == "reveal_contact" and e["actor"] == "staff:lee" for e in audit["events"])
