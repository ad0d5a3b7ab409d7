"""The dependency rules of the design card, checked on the source: dependencies point inward."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_SDKS = {"telegram", "slack_bolt", "slack_sdk", "fastapi", "starlette", "rasa_sdk", "sanic", "solapi",
                 "uvicorn"}
RASA_ADAPTER = {"handlers/rasa.py", "handlers/rasa_server.py"}  # rasa-sdk is an optional extra: only these load it
COMPOSITION = {"bot/app.py", "bot/cli/__init__.py"}  # bot/cli/__init__.py mounts the handlers' commands


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", sources("bot"), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_no_platform_sdk_and_handlers_only_from_the_composition_root(path: Path) -> None:
    roots = imported_roots(path)
    assert not roots & PLATFORM_SDKS
    if str(path.relative_to(ROOT)) not in COMPOSITION:
        assert "handlers" not in roots


@pytest.mark.parametrize("path", sources("intents") + sources("storage"), ids=lambda p: str(p.relative_to(ROOT)))
def test_intents_and_storage_never_import_handlers(path: Path) -> None:
    roots = imported_roots(path)
    assert "handlers" not in roots
    assert not roots & PLATFORM_SDKS


def imported_modules(path: Path, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body if top_level_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", [*sources("handlers"), ROOT / "bot/cli/__init__.py"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_rasa_sdk_is_loaded_only_by_the_rasa_adapter_and_never_when_the_cli_starts(path: Path) -> None:
    """rasa-sdk (and its Sanic) may be missing: the adapter that uses it is imported only inside the
    ``rasa-actions`` command, so every other command, and ``vocdesk --help``, work without the extra."""
    name = str(path.relative_to(ROOT))
    if name not in RASA_ADAPTER:
        assert not imported_roots(path) & {"rasa_sdk", "sanic"}
    top = imported_modules(path, top_level_only=True)
    assert not top & {"handlers.rasa", "handlers.rasa_server"} or name in RASA_ADAPTER
