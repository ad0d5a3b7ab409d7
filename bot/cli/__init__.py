"""The ``vocdesk`` command line: the CLI's composition root, which mounts every command group.

Listing the commands must stay quick (``vocdesk --help`` well under 0.3 s), so the modules imported here
import typer and small enums only; each command imports what it uses when it runs. Every error vocdesk
raises on purpose, and every usage error, is printed as one line ``error: ...`` with exit status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import typer

from bot.cli.admin import config_app, db_app, sla_app
from bot.cli.context import CliState, app_config, hoist_config, run
from bot.cli.notices import dispatch_command, outbox_app, sweep_command
from bot.cli.standard import demo_app, remedies_app, report_command, survey_app
from bot.cli.tickets import handoffs_app, tickets_app
from bot.errors import VocdeskError
from handlers.rasa_cli import rasa_actions_command
from handlers.server_cli import serve_command
from handlers.slack_cli import slack_command
from handlers.telegram_cli import telegram_command
from intents.cli import classify_command, intents_app

app = typer.Typer(help="vocdesk: a VOC front desk for Korean public institutions.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False, rich_markup_mode=None)


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"vocdesk {version('vocdesk')}")
        except PackageNotFoundError:
            typer.echo("vocdesk (not installed: run from a source tree)")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(None, "--config", metavar="PATH",
                                       help="config.toml to use (or set VOCDESK_CONFIG); accepted after any "
                                            "command too."),
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the version and exit."),
) -> None:
    ctx.obj = CliState(config_option=config)


@app.command("chat")
def chat(
    ctx: typer.Context,
    user: str = typer.Option("local", "--user", metavar="ID", help="The customer identity of this terminal session."),
) -> None:
    """Talk to the bot as a customer in the terminal (also works with piped stdin)."""
    from bot.app import bootstrap
    from handlers.console import run_console

    config = app_config(ctx)
    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")

    async def go() -> None:
        vocdesk = await bootstrap(config, progress=sys.stderr.isatty())
        try:
            await run_console(vocdesk.dialogue.handle, sys.stdin, sys.stdout, user_id=user,
                              interactive=sys.stdin.isatty(), texts=vocdesk.texts)
        finally:
            await vocdesk.aclose()

    try:
        run(go())
    except KeyboardInterrupt:
        typer.echo()
        raise typer.Exit(130) from None


app.command("serve")(serve_command)
app.command("classify")(classify_command)
app.command("telegram")(telegram_command)
app.command("rasa-actions")(rasa_actions_command)
app.command("slack")(slack_command)
app.command("dispatch")(dispatch_command)
app.command("sweep")(sweep_command)
app.command("report")(report_command)
for name, sub in (("config", config_app), ("db", db_app), ("sla", sla_app), ("tickets", tickets_app),
                  ("handoffs", handoffs_app), ("outbox", outbox_app), ("intents", intents_app),
                  ("remedies", remedies_app), ("survey", survey_app), ("demo", demo_app)):
    sub.rich_markup_mode = None  # one help style everywhere: plain, with flags shown as flags
    app.add_typer(sub, name=name)

# click's ClickException, whether typer vendors click (typer >= 0.2x) or depends on it.
_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``vocdesk`` console script."""
    args = hoist_config(sys.argv[1:] if argv is None else argv)
    try:
        code = app(args=args, prog_name="vocdesk", standalone_mode=False)
    except VocdeskError as exc:
        _fail(str(exc))
    except _USAGE_ERROR as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # a command group called bare: its help
            typer.echo(exc.format_message(), err=True)  # type: ignore[attr-defined]
            sys.exit(2)
        _fail(exc.format_message())  # type: ignore[attr-defined]
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"error: {' '.join(message.split())}\n")
    sys.exit(2)
