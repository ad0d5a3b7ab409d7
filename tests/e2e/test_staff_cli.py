"""The staff commands of the real ``vocdesk`` process: listing, showing, acting, setting up, and bad input."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.casework.deadlines import Period, Unit
from bot.casework.tickets import Ticket
from bot.casework.workcalendar import WorkCalendar
from bot.conversation.classification import VocType
from tests.e2e.conftest import VOCDESK, Run, clean_environ, seed

KST = ZoneInfo("Asia/Seoul")
CAL = WorkCalendar.build()
LONG_AGO = datetime(2025, 1, 6, 10, 0, tzinfo=KST)


def ticket(received: datetime, *, channel: str = "console", intent: str = "general_inquiry",
           department: str = "voc_desk", phone: str = "") -> Ticket:
    return Ticket.open(customer_id=0, channel=channel, voc_type=VocType.INQUIRY, intent=intent,
                       department=department, text="보증료 환급 절차가 궁금합니다", received_at=received,
                       policy=Period(7, Unit.DAYS), calendar=CAL, actor="customer", contact_phone=phone)


@pytest.fixture
def three(config_file: Path) -> list[str]:
    """An overdue open ticket, a fresh assigned one on Telegram for legal, and an answered old one."""
    overdue = ticket(LONG_AGO, phone="010-1111-2222")
    overdue.add_customer_message(LONG_AGO + timedelta(hours=1), "customer", "지난주에 서류도 냈습니다")
    overdue.request_supplement(LONG_AGO + timedelta(hours=2), "staff:kim", "환급 계좌 사본")
    overdue.supplement(LONG_AGO + timedelta(hours=3), "customer", CAL, "사본 보냅니다")
    fresh = ticket(datetime.now(KST) - timedelta(hours=1), channel="telegram", intent="statute_question",
                   department="legal")
    fresh.assign(fresh.received_at, "staff:lee", "김민수")
    answered = ticket(LONG_AGO + timedelta(days=1), department="service_quality")
    answered.answer_with(LONG_AGO + timedelta(days=2), "staff:kim", "환급해 드렸습니다")
    return seed(config_file, [overdue, answered, fresh])


def listed(vocdesk: Run, *args: str) -> list[str]:
    done = vocdesk("tickets", "list", "--json", *args)
    assert done.returncode == 0, done.stderr
    return [t["number"] for t in json.loads(done.stdout)]


def test_tickets_list_at_80_columns_keeps_every_number_whole(vocdesk: Run, three: list[str]) -> None:
    done = vocdesk("tickets", "list", env={"COLUMNS": "80"})  # piped, 80 columns
    assert done.returncode == 0, done.stderr
    for number in three:
        assert number in done.stdout
    header = done.stdout.splitlines()[0].split()
    assert {"number", "assignee", "overdue"} <= set(header)
    assert done.stdout.count("지연") == 1 and "김민수" in done.stdout


def test_tickets_list_filters(vocdesk: Run, three: list[str]) -> None:
    overdue, answered, fresh = three
    assert listed(vocdesk) == [fresh, answered, overdue]  # newest first
    assert listed(vocdesk, "--department", "legal") == [fresh]
    assert listed(vocdesk, "--channel", "telegram") == [fresh]
    assert listed(vocdesk, "--channel", "console", "--overdue") == [overdue]
    assert listed(vocdesk, "--limit", "1") == [fresh]
    assert listed(vocdesk, "--limit", "0") == listed(vocdesk, "--all") == [fresh, answered, overdue]
    assert listed(vocdesk, "--status", "answered") == [answered]
    tickets = json.loads(vocdesk("tickets", "list", "--json").stdout)
    assert [t["overdue"] for t in tickets] == [False, False, True]
    assert all(t["received_at"].endswith("+09:00") for t in tickets)
    unknown = vocdesk("tickets", "list", "--department", "nowhere")
    assert unknown.returncode == 2 and unknown.stderr.startswith("error: unknown department 'nowhere'")


def test_tickets_list_json_on_an_empty_database(vocdesk: Run, config_file: Path) -> None:
    missing = vocdesk("tickets", "list", "--json")  # reading never creates nor migrates the database
    where = config_file.parent.resolve() / "vocdesk.db"
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == f"error: the database at {where} has no vocdesk schema yet: run `vocdesk db upgrade`\n"
    assert not where.exists()
    assert vocdesk("db", "upgrade").returncode == 0
    done = vocdesk("tickets", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert vocdesk("tickets", "list").stdout.strip() == "no tickets"


def test_tickets_show_uses_the_institutions_time_zone_and_shows_the_customers_words(
        vocdesk: Run, three: list[str]) -> None:
    number = three[0]
    shown = json.loads(vocdesk("tickets", "show", number, "--json").stdout)
    assert shown["received_at"] == "2025-01-06T10:00:00+09:00"
    assert [e["at"] for e in shown["events"]][:2] == ["2025-01-06T10:00:00+09:00", "2025-01-06T11:00:00+09:00"]
    assert all(e["at"].endswith("+09:00") for e in shown["events"])
    assert shown["events"][1]["text"] == "지난주에 서류도 냈습니다"
    assert shown["contact_phone"] == "010-****-2222"

    table = vocdesk("tickets", "show", number, env={"COLUMNS": "200"})
    assert table.returncode == 0, table.stderr
    assert "2025-01-06 11:00+09:00" in table.stdout and "+00:00" not in table.stdout
    for words in ("지난주에 서류도 냈습니다", "환급 계좌 사본", "사본 보냅니다"):
        assert words in table.stdout
    assert "010-1111-2222" not in table.stdout


def test_revealing_the_phone_needs_an_actor_and_is_recorded(vocdesk: Run, three: list[str]) -> None:
    number = three[0]
    refused = vocdesk("tickets", "show", number, "--reveal-phone")
    assert refused.returncode == 2 and "--actor" in refused.stderr
    revealed = vocdesk("tickets", "show", number, "--reveal-phone", "--actor", "staff:park")
    assert revealed.returncode == 0, revealed.stderr
    assert "010-1111-2222" in revealed.stdout
    events = json.loads(vocdesk("tickets", "show", number, "--json").stdout)["events"]
    assert (events[-1]["action"], events[-1]["actor"]) == ("reveal_contact", "staff:park")


def test_staff_actions_say_what_is_missing(vocdesk: Run, three: list[str]) -> None:
    fresh = three[2]
    no_to = vocdesk("tickets", "act", fresh, "transfer", "--reason", "법령 해석")
    assert no_to.returncode == 2
    assert no_to.stderr.startswith("error: transfer needs --to (")
    no_code = vocdesk("tickets", "act", fresh, "extend", "--reason", "현장 조사")
    assert no_code.returncode == 2 and "--reason-code" in no_code.stderr
    assert vocdesk("tickets", "act", fresh, "start", "--actor", "staff:kim").returncode == 0
    moved = vocdesk("tickets", "act", fresh, "assign", "--assignee", "박지훈")
    assert moved.returncode == 0, moved.stderr
    assert "(in_progress)" in moved.stdout
    shown = json.loads(vocdesk("tickets", "show", fresh, "--json").stdout)
    assert (shown["status"], shown["assignee"]) == ("in_progress", "박지훈")
    assert shown["events"][-1]["action"] == "assign"


def test_help_shows_flags_and_what_each_action_needs(vocdesk: Run) -> None:
    act = vocdesk("tickets", "act", "--help")
    assert act.returncode == 0
    lines = [" ".join(line.split()) for line in act.stdout.splitlines()]
    assert "extend --reason --reason-code [--period] [--consent] [--officer] [--contact]" in lines
    assert "transfer --to --reason [--far]" in lines
    assert "pause --stop --reason" in lines
    listing = vocdesk("tickets", "list", "--help").stdout
    assert "<bool>" not in listing
    assert any(line.split()[:1] == ["--json"] for line in listing.splitlines())
    assert "<bool>" not in vocdesk("--help").stdout


def test_config_may_come_after_the_command_and_there_is_a_version(vocdesk: Run, config_file: Path) -> None:
    assert vocdesk("db", "upgrade", "--config", str(config_file), bare=True).returncode == 0
    after = vocdesk("tickets", "list", "--json", "--config", str(config_file), bare=True)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == []
    equals = vocdesk("config", "check", f"--config={config_file}", bare=True)
    assert equals.returncode == 0 and "OK" in equals.stdout
    version = vocdesk("--version", bare=True)
    assert version.returncode == 0 and version.stdout.startswith("vocdesk 0.")


@pytest.mark.parametrize("args", [
    ("sla", "due", "--received", "2026-01-05T10:00", "--period", "0", "--unit", "days"),
    ("sla", "due", "--received", "2026-01-05T10:00", "--period", "100000", "--unit", "years"),
    ("sla", "due", "--received", "9999-12-30T10:00", "--period", "7", "--unit", "days"),
    ("sla", "due", "--received", "2026-01-05T10:00", "--period", "3", "--unit", "hours", "--regime", "civil"),
    ("sla", "due", "--received", "어제", "--period", "7", "--unit", "days"),
    ("sla", "due", "--received", "2026-01-05T10:00", "--unit", "fortnights"),
    ("tickets", "list", "--json", "true"),
    ("tickets", "list", "--limit", "-1"),
    ("tickets", "list", "--status", "lost"),
    ("tickets", "show", "VOC-2026-999999"),
    ("tickets", "act", "VOC-2026-999999", "teleport"),
    ("tickets", "list", "--no-such-option"),
    ("no-such-command",),
])
def test_bad_input_is_one_error_line(vocdesk: Run, args: tuple[str, ...]) -> None:
    done = vocdesk(*args)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert done.stdout == ""


def test_db_upgrade_says_what_it_did(vocdesk: Run, config_file: Path) -> None:
    first = vocdesk("db", "upgrade")
    assert first.returncode == 0, first.stderr
    where = config_file.parent.resolve() / "vocdesk.db"
    assert first.stdout.startswith(f"created the database at {where} (schema revision ")
    again = vocdesk("db", "upgrade")
    assert again.stdout.startswith(f"the database at {where} is already up to date")


def test_handoffs_list_help(vocdesk: Run) -> None:
    done = vocdesk("handoffs", "list", "--help")
    assert done.returncode == 0 and "--include-done" in done.stdout


def test_handoffs_list_on_an_empty_database(vocdesk: Run) -> None:
    done = vocdesk("handoffs", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


RSS_OF_CHILD = """
import resource, subprocess, sys
with open(sys.argv[1], "w", encoding="utf-8") as out:
    code = subprocess.run(sys.argv[2:], stdout=out).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_kib(out: Path, *args: str) -> int:
    """Run ``vocdesk`` under a fresh watcher process and return the peak resident memory of that run."""
    done = subprocess.run([sys.executable, "-c", RSS_OF_CHILD, str(out), str(VOCDESK), *args],
                          capture_output=True, text=True, env=clean_environ(), timeout=600, check=True)
    code, peak = map(int, done.stdout.split())
    assert code == 0
    return peak // (1024 if sys.platform == "darwin" else 1)  # macOS reports bytes


