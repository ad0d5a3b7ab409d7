"""What the model sees of a text: Kiwi morphemes and character n-grams.

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

HEAD, TAIL = 240, 80
NEW_WORDS = 6
LONGEST_WORD = 24  # Kiwi sees at most this much of one eojeol (its time grows with the length)
# content morphemes, interjections, foreign words, symbols (ㅠㅠ) and sentence endings (-나요, -네요)
KEEP_TAGS = frozenset({
    "NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "VX", "VCN", "MM", "MAG", "MAJ", "IC", "XR", "XPN",
    "SL", "SH", "SW", "EF",
})

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ud800-\udfff\ufeff\ufff0-\uffff]+")
_REPEAT = re.compile(r"(.)\1{2,}")
_DIGIT = re.compile(r"\d")
_EDGE = re.compile(r"^\W+|\W+$")
_ASCII_WORD = re.compile(r"[a-z]+")

Lexicon = Mapping[str, tuple[str, ...]]
log = logging.getLogger(__name__)


def normalize(text: str) -> str:
    """NFKC, lower case, no control characters, one space between words, digits as 0, <= HEAD+TAIL."""
    if len(text) > 4 * (HEAD + TAIL):
        text = text[: 4 * HEAD] + " " + text[-4 * TAIL :]
    text = unicodedata.normalize("NFKC", text).lower()
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


class Morphology:
    """Kiwi morphemes (``form/TAG``) of a normalized text, eojeol by eojeol, memoised."""

    def __init__(
        self, lexicon: Lexicon | None = None, *, memo: dict[str, tuple[str, ...]] | None = None,
        new_words: int = NEW_WORDS,
    ):
        self._lexicon: Lexicon = lexicon or {}
        self.new_words = new_words
        self.memo: dict[str, tuple[str, ...]] = {} if memo is None else memo

    def morphemes(self, normalized: str) -> list[str]:
        out: list[str] = []
        budget = self.new_words
        for word in normalized.split():
            key = word_key(word)
            known = self.known(key)
            if known is None:
                if budget <= 0:
                    continue
                budget -= 1
                known = self.analyse(key)
            out.extend(known)
        return out

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
            found = tuple(
                f"{t.form}/{tag}" for t in tokens if (tag := str(t.tag).split("-")[0]) in KEEP_TAGS
            )
            if len(self.memo) >= 200_000:
                self.memo.clear()
            self.memo[key] = found
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
