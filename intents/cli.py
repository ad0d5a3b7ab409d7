"""``vocdesk intents ...`` and ``vocdesk classify``: train, check and measure the classifier."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bot.cli.context import app_config
from bot.conversation.classification import DIALOGUE_INTENTS
from bot.errors import IntentFileError

if TYPE_CHECKING:
    from rich.console import Console

    from bot.conversation.classification import Candidate, Classification
    from intents.nlu import NluData

# Each command imports what it uses (the model, NumPy, scikit-learn, rich) so that listing the commands
# or running another one never loads them.

intents_app = typer.Typer(help="Intent files (Rasa NLU YAML) and the classifier.", no_args_is_help=True)


def _out() -> Console:
    from rich.console import Console

    return Console(soft_wrap=True, highlight=False)


def _json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False))


def _summary(data: NluData) -> str:
    examples = sum(len(block.examples) for block in data.intents)
    patterns = sum(len(rule.patterns) for rule in data.rules)
    return f"{len(data.intents)} intents, {examples} examples, {patterns} rule patterns"


@intents_app.command("train")
def train_command(ctx: typer.Context) -> None:
    """Train the classifier from the intent files now and cache it (start-up then only loads it)."""
    from intents.loader import load

    config = app_config(ctx)
    loaded = load(config, progress=True, force=True)
    where = loaded.cache_file or "memory only (cache folder not writable)"
    _out().print(f"trained on {_summary(loaded.data)} in {loaded.seconds:.1f} s → {where}")


@intents_app.command("check")
def check_command(ctx: typer.Context) -> None:
    """Report duplicate or conflicting examples, intents without metadata or examples; exit 1 if any."""
    from intents.check import check
    from intents.loader import intents_dir
    from intents.nlu import load_dir

    config = app_config(ctx)
    data = load_dir(intents_dir(config))
    problems = check(data, config.settings.intents, str(config.path))
    out = _out()
    if not problems:
        out.print(f"{intents_dir(config)}: OK — {_summary(data)}")
        return
    for p in problems:  # file:line: problem, one a line, so that editors can jump to each
        out.print(str(p), markup=False)
    out.print(f"{len(problems)} problem(s)")
    raise typer.Exit(1)


@intents_app.command("eval")
def eval_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV or TSV with a header: text, voc_type (or type), optional intent."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    errors: int = typer.Option(0, "--errors", min=0, help="Also list the N worst misclassified lines."),
) -> None:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix on a labelled file."""
    from intents import report
    from intents.evaluate import evaluate, read_rows
    from intents.loader import load
    from intents.progress import progress_bar

    rows = read_rows(file)
    classifier = load(app_config(ctx), progress=not json_out).classifier
    with progress_bar("classifying", enabled=not json_out) as progress:
        result = evaluate(classifier, rows, progress, errors=errors)
    if json_out:
        _json(result)
    else:
        report.show(_out(), file.name, result)


@intents_app.command("cv")
def cv_command(
    ctx: typer.Context,
    folds: int = typer.Option(5, "--folds", min=2, max=20, help="Number of stratified folds."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Stratified cross-validation of the model (without the admin rules) on the intent files."""
    from intents import report
    from intents.evaluate import cross_validate
    from intents.loader import load_intents, training_set, voc_types
    from intents.progress import progress_bar

    config = app_config(ctx)
    texts, labels = training_set(load_intents(config))
    with progress_bar(f"{folds}-fold cross-validation", enabled=not json_out) as progress:
        result = cross_validate(texts, labels, voc_types(config), folds=folds, progress=progress)
    if json_out:
        _json(result)
    else:
        report.show(_out(), f"{folds}-fold cross-validation (model only)", result)


@intents_app.command("import-rasa")
def import_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A Rasa NLU training-data YAML file."),
    force: bool = typer.Option(False, "--force", help="Overwrite an intent file of the same name."),
) -> None:
    """Validate a Rasa NLU file and copy it into the intents folder."""
    from intents.loader import intents_dir
    from intents.nlu import NluData, intent_files, load_file

    config = app_config(ctx)
    data = load_file(file)
    folder = intents_dir(config)
    target = folder / (file.name if file.suffix in (".yml", ".yaml") else f"{file.stem}.yml")
    if target.exists() and not force:
        raise IntentFileError(str(target), None, "already exists; use --force to overwrite it")
    merged = NluData()
    for other in intent_files(folder):
        if other.resolve() != target.resolve():
            merged = merged.merged(load_file(other))
    merged.merged(data)  # an intent already defined in another file is an error naming both places
    _write(target, file.read_bytes())
    out = _out()
    out.print(f"imported {_summary(data)} → {target}")
    known = set(config.settings.intents) | DIALOGUE_INTENTS
    missing = [b.name for b in data.intents if b.name not in known]
    if missing:
        out.print(f"note: before the next start add [intents.<name>] (voc_type, policy) to {config.path} "
                  f"for {', '.join(missing)}")


@intents_app.command("export-rasa")
def export_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The Rasa NLU YAML file to write."),
    force: bool = typer.Option(False, "--force", help="Overwrite the file if it exists."),
) -> None:
    """Write every intent, example and rule into one Rasa 3.1 NLU YAML file."""
    from intents.loader import intents_dir
    from intents.nlu import dump, load_dir

    folder = intents_dir(app_config(ctx))
    if file.resolve().parent == folder.resolve() and file.suffix in (".yml", ".yaml"):
        raise IntentFileError(str(file), None, "is inside the intents folder: every intent would be defined twice")
    if file.exists() and not force:
        raise IntentFileError(str(file), None, "already exists; use --force to overwrite it")
    data = load_dir(folder)
    _write(file, dump(data).encode("utf-8"))
    _out().print(f"exported {_summary(data)} → {file}")


def classify_command(
    ctx: typer.Context,
    text: str = typer.Argument(..., help="The customer's message."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Classify TEXT: intent, VOC type, confidence and the next best intents."""
    from rich.table import Table

    from intents.loader import load

    config = app_config(ctx)
    found = load(config, progress=not json_out).classifier.classify(text)
    if json_out:
        _json(found.as_dict())
        return
    meta = config.settings.intents
    table = Table("intent", "label", "VOC type", "confidence")
    rows: list[Classification | Candidate] = [found, *found.alternatives]
    for c in rows:
        label = meta[c.intent].label if c.intent in meta else ""
        table.add_row(c.intent, label, c.voc_type.value if c.voc_type else "-", f"{c.confidence:.3f}")
    _out().print(table)
    if found.source == "rule":
        _out().print("decided by an admin rule in the intent files")


def _write(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically (a temporary file in the same folder, then rename)."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise IntentFileError(str(path), None, f"cannot write: {exc.strerror or exc}") from None
