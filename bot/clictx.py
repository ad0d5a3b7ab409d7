"""What every CLI command shares: where the config is, loaded once per invocation."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import typer

from bot.config import AppConfig, config_path, load_config


@dataclass
class CliState:
    config_option: Path | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    _config: AppConfig | None = None

    def config(self) -> AppConfig:
        if self._config is None:
            self._config = load_config(config_path(self.config_option, self.environ), self.environ)
        return self._config


def app_config(ctx: typer.Context) -> AppConfig:
    """The validated config of this invocation (raises ``ConfigError`` on a bad file)."""
    state = ctx.find_object(CliState)
    if state is None:
        state = CliState()
        ctx.obj = state
    return state.config()
