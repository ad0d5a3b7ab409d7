"""Notice templates (``bot/notices/templates.toml``, or an admin's copy named by ``[notify] templates``): per
locale and notice kind, the Kakao-approved AlimTalk template code and its text with ``#{variable}``
placeholders, and the SMS/LMS fallback text.

Everything is checked when the file is loaded (and by ``vocdesk config check``), never at send time: a kind
without a template, a variable the kind does not provide, or an AlimTalk text over 1,000 characters is a
``ConfigError`` naming the template."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConfigError
from bot.tomlfile import read_toml

ALIMTALK_MAX_CHARS = 1000
LMS_MAX_BYTES = 2000
_VARIABLE = re.compile(r"#\{([^}]*)\}")
_COMMON = frozenset({"기관", "접수번호"})

# The notices a customer gets, and the variables each provides.
KINDS: dict[str, frozenset[str]] = {
    "ticket_opened": _COMMON | {"유형", "담당부서", "처리기한"},
    "supplement_requested": _COMMON | {"보완내용", "처리기한"},
    "extended": _COMMON | {"사유", "처리기한", "담당자", "연락처"},
    "transferred": _COMMON | {"담당부서", "처리기한"},
    "progress": _COMMON | {"상태", "처리기한", "경과일"},
    "answered": _COMMON | {"답변", "안내"},
    "closed": _COMMON,
    "withdrawn": _COMMON,
    "returned": _COMMON | {"사유"},
    "transferred_out": _COMMON | {"기관명", "사유"},
    "remedy_outcome": _COMMON | {"보상", "결과"},  # the service standard's remedy: what was decided
    "survey_invite": _COMMON | {"링크"},  # the satisfaction survey: the form's link (or where to answer)
}
LOCALES = ("ko", "en")
BUILTIN = Path(__file__).resolve().parent / "templates.toml"


@dataclass(frozen=True)
class Template:
    kind: str
    locale: str
    alimtalk: str  # the template code Kakao approved ("" = no AlimTalk: SMS/LMS only)
    text: str
    sms: str
    urgent: bool = False  # sent even in quiet hours

    @property
    def variables(self) -> frozenset[str]:
        """The variables this kind of notice provides."""
        return KINDS[self.kind]

    def render(self, values: Mapping[str, str]) -> tuple[str, str]:
        """(AlimTalk/in-channel text, SMS text) with every ``#{variable}`` filled."""
        return render_text(self.text, values), render_text(self.sms, values)


def render_text(template: str, values: Mapping[str, str]) -> str:
    """``template`` with every ``#{variable}`` replaced by its value ("" when it has none)."""
    return _VARIABLE.sub(lambda m: str(values.get(m.group(1), "")), template).strip()


def variables(template: str) -> set[str]:
    return set(_VARIABLE.findall(template))


class Templates:
    def __init__(self, templates: Mapping[tuple[str, str], Template]) -> None:
        self._templates = dict(templates)

    def get(self, kind: str, locale: str) -> Template:
        return self._templates[(kind, "en" if locale == "en" else "ko")]

    @classmethod
    def load(cls, path: Path) -> Templates:
        """The templates of ``path``; a kind the file lacks (one added by a newer vocdesk) keeps the built-in
        wording, so an upgrade never stops the dispatcher. Anything the file has is validated."""
        raw = read_toml(path, missing="notice templates file not found ([notify] templates)")
        if path == BUILTIN:
            return cls.parse(raw, str(path))
        return cls.parse(raw, str(path), fallback=cls.load(BUILTIN))

    @classmethod
    def parse(cls, raw: Mapping[str, object], file: str, *, fallback: Templates | None = None) -> Templates:
        found: dict[tuple[str, str], Template] = {}
        for locale, kinds in raw.items():
            if locale not in LOCALES or not isinstance(kinds, Mapping):
                raise ConfigError(file, locale, f"expected a table per locale: {', '.join(LOCALES)}")
            for kind, body in kinds.items():
                found[(kind, locale)] = _template(file, locale, kind, body)
        for locale in LOCALES:
            for kind in KINDS:
                if (kind, locale) in found:
                    continue
                if fallback is not None:
                    found[(kind, locale)] = fallback.get(kind, locale)
                else:
                    raise ConfigError(file, f"{locale}.{kind}", "no template for this notice kind")
        return cls(found)


def _template(file: str, locale: str, kind: str, body: object) -> Template:
    key = f"{locale}.{kind}"
    if kind not in KINDS:
        raise ConfigError(file, key, f"unknown notice kind; one of {', '.join(KINDS)}")
    if not isinstance(body, Mapping):
        raise ConfigError(file, key, "expected a table with alimtalk, text and sms")
    unknown = set(body) - {"alimtalk", "text", "sms", "urgent"}
    if unknown:
        raise ConfigError(file, f"{key}.{sorted(unknown)[0]}", "unknown key (check the spelling)")
    text, sms = str(body.get("text", "")), str(body.get("sms", ""))
    for field, value in (("text", text), ("sms", sms)):
        if not value.strip():
            raise ConfigError(file, f"{key}.{field}", "must not be empty")
        wrong = variables(value) - KINDS[kind]
        if wrong:
            raise ConfigError(file, f"{key}.{field}", f"unknown variable #{{{sorted(wrong)[0]}}}; "
                                                      f"this notice provides {', '.join(sorted(KINDS[kind]))}")
    if len(text) > ALIMTALK_MAX_CHARS:
        raise ConfigError(file, f"{key}.text", f"{len(text)} characters; AlimTalk allows {ALIMTALK_MAX_CHARS}")
    if len(sms.encode("cp949", errors="replace")) > LMS_MAX_BYTES:
        raise ConfigError(file, f"{key}.sms", f"over {LMS_MAX_BYTES} bytes (LMS limit, cp949)")
    return Template(kind, locale, str(body.get("alimtalk", "")), text, sms, bool(body.get("urgent", False)))
