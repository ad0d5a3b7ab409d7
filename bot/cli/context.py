"""What every CLI command shares: where the config is (loaded once per invocation), how a command runs its
coroutine and writes its output.

Imported to list the commands, so it imports nothing heavy: the config model (pydantic) and rich load
when a command first needs them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from bot.config import AppConfig

T = TypeVar("T")


@dataclass
class CliState:
    config_option: Path | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    _config: AppConfig | None = None

    def config(self) -> AppConfig:
        if self._config is None:
            from bot.config import config_path, load_config

            self._config = load_config(config_path(self.config_option, self.environ), self.environ)
        return self._config


def app_config(ctx: typer.Context) -> AppConfig:
    """The validated config of this invocation (raises ``ConfigError`` on a bad file)."""
    state = ctx.find_object(CliState)
    if state is None:
        state = CliState()
        ctx.obj = state
    return state.config()


def hoist_config(args: Sequence[str]) -> list[str]:
    """``args`` with every ``--config PATH`` / ``--config=PATH`` moved to the front, where the root command
    reads it: so ``vocdesk tickets list --config x.toml`` works like ``vocdesk --config x.toml tickets list``.
    Nothing after ``--`` is touched."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == "--config":
            front += args[i:i + 2]
            i += 2
            continue
        (front if arg.startswith("--config=") else rest).append(arg)
        i += 1
    return front + rest


def group(help: str) -> typer.Typer:
    """A command group in vocdesk's style: plain help (flags shown as flags), help when called bare."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)


def run(coro: Coroutine[Any, Any, T]) -> T:
    import asyncio  # not at the top: the commands that only read SQLite never need it

    return asyncio.run(coro)


def console() -> Console:
    from rich.console import Console

    return Console(soft_wrap=True, highlight=False)


def write_json_array(items: Iterable[Any], out: TextIO) -> int:
    """Write ``items`` to ``out`` as one JSON array, each item as soon as it comes, so that a listing of any
    size runs in bounded memory. Returns how many items were written."""
    count = 0
    out.write("[")
    for item in items:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(item, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def print_table(columns: Sequence[str], rows: Sequence[Sequence[str]], *, empty: str) -> None:
    """Rows under their column names. The first column (a number or an instant) is never cut or wrapped:
    the others wrap (never cut) on a narrow terminal and when the output is piped (80 columns)."""
    if not rows:
        typer.echo(empty)
        return
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for i, name in enumerate(columns):
        # A column never gets narrower than its longest word, so a word (a number, a date) is never split.
        words = [w for r in rows for w in r[i].split()] + name.split()
        table.add_column(name, no_wrap=i == 0, overflow="fold", min_width=max(map(cell_len, words)))
    for row in rows:
        table.add_row(*row)
    console().print(table)
