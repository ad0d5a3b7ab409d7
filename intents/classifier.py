"""The classifier the dialogue uses: admin rules first, then the trained model."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bot.conversation.classification import Candidate, Classification, VocType
from intents.features import normalize
from intents.model import LinearModel
from intents.rules import FALLBACK_INTENT, RuleSet
from intents.scorer import Scorer

ALTERNATIVES = 3


class IntentClassifier:
    """Satisfies ``bot.conversation.classification.Classifier``; never raises on any text."""

    def __init__(self, model: LinearModel, rules: RuleSet, voc_types: Mapping[str, VocType]):
        self.model = model
        self.rules = rules
        self.voc_types = dict(voc_types)
        self._scorer = Scorer(model)
        self._label_order = np.arange(len(model.labels))  # labels are sorted: ties go alphabetically

    @property
    def intents(self) -> tuple[str, ...]:
        return self.model.labels

    def rank(self, text: str, top: int | None = None) -> list[Candidate]:
        """The ``top`` (default: all) intents the model finds likeliest; empty for a text with no words."""
        normalized = normalize(text)
        if not normalized:
            return []
        probabilities = self._scorer.probabilities(normalized)
        order = np.lexsort((self._label_order, -probabilities))[:top]
        labels = self.model.labels
        return [Candidate(labels[i], self.voc_types.get(labels[i]), float(probabilities[i])) for i in order]

    def classify(self, text: str) -> Classification:
        ranked = self.rank(text, top=ALTERNATIVES + 2)
        rule = self.rules.match(text)
        if rule is not None:
            others = tuple(c for c in ranked if c.intent != rule.intent)[:ALTERNATIVES]
            return Classification(rule.intent, self.voc_types.get(rule.intent), 1.0, others, "rule")
        if not ranked:
            return Classification(FALLBACK_INTENT, None, 0.0)
        best = ranked[0]
        return Classification(best.intent, best.voc_type, best.confidence, tuple(ranked[1 : ALTERNATIVES + 1]))
