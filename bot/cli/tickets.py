"""``vocdesk tickets ...`` and ``vocdesk handoffs ...``: what staff read and do.

These commands open the database without the classifier or the dialogue (``bot.app.open_desk``); those that
only read tickets (``list``, ``show``) take the light read path instead (``storage.readonly``: no SQLAlchemy,
no migration, no write), so they answer in a fraction of the time.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import typer

from bot.casework.deadlines import Stop
from bot.casework.staff import OPTIONS, SPECS, StaffAction
from bot.casework.tickets import ExtensionReason, Status
from bot.cli.context import app_config, console, group, print_table, run, write_json_array
from bot.errors import InputRejected, TicketNotFound

if TYPE_CHECKING:
    from bot.casework.tickets import Ticket
    from bot.config import AppConfig
    from bot.ports import UnitOfWorkFactory
    from storage.readonly import TicketReader

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
    from bot.casework.views import TICKET_COLUMNS, is_overdue, ticket_json, ticket_row
    from bot.clock import SystemClock
    from storage.readonly import Listing

    config = app_config(ctx)
    known = sorted(config.settings.departments)
    if department is not None and department not in known:
        raise InputRejected(f"unknown department {department!r}; one of {', '.join(known)}")
    now, tz = SystemClock().now(), ZoneInfo(config.settings.institution.timezone)
    most = None if everything or limit == 0 else limit
    with _reader(config) as reader:
        # The store selects by the practical due (18:00); lateness is judged by the legal end and the clock,
        # so the overdue ones are picked here and the limit counts only those.
        found = _taking(reader.tickets(
            Listing(status=status, department=department, channel=channel, overdue_at=now if overdue else None),
            limit=None if overdue else most,
        ), lambda t: not overdue or is_overdue(t, now), most)
        if json_out:
            write_json_array((ticket_json(t, tz, now) for t in found), sys.stdout)
            return
        rows = [ticket_row(t, tz, now) for t in found]
    print_table(TICKET_COLUMNS, rows, empty="no tickets")


def _reader(config: AppConfig) -> TicketReader:
    """The light read path (no SQLAlchemy, no migration, no writes) of the commands that only read."""
    from storage.readonly import open_reader

    return open_reader(config.database_url, timeout=config.settings.database.acquire_timeout)


def _taking(found: Iterator[Ticket], wanted: Callable[[Ticket], bool], most: int | None) -> Iterator[Ticket]:
    """The tickets of ``found`` that are ``wanted``, at most ``most`` of them (None: all)."""
    taken = 0
    for ticket in found:
        if most is not None and taken >= most:
            return
        if wanted(ticket):
            taken += 1
            yield ticket


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
    from bot.app import build_calendar
    from bot.casework.views import event_text, local_minutes, ticket_json
    from bot.clock import SystemClock

    if reveal_phone and not actor.strip():
        raise InputRejected("--reveal-phone needs --actor STAFF: who saw the number is recorded on the ticket")
    if actor and not reveal_phone:
        raise InputRejected("--actor names who sees the phone number; it goes with --reveal-phone")
    config = app_config(ctx)
    wanted = number.strip().upper()

    async def reveal() -> tuple[Ticket, datetime]:
        from bot.app import open_desk

        desk = await open_desk(config)
        try:
            return await desk.staff.reveal_contact(wanted, actor), desk.clock.now()
        finally:
            await desk.aclose()

    if reveal_phone:  # a write: the ticket's log records who saw the number
        ticket, now = run(reveal())
    else:
        with _reader(config) as reader:
            found = reader.ticket(wanted)
        if found is None:
            raise TicketNotFound(wanted)
        ticket, now = found, SystemClock().now()
    calendar = build_calendar(config.settings)
    tz = calendar.tz
    data = ticket_json(ticket, tz, now, reveal_phone=reveal_phone, calendar=calendar)
    if json_out:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    data["received_at"] = local_minutes(ticket.received_at, tz)
    out = console()
    keys = ["number", "voc_type", "intent", "status", "department", "channel", "received_at", "due_text",
            "legal_due_text", "clock", "overdue", "policy", "assignee", "contact_phone", "text", "answer"]
    keys += [k for k in ("arrived_at", "registration_limit", "supplement_until", "readings", "objection_from")
             if data.get(k)]
    for key in keys:
        out.print(f"[bold]{key}[/]: ", end="")
        out.print(str(data[key]), markup=False)
    for warning in data["warnings"]:
        out.print(f"[bold]warning[/]: {warning}", markup=True, highlight=False)
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
    stop: Stop | None = typer.Option(None, OPTIONS["stop"],
                                     help="Why the clock stops (pause; 시행령 제17조·제20조)."),
    within: int | None = typer.Option(None, OPTIONS["within"], min=1, max=366, metavar="DAYS",
                                      help="Days the customer is given to supplement (counted under 민법)."),
    officer: str = typer.Option("", OPTIONS["officer"], metavar="NAME",
                                help="Handling officer named in the notice (시행령 제31조; default: the assignee)."),
    contact: str = typer.Option("", OPTIONS["contact"], metavar="PHONE",
                                help="The officer's contact for the notice (default: the institution's number)."),
    agency: str = typer.Option("", OPTIONS["agency"], metavar="NAME", help="Agency a 민원 is transferred to."),
    far: bool = typer.Option(False, OPTIONS["far"], help="The department is far from the 민원실 (3 working hours)."),
) -> None:
    from bot.app import open_desk
    from bot.casework.views import due_text, legal_text

    config = app_config(ctx)
    cmd = StaffAction(action=action, actor=actor, reason=reason, assignee=assignee, department=department,
                      answer=answer, extension_amount=period, extension_reason=reason_code, consent=consent,
                      stop=stop, within=within, officer=officer, contact=contact, agency=agency, far=far)

    async def go() -> list[str]:
        desk = await open_desk(config)
        try:
            ticket = await desk.staff.act(number.strip().upper(), cmd)
        finally:
            await desk.aclose()
        tz = desk.calendar.tz
        lines = [f"{ticket.number}: {ticket.status.label_ko} ({ticket.status.value}), "
                 f"처리기한 {due_text(ticket, tz)} (법정 기한 {legal_text(ticket, tz)})"]
        event = ticket.events[-1]
        if event.data.get("late"):
            lines.append(f"warning: {event.action.value} after its limit {event.data.get('limit', '')} "
                         f"({event.data.get('article', '')})")
        return lines

    typer.echo("\n".join(run(go())))


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


