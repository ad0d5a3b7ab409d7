"""``vocdesk config check``, ``vocdesk db upgrade`` and ``vocdesk sla due``: setting up and asking."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import typer

from bot.casework.deadlines import Law, Regime, Stop, Unit
from bot.cli.context import app_config, group, run
from bot.errors import InputRejected

if TYPE_CHECKING:
    from bot.casework.deadlines import Interval, Period
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
    law: Law = typer.Option(Law.MINWON, "--law",
                            help="minwon (민원처리법) or disclosure (정보공개법 제11조: both readings)."),
    pauses: list[str] = typer.Option([], "--pause", metavar="START/END",
                                     help="A span the clock stood still, e.g. 2026-11-17T14:00/2026-11-18T11:00 "
                                          "(repeatable)."),
    stop: Stop = typer.Option(Stop.SUPPLEMENT, "--stop", help="Why the --pause spans stopped the clock."),
    arrived: str | None = typer.Option(None, "--arrived", metavar="ISO8601",
                                       help="When an electronic filing reached the institution (시행령 제6조⑧)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Print the legal due instant of a VOC received at --received (and its legal end, pauses, readings)."""
    from bot.app import build_calendar
    from bot.casework import limits
    from bot.casework.deadlines import schedule
    from bot.conversation.texts import korean_due

    config = app_config(ctx)
    calendar = build_calendar(config.settings)
    tz = calendar.tz
    at = _received(received, tz)
    chosen = _period(config.settings, str(config.path), intent, period, unit, regime, law)
    spans = [_pause(text, tz, stop) for text in pauses]
    try:
        plan = schedule(at, chosen, calendar, paused=spans)
        objection = limits.objection_from(at, calendar) if chosen.law is Law.DISCLOSURE else None
        registration = limits.registration_limit(_received(arrived, tz, "--arrived"), calendar) if arrived else None
    except (ValueError, OverflowError) as exc:  # a due date past the year 9999, or out of the holiday tables
        raise InputRejected(f"cannot count {chosen} from {at.isoformat()}: {exc}") from None
    due_at = plan.due.due_at.astimezone(tz)
    due_text = korean_due(plan.due.due_at, plan.due.date_only, tz)
    readings = {r.value: d.due_at.astimezone(tz).isoformat() for r, d in plan.readings.items()}
    if json_out:
        typer.echo(json.dumps({
            "received_at": at.astimezone(tz).isoformat(), "period": str(chosen),
            "unit": chosen.unit.value, "regime": chosen.regime.value, "law": chosen.law.value,
            "due_at": due_at.isoformat(), "date_only": plan.due.date_only, "due_text": due_text,
            "legal_end": plan.legal_end.astimezone(tz).isoformat(),
            "pauses": [{"start": p.start.isoformat(), "end": p.end.isoformat() if p.end else None,
                        "kind": p.kind.value, "article": p.kind.article} for p in spans],
            "readings": readings,
            "objection_from": objection.astimezone(tz).isoformat() if objection else None,
            "registration_limit": registration.astimezone(tz).isoformat() if registration else None,
        }, ensure_ascii=False))
        return
    lines = [f"{due_at.isoformat()}  ({chosen}, {due_text})",
             f"legal end: {_legal(plan.legal_end, plan.due.date_only, tz)}"]
    lines += [f"clock stopped: {p.start.isoformat()} → {p.end.isoformat() if p.end else ''}  "
              f"({p.kind.label_ko}, {p.kind.article})" for p in spans]
    if chosen.law is Law.DISCLOSURE and objection is not None:
        lines.append("readings (정보공개법 제11조): " + ", ".join(f"{k} {v}" for k, v in readings.items())
                     + f"; alerts on the earlier, compliance on {chosen.regime.value}")
        lines.append(f"objection possible from: {objection.astimezone(tz).isoformat()}  (정보공개법 제18조①)")
    if registration is not None:
        lines.append(f"register (접수) by: {registration.astimezone(tz).isoformat()}  (시행령 제6조⑧)")
    typer.echo("\n".join(lines))


def _legal(end: datetime, date_only: bool, tz: ZoneInfo) -> str:
    """``2026-10-02 24:00+09:00 (...)`` for a day-counted period: the legal end is the end of the last day."""
    local = end.astimezone(tz)
    if not date_only:
        return local.isoformat()
    return f"{local - timedelta(days=1):%Y-%m-%d} 24:00{local.isoformat()[-6:]}  (행정기본법 제6조①, 민법 제159조)"


def _received(text: str, tz: ZoneInfo, option: str = "--received") -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InputRejected(f"{option} {text!r} is not an ISO 8601 date-time") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=tz)


def _pause(text: str, tz: ZoneInfo, stop: Stop) -> Interval:
    from bot.casework.deadlines import Interval

    start, slash, end = text.partition("/")
    if not slash:
        raise InputRejected(f"--pause {text!r} is not START/END (two ISO 8601 date-times)")
    try:
        return Interval(_received(start, tz, "--pause"), _received(end, tz, "--pause"), stop)
    except ValueError as exc:
        raise InputRejected(f"--pause {text!r}: {exc}") from None


def _period(settings: Settings, file: str, intent: str | None, amount: int | None, unit: Unit | None,
            regime: Regime, law: Law) -> Period:
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
        return Period(amount or 0, unit, regime, law)
    except ValueError as exc:  # e.g. an amount with "immediate", or hours under the civil regime
        raise InputRejected(f"--period/--unit/--regime/--law: {exc}") from None
