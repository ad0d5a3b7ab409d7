"""Quality reports (from ``metrics.report``) as rich tables."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def show(console: Console, title: str, result: dict[str, Any]) -> None:
    console.print(f"[bold]{title}, VOC types[/]: {_scores(result)}")
    console.print(_per_class(result))
    console.print(_confusion(result))
    for lang, scores in result.get("languages", {}).items():
        console.print(f"[bold]{title}, VOC types, lang={lang}[/]: {_scores(scores)}")
        console.print(_per_class(scores))
        console.print(_confusion(scores))
    if "intents" in result:
        intents = result["intents"]
        console.print(
            f"[bold]{title}, intents[/]: accuracy={intents['accuracy']:.3f}  macro-F1={intents['macro_f1']:.3f}"
        )
        console.print(_per_class(intents))


    if "errors" in result:
        console.print(_errors(result["errors"]) if result["errors"] else "no misclassified lines")


def _scores(result: dict[str, Any]) -> str:
    return f"n={result['n']}  accuracy={result['accuracy']:.3f}  macro-F1={result['macro_f1']:.3f}"


def _errors(errors: list[dict[str, Any]]) -> Table:
    table = Table("line", "text", "gold", "predicted", "intent", "confidence",
                  title=f"the {len(errors)} worst misclassified lines (most confident first)")
    for e in errors:
        table.add_row(str(e["line"]), escape(e["text"]), e["gold"], e["predicted"], e["intent"],
                      f"{e['confidence']:.3f}")
    return table


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
