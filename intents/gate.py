"""Dialogue-intent gating: a greeting or a goodbye wins only when the text is short and says nothing else.

"안녕하세요" is a greeting and "감사합니다 수고하세요" a goodbye, but "안녕하세요 보증료 환불은 어떻게
받나요" is an inquiry and "ㅇㅋ 고마워 덕분에 해결됨" praise: once the courtesy formulas are taken out, what
is left is read on its own, and when it reads as a VOC (or the text is long) the VOC reading is kept.
"""

from __future__ import annotations

import re

GATED = frozenset({"greet", "goodbye"})
SHORT_WORDS, SHORT_CHARS = 8, 48  # longer than this, a text is never only a greeting or a goodbye

_COURTESY = [
    # Korean greetings, farewells, thanks and acknowledgements (longest first within each alternative)
    r"안녕하(?:세요|십니까|세여|심까)?", r"안녕히\s*(?:계세요|가세요|계십시오)", r"안녕", r"안뇽",
    r"하이(?:루|요)?", r"헬로",
    r"반갑습니다", r"반가워요", r"방가방가", r"좋은\s*(?:아침|하루|오후|저녁)(?:\s*(?:입니다|되세요|보내세요))?",
    r"수고\s*(?:많으십니다|많으세요|하세요|하셨습니다|하십시오|하셨어요)", r"수고요?",
    r"감사(?:합니다|합니당|해요|드립니다|드려요|했습니다|요)?", r"고맙(?:습니다|다)", r"고마워(?:요)?", r"땡큐",
    r"ㄳ", r"ㄱㅅ", r"ㄱㅅㄱㅅ", r"ㅎㅇ", r"ㅂㅂ", r"ㅃㅇ", r"ㅇㅋ", r"ㅇㅇ", r"바이", r"그럼\s*이만",
    r"네", r"넵", r"넹", r"예", r"응", r"오케이", r"알겠(?:습니다|어요|어)", r"저기요", r"여보세요",
    r"정말", r"진짜", r"너무", r"많이", r"대단히", r"다들", r"모두",
    # English
    r"hello", r"hi", r"hey", r"hiya", r"yo", r"greetings", r"good\s+(?:morning|afternoon|evening|day)",
    r"thanks?(?:\s+you)?", r"thx", r"ty", r"tysm", r"cheers", r"bye", r"goodbye", r"see\s+(?:you|ya)",
    r"have\s+a\s+(?:nice|good|great)\s+(?:day|one|weekend)", r"ok(?:ay)?", r"so\s+much", r"a\s+lot",
    r"very\s+much", r"guys", r"all", r"everyone", r"there",
]
_FORMULA = re.compile(r"(?<![\w])(?:" + "|".join(_COURTESY) + r")(?![\w])", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_ㅋㅎㅠㅜ~^]+")


def remainder(normalized: str) -> str:
    """What ``normalized`` says besides greetings, thanks, farewells, marks and emoji ("" if nothing)."""
    left = _FORMULA.sub(" ", normalized)
    return " ".join(w for w in left.split() if _NOT_WORD.sub("", w))


def is_short(normalized: str) -> bool:
    return len(normalized) <= SHORT_CHARS and len(normalized.split()) <= SHORT_WORDS
