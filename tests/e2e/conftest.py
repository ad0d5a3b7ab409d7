from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VOCDESK = Path(sys.executable).with_name("vocdesk")

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for the whole e2e session, so the classifier trains once."""
    return tmp_path_factory.mktemp("model")


@pytest.fixture
def config_file(tmp_path: Path, model_cache: Path) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('url = "sqlite+aiosqlite:///var/vocdesk.db"', 'url = "sqlite+aiosqlite:///vocdesk.db"')
    text = text.replace('intents_dir = "intents"', f'intents_dir = "{ROOT / "intents"}"')
    text = text.replace('cache_dir = "var/model"', f'cache_dir = "{model_cache}"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def vocdesk(config_file: Path) -> Run:
    """Run the installed ``vocdesk`` console script against the test config."""

    def run(*args: str, stdin: str = "", config: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VOCDESK_", "TELEGRAM_"))}
        return subprocess.run(
            [str(VOCDESK), "--config", str(config or config_file), *args], input=stdin, text=True,
            capture_output=True, env=env, timeout=300, encoding="utf-8",
        )

    return run
