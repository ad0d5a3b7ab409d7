from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

VOCDESK = Path(sys.executable).with_name("vocdesk")

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def config_file(tmp_path: Path, shipped_config_file: Path) -> Path:
    """A fresh copy of the shipped config (so a fresh SQLite database) sharing the session's model cache."""
    path = tmp_path / "config.toml"
    path.write_text(shipped_config_file.read_text(encoding="utf-8"), encoding="utf-8")
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
