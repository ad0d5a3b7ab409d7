"""Scoring one message fast: every word's feature indices are worked out once and remembered.

A message is the sum of its words' features (character n-grams and morphemes are per word) plus
its cues, form and English word pairs, so the scorer keeps, per word, the indices of its known features. The result is
the same as ``LinearModel.probabilities`` on the message's tokens, including the limit on how many
words outside the lexicon go to Kiwi (``features.NEW_WORDS``), the last Korean word first.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat

from intents.cues import cue_tokens, word_pairs
from intents.features import Morphology, char_ngrams, has_content, last_hangul, word_key
from intents.form import form_tokens
from intents.model import Floats, LinearModel

MAX_WORDS = 100_000  # remembered words; past this the memory starts over


@dataclass
class _Word:
    chars: list[int]
    morphemes: list[int] | None  # None until Kiwi has analysed the word
    content: bool  # a content morpheme (noun, root, Latin word) among the word's morphemes
    needs_kiwi: bool  # not in the lexicon: counts against the message's Kiwi budget


class Scorer:
    def __init__(self, model: LinearModel, morphology: Morphology | None = None):
        self.model = model
        self.morphology = morphology or model.morphology()
        self._words: dict[str, _Word] = {}
        self._morph_vocab, self._char_vocab, self._cue_vocab, self._form_vocab, self._pair_vocab = model.vocabs

    def probabilities(self, normalized: str) -> Floats:
        ids: list[int] = []
        content = False
        texts = normalized.split()
        last = last_hangul(texts)
        budget = self.morphology.new_words
        if last >= 0:
            final = self._words.get(texts[last]) or self._learn(texts[last])
            budget -= final.needs_kiwi
        for index, text in enumerate(texts):
            word = self._words.get(text) or self._learn(text)
            ids += word.chars
            if word.needs_kiwi:
                if index != last:
                    if budget <= 0:
                        continue
                    budget -= 1
                if word.morphemes is None:
                    found = self.morphology.analyse(word_key(text))
                    word.morphemes, word.content = self._known(self._morph_vocab, found), has_content(found)
            ids += word.morphemes or ()
            content = content or word.content
        tail = self.morphology.tail(word_key(texts[last])) if last >= 0 else ""
        ids += self._known(self._cue_vocab, cue_tokens(normalized))
        ids += self._known(self._form_vocab, form_tokens(normalized, tail, content))
        ids += self._known(self._pair_vocab, word_pairs(normalized))
        return self.model.probabilities_of_ids(ids)

    def _learn(self, text: str) -> _Word:
        key = word_key(text)
        morphemes = self.morphology.known(key) if key else ()
        word = _Word(
            self._known(self._char_vocab, char_ngrams(text)),
            None if morphemes is None else self._known(self._morph_vocab, morphemes),
            morphemes is not None and has_content(morphemes),
            morphemes is None,
        )
        if len(self._words) >= MAX_WORDS:
            self._words.clear()
        self._words[text] = word
        return word

    @staticmethod
    def _known(vocab: dict[str, int], tokens: tuple[str, ...] | list[str]) -> list[int]:
        return [j for j in map(vocab.get, tokens, repeat(-1)) if j >= 0]
