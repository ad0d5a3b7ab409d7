"""Staff alerts end to end: the real ``vocdesk`` process (chat, dispatch, sweep) with SLACK_BOT_TOKEN and
``[slack] base_url`` pointing at the fake Slack Web API on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import Run
from tests.e2e.test_chat_e2e import CONVERSATION
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, fake_slack

CS, ESCALATION = FakeSlack.channel_id("#voc-cs"), FakeSlack.channel_id("#voc-escalation")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with fake_slack() as server:
        yield server


@pytest.fixture
def slack_config(config_file: Path, fake: FakeSlack) -> Path:
    text = config_file.read_text(encoding="utf-8")
    old = 'base_url = "https://slack.com/api/"'
    assert old in text
    config_file.write_text(text.replace(old, f'base_url = "{fake.base_url}"'), encoding="utf-8")
    return config_file


def test_a_ticket_reaches_slack_and_the_ladder_warns_in_its_thread_then_escalates(
        vocdesk: Run, slack_config: Path, fake: FakeSlack) -> None:
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    assert vocdesk("chat", stdin=CONVERSATION).returncode == 0
    (ticket,) = json.loads(vocdesk("tickets", "list", "--json").stdout)
    number, due = ticket["number"], datetime.fromisoformat(ticket["due_at"])

    dispatched = vocdesk("dispatch", "--once", env=env)
    assert dispatched.returncode == 0, dispatched.stderr
    (card,) = fake.in_channel(CS)
    assert number in card.text and "불친절 신고" in str(card.blocks) and "010-****-5678" not in card.text

    before = vocdesk("sweep", "--now", (due - timedelta(hours=1)).isoformat(), env=env)
    assert before.returncode == 0, before.stderr
    assert "1 deadline warnings" in before.stdout
    assert vocdesk("dispatch", "--once", env=env).returncode == 0
    remedy, warning = fake.thread(CS, card.ts)  # the remedy case the report opened, then the warning
    assert "친절서비스 보증" in remedy.text
    assert warning.text.startswith(f"⏰ {number}: 오늘이 처리기한입니다")

    after = (due + timedelta(hours=1)).isoformat()
    assert "1 deadline warnings" in vocdesk("sweep", "--now", after, env=env).stdout
    assert vocdesk("dispatch", "--once", env=env).returncode == 0
    assert [m.text.split(":")[1].split("—")[0].strip() for m in fake.thread(CS, card.ts)[1:]] == [
        "오늘이 처리기한입니다", "처리기한이 지났습니다"]
    (escalated,) = fake.in_channel(ESCALATION)
    assert number in escalated.text

    calls = len(fake.calls)
    again = vocdesk("sweep", "--now", after, env=env)
    assert "0 deadline warnings, 0 digests" in again.stdout
    assert vocdesk("dispatch", "--once", env=env).returncode == 0
    assert len(fake.calls) == calls  # nothing posted
