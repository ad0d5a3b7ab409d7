"""``vocdesk tickets ...`` and ``vocdesk handoffs ...``: what staff read and do.

These commands open the database without the classifier or the dialogue (``bot.app.open_desk``).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import typer

from bot.casework.staff import OPTIONS, SPECS, StaffAction
from bot.casework.tickets import ExtensionReason, Status
from bot.cli.context import app_config, console, group, print_table, run, write_json_array
from bot.errors import InputRejected, TicketNotFound

if TYPE_CHECKING:
    from bot.casework.tickets import Ticket
    from bot.ports import UnitOfWorkFactory

tickets_app = group("VOC tickets.")
handoffs_app = group("Customers who asked to talk to a person.")


@tickets_app.command("list")
def tickets_list(
    ctx: typer.Context,
    status: Status | None = typer.Option(None, "--status", help="Only tickets in this status."),
    department: str | None = typer.Option(None, "--department", metavar="KEY",
                                          help="Only this department's tickets (a key of [departments])."),
    channel: str | None = typer.Option(None, "--channel", metavar="NAME",
                                       help="Only tickets that came in on this channel (console, telegram, ...)."),
    overdue: bool = typer.Option(False, "--overdue", help="Only open tickets past their due instant."),
    limit: int = typer.Option(500, "--limit", min=0, metavar="N", help="At most N tickets; 0: all of them."),
    everything: bool = typer.Option(False, "--all", help="All matching tickets (same as --limit 0)."),
    json_out: bool = typer.Option(False, "--json",
                                  help="One JSON array, written while it is read (any number of tickets)."),
) -> None:
    """List tickets, newest first."""
    from bot.app import open_desk
    from bot.casework.views import TICKET_COLUMNS, ticket_json, ticket_row

    config = app_config(ctx)
    known = sorted(config.settings.departments)
    if department is not None and department not in known:
        raise InputRejected(f"unknown department {department!r}; one of {', '.join(known)}")

    async def go() -> list[tuple[str, ...]]:
        desk = await open_desk(config)
        try:
            now, tz = desk.clock.now(), desk.calendar.tz
            async with desk.uow() as uow:
                found = uow.tickets.stream(
                    status=status, department=department, channel=channel, overdue_at=now if overdue else None,
                    limit=None if everything or limit == 0 else limit,
                )
                if json_out:
                    await write_json_array((ticket_json(t, tz, now) async for t in found), sys.stdout)
                    return []
                return [ticket_row(t, tz, now) async for t in found]
        finally:
            await desk.aclose()

    rows = run(go())
    if not json_out:
        print_table(TICKET_COLUMNS, rows, empty="no tickets")


@tickets_app.command("show")
def tickets_show(
    ctx: typer.Context,
    number: str = typer.Argument(..., metavar="NUMBER", help="The ticket number, e.g. VOC-2026-000001."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    reveal_phone: bool = typer.Option(False, "--reveal-phone",
                                      help="Show the full contact number; the ticket's log records who saw it."),
    actor: str = typer.Option("", "--actor", metavar="STAFF", help="Who is looking (needed with --reveal-phone)."),
) -> None:
    """One ticket with its whole event log, in the institution's time zone."""
    from bot.app import open_desk
    from bot.casework.views import event_text, local_minutes, ticket_json

    if reveal_phone and not actor.strip():
        raise InputRejected("--reveal-phone needs --actor STAFF: who saw the number is recorded on the ticket")
    if actor and not reveal_phone:
        raise InputRejected("--actor names who sees the phone number; it goes with --reveal-phone")
    config = app_config(ctx)
    wanted = number.strip().upper()

    async def go() -> tuple[Ticket, datetime]:
        desk = await open_desk(config)
        try:
            if reveal_phone:
                return await desk.staff.reveal_contact(wanted, actor), desk.clock.now()
            async with desk.uow() as uow:
                ticket = await uow.tickets.get(wanted)
        finally:
            await desk.aclose()
        if ticket is None:
            raise TicketNotFound(wanted)
        return ticket, desk.clock.now()

    ticket, now = run(go())
    tz = ZoneInfo(config.settings.institution.timezone)
    data = ticket_json(ticket, tz, now, reveal_phone=reveal_phone)
    if json_out:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    data["received_at"] = local_minutes(ticket.received_at, tz)
    out = console()
    for key in ("number", "voc_type", "intent", "status", "department", "channel", "received_at", "due_text",
                "overdue", "policy", "assignee", "contact_phone", "text", "answer"):
        out.print(f"[bold]{key}[/]: ", end="")
        out.print(str(data[key]), markup=False)
    print_table(("at", "actor", "action", "status", "text"), [
        (local_minutes(e.at, tz), e.actor, e.action.value,
         f"{e.from_status.value + ' → ' if e.from_status else ''}{e.to_status.value}", event_text(e))
        for e in ticket.events
    ], empty="no events")


