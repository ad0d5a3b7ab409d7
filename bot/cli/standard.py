"""``vocdesk remedies ...``: the service standard's remedy cases for wrong service (docs/service-standard.md)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
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


survey_app = group("The satisfaction survey (해피콜): ratings after the answer, once per ticket.")
EXPORT_FIELDS = ("number", "department", "voc_type", "channel", "rating", "comment", "via", "rated_at", "invited_at",
                 "follow_up")


@survey_app.command("export")
def survey_export(
    ctx: typer.Context,
    year: int = typer.Option(..., "--year", min=2000, max=2999, metavar="YYYY", help="Ratings given in this year."),
    fmt: str = typer.Option("csv", "--format", metavar="csv|json", help="CSV (UTF-8 with BOM, for Excel) or JSON."),
    out: Path | None = typer.Option(None, "--out", metavar="PATH", help="Write here instead of standard output."),
) -> None:
    """The year's ratings for the annual customer-satisfaction survey (공운법 제13조②)."""
    from bot.app import open_desk
    from bot.errors import InputRejected

    if fmt not in ("csv", "json"):
        raise InputRejected(f"unknown format {fmt!r}; csv or json")
    config = app_config(ctx)

    async def go() -> list[dict[str, Any]]:
        desk = await open_desk(config)
        tz = desk.calendar.tz
        start, end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
        try:
            async with desk.uow() as uow:
                found = await uow.surveys.rated_between(start, end)
        finally:
            await desk.aclose()
        return [{"number": s.number, "department": department, "voc_type": voc_type, "channel": s.channel,
                 "rating": s.rating, "comment": s.comment, "via": s.via,
                 "rated_at": s.rated_at.astimezone(tz).isoformat() if s.rated_at else "",
                 "invited_at": s.invited_at.astimezone(tz).isoformat(), "follow_up": s.follow_up.value}
                for s, department, voc_type in found]

    rows = run(go())
    text = json.dumps(rows, ensure_ascii=False, indent=1) + "\n" if fmt == "json" else _csv(rows)
    _write(text, out, bom=fmt == "csv")


@survey_app.command("reopen")
def survey_reopen(
    ctx: typer.Context,
    number: str = typer.Argument(..., metavar="NUMBER", help="A ticket rated low (its follow-up was offered)."),
    actor: str = typer.Option("staff:cli", "--actor", metavar="STAFF", help="Who reopens (recorded in the log)."),
    reason: str = typer.Option("", "--reason", metavar="TEXT", help="Why (default: 만족도 조사 후 재검토)."),
) -> None:
    """Reopen a ticket from its low rating: the second look the customer was offered."""
    from bot.app import open_desk

    config = app_config(ctx)

    async def go() -> str:
        desk = await open_desk(config)
        try:
            ticket = await desk.surveys.reopen(number.strip().upper(), actor.strip() or "staff:cli", reason.strip())
        finally:
            await desk.aclose()
        return f"{ticket.number}: {ticket.status.label_ko} ({ticket.status.value})"

    typer.echo(run(go()))


def _csv(rows: list[dict[str, Any]]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _write(text: str, out: Path | None, *, bom: bool = False) -> None:
    """``text`` to ``out`` (UTF-8, with a BOM for CSV so Excel reads Korean) or to standard output."""
    encoding = "utf-8-sig" if bom else "utf-8"
    if out is None:
        sys.stdout.buffer.write(text.encode(encoding))
        sys.stdout.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding=encoding, newline="")
    typer.echo(f"wrote {out}", err=True)


