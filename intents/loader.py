"""Build the classifier from the config: read the intent files, reuse or train the model."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bot.config import AppConfig
from bot.conversation.classification import DIALOGUE_INTENTS, VocType
from bot.errors import IntentFileError
from intents import cache
from intents.classifier import IntentClassifier
from intents.features import shared_kiwi
from intents.model import LinearModel, group_names, train
from intents.nlu import NluData, load_dir
from intents.progress import progress_bar
from intents.rules import RuleClassifier, RuleSet


@dataclass(frozen=True)
class Loaded:
    classifier: IntentClassifier
    data: NluData
    trained: bool  # False when the cached model was reused
    seconds: float
    cache_file: Path | None


def intents_dir(config: AppConfig) -> Path:
    return config.resolve(config.settings.classifier.intents_dir)


def voc_types(config: AppConfig) -> dict[str, VocType]:
    return {name: meta.voc_type for name, meta in config.settings.intents.items()}


def load_intents(config: AppConfig) -> NluData:
    """The intent files, checked against the config: every intent and rule target must be routable."""
    data = load_dir(intents_dir(config))
    known = set(config.settings.intents) | DIALOGUE_INTENTS
    for block in data.intents:
        if block.name not in known:
            raise IntentFileError(
                block.file, block.line,
                f"intent {block.name!r} has no [intents.{block.name}] in {config.path.name} "
                "(voc_type, policy) and is not a dialogue intent",
            )
    for rule in data.rules:
        if rule.intent not in known:
            raise IntentFileError(rule.file, rule.line, f"{rule.kind} rule for unknown intent {rule.intent!r}")
    if len(data.intents) < 2:
        raise IntentFileError(str(intents_dir(config)), None, "at least two intents with examples are needed")
    return data


def training_set(data: NluData) -> tuple[list[str], list[str]]:
    pairs = [(e.plain, block.name) for block in data.intents for e in block.examples]
    return [t for t, _ in pairs], [y for _, y in pairs]


def train_model(data: NluData, kinds: dict[str, VocType], *, progress: bool = False) -> LinearModel:
    texts, labels = training_set(data)
    with progress_bar("analysing and training", enabled=progress) as report:
        return train(texts, labels, group_names(labels, kinds), progress=report)


def load(config: AppConfig, *, progress: bool = False, force: bool = False) -> Loaded:
    """Reuse the cached model when the intent files are unchanged, else train and cache it."""
    start = time.perf_counter()
    data = load_intents(config)
    cache_dir = config.resolve(config.settings.classifier.cache_dir)
    kinds = voc_types(config)
    groups = group_names([block.name for block in data.intents], kinds)
    key = cache.cache_key(data.digest, groups)
    model = None if force else cache.load(cache_dir, key)
    trained = model is None
    if model is None:
        model = train_model(data, kinds, progress=progress)
        path = cache.save(cache_dir, key, model)
    else:
        path = cache.cache_path(cache_dir, key)
    classifier = IntentClassifier(model, RuleSet.from_data(data), kinds)
    shared_kiwi()  # start Kiwi now (~1 s) rather than on the first unknown word of a customer
    return Loaded(classifier, data, trained, time.perf_counter() - start, path)


def load_classifier(config: AppConfig, *, progress: bool = False) -> IntentClassifier:
    """The classifier for ``config``: trained at start-up only when the intent files changed."""
    return load(config, progress=progress).classifier


def load_rule_classifier(config: AppConfig) -> RuleClassifier:
    """Only the admin rules of the intent files (no training, no Kiwi)."""
    return RuleClassifier(RuleSet.from_data(load_intents(config)), voc_types(config))
