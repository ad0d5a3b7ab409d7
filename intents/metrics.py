"""Accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix (pure functions)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

NONE = "none"  # the VOC type of a text that is no VOC (greeting, status check, ...)


def report(gold: Sequence[str], predicted: Sequence[str], *, macro_over: Iterable[str] | None = None) -> dict[str, Any]:
    """Scores of ``predicted`` against ``gold``.

    ``macro_f1`` averages the F1 of the labels in ``macro_over`` that occur in ``gold`` or
    ``predicted`` (by default all of them); ``per_class`` and ``confusion`` cover every label seen.
    """
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    seen = sorted(set(gold) | set(predicted), key=lambda label: (label == NONE, label))
    pairs = Counter(zip(gold, predicted, strict=True))
    gold_n, pred_n = Counter(gold), Counter(predicted)
    per_class: dict[str, dict[str, float | int]] = {}
    f1_of: dict[str, float] = {}
    for label in seen:
        hit = pairs[(label, label)]
        precision = hit / pred_n[label] if pred_n[label] else 0.0
        recall = hit / gold_n[label] if gold_n[label] else 0.0
        f1 = f1_of[label] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "support": gold_n[label],
        }
    wanted = set(seen) if macro_over is None else set(macro_over) & set(seen)
    f1s = [f1_of[label] for label in seen if label in wanted]
    correct = sum(n for (g, p), n in pairs.items() if g == p)
    return {
        "n": len(gold),
        "accuracy": round(correct / len(gold), 4) if gold else 0.0,
        "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        "per_class": per_class,
        "confusion": {"labels": seen, "matrix": [[pairs[(g, p)] for p in seen] for g in seen]},
    }
