"""The service standard through the real ``vocdesk`` process: remedy cases listed and moved."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.casework.deadlines import Period, Unit
from bot.casework.tickets import Ticket
from bot.casework.workcalendar import WorkCalendar
from bot.config import load_config
from bot.conversation.classification import VocType
from bot.standard.remedy_desk import plan_remedy, store_remedy
from bot.standard.rules import RemedyRules
from tests.e2e.conftest import Run

KST = ZoneInfo("Asia/Seoul")
CAL = WorkCalendar.build()
AT = datetime(2026, 9, 22, 10, 0, tzinfo=KST)
pytestmark = pytest.mark.e2e


def file_with_remedies(config_file: Path, intents: list[str]) -> list[str]:
    """Arrange: tickets of ``intents`` stored with the remedy cases they open, as the dialogue stores them."""
    from storage.migrate import upgrade
    from storage.uow import Database

    config = load_config(config_file, {})
    rules = RemedyRules.from_settings(config.settings)

    async def go() -> list[str]:
        await upgrade(config.database_url)
        database = Database.from_url(config.database_url)
        numbers = []
        try:
            async with database.uow() as uow:
                for i, intent in enumerate(intents):
                    customer = await uow.customers.get_or_create("console", f"e2e-{i}")
                    ticket = Ticket.open(customer_id=customer.id or 0, channel="console", voc_type=VocType.COMPLAINT,
                                         intent=intent, department="service_quality", text="직원이 불친절했습니다",
                                         received_at=AT, policy=Period(7, Unit.DAYS), calendar=CAL, actor="customer")
                    terms = rules.for_intent(intent)
                    assert terms is not None
                    remedy = plan_remedy(ticket, terms, AT, CAL)
                    await uow.tickets.add(ticket)
                    await store_remedy(uow, ticket, remedy)
                    numbers.append(ticket.number)
                await uow.commit()
        finally:
            await database.close()
        return numbers

    return asyncio.run(go())


def test_remedies_are_listed_with_ticket_and_won_and_moved_by_act(vocdesk: Run, config_file: Path) -> None:
    first, second, third = file_with_remedies(config_file, ["unfriendly_service", "repeat_visit", "financial_damage"])
    listed = vocdesk("remedies", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    assert [(m["id"], m["number"], m["kind"], m["amount_won"], m["status"]) for m in items] == [
        (3, third, "damage", 0, "investigating"), (2, second, "accuracy", 10_000, "investigating"),
        (1, first, "kindness", 10_000, "investigating")]
    table = vocdesk("remedies", "list")
    assert first in table.stdout and "10,000원" in table.stdout

    assert vocdesk("remedies", "act", "2", "visits", "--visits", "3").returncode == 0
    moved = vocdesk("remedies", "act", "2", "approve", "--actor", "staff:kim", "--reason", "예약 누락 확인")
    assert moved.returncode == 0, moved.stderr
    assert "20,000원" in moved.stdout and "approved" in moved.stdout
    refused = vocdesk("remedies", "act", "1", "decide", "--decision", "upheld", "--reason", "x")
    assert refused.returncode == 2 and refused.stderr.startswith("error: remedy 1: decide refused")
    assert vocdesk("remedies", "act", "3", "refer", "--reason", "민원조정위원회 심의 요청").returncode == 0
    approved = json.loads(vocdesk("remedies", "list", "--status", "approved", "--json").stdout)
    assert [(m["number"], m["amount_won"], m["payout"]) for m in approved] == [(second, 20_000, "pending")]
    shown = json.loads(vocdesk("tickets", "show", second, "--json").stdout)
    assert [(e["actor"], e["data"]["remedy"]) for e in shown["events"] if e["action"] == "remedy"] == [
        ("system", "open"), ("staff:cli", "visits"), ("staff:kim", "approve")]
    bad = vocdesk("remedies", "list", "--status", "lost")
    assert bad.returncode == 2 and "unknown status" in bad.stderr


def rated(config_file: Path, ratings: list[int]) -> list[str]:
    """Arrange: answered tickets, invited and rated (a low rating offers the follow-up)."""
    from bot.standard.survey import invite
    from storage.migrate import upgrade
    from storage.uow import Database

    config = load_config(config_file, {})

    async def go() -> list[str]:
        await upgrade(config.database_url)
        database = Database.from_url(config.database_url)
        numbers = []
        try:
            async with database.uow() as uow:
                for i, rating in enumerate(ratings):
                    customer = await uow.customers.get_or_create("telegram", f"r-{i}")
                    ticket = Ticket.open(customer_id=customer.id or 0, channel="telegram", voc_type=VocType.INQUIRY,
                                         intent="general_inquiry", department="voc_desk", text="문의",
                                         received_at=AT, policy=Period(7, Unit.DAYS), calendar=CAL, actor="customer")
                    ticket.answer_with(AT, "staff:kim", "답변")
                    await uow.tickets.add(ticket)
                    survey = invite(number=ticket.number, ticket_id=ticket.id or 0, customer_id=customer.id or 0,
                                    channel="telegram", token=f"token-{i}-0123456789abcdef", now=AT, valid_days=30)
                    await uow.surveys.add(survey)
                    survey.rate(rating, "의견, \"따옴표\"" if i == 0 else "", AT, "web", 2)
                    await uow.surveys.save(survey)
                    numbers.append(ticket.number)
                await uow.commit()
        finally:
            await database.close()
        return numbers

    return asyncio.run(go())


def test_survey_export_csv_with_bom_and_json_and_a_reopen_from_a_low_rating(vocdesk: Run, config_file: Path,
                                                                            tmp_path: Path) -> None:
    good, low = rated(config_file, [5, 1])
    out = tmp_path / "out" / "survey-2026.csv"
    done = vocdesk("survey", "export", "--year", "2026", "--format", "csv", "--out", str(out))
    assert done.returncode == 0, done.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens Korean correctly
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "number,department,voc_type,channel,rating,comment,via,rated_at,invited_at,follow_up"
    assert lines[1].startswith(f'{good},voc_desk,inquiry,telegram,5,"의견, ""따옴표""",web,2026-09-22T10:00:00+09:00')
    assert lines[2].endswith(",offered") and len(lines) == 3
    as_json = json.loads(vocdesk("survey", "export", "--year", "2026", "--format", "json").stdout)
    assert [(r["number"], r["rating"]) for r in as_json] == [(good, 5), (low, 1)]
    assert json.loads(vocdesk("survey", "export", "--year", "2025", "--format", "json").stdout) == []
    reopened = vocdesk("survey", "reopen", low, "--actor", "staff:lee")
    assert reopened.returncode == 0 and "in_progress" in reopened.stdout
    again = vocdesk("survey", "reopen", good)
    assert again.returncode == 2 and "no follow-up was offered" in again.stderr


