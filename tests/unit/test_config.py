from __future__ import annotations

from pathlib import Path

import pytest

from bot.casework.routing import RoutingTable
from bot.config import config_path, load_config
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "config.toml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "intents").mkdir(exist_ok=True)  # the shipped config's intents folder, next to it
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
    ('timezone = "Asia/Seoul"', 'timezone = "Asia/Seol"', "institution.timezone", "unknown time zone 'Asia/Seol'"),
    ('timezone = "Asia/Seoul"', 'timezone = ""', "institution.timezone", "unknown time zone ''"),
    ('url = "sqlite+aiosqlite:///var/vocdesk.db"', 'url = "mysql+aiomysql://u:pw@db/voc"', "database.url",
     "unsupported database 'mysql+aiomysql'"),
    ('url = "sqlite+aiosqlite:///var/vocdesk.db"', 'url = "var/vocdesk.db"', "database.url",
     "unsupported database URL"),
    ('intents_dir = "intents"', 'intents_dir = "intent"', "classifier.intents_dir", "no folder"),
])
def test_bad_values_name_the_key(tmp_path: Path, old: str, new: str, key: str, message: str) -> None:
    assert old in SHIPPED
    path = write(tmp_path, SHIPPED.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_config(path, {})
    assert err.value.file == str(path)
    assert err.value.key == key
    assert message in str(err.value)


@pytest.mark.parametrize("url", [
    "sqlite+aiosqlite:///var/vocdesk.db", "sqlite:///var/vocdesk.db", "sqlite+aiosqlite:///:memory:",
    "postgresql+asyncpg://voc@db:5432/voc", "postgresql://voc:pw@db/voc", "postgres://voc@db/voc",
])
def test_supported_database_urls(tmp_path: Path, url: str) -> None:
    text = SHIPPED.replace('url = "sqlite+aiosqlite:///var/vocdesk.db"', f'url = "{url}"')
    assert load_config(write(tmp_path, text), {}).settings.database.url == url


def test_a_bad_database_url_never_shows_its_password(tmp_path: Path) -> None:
    text = SHIPPED.replace('url = "sqlite+aiosqlite:///var/vocdesk.db"', 'url = "mysql://voc:s3cret@db/voc"')
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text), {})
    assert "s3cret" not in str(err.value)


def test_the_intents_folder_is_found_next_to_the_config_file(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED)
    assert load_config(path, {}).resolve("intents") == tmp_path.resolve() / "intents"
    (tmp_path / "intents").rmdir()
    with pytest.raises(ConfigError, match=r"classifier\.intents_dir: no folder .*intents'"):
        load_config(path, {})


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[dialogue\nx=1"), {})
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml", {})


def test_config_path_precedence() -> None:
    assert config_path("a.toml", {"VOCDESK_CONFIG": "b.toml"}) == Path("a.toml")
    assert config_path(None, {"VOCDESK_CONFIG": "b.toml"}) == Path("b.toml")
    assert config_path(None, {}) == Path("config.toml")


def test_slack_settings_and_secrets_from_the_environment(tmp_path: Path) -> None:
    text = SHIPPED + '\n[slack.staff.U0123ABCD]\nid = "kim"\ndepartment = "legal"\nrole = "admin"\n'
    config = load_config(write(tmp_path, text), {
        "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xapp-1"})
    slack = config.settings.slack
    assert (config.slack_bot_token, config.slack_signing_secret, config.slack_app_token) == ("xoxb-1", "s", "xapp-1")
    assert slack.base_url == "https://slack.com/api/" and slack.ladder == ["half", "1d", "due_day", "overdue"]
    assert slack.staff["U0123ABCD"].role == "admin" and slack.ladders["legal"][1] == "2d"
    assert load_config(write(tmp_path, SHIPPED), {}).slack_bot_token == ""


@pytest.mark.parametrize(("old", "new", "key", "message"), [
    ('ladder = ["half", "1d", "due_day", "overdue"]', 'ladder = ["half", "1w"]', "slack.ladder", "not a ladder step"),
    ('legal = ["half", "2d"', 'legl = ["half", "2d"', "", "slack.ladders.legl: no department 'legl'"),
    ('legal = ["half", "2d"', 'legal = ["half", "200%"', "slack.ladders", "legal: '200%' is not a ladder step"),
    ('digest_time = "09:00"', 'digest_time = "9시"', "slack.digest_time", "not a time like"),
    ('base_url = "https://slack.com/api/"', 'base_url = "slack.com/api"', "slack.base_url", "not an http(s) URL"),
    ('# U0123ABCD = { id = "kim.minsu", department = "voc_desk"', 'U0123ABCD = { id = "kim.minsu", department = "hr"',
     "", "slack.staff.U0123ABCD.department: no department 'hr'"),
])
def test_bad_slack_values_name_the_key(tmp_path: Path, old: str, new: str, key: str, message: str) -> None:
    assert old in SHIPPED
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, SHIPPED.replace(old, new, 1)), {})
    assert err.value.key == key
    assert message in str(err.value)


def test_server_and_kakao_sections_and_the_skill_secret(tmp_path: Path) -> None:
    config = load_config(ROOT / "config.toml", {"KAKAO_SKILL_SECRET": "s3cret"})
    assert (config.settings.server.host, config.settings.server.port) == ("127.0.0.1", 8080)
    assert config.settings.server.max_body_bytes == 65536
    assert config.kakao_skill_secret == "s3cret"
    assert load_config(ROOT / "config.toml", {}).kakao_skill_secret == ""
    for old, new, key in (("port = 8080", "port = 80800", "server.port"),
                          ("callback_after_ms = 3500", "callback_after_ms = 9000", "kakao.callback_after_ms"),
                          ('bot_id = ""', 'bot = ""', "kakao.bot")):
        assert old in SHIPPED
        with pytest.raises(ConfigError) as caught:
            load_config(write(tmp_path, SHIPPED.replace(old, new)), {})
        assert caught.value.key == key


@pytest.mark.parametrize(("pool", "workers", "each"), [(10, 1, 10), (10, 2, 5), (10, 3, 4), (3, 4, 2), (1, 1, 1)])
def test_serve_workers_share_the_pool(tmp_path: Path, pool: int, workers: int, each: int) -> None:
    path = write(tmp_path, SHIPPED.replace('[database]\n', f'[database]\npool_size = {pool}\n'))
    config = load_config(path, {"KAKAO_SKILL_SECRET": "s3cret"})
    shared = config.sharing_pool(workers)
    assert shared.settings.database.pool_size == each
    assert shared.settings.server == config.settings.server and shared.kakao_skill_secret == "s3cret"
    assert config.settings.database.pool_size == pool  # the file's config is left as it was


def test_each_server_worker_builds_its_app_with_its_share(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import CONFIG_ENV, SERVE_WORKERS_ENV
    from handlers.server import create_app

    monkeypatch.setenv(CONFIG_ENV, str(ROOT / "config.toml"))  # what vocdesk serve hands its workers
    monkeypatch.setenv(SERVE_WORKERS_ENV, "4")
    assert create_app().state.runtime.config.settings.database.pool_size == 2  # 5 shared by 4, at least 2