def _act_help() -> str:
    width = max(len(name) for name in SPECS)
    lines = [f"  {name:<{width}}  {spec.usage()}" for name, spec in SPECS.items()]
    return ("Move a ticket through its lifecycle (staff action); every change is logged as an event.\n\n"
            "\b\nWhat each ACTION needs ([...] = may also take):\n" + "\n".join(lines))


@tickets_app.command("act", help=_act_help())
def tickets_act(
    ctx: typer.Context,
    number: str = typer.Argument(..., metavar="NUMBER", help="The ticket number."),
    action: str = typer.Argument(..., metavar="ACTION", help=f"One of: {', '.join(SPECS)}."),
    actor: str = typer.Option("staff:cli", "--actor", metavar="STAFF", help="Who acts (recorded in the log)."),
    reason: str = typer.Option("", OPTIONS["reason"], metavar="TEXT", help="Why (shown to the customer for extend)."),
    assignee: str = typer.Option("", OPTIONS["assignee"], metavar="STAFF", help="The staff member to assign."),
    department: str = typer.Option("", OPTIONS["department"], metavar="KEY", help="Department key for transfer."),
    answer: str = typer.Option("", OPTIONS["answer"], metavar="TEXT", help="The answer to the customer."),
    period: int | None = typer.Option(None, OPTIONS["extension_amount"], min=1, metavar="N",
                                      help="Extension length in the ticket's unit (default: the original period)."),
    reason_code: ExtensionReason | None = typer.Option(None, OPTIONS["extension_reason"],
                                                       help="시행령 제21조 reason of an extension."),
    consent: bool = typer.Option(False, OPTIONS["consent"], help="The customer consented (second extension)."),
) -> None:
    from bot.app import open_desk
    from bot.conversation.texts import korean_due

    config = app_config(ctx)
    cmd = StaffAction(action=action, actor=actor, reason=reason, assignee=assignee, department=department,
                      answer=answer, extension_amount=period, extension_reason=reason_code, consent=consent)

    async def go() -> str:
        desk = await open_desk(config)
        try:
            ticket = await desk.staff.act(number.strip().upper(), cmd)
        finally:
            await desk.aclose()
        return (f"{ticket.number}: {ticket.status.label_ko} ({ticket.status.value}), "
                f"처리기한 {korean_due(ticket.due_at, ticket.due_date_only, desk.calendar.tz)}")

    typer.echo(run(go()))


@handoffs_app.command("list")
def handoffs_list(
    ctx: typer.Context,
    include_done: bool = typer.Option(False, "--include-done", help="Also the requests already dealt with."),
    limit: int = typer.Option(500, "--limit", min=0, metavar="N", help="At most N requests; 0: all of them."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON array."),
) -> None:
    """Hand-off requests (customers who asked for a person), newest first."""
    from bot.app import open_desk

    config = app_config(ctx)

    async def go() -> list[dict[str, Any]]:
        desk = await open_desk(config)
        try:
            return await read_handoffs(desk.uow, desk.calendar.tz, include_done=include_done, limit=limit)
        finally:
            await desk.aclose()

    items = run(go())
    if json_out:
        typer.echo(json.dumps(items, ensure_ascii=False))
        return
    columns = ("id", "at", "channel", "customer_id", "step", "status", "text")
    print_table(columns, [tuple(str(h[c]) for c in columns) for h in items], empty="no hand-off requests")


async def read_handoffs(uow: UnitOfWorkFactory, tz: ZoneInfo, *, include_done: bool,
                        limit: int) -> list[dict[str, Any]]:
    """The hand-off requests ``handoffs list`` shows (``limit`` 0: all of them)."""
    from bot.casework.views import handoff_json

    async with uow() as work:
        found = await work.handoffs.list(open_only=not include_done, limit=limit or None)
    return [handoff_json(h, tz) for h in found]


