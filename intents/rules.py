"""Admin rules from the intent files: a matching regex or keyword forces its intent.

``- regex: intent:<name>`` examples are Python regular expressions; ``- lookup: intent:<name>``
examples are plain keywords (an English keyword matches whole words only). Matching ignores case.
When several rules match, the longest matched text wins, then a regex over a keyword, then the
rule that comes first in the files.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.classification import Classification, VocType
from intents.nlu import NluData

RULE_CHARS = 4000  # rules look at the start of a text; the dialogue refuses longer messages anyway
FALLBACK_INTENT = "out_of_scope"
_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+")


@dataclass(frozen=True)
class Rule:
    intent: str
    kind: str  # "regex" or "lookup"
    source: str  # as written in the file
    pattern: re.Pattern[str]
    file: str = ""
    line: int = 0


def rule_text(text: str) -> str:
    """What rules are matched against: NFKC, one space between words, at most RULE_CHARS."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text[: RULE_CHARS * 2])).strip()[:RULE_CHARS]


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    word = _SPACE.sub(" ", unicodedata.normalize("NFKC", keyword)).strip()
    before = r"(?<![A-Za-z0-9])" if word[:1].isascii() and word[:1].isalnum() else ""
    after = r"(?![A-Za-z0-9])" if word[-1:].isascii() and word[-1:].isalnum() else ""
    return re.compile(before + re.escape(word) + after, re.IGNORECASE)


class RuleSet:
    def __init__(self, rules: Sequence[Rule] = ()):
        self.rules = tuple(rules)

    @classmethod
    def from_data(cls, data: NluData) -> RuleSet:
        rules = [
            Rule(
                block.intent,
                block.kind,
                p.text,
                re.compile(p.text, re.IGNORECASE) if block.kind == "regex" else keyword_pattern(p.text),
                block.file,
                p.line,
            )
            for block in data.rules
            for p in block.patterns
        ]
        return cls(rules)

    def match(self, text: str) -> Rule | None:
        """The deciding rule for ``text`` (not yet passed through ``rule_text``), or None."""
        if not self.rules:
            return None
        prepared = rule_text(text)
        best: tuple[int, bool, int] | None = None
        winner: Rule | None = None
        for order, rule in enumerate(self.rules):
            found = rule.pattern.search(prepared)
            if found is None:
                continue
            rank = (found.end() - found.start(), rule.kind == "regex", -order)
            if best is None or rank > best:
                best, winner = rank, rule
        return winner


class RuleClassifier:
    """Only the admin rules, no model: usable before (or without) training."""

    def __init__(self, rules: RuleSet, voc_types: Mapping[str, VocType]):
        self.rules = rules
        self.voc_types = dict(voc_types)

    def classify(self, text: str) -> Classification:
        rule = self.rules.match(text)
        if rule is None:
            return Classification(FALLBACK_INTENT, None, 0.0)
        return Classification(rule.intent, self.voc_types.get(rule.intent), 1.0, (), "rule")
