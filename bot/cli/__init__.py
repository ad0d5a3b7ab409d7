"""The ``vocdesk`` command line. Every error vocdesk raises on purpose is printed as one line."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from bot.app import App, bootstrap, build_calendar, open_database
from bot.classification import NullClassifier
from bot.clictx import CliState, app_config
from bot.deadlines import Period, Regime, Unit, compute_due
from bot.errors import InputRejected, TicketNotFound, VocdeskError
from bot.staff import ACTIONS, Staff, StaffAction
from bot.texts import korean_due
from bot.tickets import ExtensionReason, Status
from bot.views import ticket_json

T = TypeVar("T")

app = typer.Typer(help="vocdesk: a VOC front desk for Korean public institutions.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
config_app = typer.Typer(help="Check the configuration.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
sla_app = typer.Typer(help="Legal deadlines (민원처리법 제19조).", no_args_is_help=True)
tickets_app = typer.Typer(help="VOC tickets.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(sla_app, name="sla")
app.add_typer(tickets_app, name="tickets")

out = Console(soft_wrap=True)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@app.callback()
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(None, "--config", help="config.toml to use (or set VOCDESK_CONFIG)."),
) -> None:
    ctx.obj = CliState(config_option=config)


@config_app.command("check")
def config_check(ctx: typer.Context) -> None:
    """Validate config.toml without starting anything."""
    config = app_config(ctx)
    s = config.settings
    out.print(f"{config.path}: OK — {len(s.intents)} intents, {len(s.departments)} departments, "
              f"{len(s.policies)} deadline policies")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply the database migrations (make run does this too)."""
    config = app_config(ctx)

    async def go() -> None:
        database = await open_database(config)
        await database.close()

    _run(go())
    out.print("database is up to date")


