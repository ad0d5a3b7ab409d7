"""``vocdesk dispatch``, ``vocdesk outbox ...`` and ``vocdesk sweep``: delivering notices, and what is waiting."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
from datetime import datetime

import typer

from bot.cli.context import app_config, group, print_table, run
from bot.errors import InputRejected

outbox_app = group("Notices and alerts waiting, sent or dead (the outbox and its deliveries).")
STATES = ("pending", "sent", "dead")


def dispatch_command(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="One pass over everything due, then exit (tests, cron)."),
) -> None:
    """Deliver notices: customers' AlimTalk/SMS and chat notices, staff alerts (Slack or the console). Runs until
    Ctrl-C/SIGTERM, finishing the sends in flight, and sweeps every [notify] sweep_minutes."""
    from bot.app import alert_plan, open_desk, open_notices
    from bot.notices.sweep import Sweeper

    config = app_config(ctx)

    async def go() -> None:
        import asyncio

        desk = await open_desk(config)
        notices = await open_notices(config, desk.database, desk.calendar, desk.clock, stream=sys.stdout)
        try:
            if once:
                done = await notices.dispatcher.run_once()
                typer.echo(f"dispatched: {done.fanned_out} events, {done.sent} sent, {done.retried} to retry, "
                           f"{done.dead} dead", err=True)
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, stop.set)
            notify = config.settings.notify
            typer.echo(f"dispatching (provider {notify.provider}); Ctrl-C stops", err=True)
            sweeping = None
            if notify.sweep_minutes:
                sweeper = Sweeper(desk.uow, desk.calendar, desk.clock, alert_plan(config))
                sweeping = asyncio.create_task(sweeper.run(stop, notify.sweep_minutes * 60))
            await notices.dispatcher.run(stop, notices.wake, interval=notify.poll_interval)
            if sweeping is not None:
                await sweeping
        finally:
            await notices.aclose()
            await desk.aclose()

    with contextlib.suppress(KeyboardInterrupt):
        run(go())


@outbox_app.command("list")
def outbox_list(
    ctx: typer.Context,
    status: str | None = typer.Option(None, "--status", metavar="STATE",
                                      help="pending (including events not yet fanned out), sent or dead."),
    limit: int = typer.Option(200, "--limit", min=0, metavar="N", help="At most N rows; 0: all."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON array."),
) -> None:
    """Deliveries, newest first, with their state, attempts and last error."""
    from bot.app import open_desk

    if status is not None and status not in STATES:
        raise InputRejected(f"--status {status!r}: use one of {', '.join(STATES)}")
    config = app_config(ctx)

    async def go() -> list[dict[str, object]]:
        desk = await open_desk(config)
        try:
            async with desk.uow() as uow:
                rows = await uow.deliveries.rows(status, limit or None)
            tz = desk.calendar.tz
            return [{
                "id": r.id, "outbox_id": r.outbox_id, "kind": r.kind, "number": r.number,
                "subscriber": r.subscriber, "sink": r.sink, "state": r.state, "attempts": r.attempts,
                "next_attempt_at": _at(r.next_attempt_at, tz), "sent_at": _at(r.sent_at, tz),
                "last_error": r.last_error, "created_at": _at(r.created_at, tz),
            } for r in rows]
        finally:
            await desk.aclose()

    rows = run(go())
    if json_out:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    print_table(("id", "kind", "number", "to", "state", "attempts", "next / sent", "last error"), [(
        str(r["id"] or f"event {r['outbox_id']}"), str(r["kind"]), str(r["number"]),
        f"{r['subscriber']}/{r['sink']}" if r["sink"] else "-", str(r["state"]), str(r["attempts"]),
        str(r["sent_at"] or r["next_attempt_at"] or ""), str(r["last_error"]),
    ) for r in rows], empty="nothing in the outbox")


@outbox_app.command("retry")
def outbox_retry(ctx: typer.Context, delivery: int = typer.Argument(..., metavar="ID",
                                                                      help="A dead delivery's id.")) -> None:
    """Send a dead delivery again (attempts start over), at the next dispatch."""
    from bot.app import open_desk

    config = app_config(ctx)

    async def go() -> bool:
        desk = await open_desk(config)
        try:
            async with desk.uow() as uow:
                done = await uow.deliveries.retry(delivery, desk.clock.now())
                await uow.commit()
            return done
        finally:
            await desk.aclose()

    if not run(go()):
        raise InputRejected(f"no dead delivery {delivery} (see vocdesk outbox list --status dead)")
    typer.echo(f"delivery {delivery} will be sent again at the next dispatch")


def sweep_command(
    ctx: typer.Context,
    now: str | None = typer.Option(None, "--now", metavar="ISO8601",
                                   help="Decide as if it were this instant (institution time when no offset)."),
) -> None:
    """One time-driven pass: queue the notices time has made due (30-day progress notices, staff deadline
    warnings, the morning digest), for delivery at once. The same pass at the same instant queues nothing new."""
    from bot.app import alert_plan, open_desk
    from bot.notices.sweep import Swept, sweep

    config = app_config(ctx)

    async def go() -> Swept:
        desk = await open_desk(config)
        try:
            at = _instant(now, desk.calendar.tz) if now else desk.clock.now()
            return await sweep(desk.uow, desk.calendar, at, alert_plan(config))
        finally:
            await desk.aclose()

    typer.echo(f"swept: {run(go())}")


def _instant(text: str, tz: object) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InputRejected(f"--now {text!r} is not an ISO 8601 date-time") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=tz)  # type: ignore[arg-type]


def _at(at: datetime | None, tz: object) -> str | None:
    return at.astimezone(tz).isoformat() if at else None  # type: ignore[arg-type]
