"""Notices through the real ``vocdesk`` process: a terminal-chat customer's AlimTalks from ``dispatch --once``
against the fake SOLAPI, ``outbox list`` / ``outbox retry``, ``sweep --now``, and a bad templates file."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import Run
from tests.e2e.test_chat_e2e import CONVERSATION
from tests.fake_solapi import FakeSolapi, fake_solapi
from tests.notice_support import SOLAPI_ENV, notify_toml

pytestmark = pytest.mark.e2e


@pytest.fixture
def fake() -> Iterator[FakeSolapi]:
    with fake_solapi() as server:
        yield server


@pytest.fixture
def desk(vocdesk: Run, config_file: Path, fake: FakeSolapi) -> Run:
    """``vocdesk`` with ``[notify] provider = "solapi"`` (no quiet hours) at the fake, and its keys set. These tests
    follow the ticket's own notices: no remedy case opens, no survey invites (tests/e2e/test_standard_e2e.py)."""
    text = config_file.read_text(encoding="utf-8").replace('remedy = "kindness"', "")
    config_file.write_text(text.replace("[survey]\nenabled = true", "[survey]\nenabled = false"), encoding="utf-8")
    with config_file.open("a", encoding="utf-8") as out:
        out.write("\n" + notify_toml(solapi_url=fake.base_url))

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return vocdesk(*args, stdin=stdin, env=SOLAPI_ENV)

    return run


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def accepted(fake: FakeSolapi) -> list[tuple[str, str, str]]:
    return [(m["type"], m["to"], m.get("kakaoOptions", {}).get("templateId", "")) for m in fake.accepted]


def test_a_chat_customer_gets_their_alimtalks_from_dispatch(desk: Run, fake: FakeSolapi) -> None:
    ok(desk("chat", stdin=CONVERSATION))  # a complaint, with the mobile number 010-1234-5678
    (ticket,) = json.loads(ok(desk("tickets", "list", "--json")))
    number = ticket["number"]

    first = desk("dispatch", "--once")
    assert first.returncode == 0, first.stderr
    assert "dispatched: 1 events, 2 sent, 0 to retry, 0 dead" in first.stderr
    assert accepted(fake) == [("ATA", "01012345678", "VOC_RECEIPT")]
    receipt = fake.accepted[0]["kakaoOptions"]["variables"]
    assert receipt["#{접수번호}"] == number and "불친절 신고" in receipt["#{유형}"]
    assert f"[직원 알림 → service_quality] {number}" in first.stdout  # the staff alert (console until Slack)
    assert "010-1234-5678" not in first.stdout + first.stderr

    # 31 days later the ticket is still open: one progress notice; the same sweep again queues nothing
    at = (datetime.fromisoformat(ticket["received_at"]) + timedelta(days=31)).isoformat()
    assert "swept: 1 progress notices, 1 deadline warnings" in ok(desk("sweep", "--now", at))
    assert "swept: 0 progress notices, 0 deadline warnings, 0 digests" in ok(desk("sweep", "--now", at))
    later = desk("dispatch", "--once")
    assert "0 dead" in later.stderr
    # no SLACK_BOT_TOKEN: the overdue warning and its escalation are on the console
    assert later.stdout.count(f"🚨 {number}: 처리기한이 지났습니다") == 2, later.stdout
    assert accepted(fake)[-1] == ("ATA", "01012345678", "VOC_PROGRESS")
    assert fake.accepted[-1]["kakaoOptions"]["variables"]["#{경과일}"] == "30"

    # the answer: SOLAPI refuses it for good (a 400): dead, staff told; sent again after `outbox retry`
    ok(desk("tickets", "act", number, "answer", "--answer", "창구 직원 교육을 마쳤습니다. 불편을 드려 죄송합니다."))
    fake.statuses.append((400, {}))
    refused = desk("dispatch", "--once")
    assert "0 to retry, 1 dead" in refused.stderr, refused.stderr  # (+ the staff's thread message and dead letter)
    assert f"알림 전달 실패 {number} [answered]: SOLAPI HTTP 400" in refused.stdout
    (dead,) = json.loads(ok(desk("outbox", "list", "--status", "dead", "--json")))
    assert (dead["kind"], dead["number"], dead["sink"], dead["attempts"]) == ("answered", number, "sms", 1)
    assert "will be sent again" in ok(desk("outbox", "retry", str(dead["id"])))
    again = desk("outbox", "retry", str(dead["id"]))
    assert again.returncode == 2 and "no dead delivery" in again.stderr

    assert "0 events, 1 sent" in desk("dispatch", "--once").stderr
    assert accepted(fake)[-1] == ("ATA", "01012345678", "VOC_ANSWERED")
    assert "창구 직원 교육을 마쳤습니다" in fake.accepted[-1]["kakaoOptions"]["variables"]["#{답변}"]
    assert "0 events, 0 sent" in desk("dispatch", "--once").stderr  # nothing twice
    assert list(fake.delivered().values()) == [1, 1, 1]

    rows = json.loads(ok(desk("outbox", "list", "--json")))
    states = {(r["subscriber"], r["kind"], r["state"]) for r in rows}
    assert sorted(s for s in states if s[0] == "customer") == [
        ("customer", "answered", "sent"), ("customer", "progress", "sent"), ("customer", "ticket_opened", "sent")]
    assert {("staff", "delivery_dead", "sent"), ("staff", "ticket_opened", "sent")} <= states
    assert json.loads(ok(desk("outbox", "list", "--status", "dead", "--json"))) == []
    table = ok(desk("outbox", "list"))
    assert number in table and "delivery_dead" in table
    bad = desk("outbox", "list", "--status", "lost")
    assert bad.returncode == 2 and "use one of pending, sent, dead" in bad.stderr


BAD = '[ko.ticket_opened]\nalimtalk = "VOC_RECEIPT"\ntext = "#{접수번호} 담당 #{담당자}"\nsms = "#{접수번호}"\n'


def test_a_templates_file_with_a_variable_the_notice_lacks_is_a_config_error(
        vocdesk: Run, config_file: Path) -> None:
    builtin = (Path(__file__).resolve().parents[2] / "bot" / "notices" / "templates.toml").read_text(encoding="utf-8")
    start, end = builtin.index("[ko.ticket_opened]"), builtin.index("[ko.supplement_requested]")
    (config_file.parent / "notices.toml").write_text(builtin[:start] + BAD + builtin[end:], encoding="utf-8")
    with config_file.open("a", encoding="utf-8") as out:
        out.write("\n" + notify_toml(templates="notices.toml"))
    for args in (("config", "check"), ("dispatch", "--once")):
        done = vocdesk(*args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "notices.toml: ko.ticket_opened.text: unknown variable #{담당자}" in done.stderr
        assert "Traceback" not in done.stderr


def test_solapi_without_its_keys_is_a_config_error_naming_the_variable(
        vocdesk: Run, config_file: Path, fake: FakeSolapi) -> None:
    with config_file.open("a", encoding="utf-8") as out:
        out.write("\n" + notify_toml(solapi_url=fake.base_url))
    done = vocdesk("dispatch", "--once", env={"SOLAPI_API_KEY": "k"})
    assert done.returncode == 2 and "SOLAPI_API_SECRET" in done.stderr and "Traceback" not in done.stderr