@sla_app.command("due")
def sla_due(
    ctx: typer.Context,
    received: str = typer.Option(..., "--received", help="접수 instant, ISO 8601 (KST when no offset)."),
    intent: str | None = typer.Option(None, "--intent", help="Use the deadline policy of this intent."),
    period: int | None = typer.Option(None, "--period", min=0, help="Period length."),
    unit: Unit | None = typer.Option(None, "--unit", help="Unit of --period."),
    regime: Regime = typer.Option(Regime.MINWON, "--regime", help="minwon (민원처리법) or civil (민법)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Print the legal due instant of a VOC received at --received."""
    config = app_config(ctx)
    settings = config.settings
    calendar = build_calendar(settings)
    try:
        at = datetime.fromisoformat(received)
    except ValueError:
        raise InputRejected(f"--received {received!r} is not an ISO 8601 date-time") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=calendar.tz)
    if intent is not None:
        if intent not in settings.intents:
            raise InputRejected(f"unknown intent {intent!r}; see [intents] in {config.path}")
        chosen = settings.policies[settings.intents[intent].policy].to_period()
    elif unit is not None and (period is not None or unit is Unit.IMMEDIATE):
        chosen = Period(period or 0, unit, regime)
    else:
        raise InputRejected("give --intent NAME, or --period N --unit UNIT (or --unit immediate)")
    deadline = compute_due(at, chosen, calendar)
    due_text = korean_due(deadline.due_at, deadline.date_only, calendar.tz)
    if json_out:
        print(json.dumps({
            "received_at": at.astimezone(calendar.tz).isoformat(), "period": str(chosen),
            "unit": chosen.unit.value, "regime": chosen.regime.value,
            "due_at": deadline.due_at.astimezone(calendar.tz).isoformat(),
            "date_only": deadline.date_only, "due_text": due_text,
        }, ensure_ascii=False))
    else:
        out.print(f"{deadline.due_at.astimezone(calendar.tz).isoformat()}  ({chosen}, {due_text})")


async def _with_app(ctx: typer.Context, *, need_classifier: bool) -> App:
    config = app_config(ctx)
    if not need_classifier:
        return await bootstrap(config, classifier=NullClassifier())
    return await bootstrap(config, progress=sys.stderr.isatty())


@app.command("chat")
def chat(
    ctx: typer.Context,
    user: str = typer.Option("local", "--user", help="The customer identity of this terminal session."),
) -> None:
    """Talk to the bot as a customer in the terminal (also works with piped stdin)."""
    from handlers.console import run_console

    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")

    async def go() -> None:
        vocdesk = await _with_app(ctx, need_classifier=True)
        try:
            await run_console(vocdesk.dialogue.handle, sys.stdin, sys.stdout, user_id=user,
                              interactive=sys.stdin.isatty())
        finally:
            await vocdesk.aclose()

    try:
        _run(go())
    except KeyboardInterrupt:
        out.print()
        raise typer.Exit(130) from None


@tickets_app.command("list")
def tickets_list(
    ctx: typer.Context,
    status: Status | None = typer.Option(None, "--status"),
    json_out: bool = typer.Option(False, "--json"),
    limit: int = typer.Option(500, "--limit", min=1),
) -> None:
    """List tickets, newest first."""

    async def go() -> None:
        vocdesk = await _with_app(ctx, need_classifier=False)
        try:
            async with vocdesk.database.uow() as uow:
                tickets = await uow.tickets.list(status=status, limit=limit)
        finally:
            await vocdesk.aclose()
        tz = vocdesk.calendar.tz
        if json_out:
            print(json.dumps([ticket_json(t, tz) for t in tickets], ensure_ascii=False))
            return
        table = Table("number", "type", "intent", "status", "department", "received", "due")
        for t in tickets:
            table.add_row(t.number, t.voc_type.label_ko, t.intent, t.status.label_ko, t.department,
                          f"{t.received_at.astimezone(tz):%Y-%m-%d %H:%M}",
                          korean_due(t.due_at, t.due_date_only, tz))
        out.print(table)

    _run(go())


@tickets_app.command("show")
def tickets_show(ctx: typer.Context, number: str, json_out: bool = typer.Option(False, "--json")) -> None:
    """One ticket with its whole event log."""

    async def go() -> None:
        vocdesk = await _with_app(ctx, need_classifier=False)
        try:
            async with vocdesk.database.uow() as uow:
                ticket = await uow.tickets.get(number.strip().upper())
        finally:
            await vocdesk.aclose()
        if ticket is None:
            raise TicketNotFound(number)
        data = ticket_json(ticket, vocdesk.calendar.tz)
        if json_out:
            print(json.dumps(data, ensure_ascii=False))
            return
        for key in ("number", "voc_type", "intent", "status", "department", "channel", "received_at",
                    "due_text", "policy", "assignee", "contact_phone", "text", "answer"):
            out.print(f"[bold]{key}[/]: {data[key]}", highlight=False)
        table = Table("at", "actor", "action", "from", "to", "reason")
        for e in data["events"]:
            table.add_row(e["at"], e["actor"], e["action"], e["from"] or "", e["to"], e["reason"])
        out.print(table)

    _run(go())


@tickets_app.command("act")
def tickets_act(
    ctx: typer.Context,
    number: str,
    action: str = typer.Argument(..., help=f"One of: {', '.join(ACTIONS)}"),
    actor: str = typer.Option("staff:cli", "--actor"),
    reason: str = typer.Option("", "--reason"),
    assignee: str = typer.Option("", "--assignee"),
    department: str = typer.Option("", "--to", help="Department key for transfer."),
    answer: str = typer.Option("", "--answer"),
    period: int | None = typer.Option(None, "--period", min=1, help="Extension length (default: the original)."),
    reason_code: ExtensionReason | None = typer.Option(None, "--reason-code", help="시행령 제21조 reason."),
    consent: bool = typer.Option(False, "--consent", help="The customer consented (second extension)."),
) -> None:
    """Move a ticket through its lifecycle (staff action); every change is logged as an event."""

    async def go() -> None:
        vocdesk = await _with_app(ctx, need_classifier=False)
        try:
            staff = Staff(vocdesk.database.uow, vocdesk.calendar, vocdesk.clock,
                          frozenset(vocdesk.config.settings.departments))
            ticket = await staff.act(number.strip().upper(), StaffAction(
                action=action, actor=actor, reason=reason, assignee=assignee, department=department,
                answer=answer, extension_amount=period, extension_reason=reason_code, consent=consent,
            ))
        finally:
            await vocdesk.aclose()
        out.print(f"{ticket.number}: {ticket.status.label_ko} ({ticket.status.value}), "
                  f"처리기한 {korean_due(ticket.due_at, ticket.due_date_only, vocdesk.calendar.tz)}")

    _run(go())


def _mount_commands() -> None:
    """Commands whose code lives with the layer they drive (the CLI is part of the composition root)."""
    from handlers.telegram_cli import telegram_command
    from intents.cli import classify_command, intents_app

    app.add_typer(intents_app, name="intents")
    app.command("classify")(classify_command)
    app.command("telegram")(telegram_command)


_mount_commands()


def main() -> None:
    """Entry point of the ``vocdesk`` console script: usage errors are typer's, ours are one line."""
    try:
        app()
    except VocdeskError as exc:
        Console(stderr=True, soft_wrap=True).print(f"error: {exc}", highlight=False, markup=False)
        sys.exit(2)
