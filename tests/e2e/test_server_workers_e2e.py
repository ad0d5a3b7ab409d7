"""``vocdesk serve --workers 2`` on PostgreSQL: two server processes behind one port. Conversations whose turns
land on either process, all at once, open one ticket each with no number handed out twice: no state lives in a
process's memory."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Run
from tests.e2e.server_support import Served, serve
from tests.e2e.test_server_e2e import COMPLAINT
from tests.integration.conftest import pg_database  # noqa: F401  (the fixture: a fresh PostgreSQL database)
from tests.kakao_support import SECRET, skill_payload, texts

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
CUSTOMERS = 12


def conversation(base: str, user: str) -> tuple[str, set[int]]:
    """One customer's five turns, each on a new connection (so on whichever worker accepts it); returns the
    ticket number and the worker pids that answered /healthz between the turns."""
    pids: set[int] = set()
    reply = ""
    for say in ("안녕하세요", "동의합니다", COMPLAINT, "네, 접수합니다", "건너뛰기"):
        with httpx.Client(base_url=base, timeout=60) as client:
            answer = client.post("/kakao/skill", json=skill_payload(say, user),
                                 headers={"X-Vocdesk-Skill-Secret": SECRET})
            assert answer.status_code == 200, answer.text
            reply = texts(answer.json())
        with httpx.Client(base_url=base, timeout=60) as client:
            pids.add(client.get("/healthz").json()["pid"])
    number = re.search(r"VOC-\d{4}-\d{6}", reply)
    assert number, reply
    return number.group(0), pids


def both_workers_up(base: str, timeout: float = 120) -> None:
    """Wait until two worker processes answer: the server answers as soon as one of them is ready, and a worker
    still loading (the classifier) would leave every conversation to the other one."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < 2 and time.monotonic() < deadline:
        with httpx.Client(base_url=base, timeout=60) as client:
            seen.add(client.get("/healthz").json()["pid"])
        time.sleep(0.05)


def test_two_workers_share_one_database_and_number_tickets_uniquely(config_file: Path, pg_database: str,  # noqa: F811
                                                                    vocdesk: Run) -> None:
    server: Served = serve(config_file, args=("--workers", "2"), changes={
        'url = "sqlite+aiosqlite:///vocdesk.db"': f'url = "{pg_database}"\npool_size = 4'})
    try:
        assert "(2 workers, database postgresql" in server.out.read_text(encoding="utf-8")
        both_workers_up(server.base)
        with ThreadPoolExecutor(CUSTOMERS) as pool:
            results = list(pool.map(lambda i: conversation(server.base, f"worker-test-{i}"), range(CUSTOMERS)))
    finally:
        assert server.stop() == 0, server.output()[-3000:]
    numbers = [number for number, _ in results]
    assert len(set(numbers)) == CUSTOMERS
    assert len(set().union(*(pids for _, pids in results))) == 2  # both processes served
    listed = json.loads(vocdesk("tickets", "list", "--json").stdout)
    assert sorted(t["number"] for t in listed) == sorted(numbers)
    assert {t["channel"] for t in listed} == {"kakao"}
