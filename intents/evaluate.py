"""Quality numbers: a labelled CSV/TSV file through the classifier, and cross-validation."""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.conversation.classification import Classifier, VocType
from bot.errors import IntentFileError
from intents.features import Morphology, normalize
from intents.metrics import NONE, report
from intents.model import group_names, tokens, train
from intents.progress import Report

VOC_LABELS = tuple(t.value for t in VocType)
_NO_TYPE = {"", NONE, "-", "null"}


@dataclass(frozen=True)
class Row:
    text: str
    voc_type: str  # a VocType value, or NONE
    intent: str | None
    line: int
    lang: str | None = None  # from an optional ``lang`` column (ko, en, ...)


def read_rows(path: Path) -> list[Row]:
    """Rows of a CSV or TSV file with a header naming ``text``, ``voc_type`` (or ``type``), optionally
    ``intent`` and ``lang``; other columns are ignored."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise IntentFileError(str(path), None, f"cannot read: {exc}") from None
    reader = csv.reader(io.StringIO(content), delimiter=_delimiter(path, content))
    header = [h.strip().lower() for h in next(reader, [])]
    kind = "voc_type" if "voc_type" in header else "type"
    if "text" not in header or kind not in header:
        raise IntentFileError(str(path), 1, "the header needs a text column and a voc_type (or type) column")
    col = {name: header.index(name) for name in ("text", kind, "intent", "lang") if name in header}
    rows: list[Row] = []
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        cells = record + [""] * (len(header) - len(record))
        voc = cells[col[kind]].strip().lower()
        if voc not in VOC_LABELS and voc not in _NO_TYPE:
            raise IntentFileError(str(path), line, f"unknown voc_type {voc!r} (expected {', '.join(VOC_LABELS)})")
        intent = cells[col["intent"]].strip() or None if "intent" in col else None
        lang = cells[col["lang"]].strip().lower() or None if "lang" in col else None
        rows.append(Row(cells[col["text"]], voc if voc in VOC_LABELS else NONE, intent, line, lang))
    if not rows:
        raise IntentFileError(str(path), None, "no rows to evaluate")
    return rows


def _delimiter(path: Path, content: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    if path.suffix.lower() == ".csv":
        return ","
    first = content.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first, delimiters=",\t;").delimiter
    except csv.Error:
        return "\t" if "\t" in first else ","


def evaluate(
    classifier: Classifier, rows: Sequence[Row], progress: Report | None = None, *, errors: int = 0,
) -> dict[str, Any]:
    """Scores over VOC types (macro-F1 over the four types) and, when the rows name one, intents.

    When the rows name a language, ``languages`` holds the same scores per language. ``errors`` > 0
    adds the ``errors`` worst misclassified rows: wrong VOC type, most confident first.
    """
    found = []
    for done, row in enumerate(rows, 1):
        found.append(classifier.classify(row.text))
        if progress and (done % 20 == 0 or done == len(rows)):
            progress(done, len(rows))
    types = [c.voc_type.value if c.voc_type else NONE for c in found]
    result = report([r.voc_type for r in rows], types, macro_over=VOC_LABELS)
    labelled = [(r.intent, c.intent) for r, c in zip(rows, found, strict=True) if r.intent]
    if labelled:
        result["intents"] = report([g for g, _ in labelled], [p for _, p in labelled])
    languages = sorted({r.lang for r in rows if r.lang})
    if languages:
        result["languages"] = {
            lang: report([r.voc_type for r in rows if r.lang == lang],
                         [t for r, t in zip(rows, types, strict=True) if r.lang == lang], macro_over=VOC_LABELS)
            for lang in languages
        }
    if errors > 0:
        wrong = [(r, c, t) for r, c, t in zip(rows, found, types, strict=True) if t != r.voc_type]
        wrong.sort(key=lambda item: (-item[1].confidence, item[0].line))
        result["errors"] = [
            {"line": r.line, "text": r.text, "gold": r.voc_type, "predicted": t, "intent": c.intent,
             "confidence": round(c.confidence, 4), **({"lang": r.lang} if r.lang else {})}
            for r, c, t in wrong[:errors]
        ]
    return result


def fold_of(labels: Sequence[str], folds: int, seed: int = 13) -> list[int]:
    """Stratified fold numbers: each label's examples, shuffled, dealt round-robin to the folds."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    rng = random.Random(seed)
    assigned = [0] * len(labels)
    start = 0
    for label in sorted(by_label):
        members = by_label[label]
        rng.shuffle(members)
        for k, i in enumerate(members):
            assigned[i] = (start + k) % folds
        start += len(members)
    return assigned


Predictor = Callable[[Sequence[str], Sequence[str], Sequence[str]], list[str]]


def cross_validate(
    texts: Sequence[str], labels: Sequence[str], voc_types: Mapping[str, VocType], *, folds: int = 5,
    predictor: Predictor | None = None, progress: Report | None = None,
) -> dict[str, Any]:
    """Stratified k-fold scores of the model alone (no rules), over VOC types and intents."""
    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    predict = predictor or model_predictor(group_names(labels, voc_types))
    assigned = fold_of(labels, folds)
    predicted: list[str] = [""] * len(texts)
    for k in range(folds):
        train_idx = [i for i, f in enumerate(assigned) if f != k]
        test_idx = [i for i, f in enumerate(assigned) if f == k]
        guesses = predict([texts[i] for i in train_idx], [labels[i] for i in train_idx], [texts[i] for i in test_idx])
        for i, guess in zip(test_idx, guesses, strict=True):
            predicted[i] = guess
        if progress:
            progress(k + 1, folds)

    def voc(intent: str) -> str:
        kind = voc_types.get(intent)
        return kind.value if kind else NONE

    result = report([voc(y) for y in labels], [voc(p) for p in predicted], macro_over=VOC_LABELS)
    result["folds"] = folds
    result["intents"] = report(list(labels), predicted)
    return result


def model_predictor(group_of: Mapping[str, str]) -> Predictor:
    """Our model; one Morphology for all folds so that each word goes through Kiwi once."""
    morphology = Morphology()

    def predict(train_texts: Sequence[str], train_labels: Sequence[str], test: Sequence[str]) -> list[str]:
        model = train(train_texts, train_labels, group_of, morphology=morphology)
        scorer = model.morphology(memo=morphology.memo, tail_memo=morphology.tail_memo)
        return [model.labels[int(model.probabilities(tokens(normalize(t), scorer)).argmax())] for t in test]

    return predict
