"""Form features: how a text is written, apart from what it is about.

Real customers write questions in 반말 ("이거 언제 돼?"), proposals as board titles that end in a noun
("노인 일자리 확대 방안"), reviews with ㅋㅋ/ㅠㅠ/emoji and sarcasm, tweets and forum posts. The words alone
do not tell these apart well; how the text ends and what marks it carries do:

* the ending of the last Korean word (Kiwi's sentence-final ``EF``, a connective ``EC`` such as the
  insistent "-라고", a polite ``요``, or a noun: a title) and its speech style (formal, polite, 반말,
  nominal "-음/-ㅁ", noun);
* question form (a final "?", an interrogative ending) and question words (언제/when, 왜/why, ...),
  also combined ("a question with 언제" is not "언제까지 기다려요" said in anger);
* a length bucket, laughter, crying, annoyance, emoji, @mentions, hashtags and links;
* praise words next to delay or blame words (sarcasm: "참 빠르네요 한 달째 기다리는 중"), laughter next
  to blame (mockery: "ㅋㅋㅋ 일처리 ...").

``form_tokens`` is a pure function of the normalized text, the last Korean word's ending (``tail``)
and whether any content morpheme was found; ``features.Morphology`` supplies both.
"""

from __future__ import annotations

import re

QUESTION_ENDINGS = (
    "나요", "까", "까요", "니", "냐", "가", "가요", "는가", "ᆫ가", "은가", "는지", "ᆫ지", "은지", "는지요",
    "ᆫ지요", "은지요", "나", "래", "래요", "대", "대요", "죠", "지요",
)
_QUOTE_ENDINGS = ("고", "라고", "다고", "냐고", "자고", "라구")
NOUN_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "SN", "XSN", "XR", "SL", "SH"})
CONTENT_TAGS = frozenset({"NNG", "NNP", "XR", "SL", "SH"})

_HANGUL = re.compile(r"[가-힣]")
_LATIN = re.compile(r"[a-z]")
# Question words and marks: (token, substrings, English words). Plain substring and set tests, not
# regular expressions: an alternation of many words costs ~10 µs per message, these ~1 µs.
_SIGNS: tuple[tuple[str, tuple[str, ...], frozenset[str]], ...] = tuple(
    (token, tuple(substrings.split()), frozenset(words.split()))
    for token, substrings, words in (
        ("wh:when", "언제 몇시 몇_시 며칠 what_time how_soon", "when"),
        ("wh:amount", "얼마 몇 how_much how_many how_long", ""),
        ("wh:why", "왜 웨케 how_come", "why"),
        ("wh:how", "어떻게 어케 어캐 어떡 어찌 방법 는법 는_법", "how"),
        ("wh:what", "뭐 뭔 무슨 무엇 뭘", "what whats which"),
        ("wh:where", "어디 어딨", "where"),
        ("wh:can", "가능 되나 될까 can_i could_i is_it_possible am_i_able", ""),
        ("mark:laugh", "ㅋㅋ ㅎㅎ 킄 크크 haha hehe 😂 🤣", "lol lmao rofl"),
        ("mark:cry", "ㅠ ㅜ t_t 😭 😢 🥲", ""),
        ("mark:annoyed", "ㅡㅡ -_- ;; 😑 🙄 😤 😒", ""),
        ("mark:smile", "^^ :) :-) :d 😊 🙂 😄 😀 😁 ☺ 😆", ""),
        ("mark:doubleq", "??", ""),
        ("mark:bang", "!", ""),
        ("mark:ellipsis", ".. …", ""),
        ("mark:mention", "@user", ""),
        ("mark:hashtag", "#", ""),
        ("mark:url", "", "url"),
    )
)
_SIGNS = tuple((token, tuple(x.replace("_", " ") for x in subs), words) for token, subs, words in _SIGNS)
_LATIN_WORD = re.compile(r"[a-z]+")
_EMOJI_GOOD = re.compile(r"[👍👏🙏❤♥💕💖💯🎉✨🥰😍🤩👌💙💚🌟⭐]")
_EMOJI_BAD = re.compile(r"[😡😠🤬👎💢😞😩😫🤦😖😣💀🤡]")
_EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]")
_EN_QUESTION = re.compile(
    r"^(?:@user )*(?:how|what|when|where|which|who|why|can|could|do|does|did|is|are|am|may|will|would|should|"
    r"whats|what's|any)\b"
)
# Korean evaluation words: praise next to delay or blame is sarcasm more often than not
_KO_GOOD = re.compile(
    r"최고|좋(?:아|네|았|습|다|은|음)|빠르|빨라|빠름|친절|감사|고마|고맙|대단|훌륭|감동|만족|편해|편하|편리|"
    r"잘했|잘하|잘 하|굿|짱|멋지|멋있|칭찬|추천|기가 막히"
)
_KO_BAD = re.compile(
    r"째|아직|기다리|기다려|기다림|늦|느려|느리|답답|짜증|최악|불편|안 ?돼|안 ?되|없어|없네|없음|없고|실화|어이|"
    r"황당|장난|몇 ?번|언제까지|일처리|수준|한심|미쳤|개판|엉망|뭐하|뭐 하|하아|에휴|또 "
)
_EN_GOOD = re.compile(r"\b(?:great|thanks|thank you|love|awesome|amazing|wonderful|perfect|nice|brilliant|fantastic|"
                      r"good job|well done|impressive|fast|quick)\b")
