"""Notice templates are checked at load, never at send time."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest

from bot.errors import ConfigError
from bot.notices.templates import BUILTIN, KINDS, Templates


def shipped() -> dict[str, Any]:
    return tomllib.loads(BUILTIN.read_text(encoding="utf-8"))


def test_the_shipped_templates_cover_every_kind_in_both_languages() -> None:
    templates = Templates.load(BUILTIN)
    for kind in KINDS:
        for locale in ("ko", "en"):
            assert templates.get(kind, locale).text


def test_rendering_fills_every_variable() -> None:
    template = Templates.load(BUILTIN).get("ticket_opened", "ko")
    text, sms = template.render({"기관": "신용보증기금", "접수번호": "VOC-2026-000001", "유형": "불만",
                                 "담당부서": "CS혁신팀", "처리기한": "2026년 10월 2일(금)까지"})
    assert "VOC-2026-000001" in text and "#{" not in text + sms and template.urgent


@pytest.mark.parametrize(("change", "key", "problem"), [
    (lambda raw: raw["ko"]["answered"].__setitem__("text", "#{답변} #{주민번호}"), "ko.answered.text", "주민번호"),
    (lambda raw: raw["en"].pop("closed"), "en.closed", "no template"),
    (lambda raw: raw["ko"]["closed"].__setitem__("text", "가" * 1001), "ko.closed.text", "1001 characters"),
    (lambda raw: raw["ko"]["closed"].__setitem__("sms", "가" * 1001), "ko.closed.sms", "2000 bytes"),
    (lambda raw: raw["ko"].__setitem__("ticket_opend", {"text": "x", "sms": "y"}), "ko.ticket_opend", "unknown"),
    (lambda raw: raw["ko"]["closed"].__setitem__("smss", "x"), "ko.closed.smss", "unknown key"),
])
def test_a_bad_template_is_an_error_that_names_it(change: Any, key: str, problem: str) -> None:
    raw = shipped()
    change(raw)
    with pytest.raises(ConfigError) as error:
        Templates.parse(raw, "notices.toml")
    assert error.value.key == key and problem in error.value.problem


def test_an_admin_file_without_a_newer_kind_keeps_the_built_in_wording(tmp_path: Any) -> None:
    raw = shipped()
    for locale in ("ko", "en"):
        raw[locale].pop("survey_invite")
    raw["ko"]["closed"]["text"] = "#{접수번호} 종결"
    path = tmp_path / "notices.toml"
    path.write_text("\n".join(  # JSON strings and booleans are TOML values
        f"[{locale}.{kind}]\n" + "\n".join(f"{field} = {json.dumps(value, ensure_ascii=False)}"
                                           for field, value in body.items())
        for locale, kinds in raw.items() for kind, body in kinds.items()), encoding="utf-8")
    templates = Templates.load(path)
    assert templates.get("closed", "ko").text == "#{접수번호} 종결"
    assert templates.get("survey_invite", "en") == Templates.load(BUILTIN).get("survey_invite", "en")
