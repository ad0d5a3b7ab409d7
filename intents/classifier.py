"""The classifier the dialogue uses: admin rules first, then the trained model."""

from __future__ import annotations

from collections.abc import Mapping

from bot.classification import Candidate, Classification, VocType
from intents.features import char_ngrams, normalize
from intents.model import LinearModel
from intents.rules import FALLBACK_INTENT, RuleSet

ALTERNATIVES = 3


class IntentClassifier:
    """Satisfies ``bot.classification.Classifier``; never raises on any text."""

    def __init__(self, model: LinearModel, rules: RuleSet, voc_types: Mapping[str, VocType]):
        self.model = model
        self.rules = rules
        self.voc_types = dict(voc_types)
        self._morphology = model.morphology()

    @property
    def intents(self) -> tuple[str, ...]:
        return self.model.labels

    def rank(self, text: str) -> list[Candidate]:
        """Every intent the model knows, most likely first (empty for a text with no words)."""
        normalized = normalize(text)
        if not normalized:
            return []
        probabilities = self.model.probabilities(self._morphology.morphemes(normalized), char_ngrams(normalized))
        ranked = sorted(zip(self.model.labels, probabilities.tolist(), strict=True), key=lambda p: (-p[1], p[0]))
        return [Candidate(intent, self.voc_types.get(intent), float(p)) for intent, p in ranked]

    def classify(self, text: str) -> Classification:
        ranked = self.rank(text)
        rule = self.rules.match(text)
        if rule is not None:
            others = tuple(c for c in ranked if c.intent != rule.intent)[:ALTERNATIVES]
            return Classification(rule.intent, self.voc_types.get(rule.intent), 1.0, others, "rule")
        if not ranked:
            return Classification(FALLBACK_INTENT, None, 0.0)
        best, *others = ranked
        return Classification(best.intent, best.voc_type, best.confidence, tuple(others[:ALTERNATIVES]))