_EN_BAD = re.compile(r"\b(?:another|again|still|delay\w*|hours?|days|weeks?|months?|waiting|waited|broken|down|fail\w*|"
                     r"nothing|never|no one|nobody|ages|lost|charged|not)\b|n't\b")


def tail_of(morphemes: list[tuple[str, str]]) -> str:
    """The ending of one word from Kiwi's (form, tag) pairs: ``form/TAG`` for endings and particles,
    the tag alone for anything else; punctuation and symbols are skipped. A polite 요 after a
    connective keeps both ("라고/EC+요/JX": "알려달라고요")."""
    kept = [(form, tag) for form, tag in morphemes
            if not ((tag[0] == "S" and tag not in ("SL", "SH", "SN")) or tag.startswith("W_"))]
    if not kept:
        return ""
    form, tag = kept[-1]
    if tag[0] not in "EJ":
        return tag
    if (form, tag) == ("요", "JX") and len(kept) > 1 and kept[-2][1] == "EC":
        return f"{kept[-2][0]}/EC+요/JX"
    return f"{form}/{tag}"


def style_of(tail: str) -> str:
    """Speech style of a final ending: formal, polite, informal (반말), nominal (-음), quote, noun, other."""
    if tail.endswith("/EC+요/JX"):
        return "quote" if tail.split("/", 1)[0].endswith(_QUOTE_ENDINGS) else "polite"
    form, _, tag = tail.rpartition("/") if "/" in tail else ("", "", tail)
    if tag == "EF":
        if form.endswith(("니다", "니까", "시오", "ᆸ시다")):
            return "formal"
        if form.endswith("요") or form in ("죠", "지요"):
            return "polite"
        if form in ("ᆷ", "음", "기", "셈", "ᆷ셈"):
            return "nominal"
        return "informal"
    if tag == "JX" and form == "요":
        return "polite"
    if tag == "EC":
        return "quote" if form.endswith(_QUOTE_ENDINGS) else "connective"
    if tag == "ETN":
        return "nominal"
    if tag in NOUN_TAGS:
        return "noun"
    return "other"


def form_tokens(normalized: str, tail: str, content: bool) -> list[str]:
    """The form features of a normalized text (see the module docstring)."""
    out: list[str] = []
    korean = bool(_HANGUL.search(normalized))
    stripped = normalized.rstrip()
    question = stripped.endswith("?") or stripped.rstrip("ㅋㅎㅠㅜ!~. ").endswith("?")
    style = style_of(tail) if korean and tail else "latin" if not korean else "none"
    if korean and tail:
        out += [f"end:{tail}", f"style:{style}"]
        form = tail.split("/", 1)[0]
        if tail.endswith(("/EF", "/EC", "/EC+요/JX")) and form.endswith(QUESTION_ENDINGS):
            question = True
            out.append("q:ending")
        if style == "noun" and not question and tail != "NNB":
            out.append("title")
    elif not korean:
        out.append("style:latin")
        if _EN_QUESTION.match(normalized):
            question = True
    if question:
        out.append("q")
    words = set(_LATIN_WORD.findall(normalized)) if not korean or _LATIN.search(normalized) else set()
    signs = [token for token, substrings, latin in _SIGNS
             if any(x in normalized for x in substrings) or not latin.isdisjoint(words)]
    good_emoji, bad_emoji = bool(_EMOJI_GOOD.search(normalized)), bool(_EMOJI_BAD.search(normalized))
    signs += ["emoji:good"] * good_emoji + ["emoji:bad"] * bad_emoji
    if not (good_emoji or bad_emoji) and _EMOJI.search(normalized):
        signs.append("emoji:other")
    for token in signs:
        out.append(token)
        if token.startswith("wh:"):
            out.append(f"{token}+{style}")
            if question:
                out.append(f"q{token}")
    size = len(normalized)
    out.append("chars:" + ("<=8" if size <= 8 else "<=20" if size <= 20 else "<=50" if size <= 50
                           else "<=120" if size <= 120 else ">120"))
    good = good_emoji or bool((_KO_GOOD if korean else _EN_GOOD).search(normalized))
    bad = bad_emoji or bool((_KO_BAD if korean else _EN_BAD).search(normalized))
    if good and bad:
        out.append("mix:good+bad")
    if "mark:laugh" in signs and bad:
        out.append("mix:laugh+bad")
    if korean and not content and len(normalized.split()) <= 5:
        out.append("vague")
    return out
