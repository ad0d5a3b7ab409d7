"""Pure readings of what a customer typed, used by the dialogue before (or instead of) the classifier."""

from __future__ import annotations

import re
import unicodedata

_NUMBER = re.compile(r"^(?:#|no\.?\s*)?(?:VOC[-\s]?)?(?:(\d{4})[-\s])?0*(\d{1,6})$", re.IGNORECASE)
_NUMBER_IN_TEXT = re.compile(r"VOC-(\d{4})-(\d{1,6})", re.IGNORECASE)
_WITHDRAW = re.compile(
    r"(접수|민원|VOC|티켓|접수한\s*건|접수한\s*거|낸\s*거|넣은\s*거).{0,8}(취소|취하|철회)|(취하|철회)\s*(할게|하고\s*싶|해\s*주|해주|요청|부탁|원합)"
    r"|\b(cancel|withdraw)\b.{0,20}\b(case|ticket|complaint|request|inquiry|suggestion|it)\b",
    re.IGNORECASE,
)
_FOLLOW_UP = re.compile(
    r"추가로|덧붙|덧붙여|아까|방금|앞서|전에\s*접수|접수한\s*(건|거|내용)|이어서|보완|"
    r"\b(also|in addition|additionally|earlier|follow[- ]?up|my (previous|last) (case|message|ticket))\b",
    re.IGNORECASE,
)
_EXPLICIT_LOCALE = {
    "english": "en", "english please": "en", "in english": "en", "english, please": "en", "영어": "en",
    "영어로": "en", "영어로 해주세요": "en", "영어로 해 주세요": "en",
    "korean": "ko", "korean please": "ko", "in korean": "ko", "한국어": "ko", "한국어로": "ko",
    "한국어로 해주세요": "ko", "한국어로 해 주세요": "ko", "한글로": "ko",
}
# Where one matter ends and another may begin: a sentence end, or a connective that starts a new one.
_SPLIT = re.compile(
    r"(?<=[.!?。])\s+|\n+|\s*(?:그리고|또한|게다가|그리고요|아울러)\s+|(?<=[요다죠])\s+(?=또\s)|"
    r"\s*(?:\.|,)?\s+(?:also|and also|plus|besides),?\s+",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\uac00-\ud7a3]|[A-Za-z]{2}|\d")


def ticket_number(text: str, year: int) -> str | None:
    """``VOC-2026-000031`` for ``VOC-2026-000031``, ``voc-2026-31``, ``2026-31``, ``#31`` or ``31`` (this
    ``year``); None when ``text`` is no ticket number."""
    m = _NUMBER.match(text.strip())
    if not m:
        return None
    return f"VOC-{m.group(1) or year}-{int(m.group(2)):06d}"


def number_in(text: str) -> str | None:
    """A full ticket number quoted inside a sentence."""
    m = _NUMBER_IN_TEXT.search(text)
    return f"VOC-{m.group(1)}-{int(m.group(2)):06d}" if m else None


def wants_withdrawal(text: str) -> bool:
    """"접수한 거 취소할게요", "I want to cancel my complaint"."""
    return len(text) <= 80 and bool(_WITHDRAW.search(text))


def follows_up(text: str) -> bool:
    """Words that tie a message to something the customer said before."""
    return bool(_FOLLOW_UP.search(text))


def explicit_locale(text: str) -> str | None:
    """The language a customer explicitly asks for ("English please", "한국어로")."""
    return _EXPLICIT_LOCALE.get(" ".join(text.casefold().split()).strip(".!"))


_UPSET = re.compile("[\u3160\u315c\U0001F620-\U0001F62D\U0001F92C\U0001F4A2\U0001F61E-\U0001F61F\U0001F625]")


def sounds_upset(text: str) -> bool:
    """Crying jamo or an angry or sad emoji."""
    return bool(_UPSET.search(text))


def has_no_words(text: str) -> bool:
    """Only emoji, jamo (ㅠㅠ, ㅋㅋ), punctuation or symbols: a feeling, not yet a matter to file."""
    if not text.strip() or _WORD.search(text):
        return False
    return all(unicodedata.category(ch)[0] in "PSZC" or "\u3131" <= ch <= "\u318e" for ch in text)


def matters(text: str, min_chars: int = 8) -> list[str]:
    """``text`` cut where a second matter may begin; pieces shorter than ``min_chars`` join the one before."""
    pieces: list[str] = []
    for raw in _SPLIT.split(text):
        piece = (raw or "").strip(" ,.")
        if not piece:
            continue
        if pieces and len(piece) < min_chars:
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return pieces
