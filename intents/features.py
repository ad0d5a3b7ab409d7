"""What the model sees of a text: Kiwi morphemes, character n-grams and the ending of the last word.

Speed matters more than completeness here (the target is p99 <= 2 ms per message), so:

* features look at no more than ``HEAD + TAIL`` characters (the start and the end of a long text);
* morphemes are analysed one eojeol (space-separated word) at a time and remembered: every eojeol
  of the training data is in the model's lexicon, and at most ``NEW_WORDS`` other eojeols per
  message go to Kiwi (~0.1–0.2 ms each). Which eojeols are analysed depends only on the text and
  the lexicon, never on what was classified before, so a text always gets the same features.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from intents.form import CONTENT_TAGS, tail_of

HEAD, TAIL = 240, 80
NEW_WORDS = 6
LONGEST_WORD = 24  # Kiwi sees at most this much of one eojeol (its time grows with the length)
# content morphemes, interjections, foreign words, symbols (ㅠㅠ), sentence endings (-나요, -네요),
# connective endings (-는지, -라고), past tense (-었-) and the main particles (은/는, 을/를, 에/에서)
KEEP_TAGS = frozenset({
    "NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "VX", "VCN", "MM", "MAG", "MAJ", "IC", "XR", "XPN",
    "SL", "SH", "SW", "EF", "EC", "EP", "JX", "JKB", "JKO", "JKS",
})

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ud800-\udfff\ufeff\ufff0-\uffff]+")
_REPEAT = re.compile(r"(.)\1{2,}")
_DIGIT = re.compile(r"\d")
_EDGE = re.compile(r"^\W+|\W+$")
_HANGUL = re.compile(r"[가-힣]")
_ASCII_WORD = re.compile(r"[a-z]+")
_URL = re.compile(r"(?:https?://|www\.)\S+?(?=[.,!?;:)\]]*(?:\s|$))", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@\w+")

Lexicon = Mapping[str, tuple[str, ...]]
log = logging.getLogger(__name__)


def _jamo_back() -> dict[int, str]:
    """NFKC turns a lone "ㅋ" or "ㅠ" into a conjoining jamo; this maps those back (Kiwi knows ㅋㅋ, ㅠㅠ)."""
    table: dict[int, str] = {}
    for code in range(0x3131, 0x3164):
        folded = unicodedata.normalize("NFKC", chr(code))
        if len(folded) == 1 and folded != chr(code):
            table.setdefault(ord(folded), chr(code))
    return table


_JAMO_BACK = _jamo_back()
_CONJOINING = re.compile("[\u1100-\u11ff]+")


def _jamo_run(found: re.Match[str]) -> str:
    return found.group().translate(_JAMO_BACK)


def normalize(text: str) -> str:
    """NFKC, lower case, no control characters, one space between words, digits as 0, <= HEAD+TAIL."""
    if len(text) > 4 * (HEAD + TAIL):
        text = text[: 4 * HEAD] + " " + text[-4 * TAIL :]
    text = unicodedata.normalize("NFKC", text).lower()
    text = _CONJOINING.sub(_jamo_run, text)
    if "://" in text or "www." in text:
        text = _URL.sub(" url ", text)
    if "@" in text:
        text = _MENTION.sub("@user", text)
    text = " ".join(_CONTROL.sub(" ", text).split())
    if len(text) > HEAD + TAIL:
        text = text[:HEAD] + " " + text[-TAIL:]
    return _REPEAT.sub(r"\1\1", _DIGIT.sub("0", text))


def char_ngrams(normalized: str) -> list[str]:
    """Character 1–4-grams inside each word padded with spaces (like scikit-learn's char_wb)."""
    grams: list[str] = []
    for word in normalized.split():
        padded = f" {word} "
        size = len(padded)
        grams += word
        grams += [padded[i : i + 2] for i in range(size - 1)]
        grams += [padded[i : i + 3] for i in range(size - 2)]
        grams += [padded[i : i + 4] for i in range(size - 3)]
    return grams


def word_key(word: str) -> str:
    return _EDGE.sub("", word)


def final_key(normalized: str) -> str:
    """The key (``word_key``) of the last word with a Hangul syllable, "" when there is none."""
    words = normalized.split()
    last = last_hangul(words)
    return word_key(words[last]) if last >= 0 else ""


def has_content(morphemes: Iterable[str]) -> bool:
    """Whether any morpheme is a content word (a noun, a root, a Latin word)."""
    return any(m.rpartition("/")[2] in CONTENT_TAGS for m in morphemes)


def last_hangul(words: list[str]) -> int:
    """Index of the last word with a Hangul syllable (its ending is always analysed), -1 if none."""
    for index in range(len(words) - 1, -1, -1):
        if _HANGUL.search(words[index]):
            return index
    return -1


class Morphology:
    """Kiwi morphemes (``form/TAG``) of a normalized text, eojeol by eojeol, memoised."""

    def __init__(
        self, lexicon: Lexicon | None = None, *, memo: dict[str, tuple[str, ...]] | None = None,
        new_words: int = NEW_WORDS, tails: Mapping[str, str] | None = None,
        tail_memo: dict[str, str] | None = None,
    ):
        self._lexicon: Lexicon = lexicon or {}
        self._tails: Mapping[str, str] = tails or {}
        self.new_words = new_words
        self.memo: dict[str, tuple[str, ...]] = {} if memo is None else memo
        self.tail_memo: dict[str, str] = {} if tail_memo is None else tail_memo

    def morphemes(self, normalized: str) -> list[str]:
        out: list[str] = []
        words = normalized.split()
        last = last_hangul(words)
        budget = self.new_words - (last >= 0 and self.known(word_key(words[last])) is None)
        for index, word in enumerate(words):
            key = word_key(word)
            known = self.known(key)
            if known is None:
                if index != last:
                    if budget <= 0:
                        continue
                    budget -= 1
                known = self.analyse(key)
            out.extend(known)
        return out

    def tail(self, key: str) -> str:
        """The ending of one word (see ``form.tail_of``): from the model's table, else from Kiwi."""
        found = self._tails.get(key)
        if found is None:
            found = self.tail_memo.get(key)
            if found is None:
                self.analyse(key)
                found = self.tail_memo.get(key, "")
        return found

    def known(self, key: str) -> tuple[str, ...] | None:
        """The morphemes of an eojeol found without Kiwi (lexicon, Latin words), else None."""
        found = self._lexicon.get(key)
        if found is not None:
            return found
        if key.isascii():
            return tuple(f"{w}/SL" for w in _ASCII_WORD.findall(key))
        return None

    def analyse(self, key: str) -> tuple[str, ...]:
        """The kept morphemes of one eojeol, from Kiwi (remembered, up to 200,000 eojeols)."""
        found = self.memo.get(key)
        if found is None:
            try:
                tokens = shared_kiwi().tokenize(key[:LONGEST_WORD])
            except Exception as exc:  # a word Kiwi cannot read loses its morphemes, not the message
                log.warning("Kiwi could not analyse a word (%s)", type(exc).__name__)
                tokens = []
            pairs = [(str(t.form), str(t.tag).split("-")[0]) for t in tokens]
            found = tuple(f"{form}/{tag}" for form, tag in pairs if tag in KEEP_TAGS)
            if len(self.memo) >= 200_000:
                self.memo.clear()
                self.tail_memo.clear()
            self.memo[key] = found
            self.tail_memo[key] = tail_of(pairs)
        return found

    def lexicon_for(self, texts: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Every eojeol of ``texts`` (normalized) analysed: the lexicon a trained model keeps."""
        lexicon: dict[str, tuple[str, ...]] = {}
        for text in texts:
            for word in text.split():
                key = word_key(word)
                if key and not key.isascii() and key not in lexicon:
                    lexicon[key] = self.analyse(key)
        return lexicon


_kiwi_lock = threading.Lock()
_kiwi: Any = None


def shared_kiwi() -> Any:
    """One Kiwi per process (it takes ~1 s to start): created on first use, then reused."""
    global _kiwi
    with _kiwi_lock:
        if _kiwi is None:
            from kiwipiepy import Kiwi

            with warnings.catch_warnings():
                # num_workers=0 (one thread, what we want) warns that its meaning changed in 0.21.
                warnings.simplefilter("ignore", DeprecationWarning)
                kiwi = Kiwi(num_workers=0, load_default_dict=False, load_typo_dict=False, load_multi_dict=False)
            kiwi.tokenize("준비")  # Kiwi loads its language model lazily, on the first analysis
            _kiwi = kiwi
        return _kiwi