def test_a_json_listing_of_any_size_runs_in_bounded_memory(config_file: Path, tmp_path: Path) -> None:
    """20,000 tickets are listed with about the memory of 10 (a list of them all would take ~150 MiB more)."""
    (number,) = seed(config_file, [ticket(LONG_AGO)])
    many = 20_000
    with sqlite3.connect(config_file.parent / "vocdesk.db") as db:  # copies of the seeded rows, quickly
        columns = [row[1] for row in db.execute("PRAGMA table_info(tickets)") if row[1] not in ("id", "number")]
        db.execute(f"""WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i <= {many - 1})
                       INSERT INTO tickets (number, {", ".join(columns)})
                       SELECT printf('VOC-2025-%06d', i), {", ".join(columns)} FROM n, tickets WHERE number = ?""",
                   (number,))
        db.execute("""INSERT INTO ticket_events (ticket_id, at, actor, action, from_status, to_status, reason, data)
                      SELECT t.id, e.at, e.actor, e.action, e.from_status, e.to_status, e.reason, e.data
                      FROM tickets t JOIN ticket_events e ON e.ticket_id = 1 WHERE t.id > 1""")
    config = ("--config", str(config_file), "tickets", "list", "--json")
    few = peak_rss_kib(tmp_path / "few.json", *config, "--limit", "10")
    every = peak_rss_kib(tmp_path / "all.json", *config, "--all")
    lines = (tmp_path / "all.json").read_text(encoding="utf-8").splitlines()
    assert len(lines) == many + 2 and (lines[0], lines[-1]) == ("[", "]")
    assert json.loads(lines[1].rstrip(","))["number"] == f"VOC-2025-{many:06d}"  # same instant: newest id first
    assert json.loads(lines[-2])["number"] == number
    assert every - few < 40 * 1024, f"{few // 1024} MiB for 10 tickets, {every // 1024} MiB for {many}"
