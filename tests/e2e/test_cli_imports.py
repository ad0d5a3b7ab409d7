"""Each command of the real ``vocdesk`` process imports only what it uses (``python -X importtime`` lists
every module a process imported), so listing the commands stays quick and staff commands never load the
classifier."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import clean_environ, seed

CLASSIFIER = {"numpy", "sklearn", "scipy", "kiwipiepy", "intents.loader", "intents.model", "yaml"}
TELEGRAM = {"telegram", "httpx", "handlers.telegram"}
DATABASE = {"sqlalchemy", "alembic", "aiosqlite", "asyncpg", "storage.uow"}
CORE = {"bot.conversation.dialogue", "bot.casework.routing"}
RASA = {"rasa_sdk", "sanic", "grpc", "opentelemetry", "handlers.rasa", "handlers.rasa_server"}
SERVER = {"fastapi", "starlette", "uvicorn", "prometheus_client", "handlers.server", "handlers.server_runtime"}


def imported(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from bot.cli import main; main()", *args],
        capture_output=True, text=True, env=clean_environ(), timeout=300, encoding="utf-8",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


def test_the_command_list_loads_no_heavy_library() -> None:
    loaded = imported("--help")
    assert not loaded & (CLASSIFIER | TELEGRAM | DATABASE | CORE | RASA | SERVER | {"holidays", "pydantic", "rich"})


@pytest.mark.parametrize("args", [("tickets", "list", "--help"), ("tickets", "act", "--help"), ("sla", "due", "--help"),
                                  ("intents", "--help"), ("telegram", "--help"), ("rasa-actions", "--help"),
                                  ("serve", "--help"), ("--version",)])
def test_help_of_a_command_loads_no_heavy_library(args: tuple[str, ...]) -> None:
    assert not imported(*args) & (CLASSIFIER | TELEGRAM | DATABASE | CORE | RASA | SERVER | {"holidays"})


def test_staff_and_setup_commands_load_neither_the_classifier_nor_telegram(config_file: Path) -> None:
    config = ("--config", str(config_file))
    seed(config_file, [])  # the schema, so that the listing reads
    for command in (("tickets", "list"), ("tickets", "list", "--json"), ("tickets", "show", "VOC-2026-000001")):
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", "from bot.cli import main; main()",
                               *config, *command], capture_output=True, text=True, env=clean_environ(), timeout=300)
        loaded = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
        assert "storage.readonly" in loaded, done.stderr[-2000:]
        # the light read path: no SQLAlchemy, no classifier; and for a listing of SQLite, no event loop
        assert not loaded & (DATABASE | CLASSIFIER | TELEGRAM | CORE | RASA | SERVER), command
        assert "asyncio" not in loaded or command[1] == "show"
    due = imported(*config, "sla", "due", "--received", "2026-01-05T10:00", "--period", "7", "--unit", "days")
    assert "holidays" in due
    assert not due & (CLASSIFIER | TELEGRAM | DATABASE | CORE)
    check = imported(*config, "config", "check")
    assert not check & (CLASSIFIER | TELEGRAM | DATABASE | CORE | {"holidays"})


SLACK = {"slack_bolt", "slack_sdk", "aiohttp", "handlers.slack", "handlers.slack_inbound", "handlers.slack_socket"}


@pytest.mark.parametrize("args", [("--help",), ("slack", "--help"), ("dispatch", "--help"), ("sweep", "--help")])
def test_slack_libraries_load_only_when_slack_is_used(args: tuple[str, ...]) -> None:
    assert not imported(*args) & (SLACK | CLASSIFIER | DATABASE)


def test_a_sweep_without_slack_loads_no_slack_library(config_file: Path) -> None:
    loaded = imported("--config", str(config_file), "sweep", "--now", "2026-09-22T10:00")
    assert "bot.alerts.ladder" in loaded and not loaded & (SLACK | CLASSIFIER)


def test_the_console_script_leaves_the_collector_on_for_the_command_and_exits_cleanly() -> None:
    """``bot.console`` keeps the garbage collector off while the commands are imported and freezes them; the
    command itself runs with the collector on (what it makes is collected), and the exit code comes through."""
    probe = ("import gc, sys, bot.cli\n"
             "def command():\n"
             "    print(gc.isenabled(), gc.get_freeze_count() > 0)\n"
             "    sys.exit(3)\n"
             "bot.cli.main = command\n"
             "from bot.console import main\n"
             "main()\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=clean_environ(),
                          timeout=120, encoding="utf-8")
    assert (done.returncode, done.stdout.split()) == (3, ["True", "True"]), done.stderr[-2000:]
