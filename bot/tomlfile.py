"""Reading the admin-edited TOML files (config, text catalog, notice templates): every failure is a
``ConfigError`` naming the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from bot.errors import ConfigError


def read_toml(path: Path, *, missing: str = "file not found") -> dict[str, Any]:
    """The parsed file; ``missing`` says what to do when it does not exist."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "", missing) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"not valid TOML: {exc}") from None
