from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def require_extra(module: str, extra: str) -> None:
    """Skip the calling test module when an optional extra is not installed, except under ``CI`` (whose
    ``make test`` installs every extra), where that is a failure."""
    if importlib.util.find_spec(module) is not None:
        return
    message = f"{module} is not installed: pip install -e '.[{extra}]'"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for the whole test session, so the shipped intents are trained once."""
    return tmp_path_factory.mktemp("model")


@pytest.fixture(scope="session")
def shipped_config_file(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Path:
    """The shipped config.toml with its SQLite file in a temporary folder and the shared model cache."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('url = "sqlite+aiosqlite:///var/vocdesk.db"', 'url = "sqlite+aiosqlite:///vocdesk.db"')
    text = text.replace('intents_dir = "intents"', f'intents_dir = "{ROOT / "intents"}"')
    text = text.replace('cache_dir = "var/model"', f'cache_dir = "{model_cache}"')
    path = tmp_path_factory.mktemp("shipped") / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path
