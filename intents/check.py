"""Problems in the intent files that do not stop loading but hurt the classifier or the routing."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from bot.conversation.classification import DIALOGUE_INTENTS
from bot.errors import IntentFileError
from intents.nlu import NluData
from intents.rules import RuleSet

Problem = IntentFileError  # a problem found is reported like a file error: file, line, what


def _same(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def check(data: NluData, configured: Mapping[str, object], config_file: str) -> list[Problem]:
    """Duplicate and conflicting examples, intents without metadata or examples, rules that misroute."""
    problems: list[Problem] = []
    first: dict[str, tuple[str, str, int]] = {}  # example -> (intent, file, line)
    for block in data.intents:
        for example in block.examples:
            seen = first.setdefault(_same(example.plain), (block.name, block.file, example.line))
            if seen == (block.name, block.file, example.line):
                continue
            intent, file, line = seen
            what = "duplicate example" if intent == block.name else f"conflicting example: also in intent {intent!r}"
            problems.append(Problem(block.file, example.line, f"{what} (first at {file}:{line})"))
    known = set(configured) | DIALOGUE_INTENTS
    for block in data.intents:
        if block.name not in known:
            problems.append(Problem(block.file, block.line, f"intent {block.name!r} has no [intents.{block.name}] "
                                    f"in {config_file} and is not a dialogue intent"))
    with_examples = {block.name for block in data.intents}
    for name in configured:
        if name not in with_examples:
            problems.append(Problem(config_file, None, f"intent {name!r} is configured but has no examples"))
    for rule_block in data.rules:
        if rule_block.intent not in known:
            problems.append(Problem(rule_block.file, rule_block.line,
                                    f"{rule_block.kind} rule for unknown intent {rule_block.intent!r}"))
    rules = RuleSet.from_data(data)
    for block in data.intents:
        for example in block.examples:
            rule = rules.match(example.plain)
            if rule is not None and rule.intent != block.name:
                problems.append(Problem(block.file, example.line, f"{rule.kind} {rule.source!r} ({rule.file}:"
                                        f"{rule.line}) sends this {block.name!r} example to {rule.intent!r}"))
    return problems
