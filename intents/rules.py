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

from bot.conversation.classification import Classification, VocType
from intents.nlu import NluData

RULE_CHARS = 4000  # rules look at the start of a text; the dialogue refuses longer messages anyway
FALLBACK_INTENT = "out_of_scope"
_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+")


@dataclass(frozen=True)
class Rule:
    intent: str
    kind: str  # "regex" or "lookup"
    source: str  # as written in the file
    pattern: re.Pattern[str] | None = None  # a regex rule
    keyword: str = ""  # a lookup rule: NFKC, case folded, one space between words
    file: str = ""
    line: int = 0

    def match_length(self, prepared: str, folded: str) -> int:
        """Length of the rule's first match in ``prepared`` (``folded`` is it case folded), -1 if none."""
        if self.pattern is not None:
            found = self.pattern.search(prepared)
            return -1 if found is None else found.end() - found.start()
        keyword, size = self.keyword, len(self.keyword)
        start = folded.find(keyword)
        while start >= 0:  # str.find, not a regex: most messages meet no keyword, and this is cheap
            end = start + size
            if not (_latin(keyword[0]) and start and _latin(folded[start - 1])) and not (
                _latin(keyword[-1]) and end < len(folded) and _latin(folded[end])
            ):
                return size
            start = folded.find(keyword, start + 1)
        return -1


def _latin(char: str) -> bool:
    """An English keyword matches whole words only: "rude" is not in "prudent"."""
    return char.isascii() and char.isalnum()


def rule_text(text: str) -> str:
    """What rules are matched against: the first RULE_CHARS characters, NFKC, one space between words."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text[:RULE_CHARS])).strip()


def keyword_text(keyword: str) -> str:
    return rule_text(keyword).casefold()


class RuleSet:
    def __init__(self, rules: Sequence[Rule] = ()):
        self.rules = tuple(rules)

    @classmethod
    def from_data(cls, data: NluData) -> RuleSet:
        rules = [
            Rule(block.intent, block.kind, p.text, re.compile(p.text, re.IGNORECASE), "", block.file, p.line)
            if block.kind == "regex"
            else Rule(block.intent, block.kind, p.text, None, keyword_text(p.text), block.file, p.line)
            for block in data.rules
            for p in block.patterns
        ]
        return cls([r for r in rules if r.pattern is not None or r.keyword])

    def match(self, text: str) -> Rule | None:
        """The deciding rule for ``text`` (not yet passed through ``rule_text``), or None."""
        if not self.rules:
            return None
        prepared = rule_text(text)
        folded = prepared.casefold()
        best: tuple[int, bool, int] | None = None
        winner: Rule | None = None
        for order, rule in enumerate(self.rules):
            length = rule.match_length(prepared, folded)
            if length < 0:
                continue
            rank = (length, rule.kind == "regex", -order)
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
