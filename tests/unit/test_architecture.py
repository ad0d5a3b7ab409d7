"""The dependency rules of the design card, checked on the source: dependencies point inward."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_SDKS = {"telegram", "slack_bolt", "slack_sdk", "fastapi", "starlette", "rasa_sdk", "solapi", "uvicorn"}
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
