"""The homepage chat's page and its files (``handlers/webchat_static/``), read once when the router is built.

The page's own words come from the text catalog's ``[web]`` table (so an admin's ``[texts] dir`` overrides them
too): the Korean ones are written into the HTML, both languages go to the script as JSON for the English
switch. No build step and no external resource: the Content-Security-Policy allows only this origin.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi import Response

from bot.config import Settings
from bot.conversation.texts import LOCALES, Catalog

STATIC_DIR = Path(__file__).resolve().parent / "webchat_static"
MEDIA_TYPES = {"chat.js": "text/javascript; charset=utf-8", "chat.css": "text/css; charset=utf-8"}
_PAGE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


def chrome(texts: Catalog, settings: Settings) -> dict[str, dict[str, str]]:
    """The page's words per locale (the catalog's ``web.*`` keys without the prefix), the title filled in."""
    inst = settings.institution
    words: dict[str, dict[str, str]] = {}
    for locale in LOCALES:
        table = {k.removeprefix("web."): v for k, v in texts.tables[locale].items() if k.startswith("web.")}
        table["title"] = texts.text(locale, "web.title", institution=inst.name_en if locale == "en" else inst.name)
        words[locale] = table
    return words


def script_json(value: object) -> str:
    """JSON safe inside a ``<script type="application/json">`` element."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def content_security_policy(embed_origins: Sequence[str]) -> str:
    ancestors = " ".join(["'self'", *embed_origins])
    return ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
            f"base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}")


def render(template: str, words: Mapping[str, Mapping[str, str]], versions: Mapping[str, str]) -> str:
    """The page: ``{{key}}`` is a Korean word (escaped), ``{{texts}}`` the JSON of both languages,
    ``{{v:file}}`` the version of a static file (for cache busting)."""
    page = template.replace("{{texts}}", script_json(words))
    for name, version in versions.items():
        page = page.replace(f"{{{{v:{name}}}}}", version)
    for key, value in words["ko"].items():
        page = page.replace(f"{{{{{key}}}}}", html.escape(value))
    return page


@dataclass(frozen=True)
class Page:
    html: bytes
    assets: Mapping[str, tuple[bytes, str]]  # name -> (content, media type)
    csp: str

    @classmethod
    def build(cls, texts: Catalog, settings: Settings, *, embed_origins: Sequence[str] = (),
              folder: Path = STATIC_DIR) -> Page:
        assets = {name: ((folder / name).read_bytes(), media) for name, media in MEDIA_TYPES.items()}
        versions = {name: hashlib.sha256(body).hexdigest()[:12] for name, (body, _) in assets.items()}
        template = (folder / "index.html").read_text(encoding="utf-8")
        return cls(render(template, chrome(texts, settings), versions).encode(), assets,
                   content_security_policy(embed_origins))

    def index(self) -> Response:
        headers = _PAGE_HEADERS | {"Content-Security-Policy": self.csp}
        return Response(self.html, media_type="text/html; charset=utf-8", headers=headers)

    def asset(self, name: str) -> Response:
        if name not in self.assets:
            return Response(b"not found", status_code=404, media_type="text/plain")
        body, media = self.assets[name]
        # The page links each file with its content hash (?v=...), so a changed file is a new URL.
        return Response(body, media_type=media, headers={"Cache-Control": "public, max-age=86400",
                                                         "X-Content-Type-Options": "nosniff"})
