"""The real ``vocdesk`` process driven over its real interfaces: piped stdin and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import Run

CONVERSATION = "\n".join([
    "안녕하세요",                          # greeting + consent notice
    "1",                                   # 동의합니다
    "창구 직원이 너무 불친절하게 응대했어요",  # the VOC
    "1",                                   # 네, 접수합니다
    "010-1234-5678",                       # contact number
]) + "\n"


def test_piped_conversation_opens_a_ticket_found_by_tickets_list(vocdesk: Run) -> None:
    chat = vocdesk("chat", stdin=CONVERSATION)
    assert chat.returncode == 0, chat.stderr
    assert "개인정보" in chat.stdout
    assert "1) 동의합니다" in chat.stdout
    assert "불친절 신고" in chat.stdout
    assert "접수번호: VOC-" in chat.stdout
    assert "까지" in chat.stdout

    listed = vocdesk("tickets", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (ticket,) = json.loads(listed.stdout)
    assert ticket["number"] in chat.stdout
    assert (ticket["voc_type"], ticket["intent"], ticket["status"]) == ("complaint", "unfriendly_service", "received")
    assert ticket["department"] == "service_quality"
    assert ticket["channel"] == "console"
    assert ticket["contact_phone"] == "010-****-5678"
    assert ticket["due_text"] in chat.stdout
    assert [e["action"] for e in ticket["events"]] == ["receive", "remedy"]  # its remedy case opened with it
    for key in ("received_at", "due_at", "events"):
        assert key in ticket

    shown = vocdesk("tickets", "show", ticket["number"], "--json")
    assert json.loads(shown.stdout)["number"] == ticket["number"]


def test_conversation_survives_a_restart_between_lines(vocdesk: Run) -> None:
    first = vocdesk("chat", stdin="안녕하세요\n1\n창구 직원이 너무 불친절하게 응대했어요\n")
    assert "이대로 접수할까요" in first.stdout
    second = vocdesk("chat", stdin="1\n1\n")  # a new process: confirm, then skip the contact number
    assert "접수번호: VOC-" in second.stdout, second.stdout
    assert len(json.loads(vocdesk("tickets", "list", "--json").stdout)) == 1


def test_staff_lifecycle_from_the_cli(vocdesk: Run) -> None:
    vocdesk("chat", stdin=CONVERSATION)
    (ticket,) = json.loads(vocdesk("tickets", "list", "--json").stdout)
    number = ticket["number"]
    assert vocdesk("tickets", "act", number, "assign", "--assignee", "kim").returncode == 0
    illegal = vocdesk("tickets", "act", number, "close")
    assert illegal.returncode == 2
    assert "cannot close while assigned" in illegal.stderr
    assert "Traceback" not in illegal.stderr
    ext = vocdesk("tickets", "act", number, "extend", "--reason", "현장 조사 필요", "--reason-code", "fact_check")
    assert ext.returncode == 0, ext.stderr
    no_code = vocdesk("tickets", "act", number, "extend", "--reason", "추가 확인")
    assert no_code.returncode == 2 and "extend needs --reason-code" in no_code.stderr
    second = vocdesk("tickets", "act", number, "extend", "--reason", "추가 확인", "--reason-code", "cooperation")
    assert second.returncode == 2 and "consent" in second.stderr
    shown = json.loads(vocdesk("tickets", "show", number, "--json").stdout)
    assert [e["action"] for e in shown["events"]] == ["receive", "remedy", "assign", "extend"]
    assert shown["due_at"] > ticket["due_at"]


def test_sla_due_prints_the_worked_example(vocdesk: Run) -> None:
    done = vocdesk("sla", "due", "--received", "2026-09-22T10:00:00+09:00", "--period", "7", "--unit", "days",
                   "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["due_text"] == "2026년 10월 2일(금)까지"
    by_intent = vocdesk("sla", "due", "--received", "2027-01-29T15:00", "--intent", "statute_question")
    assert "2027-02-19" in by_intent.stdout


def test_bad_input_gets_clear_messages_and_loses_nothing(vocdesk: Run) -> None:
    huge = "가" * 100_000
    lines = ["안녕하세요", "1", huge, "\x00\x07\x1b[2J", "", "창구 직원이 너무 불친절하게 응대했어요", "1", "1"]
    chat = vocdesk("chat", stdin="\n".join(lines) + "\n")
    assert chat.returncode == 0, chat.stderr
    assert "너무 깁니다(100,000자)" in chat.stdout
    assert "비어 있습니다" in chat.stdout
    assert "접수번호: VOC-" in chat.stdout
    assert "Traceback" not in chat.stderr


def test_config_typo_names_the_key(vocdesk: Run, config_file: Path) -> None:
    text = config_file.read_text(encoding="utf-8").replace("confirm_threshold", "confirm_treshold")
    config_file.write_text(text, encoding="utf-8")
    for args in (("chat",), ("config", "check"), ("tickets", "list")):
        done = vocdesk(*args)
        assert done.returncode == 2
        assert "dialogue.confirm_treshold: unknown key" in done.stderr
        assert str(config_file) in done.stderr
        assert "Traceback" not in done.stderr


def test_missing_config_file(vocdesk: Run, tmp_path: Path) -> None:
    done = vocdesk("config", "check", config=tmp_path / "nope.toml")
    assert done.returncode == 2
    assert "config file not found" in done.stderr


@pytest.mark.parametrize(("old", "new", "key"), [
    ('timezone = "Asia/Seoul"', 'timezone = "Asia/Seol"', "institution.timezone: unknown time zone 'Asia/Seol'"),
    ('url = "sqlite+aiosqlite:///vocdesk.db"', 'url = "mysql+aiomysql://voc:pw@db/voc"',
     "database.url: unsupported database 'mysql+aiomysql'"),
    (f'intents_dir = "{ROOT / "intents"}"', 'intents_dir = "no-intents-here"', "classifier.intents_dir: no folder"),
])
def test_config_check_catches_what_used_to_fail_later(vocdesk: Run, config_file: Path, old: str, new: str,
                                                       key: str) -> None:
    text = config_file.read_text(encoding="utf-8")
    assert old in text
    config_file.write_text(text.replace(old, new), encoding="utf-8")
    for args in (("config", "check"), ("tickets", "list"), ("sla", "due", "--received", "2026-01-05", "--unit",
                                                            "immediate")):
        done = vocdesk(*args)
        assert done.returncode == 2
        assert done.stderr.startswith(f"error: {config_file}: {key}")
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