def test_the_report_of_the_real_process_in_json_csv_and_html(vocdesk: Run, config_file: Path, tmp_path: Path) -> None:
    import random

    from storage.migrate import upgrade
    from storage.uow import Database
    from tests.integration.test_report import expected, seeded, store

    made = seeded(random.Random(15), 120)
    url = load_config(config_file, {}).database_url

    async def arrange() -> None:
        await upgrade(url)
        database = Database.from_url(url)
        try:
            await store(database, made)
        finally:
            await database.close()

    asyncio.run(arrange())
    done = vocdesk("report", "--period", "2026H2", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    from datetime import date

    want = expected(made, date(2026, 7, 1), date(2026, 12, 31))
    assert report["total"] == want["total"] and report["answered"] == want["answered"]
    assert report["by_type"] == dict(want["by_type"]) and report["on_time_rate"] == want["on_time_rate"]
    for key in ("total", "by_type", "by_intent", "by_department", "by_channel", "on_time_rate",
                "median_processing_days", "overdue", "extensions", "satisfaction", "remedies", "topics"):
        assert key in report
    same = json.loads(vocdesk("report", "--from", "2026-07-01", "--to", "2026-12-31", "--format", "json").stdout)
    assert same["by_intent"] == report["by_intent"]
    legal = json.loads(vocdesk("report", "--period", "2026H2", "--department", "legal", "--format", "json").stdout)
    assert set(legal["by_department"]) <= {"legal"}

    csv_out = tmp_path / "report.csv"
    assert vocdesk("report", "--period", "2026H2", "--format", "csv", "--out", str(csv_out)).returncode == 0
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbfsection,key,value")
    html_out = tmp_path / "report.html"
    assert vocdesk("report", "--period", "2026H2", "--format", "html", "--out", str(html_out)).returncode == 0
    page = html_out.read_text(encoding="utf-8")
    assert "기한 내 처리율" in page and "<svg" in page and "유형별" in page and "<script" not in page
    bad = vocdesk("report", "--period", "2026H3")
    assert bad.returncode == 2 and "half year" in bad.stderr
    render_png(html_out)


def render_png(page: Path) -> None:
    """A picture of the HTML report, as a department head would see it (tests/artifacts/report.png), through
    headless Chromium; skipped with the reason when Chromium or Playwright is missing."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("no /usr/bin/chromium: the report's picture is not rendered (apt install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    artifacts = Path(__file__).resolve().parents[1] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            tab = browser.new_page(viewport={"width": 1100, "height": 900})
            tab.goto(page.as_uri())
            tab.screenshot(path=str(artifacts / "report.png"), full_page=True)
        finally:
            browser.close()
    assert (artifacts / "report.png").stat().st_size > 10_000


def test_demo_seed_drives_the_lifecycle_and_the_report_reads_it(vocdesk: Run) -> None:
    seeded = vocdesk("demo", "seed", "--tickets", "40")
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stdout.startswith("seeded 40 tickets")
    tickets = json.loads(vocdesk("tickets", "list", "--all", "--json").stdout)
    assert len(tickets) == 40 and len({t["channel"] for t in tickets}) > 1
    events = {e["action"] for t in tickets for e in t["events"]}
    assert {"receive", "assign", "start", "answer"} <= events  # the engine's own events, at simulated instants
    received = sorted(t["received_at"] for t in tickets)
    report = json.loads(vocdesk("report", "--from", received[0][:10], "--to", received[-1][:10],
                                "--format", "json").stdout)
    assert report["total"] == 40 and report["answered"] > 20 and report["satisfaction"]["responses"] > 0
