"""``vocdesk config check``, ``vocdesk db upgrade`` and ``vocdesk sla due``: setting up and asking."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import typer

from bot.casework.deadlines import Regime, Unit
from bot.cli.context import app_config, group, run
from bot.errors import InputRejected

if TYPE_CHECKING:
    from bot.casework.deadlines import Period
    from bot.config import Settings

MAX_PERIOD = 366  # as in [policies]: the longest period a policy may have

config_app = group("Check the configuration.")
db_app = group("The database schema.")
sla_app = group("Legal deadlines (민원처리법 제19조).")


@config_app.command("check")
def config_check(ctx: typer.Context) -> None:
    """Validate config.toml without starting anything."""
    from bot.app import load_templates, load_texts

    config = app_config(ctx)
    s = config.settings
    load_texts(config)  # the admin's text overrides: an unknown key or a changed placeholder is an error
    load_templates(config)  # the notice templates ([notify] templates): an unknown variable is an error
    typer.echo(f"{config.path}: OK — {len(s.intents)} intents, {len(s.departments)} departments, "
               f"{len(s.policies)} deadline policies")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create the database or apply new migrations, and say which (make run does this too)."""
    from bot.app import upgrade_database

    typer.echo(str(run(upgrade_database(app_config(ctx)))))


@sla_app.command("due")
def sla_due(
    ctx: typer.Context,
    received: str = typer.Option(..., "--received", metavar="ISO8601",
                                 help="접수 instant, e.g. 2026-09-22T10:00 (the institution's time zone "
                                      "when no offset is given)."),
    intent: str | None = typer.Option(None, "--intent", metavar="NAME", help="Use the deadline policy of this intent."),
    period: int | None = typer.Option(None, "--period", min=1, max=MAX_PERIOD, metavar="N",
                                      help="Period length."),
    unit: Unit | None = typer.Option(None, "--unit", help="Unit of --period."),
    regime: Regime = typer.Option(Regime.MINWON, "--regime", help="minwon (민원처리법) or civil (민법)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Print the legal due instant of a VOC received at --received."""
    from bot.app import build_calendar
    from bot.casework.deadlines import compute_due
    from bot.conversation.texts import korean_due

    config = app_config(ctx)
    calendar = build_calendar(config.settings)
    at = _received(received, calendar.tz)
    chosen = _period(config.settings, str(config.path), intent, period, unit, regime)
    try:
        deadline = compute_due(at, chosen, calendar)
    except (ValueError, OverflowError) as exc:  # a due date past the year 9999, or out of the holiday tables
        raise InputRejected(f"cannot count {chosen} from {at.isoformat()}: {exc}") from None
    due_at = deadline.due_at.astimezone(calendar.tz)
    due_text = korean_due(deadline.due_at, deadline.date_only, calendar.tz)
    if json_out:
        typer.echo(json.dumps({
            "received_at": at.astimezone(calendar.tz).isoformat(), "period": str(chosen),
            "unit": chosen.unit.value, "regime": chosen.regime.value, "due_at": due_at.isoformat(),
            "date_only": deadline.date_only, "due_text": due_text,
        }, ensure_ascii=False))
    else:
        typer.echo(f"{due_at.isoformat()}  ({chosen}, {due_text})")


def _received(text: str, tz: ZoneInfo) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InputRejected(f"--received {text!r} is not an ISO 8601 date-time") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=tz)


def _period(settings: Settings, file: str, intent: str | None, amount: int | None, unit: Unit | None,
            regime: Regime) -> Period:
    from bot.casework.deadlines import Period

    if intent is not None:
        if amount is not None or unit is not None:
            raise InputRejected("give --intent NAME or --period N --unit UNIT, not both")
        if intent not in settings.intents:
            raise InputRejected(f"unknown intent {intent!r}; see [intents] in {file}")
        return settings.policies[settings.intents[intent].policy].to_period()
    if unit is None or (amount is None and unit is not Unit.IMMEDIATE):
        raise InputRejected("give --intent NAME, or --period N --unit UNIT (or --unit immediate)")
    try:
        return Period(amount or 0, unit, regime)
    except ValueError as exc:  # e.g. an amount with "immediate", or hours under the civil regime
        raise InputRejected(f"--period/--unit/--regime: {exc}") from None
