"""Cue features: what an English sentence signals (thanks, praise, blame, delay, a proposal, ...).

The English examples are few (~25 per intent), too few for the model to learn that "rude" and
"arrogant" or "kind" and "patient" mean the same thing, and that "not polite" is no praise.
A small hand-made lexicon groups such words into one feature each. Korean needs none: Kiwi's
morphemes already reduce the many surface forms to a few stems and endings.
"""

from __future__ import annotations

import re
from itertools import pairwise

_NOT = r"(?<!not )(?<!n't )(?<!never )(?<!not very )(?<!not so )(?<!not even )"
_GOOD = (
    "kind|kindly|kindness|friendly|helpful|polite|patient|great|excellent|amazing|awesome|wonderful|"
    r"fantastic|impress\w*|smooth\w*|easy|easier|professional|thorough|pleased|satisf\w*|happy|warm\w*|"
    r"caring|knowledgeable|clear|clearly|perfect|brilliant|convenient|fast|quick|quickly|efficient|love|"
    "loved|nice|good"
)
_BAD = (
    r"rude\w*|arrogant|dismissive|yell\w*|shout(?:ed|ing)|ignor\w*|unacceptable|terrible|awful|horrible|"
    r"worst|bad|poor\w*|useless|ridiculous|frustrat\w*|angry|annoy\w*|disappoint\w*|unfair\w*|crash\w*|"
    r"broken|down|error\w*|fail\w*|disrespect\w*|condescend\w*|sarcas\w*|mistake\w*|wrong\w*|complain\w*|"
    r"waste\w*|stupid|confus\w*|unfriendly|unkind|impolite|unhelpful|unprofessional|incompetent|careless|"
    "inconvenient|hard|difficult|impossible|too"
)
CUES: dict[str, tuple[str, ...]] = {
    "thanks": (r"\b(?:thank|thx\b|grateful|gratitude|appreciat|kudos|shout ?out|compliment|deserves?\b|bless)",),
    "positive": (rf"\b{_NOT}(?:{_GOOD})\b", r"\bthe best\b", r"\bwell done\b", r"\bgood job\b", r"\bwow\b"),
    "negative": (rf"\b(?:{_BAD})\b", r"\b(?:not|n't|never|not very|not so|not even) (?:kind|friendly|helpful|"
                 r"polite|professional|work\w*|clear|easy)\b", r"\bcan'?t (?:find|reach|get|log|even)\b",
                 r"\bhung up\b", r"\bnobody\b", r"\bno one\b", r"\bforever\b", r"\bages\b"),
    "delay": (r"\b(?:still|weeks?|months?|days|waiting|waited|since|delay\w*|late|slow\w*|yet|ages|forever)\b",
              r"\bno (?:answer|response|reply|update|call|news)\b", r"\bhaven'?t (?:heard|received|got)\b",
              r"\bhow long\b", r"\btaking so long\b", r"\btakes?\b"),
    "suggest": (r"\b(?:suggest\w*|propos\w*|should|maybe|consider|introduce|improve\w*|allow\w*|idea|wish|"
                r"instead)\b", r"\bwhy (?:don'?t|not)\b", r"\bhow about\b", r"\bwhat if\b",
                r"\bwould (?:be|help|make|love|like)\b", r"\bcould you (?:add|make|offer|provide|extend|remove|"
                r"let|allow|consider|simplify)\b", r"\bplease (?:add|allow|support|make|simplify|extend|"
                r"introduce|offer|consider|let)\b", r"\badd\b", r"\blet us\b", r"\bbetter if\b",
                r"\boption to\b", r"\bit would\b", r"\bi'?d love\b"),
    "question": (r"\bhow (?:do|can|much|many|long)\b", r"\bcan i\b", r"\bdo i\b", r"\bis it\b",
                 r"\beligib\w*", r"\brequir\w*", r"\bneed to\b", r"\bwondering\b", r"\bwant to know\b"),
    "damage": (r"\b(?:damages?|loss|losses|compensat\w*|reimburs\w*|refund\w*|overcharg\w*|penalt\w*|"
               r"interest|payout|difference)\b", r"\bcharged twice\b", r"\bdouble charg", r"\blost money\b"),
    "disclose": (r"\b(?:disclos\w*|records?|statistics|public|publish\w*|access to|minutes|budget|copy of)\b",),
    # praise words used to blame: "great, another delay", "love how ...", "thanks for nothing"
    "sarcasm": (r"^(?:@user )*(?:oh |well |wow,? )?(?:great|wonderful|fantastic|awesome|brilliant|perfect|nice|cool|"
                r"lovely|amazing|super)(?: job| one| work)?[,!.]", r"\blove (?:how|that|it when)\b",
                r"\bthanks for nothing\b", r"\bjust great\b", r"\byet another\b", r"\bnot\.$", r"\bso glad i\b",
                r"\bcool cool\b", r"\bwhat a (?:great|smooth|wonderful|brilliant)\b", r"\bbest part of my\b",
                r"\breally (?:helpful|appreciate it)\b.{0,3}$"),
    "law": (r"\b(?:laws?|act|article|clause|provision|regulations?|statut\w*|legal\w*|decree|amendment|"
            r"interpret\w*|lawful|unlawful)\b",),
}
_PATTERNS = tuple((f"cue:{name}", re.compile("|".join(f"(?:{p})" for p in parts))) for name, parts in CUES.items())
_LATIN = re.compile(r"[a-z]")
_ASKS = re.compile(r"(?:how|what|when|where|which|who|can|could|do|does|is|are|am|may|whats|what's)\b")
_EN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def cue_tokens(normalized: str) -> list[str]:
    """One ``cue:<name>`` token per cue found, plus a length bucket (greetings are short)."""
    out: list[str] = []
    if _LATIN.search(normalized):
        for token, pattern in _PATTERNS:
            out.extend([token] * len(pattern.findall(normalized)))
        if _ASKS.match(normalized) or normalized.endswith("?"):
            out.append("cue:question")

    words = len(normalized.split())
    out.append("len:" + ("1" if words <= 1 else "2" if words == 2 else "3-5" if words <= 5 else "6+"))
    return out


def word_pairs(normalized: str) -> list[str]:
    """Neighbouring English words ("still hasn't", "please add", "charged twice"): phrases that the
    character n-grams, which stay inside one word, cannot see."""
    if not _LATIN.search(normalized):
        return []
    words = _EN_WORD.findall(normalized)
    return [f"{a} {b}" for a, b in pairwise(words)]
