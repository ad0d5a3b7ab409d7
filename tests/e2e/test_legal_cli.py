"""The legal clocks through the real ``vocdesk`` process: ``sla due`` with pauses and both 정보공개 readings,
and a stopped clock on a ticket (``tickets act … pause/resume``, ``tickets show``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.casework.deadlines import Period, Unit
from bot.casework.tickets import Ticket
from bot.casework.workcalendar import WorkCalendar
from bot.conversation.classification import VocType
from tests.e2e.conftest import Run, seed

KST = ZoneInfo("Asia/Seoul")


def test_sla_due_shows_a_supplement_pause_on_an_hour_counted_period(vocdesk: Run) -> None:
    """행정절차법 시행령 제11조제1호: Tue 14:00 → Wed 11:00 stops both days: due Mon 10:00, not Thu 17:00."""
    done = vocdesk("sla", "due", "--received", "2026-11-16T10:00", "--period", "3", "--unit", "days",
                   "--pause", "2026-11-17T14:00/2026-11-18T11:00")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "2026-11-23T10:00:00+09:00  (3일, 2026년 11월 23일(월) 10:00까지)"
    assert lines[2].startswith("clock stopped: 2026-11-17T14:00:00+09:00 → 2026-11-18T11:00:00+09:00  (보완")
    outage = json.loads(vocdesk("sla", "due", "--received", "2026-11-16T10:00", "--period", "3", "--unit", "days",
                                "--pause", "2026-11-17T14:00/2026-11-18T11:00", "--stop", "outage",
                                "--json").stdout)
    assert (outage["due_at"], outage["pauses"][0]["article"]) == ("2026-11-19T17:00:00+09:00",
                                                                  "민원처리법 시행령 제20조제2호")


def test_sla_due_shows_both_disclosure_readings_and_the_legal_end(vocdesk: Run) -> None:
    """정보공개법 제11조: 민원 counting and the 민법 reading (the legal default), five working days apart over
    추석 2027; the earlier alerts. 제18조①: objection possible once 20 days have passed."""
    done = vocdesk("sla", "due", "--received", "2027-09-09T10:00", "--intent", "disclosure_request", "--json")
    assert done.returncode == 0, done.stderr
    due = json.loads(done.stdout)
    assert due["readings"] == {"minwon": "2027-09-27T18:00:00+09:00", "civil": "2027-09-20T18:00:00+09:00"}
    assert (due["due_at"], due["legal_end"], due["objection_from"]) == (
        "2027-09-20T18:00:00+09:00", "2027-09-21T00:00:00+09:00", "2027-09-30T00:00:00+09:00")
    text = vocdesk("sla", "due", "--received", "2026-09-22T10:00", "--period", "7", "--unit", "days").stdout
    assert text.splitlines()[1].startswith("legal end: 2026-10-02 24:00+09:00")


def test_a_stopped_clock_through_tickets_act_and_show(vocdesk: Run, config_file: Path) -> None:
    received = datetime.now(KST) - timedelta(hours=1)
    ticket = Ticket.open(customer_id=0, channel="console", voc_type=VocType.COMPLAINT, intent="delay_complaint",
                         department="service_quality", text="처리가 늦어요", received_at=received,
                         policy=Period(7, Unit.DAYS), calendar=WorkCalendar.build(), actor="customer")
    (number,) = seed(config_file, [ticket])
    missing = vocdesk("tickets", "act", number, "pause", "--reason", "전산 장애")
    assert missing.returncode == 2 and "--stop (transit," in missing.stderr
    paused = vocdesk("tickets", "act", number, "pause", "--stop", "outage", "--reason", "전산 장애")
    assert paused.returncode == 0, paused.stderr
    assert "처리기한 시계 정지 중 (정보시스템 장애" in paused.stdout
    shown = json.loads(vocdesk("tickets", "show", number, "--json").stdout)
    assert shown["clock"] == "stopped" and shown["events"][-1]["data"]["article"] == "민원처리법 시행령 제20조제2호"
    table = vocdesk("tickets", "show", number, env={"COLUMNS": "200"}).stdout
    assert "시계 정지: 정보시스템 장애 — 민원처리법 시행령 제20조제2호" in table and "legal_due_text" in table
    resumed = vocdesk("tickets", "act", number, "resume")
    assert resumed.returncode == 0, resumed.stderr
    after = json.loads(vocdesk("tickets", "show", number, "--json").stdout)
    assert after["clock"] == "running" and after["legal_due_text"].endswith("24:00+09:00")
    refused = vocdesk("tickets", "act", number, "resume")
    assert refused.returncode == 2 and "the clock is not stopped" in refused.stderr
