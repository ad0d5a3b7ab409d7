from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import config_path, load_config
from bot.errors import ConfigError
from bot.routing import RoutingTable

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "config.toml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_is_valid_and_routes_every_intent() -> None:
    config = load_config(ROOT / "config.toml", {"TELEGRAM_BOT_TOKEN": "123:abc"})
    routing = RoutingTable.from_settings(config.settings)
    assert config.telegram_token == "123:abc"
    route = routing.route("disclosure_request")
    assert (str(route.period), route.department_name) == ("10일", "정보공개담당")
    assert routing.route("general_inquiry").department == "voc_desk"
    assert str(routing.route("statute_question").period) == "14일"


def test_relative_sqlite_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, SHIPPED), {})
    assert config.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'var' / 'vocdesk.db'}"


@pytest.mark.parametrize(("old", "new", "key", "message"), [
    ("confirm_threshold = 0.55", "confirm_treshold = 0.55", "dialogue.confirm_treshold", "unknown key"),
    ("confirm_threshold = 0.55", "confirm_threshold = 1.5", "dialogue.confirm_threshold", "less than or equal"),
    ('"09:00-12:00", "13:00-18:00"', '"09:00-12:00", "11:00-18:00"', "calendar.work_windows", "overlap"),
    ('"09:00-12:00", "13:00-18:00"', '"9시-12시"', "calendar.work_windows", "is not a window"),
    ('policy = "statute"', 'policy = "statue"', "", "no policy 'statue'"),
    ('department = "legal"', 'department = "legl"', "", "no department 'legl'"),
    ('voc_type = "praise"', 'voc_type = "prase"', "intents.staff_praise.voc_type", "Input should be"),
    ('period = 7', 'period = "seven"', "policies.simple.period", "valid integer"),
])
def test_bad_values_name_the_key(tmp_path: Path, old: str, new: str, key: str, message: str) -> None:
    assert old in SHIPPED
    path = write(tmp_path, SHIPPED.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_config(path, {})
    assert err.value.file == str(path)
    assert err.value.key == key
    assert message in str(err.value)


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[dialogue\nx=1"), {})
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml", {})


def test_config_path_precedence() -> None:
    assert config_path("a.toml", {"VOCDESK_CONFIG": "b.toml"}) == Path("a.toml")
    assert config_path(None, {"VOCDESK_CONFIG": "b.toml"}) == Path("b.toml")
    assert config_path(None, {}) == Path("config.toml")
