"""The classifier port: the dialogue asks it what a customer's text is about.

Routing is data (see ``bot.casework.routing``): the classifier only names an intent; a table maps
the intent to its VOC type, deadline policy, department and remedy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class VocType(StrEnum):
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    PRAISE = "praise"

    @property
    def label_ko(self) -> str:
        return _KO[self]


_KO = {
    VocType.INQUIRY: "문의",
    VocType.COMPLAINT: "불만",
    VocType.SUGGESTION: "제안",
    VocType.PRAISE: "칭찬",
}

# Intents the dialogue itself understands; they open no ticket and need no metadata in config.
DIALOGUE_INTENTS = frozenset({"greet", "goodbye", "human_handoff", "check_status", "out_of_scope"})


@dataclass(frozen=True)
class Candidate:
    intent: str
    voc_type: VocType | None
    confidence: float


@dataclass(frozen=True)
class Classification:
    """What a text is about. ``voc_type`` is None for dialogue intents (greet, check_status, ...)."""

    intent: str
    voc_type: VocType | None
    confidence: float
    alternatives: tuple[Candidate, ...] = field(default=())
    source: str = "model"  # "rule" when an admin keyword/regex rule decided

    def as_dict(self) -> dict[str, object]:
        return {
            "intent": self.intent,
            "voc_type": self.voc_type.value if self.voc_type else None,
            "confidence": round(self.confidence, 4),
            "alternatives": [
                {
                    "intent": c.intent,
                    "voc_type": c.voc_type.value if c.voc_type else None,
                    "confidence": round(c.confidence, 4),
                }
                for c in self.alternatives
            ],
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Classification:
        """The inverse of ``as_dict`` (the dialogue keeps a draft's classification as JSON)."""
        return cls(
            data["intent"], _voc_type(data["voc_type"]), float(data["confidence"]),
            tuple(Candidate(a["intent"], _voc_type(a["voc_type"]), float(a["confidence"]))
                  for a in data["alternatives"]),
            data.get("source", "model"),
        )


def _voc_type(value: str | None) -> VocType | None:
    return VocType(value) if value else None


class Classifier(Protocol):
    def classify(self, text: str) -> Classification: ...


class NullClassifier:
    """Understands nothing; for commands that never classify (ticket listings, staff actions)."""

    def classify(self, text: str) -> Classification:
        return Classification("out_of_scope", None, 0.0)
