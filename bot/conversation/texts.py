"""What the bot says, in Korean and English: one catalog file per locale (``bot/conversation/locales/*.toml``), which an
admin may override key by key from the folder named by ``[texts] dir``; and how dates are written."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.errors import ConfigError
from bot.tomlfile import read_toml

LOCALES = ("ko", "en")
BUILTIN_DIR = Path(__file__).resolve().parent / "locales"
_WEEKDAYS_KO = "월화수목금토일"
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")


def korean_due(due_at: datetime, date_only: bool, tz: ZoneInfo) -> str:
    """``2026년 10월 2일(금)까지`` (with ``16:30`` when the deadline is hour-counted)."""
    local = due_at.astimezone(tz)
    day = f"{local.year}년 {local.month}월 {local.day}일({_WEEKDAYS_KO[local.weekday()]})"
    return f"{day}까지" if date_only else f"{day} {local:%H:%M}까지"


def english_due(due_at: datetime, date_only: bool, tz: ZoneInfo) -> str:
    local = due_at.astimezone(tz)
    day = f"{local:%a} {local.day} {local:%b} {local.year}"
    return f"by {day}" if date_only else f"by {day}, {local:%H:%M}"


def guess_locale(text: str, hint: str | None = None) -> str | None:
    """'en' for text written in English, 'ko' for Korean, None when the text does not tell.
    Hangul jamo alone (ㅠㅠ, ㅋㅋ) tell nothing."""
    hangul, latin = len(_HANGUL.findall(text)), len(_LATIN.findall(text))
    if hangul and hangul * 2 >= latin // 3:
        return "ko"
    if latin >= 3:
        return "en"
    return hint


def _flatten(table: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat |= _flatten(value, name + ".")
        else:
            flat[name] = str(value)
    return flat


def _read(path: Path) -> dict[str, str]:
    return _flatten(read_toml(path))


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Catalog:
    """Customer-facing sentences per locale; ``text("en", "opened", number=...)``."""

    def __init__(self, tables: Mapping[str, Mapping[str, str]]) -> None:
        self.tables = {loc: dict(t) for loc, t in tables.items()}

    @classmethod
    def load(cls, override_dir: Path | None = None) -> Catalog:
        """The built-in catalog, with the keys found in ``override_dir/<locale>.toml`` replacing the built-in
        ones. An override key the catalog does not know, or one that changes the ``{placeholders}``, is a
        ``ConfigError`` naming the file and the key."""
        tables = {loc: _read(BUILTIN_DIR / f"{loc}.toml") for loc in LOCALES}
        if override_dir is not None:
            if not override_dir.is_dir():
                raise ConfigError(str(override_dir), "texts.dir", "folder not found")
            for loc in LOCALES:
                path = override_dir / f"{loc}.toml"
                if not path.exists():
                    continue
                for key, value in _read(path).items():
                    if key not in tables[loc]:
                        raise ConfigError(str(path), key, "unknown text key (check the spelling)")
                    if placeholders(value) != placeholders(tables[loc][key]):
                        expected = ", ".join(sorted(placeholders(tables[loc][key]))) or "none"
                        raise ConfigError(str(path), key, f"placeholders must be exactly: {expected}")
                    tables[loc][key] = value
        return cls(tables)

    def has(self, key: str) -> bool:
        return key in self.tables["ko"]

    def text(self, locale: str, key: str, **values: object) -> str:
        table = self.tables["en" if locale == "en" else "ko"]
        return table[key].format(**values)


@cache
def builtin() -> Catalog:
    """The shipped catalog, read on first use."""
    return Catalog.load()


def text(locale: str, key: str, **values: object) -> str:
    return builtin().text(locale, key, **values)
