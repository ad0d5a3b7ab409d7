"""``vocdesk remedies ...``: the service standard's remedy cases for wrong service (docs/service-standard.md)."""

from __future__ import annotations

import json
from typing import Any

import typer

from bot.cli.context import app_config, group, print_table, run

remedies_app = group("Remedies for wrong service (KODIT 서비스 이행표준: 친절·정확성 보증, 피해보상).")
_STATUSES = ("investigating", "referred", "approved", "rejected", "paid", "closed")
_ACTION_HELP = """Move a remedy case; every step is logged on its ticket and posted to Slack.

\b
ACTION          needs
  assign        --owner STAFF
  visits        --visits N            (accuracy: 3 or more visits pay the repeat amount)
  training      --staff NAME          (kindness: the CS training of the staff member)
  apology       --by NAME             (kindness: the branch head's apology; accuracy: the written apology)
  approve       [--reason]            (kindness/accuracy: facts confirmed, compensation approved)
  reject        --reason TEXT         (facts not confirmed)
  refer         [--reason]            (damage: to the complaint mediation committee, with the case file)
  decide        --decision upheld|dismissed --reason TEXT [--amount WON]   (damage: the committee's decision)
  pay           [--reason]            (the approved amount was paid)
  close         [--reason]            (every configured step done)"""


@remedies_app.command("list")
def remedies_list(
    ctx: typer.Context,
    status: str | None = typer.Option(None, "--status", metavar="S", help=f"Only cases in S: {', '.join(_STATUSES)}."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON array."),
    limit: int = typer.Option(500, "--limit", min=0, metavar="N", help="At most N cases; 0: all of them."),
) -> None:
    """Remedy cases, newest first, each with its ticket number and amount in won."""
    from bot.app import open_desk
    from bot.errors import InputRejected
    from bot.standard.remedies import RemedyStatus
    from bot.standard.views import REMEDY_COLUMNS, remedy_json, remedy_row

    if status is not None and status not in _STATUSES:
        raise InputRejected(f"unknown status {status!r}; one of {', '.join(_STATUSES)}")
    config = app_config(ctx)

    async def go() -> tuple[list[dict[str, Any]], list[tuple[str, ...]]]:
        desk = await open_desk(config)
        try:
            found = await desk.remedies.list(RemedyStatus(status) if status else None, limit or None)
        finally:
            await desk.aclose()
        now, tz = desk.clock.now(), desk.calendar.tz
        return [remedy_json(m, tz, now) for m in found], [remedy_row(m, tz, now) for m in found]

    items, rows = run(go())
    if json_out:
        typer.echo(json.dumps(items, ensure_ascii=False))
        return
    print_table(REMEDY_COLUMNS, rows, empty="no remedy cases")


@remedies_app.command("act", help=_ACTION_HELP)
def remedies_act(
    ctx: typer.Context,
    remedy_id: int = typer.Argument(..., metavar="ID", help="The remedy case's id (remedies list)."),
    action: str = typer.Argument(..., metavar="ACTION"),
    actor: str = typer.Option("staff:cli", "--actor", metavar="STAFF", help="Who acts (recorded in the log)."),
    owner: str = typer.Option("", "--owner", metavar="STAFF", help="The staff member who owns the case."),
    staff: str = typer.Option("", "--staff", metavar="NAME", help="The staff member trained (training)."),
    by: str = typer.Option("", "--by", metavar="NAME", help="Who apologised (apology)."),
    visits: int | None = typer.Option(None, "--visits", min=1, metavar="N", help="How many visits it took."),
    reason: str = typer.Option("", "--reason", metavar="TEXT", help="Why; the finding or the decision."),
    decision: str = typer.Option("", "--decision", metavar="D", help="The committee's decision: upheld|dismissed."),
    amount: int | None = typer.Option(None, "--amount", min=0, metavar="WON", help="The committee's award in won."),
) -> None:
    from bot.app import open_desk
    from bot.standard.remedies import RemedyCommand

    config = app_config(ctx)
    cmd = RemedyCommand(action=action.strip(), actor=actor, owner=owner, staff=staff.strip(), by=by.strip(),
                        visits=visits, reason=reason, decision=decision.strip(), amount=amount)

    async def go() -> str:
        desk = await open_desk(config)
        try:
            remedy = await desk.remedies.act(remedy_id, cmd)
        finally:
            await desk.aclose()
        return (f"remedy {remedy.id} ({remedy.number}, {remedy.kind.value}): {remedy.status.label_ko} "
                f"({remedy.status.value}), {remedy.amount:,}원, payout {remedy.payout.value}")

    typer.echo(run(go()))