def report_command(
    ctx: typer.Context,
    start: str | None = typer.Option(None, "--from", metavar="DATE", help="First day received (YYYY-MM-DD)."),
    end: str | None = typer.Option(None, "--to", metavar="DATE", help="Last day received (YYYY-MM-DD)."),
    period: str | None = typer.Option(None, "--period", metavar="P",
                                      help="Instead of --from/--to: a half year (2026H2) or a quarter (2026Q1)."),
    department: str | None = typer.Option(None, "--department", metavar="KEY", help="Only this department's."),
    fmt: str = typer.Option("html", "--format", metavar="html|csv|json", help="The output format."),
    out: Path | None = typer.Option(None, "--out", metavar="PATH", help="Write here instead of standard output."),
) -> None:
    """The VOC analysis report (K-SURE 업무요강 제15조; KODIT's half-yearly service-standard compliance report)
    over tickets received in the period: counts, on-time rate, processing days, overdue, extensions, satisfaction,
    remedies, recurring topics."""
    from datetime import date

    from bot.app import open_desk
    from bot.errors import InputRejected
    from bot.standard.report import QUERIES, Labels, csv_rows, make_report, parse_period

    if fmt not in ("html", "csv", "json"):
        raise InputRejected(f"unknown format {fmt!r}; html, csv or json")
    if period and (start or end):
        raise InputRejected("give --period or --from/--to, not both")
    if period:
        first, last = parse_period(period)
    elif start and end:
        try:
            first, last = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError as exc:
            raise InputRejected(f"--from/--to: {exc} (use YYYY-MM-DD)") from None
    else:
        raise InputRejected("give --from DATE --to DATE, or --period like 2026H2")
    config = app_config(ctx)
    settings = config.settings
    if department is not None and department not in settings.departments:
        raise InputRejected(f"unknown department {department!r}; one of {', '.join(sorted(settings.departments))}")
    labels = Labels({k: d.name for k, d in settings.departments.items()},
                    {k: m.label or k for k, m in settings.intents.items()})

    async def go() -> dict[str, Any]:
        from rich.progress import Progress

        desk = await open_desk(config)
        try:
            with Progress(transient=True, console=_stderr(), disable=not sys.stderr.isatty()) as bar:
                task = bar.add_task("집계 중", total=QUERIES)
                return await make_report(desk.uow, first, last, department, desk.clock.now(), desk.calendar.tz,
                                         labels, lambda _: bar.advance(task))
        finally:
            await desk.aclose()

    report = run(go())
    if fmt == "json":
        _write(json.dumps(report, ensure_ascii=False, indent=1) + "\n", out)
    elif fmt == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(("section", "key", "value"))
        writer.writerows(csv_rows(report))
        _write(buffer.getvalue(), out, bom=True)
    else:
        from bot.standard.report_html import render

        _write(render(report, institution=settings.institution.name, departments=labels.departments,
                      intents=labels.intents), out)


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True)


demo_app = group("Demo data: a year of VOC through the real lifecycle.")


@demo_app.command("seed")
def demo_seed(
    ctx: typer.Context,
    tickets: int = typer.Option(600, "--tickets", min=1, max=100_000, metavar="N", help="How many tickets."),
    seed_value: int = typer.Option(15, "--seed", metavar="N", help="The random seed (the same seed, the same year)."),
) -> None:
    """Fill the configured database with a realistic year of VOC ending today, driven through the real lifecycle
    with a simulated clock (every event and due instant is the engine's); then try `vocdesk report`."""
    import random
    from datetime import timedelta

    from bot.app import open_desk
    from bot.clock import FixedClock, SystemClock
    from bot.standard.demo import seed

    config = app_config(ctx)
    start = SystemClock().now() - timedelta(days=365)
    clock = FixedClock(start)

    async def go() -> str:
        from rich.progress import Progress

        desk = await open_desk(config, clock=clock)
        try:
            with Progress(transient=True, console=_stderr(), disable=not sys.stderr.isatty()) as bar:
                task = bar.add_task("시연 데이터", total=tickets)
                done = await seed(desk.uow, config.settings, desk.calendar, clock, tickets=tickets, start=start,
                                  rng=random.Random(seed_value), progress=lambda n: bar.update(task, completed=n))
        finally:
            await desk.aclose()
        return (f"seeded {done.tickets} tickets ({done.answered} answered, {done.ratings} ratings, "
                f"{done.remedies} remedy cases) from {start:%Y-%m-%d}")

    typer.echo(run(go()))
