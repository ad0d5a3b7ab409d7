"""Quality reports (from ``metrics.report``) as rich tables."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def show(console: Console, title: str, result: dict[str, Any]) -> None:
    scores = f"n={result['n']}  accuracy={result['accuracy']:.3f}  macro-F1={result['macro_f1']:.3f}"
    console.print(f"[bold]{title}, VOC types[/]: {scores}")
    console.print(_per_class(result))
    console.print(_confusion(result))
    if "intents" in result:
        intents = result["intents"]
        console.print(
            f"[bold]{title}, intents[/]: accuracy={intents['accuracy']:.3f}  macro-F1={intents['macro_f1']:.3f}"
        )
        console.print(_per_class(intents))


def _per_class(result: dict[str, Any]) -> Table:
    table = Table("class", "precision", "recall", "F1", "support")
    for label, s in result["per_class"].items():
        table.add_row(label, f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}", str(s["support"]))
    return table


def _confusion(result: dict[str, Any]) -> Table:
    labels = result["confusion"]["labels"]
    table = Table("true \\ predicted", *labels, title="confusion matrix")
    for label, row in zip(labels, result["confusion"]["matrix"], strict=True):
        table.add_row(label, *(f"[bold]{n}[/]" if i == labels.index(label) else str(n) for i, n in enumerate(row)))
    return table
