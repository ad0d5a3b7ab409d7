"""The homepage chat in headless Chromium (Debian's ``chromium`` driven by Playwright), keyboard only: consent,
a complaint typed and confirmed, the phone number skipped, the ticket number seen; a reload keeps the
conversation; the English switch. Screenshots go to tests/artifacts/ (look at them).

Skips, saying why, where no Chromium is installed (CI installs Debian's package in .ci/run).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import VOCDESK, clean_environ

CHROMIUM = os.environ.get("VOCDESK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
COMPLAINT = "창구 직원이 너무 불친절하게 응대했어요"
TICKET = re.compile(r"VOC-\d{4}-\d{6}")
WAIT_MS = 30_000

pytestmark = pytest.mark.e2e

if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium) or set "
                "VOCDESK_CHROMIUM to run the browser tests", allow_module_level=True)

from playwright.sync_api import Page, Route, expect, sync_playwright  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_command(config: Path, port: int) -> list[str]:
    """The server under test: the real ``vocdesk serve`` (every channel, the dispatcher and the sweeper)."""
    return [str(VOCDESK), "--config", str(config), "serve", "--port", str(port)]


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 300.0) -> None:
    """Poll ``url`` until it answers; the first start may train the classifier."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the chat server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise TimeoutError(f"the chat server did not answer at {url} within {timeout:.0f} s")


@pytest.fixture
def chat_url(config_file: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(server_command(config_file, port), cwd=ROOT, env=clean_environ(),
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, process)
        yield url
    except BaseException:
        process.kill()
        raise
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        if process.returncode not in (0, -15):
            print((tmp_path / "server.log").read_text(encoding="utf-8", errors="replace"))


def tab_to(page: Page, name: str, limit: int = 15) -> None:
    """Press Tab until the focused element's text is ``name`` (the keyboard way to reach a control)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.textContent.trim()") == name:
            return
    raise AssertionError(f"{name!r} cannot be reached with Tab")


def shoot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"webchat-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_a_visitor_files_a_complaint_with_the_keyboard_only(chat_url: str) -> None:
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox"] if os.geteuid() == 0 else [],  # Chromium refuses its sandbox as root
        )
        try:
            page = browser.new_context(viewport={"width": 360, "height": 780}, locale="ko-KR").new_page()
            page.goto(chat_url)
            log = page.locator("#log")
            expect(page.get_by_role("button", name="동의합니다")).to_be_visible()
            shoot(page, "1-consent")

            tab_to(page, "동의합니다")
            page.keyboard.press("Enter")
            expect(page.locator("#text")).to_be_focused()
            page.keyboard.type(COMPLAINT)
            page.keyboard.press("Enter")
            expect(log).to_contain_text(COMPLAINT)
            first_choice = page.locator("#choices button").first
            expect(first_choice).to_be_focused()  # 네, 접수합니다 (or the likeliest type when unsure)
            page.keyboard.press("Enter")
            expect(page.get_by_label("휴대전화번호 (선택)")).to_be_focused()
            shoot(page, "2-phone")
            tab_to(page, "건너뛰기")
            page.keyboard.press("Enter")
            expect(log).to_contain_text(TICKET)
            number = TICKET.search(log.inner_text())
            assert number is not None
            expect(page.locator("#phone-form")).to_be_hidden()
            shoot(page, "3-filed")

            page.reload()
            expect(log).to_contain_text(number.group(0))
            expect(log).to_contain_text(COMPLAINT)
            tab_to(page, "English")
            page.keyboard.press("Enter")
            expect(page.locator("h1")).to_have_text("Voice of Customer chat")
            expect(log).to_contain_text("English")
            assert page.evaluate("document.documentElement.lang") == "en"
            shoot(page, "4-english")

            page.keyboard.press("Tab")  # from the switch into the conversation: the log is reachable and named
            expect(log).to_be_focused()
            page.keyboard.press("Shift+Tab")
            page.keyboard.press("Enter")  # back to Korean
            expect(page.locator("h1")).to_have_text("고객의 소리 상담")
        finally:
            browser.close()


def test_a_message_the_server_could_not_take_is_sent_again_and_clear_starts_over(chat_url: str) -> None:
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox"] if os.geteuid() == 0 else [])
        try:
            page = browser.new_context(viewport={"width": 800, "height": 900}).new_page()
            failures = [1]
            posted: list[str] = []

            def flaky(route: Route) -> None:
                posted.append(route.request.post_data or "")
                if failures:
                    failures.pop()
                    route.fulfill(status=503, headers={"Retry-After": "1"}, content_type="application/json",
                                  body='{"error": "unavailable", "detail": "try again"}')
                else:
                    route.continue_()

            page.route("**/api/chat/messages", flaky)
            page.goto(chat_url)
            expect(page.get_by_role("button", name="동의합니다")).to_be_visible()
            tab_to(page, "동의합니다")
            page.keyboard.press("Enter")
            expect(page.locator("#status")).to_contain_text("다시 보냅니다")
            expect(page.locator("#text")).to_be_focused()  # answered on the second try
            assert len(posted) == 2 and posted[0] == posted[1]  # the same message_key both times
            expect(page.locator("#log .msg.me")).to_have_count(1)
            session = page.evaluate("JSON.parse(localStorage.getItem('vocdesk.webchat.v1')).session")
            shoot(page, "5-desktop")

            tab_to(page, "대화 지우기")
            page.keyboard.press("Enter")
            expect(page.locator("#log .msg.me")).to_have_count(0)
            expect(page.get_by_role("button", name="동의합니다")).to_be_visible()
            assert page.evaluate("JSON.parse(localStorage.getItem('vocdesk.webchat.v1')).session") != session
        finally:
            browser.close()
