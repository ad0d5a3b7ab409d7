"""Channel-neutral messages: what a channel adapter gives the dialogue and gets back."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_KEEP = {"\n", "\t"}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


@dataclass(frozen=True)
class Inbound:
    """One customer message. ``choice`` is the id of a button the customer pressed;
    ``message_key`` makes a redelivered message (webhook retry, replayed update) a no-op."""

    channel: str
    user_id: str
    text: str = ""
    choice: str | None = None
    display_name: str = ""
    locale: str | None = None
    message_key: str | None = None


@dataclass(frozen=True)
class Choice:
    id: str
    label: str


EXPECTS_PHONE = "phone"


@dataclass(frozen=True)
class Reply:
    """What the dialogue says; ``expects`` names the kind of answer it waits for, when a channel can offer a
    fitting input for it (``EXPECTS_PHONE``: a mobile number, e.g. a ``type="tel"`` field)."""

    text: str
    choices: tuple[Choice, ...] = ()
    expects: str | None = None


def clean_text(raw: str) -> str:
    """NFC-normalised text without terminal escapes or control characters (newlines and tabs kept), trimmed."""
    text = unicodedata.normalize("NFC", _ANSI.sub("", raw))
    text = "".join(
        ch for ch in text
        if ch in _KEEP or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    return text.strip()
