"""The classifier the dialogue uses: admin rules first, then the trained model, then the dialogue gate.

A greeting or goodbye from the model stands only when the text is short and says nothing else
(``gate.py``); otherwise the best VOC reading is returned, its confidence taken within the VOC
intents (the text has been decided to be a VOC; the question left is which one).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bot.conversation.classification import Candidate, Classification, VocType
from intents.features import normalize
from intents.gate import GATED, is_short, remainder
from intents.model import LinearModel
from intents.rules import FALLBACK_INTENT, RuleSet
from intents.scorer import Scorer

ALTERNATIVES = 3
VOC_REST = 0.5  # what is left besides courtesy formulas is a VOC when the VOC intents hold this much


class IntentClassifier:
    """Satisfies ``bot.conversation.classification.Classifier``; never raises on any text."""

    def __init__(self, model: LinearModel, rules: RuleSet, voc_types: Mapping[str, VocType]):
        self.model = model
        self.rules = rules
        self.voc_types = dict(voc_types)
        self._scorer = Scorer(model)
        self._label_order = np.arange(len(model.labels))  # labels are sorted: ties go alphabetically
        self._is_voc = np.array([label in self.voc_types for label in model.labels], dtype=bool)

    @property
    def intents(self) -> tuple[str, ...]:
        return self.model.labels

    def rank(self, text: str, top: int | None = None) -> list[Candidate]:
        """The ``top`` (default: all) intents the model finds likeliest; empty for a text with no words."""
        return self._ranked(normalize(text))[:top]

    def _ranked(self, normalized: str) -> list[Candidate]:
        if not normalized:
            return []
        probabilities = self._scorer.probabilities(normalized)
        order = np.lexsort((self._label_order, -probabilities))
        labels = self.model.labels
        return [Candidate(labels[i], self.voc_types.get(labels[i]), float(probabilities[i])) for i in order]

    def classify(self, text: str) -> Classification:
        normalized = normalize(text)
        ranked = self._ranked(normalized)
        rule = self.rules.match(text)
        if rule is not None:
            others = tuple(c for c in ranked if c.intent != rule.intent)[:ALTERNATIVES]
            return Classification(rule.intent, self.voc_types.get(rule.intent), 1.0, others, "rule")
        if not ranked:
            return Classification(FALLBACK_INTENT, None, 0.0)
        best = ranked[0]
        if best.intent in GATED and not self.only_courtesy(normalized):
            vocs = [c for c in ranked if c.voc_type is not None]
            total = sum(c.confidence for c in vocs)
            if total > 0:
                ranked = [Candidate(c.intent, c.voc_type, c.confidence / total) for c in vocs]
                best = ranked[0]
        return Classification(best.intent, best.voc_type, best.confidence, tuple(ranked[1 : ALTERNATIVES + 1]))

    def only_courtesy(self, normalized: str) -> bool:
        """Whether a (normalized) text is short and, besides greetings, thanks and farewells, says
        nothing that reads as a VOC."""
        if not is_short(normalized):
            return False
        rest = remainder(normalized)
        if not rest:
            return True
        probabilities = self._scorer.probabilities(rest)
        return float(probabilities[self._is_voc].sum()) < VOC_REST
