"""The VOC report's figures on the real databases, checked against right answers this test computes on its own,
in Python, from the seeded tickets and their events (the report computes them in SQL)."""

from __future__ import annotations

import contextlib
import random
import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from bot.app import build_calendar
from bot.casework.deadlines import Period, Unit
from bot.casework.tickets import Action, ExtensionReason, Status, Ticket
from bot.errors import ExtensionRefused
from bot.standard.remedies import RemedyCommand
from bot.standard.remedy_desk import plan_remedy, store_remedy
from bot.standard.report import Labels, make_report
from bot.standard.rules import RemedyRules
from bot.standard.survey import invite
from storage.uow import Database
from tests.fakes import KST
from tests.integration.test_dialogue_db import SETTINGS

CAL = build_calendar(SETTINGS)
RULES = RemedyRules.from_settings(SETTINGS)
NOW = datetime(2026, 12, 20, 12, 0, tzinfo=KST)
INTENTS = [(name, meta) for name, meta in SETTINGS.intents.items()]
CHANNELS = ("telegram", "kakao", "web", "console")


def seeded(rng: random.Random, n: int) -> list[tuple[Ticket, int | None, bool]]:
    """``n`` tickets over 2026H2 and a few outside it, each with its fate: answered (late or not), extended,
    supplemented, still open; (ticket, rating or None, remedy paid)."""
    made = []
    for i in range(n):
        name, meta = INTENTS[rng.randrange(len(INTENTS))]
        received = datetime(2026, 6, 20, 9, 0, tzinfo=KST) + timedelta(hours=rng.randrange(0, 24 * 175))
        ticket = Ticket.open(customer_id=0, channel=CHANNELS[i % len(CHANNELS)], voc_type=meta.voc_type, intent=name,
                             department=meta.department or SETTINGS.desk_department, text=f"민원 {i}",
                             received_at=received, policy=SETTINGS.policies[meta.policy].to_period(), calendar=CAL,
                             actor="customer")
        at = received + timedelta(hours=2)
        fate = rng.random()
        if rng.random() < 0.2:
            ticket.request_supplement(at, "staff:kim", "서류", calendar=CAL)
            at += timedelta(days=rng.randrange(1, 4))
            ticket.supplement(at, "customer", CAL, "보냅니다")
        if rng.random() < 0.15 and ticket.policy.unit is Unit.DAYS:
            reason = rng.choice(list(ExtensionReason))
            with contextlib.suppress(ExtensionRefused):  # one the law refuses here is simply not made
                ticket.extend(at, "staff:kim", CAL, period=Period(min(3, ticket.policy.amount), ticket.policy.unit),
                              reason=reason, detail="협조 필요")
        rating, paid = None, False
        if fate < 0.75 and ticket.status is not Status.SUPPLEMENT_REQUESTED:
            answered_at = at + timedelta(hours=rng.randrange(1, 24 * 20))
            if answered_at < NOW:
                ticket.answer_with(answered_at, "staff:kim", "답변")
                if rng.random() < 0.5:
                    ticket.close(answered_at + timedelta(days=1), "staff:kim")
                if rng.random() < 0.6:
                    rating = rng.randrange(1, 6)
                paid = rng.random() < 0.5
        elif fate < 0.8:
            ticket.withdraw(at, "customer")
        made.append((ticket, rating, paid))
    return made


async def store(database: Database, made: list[tuple[Ticket, int | None, bool]]) -> None:
    async with database.uow() as uow:
        for i, (ticket, rating, paid) in enumerate(made):
            customer = await uow.customers.get_or_create(ticket.channel, f"c{i}")
            ticket.customer_id = customer.id or 0
            terms = RULES.for_intent(ticket.intent)
            remedy = plan_remedy(ticket, terms, ticket.received_at, CAL) if terms else None
            await uow.tickets.add(ticket)
            if remedy is not None:
                await store_remedy(uow, ticket, remedy)
                if paid and remedy.kind.value != "damage":
                    remedy.act(RemedyCommand("approve", "staff:kim"), RULES.terms[remedy.kind], NOW)
                    remedy.act(RemedyCommand("pay", "staff:kim"), RULES.terms[remedy.kind], NOW)
                    await uow.remedies.save(remedy)
            if any(e.action is Action.ANSWER for e in ticket.events):
                survey = invite(number=ticket.number, ticket_id=ticket.id or 0, customer_id=ticket.customer_id,
                                channel=ticket.channel, token=f"tok-{i:04d}-0123456789abcdef", now=NOW,
                                valid_days=30)
                await uow.surveys.add(survey)
                if rating is not None:
                    survey.rate(rating, "", NOW, "web", 2)
                    await uow.surveys.save(survey)
        await uow.commit()


def expected(made: list[tuple[Ticket, int | None, bool]], first: date, last: date) -> dict[str, Any]:
    """The right answers, from the tickets and their events, ticket by ticket."""
    start = datetime.combine(first, datetime.min.time(), KST)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), KST)
    inside = [(t, r, p) for t, r, p in made if start <= t.received_at < end]
    tickets = [t for t, _, _ in inside]
    answers = {t.number: min(e.at for e in t.events if e.action is Action.ANSWER)
               for t in tickets if any(e.action is Action.ANSWER for e in t.events)}
    by_number = {t.number: t for t in tickets}
    on_time = sum(at <= by_number[n].legal_end for n, at in answers.items())
    days = [(at - by_number[n].received_at).total_seconds() / 86400 for n, at in answers.items()]
    working = {Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS}
    overdue = sorted((t.due_at, t.number) for t in tickets if t.status in working and t.due_at < NOW)
    reasons = Counter(e.data["reason_code"] for t in tickets for e in t.events if e.action is Action.EXTEND)
    ratings = [r for t, r, _ in inside if r is not None and t.number in answers]
    paid = [(t, RULES.for_intent(t.intent)) for t, _, p in inside if p and t.number in answers]
    return {
        "total": len(tickets),
        "by_type": Counter(t.voc_type.value for t in tickets), "by_intent": Counter(t.intent for t in tickets),
        "by_department": Counter(t.department for t in tickets), "by_channel": Counter(t.channel for t in tickets),
        "answered": len(answers), "on_time_rate": round(on_time / len(answers), 4),
        "median": round(statistics.median(days), 2), "overdue": [n for _, n in overdue],
        "extensions": dict(reasons),
        "satisfaction": (round(statistics.mean(ratings), 2), round(len(ratings) / len(answers), 4)),
        "remedies": (sum(1 for t in tickets if RULES.for_intent(t.intent)),
                     sum(terms.amount for _, terms in paid if terms and terms.kind.value != "damage")),
    }


async def test_the_report_figures_match_an_independent_count(database: Database) -> None:
    made = seeded(random.Random(15), 160)
    await store(database, made)
    first, last = date(2026, 7, 1), date(2026, 12, 31)
    report = await make_report(database.uow, first, last, None, NOW, KST, Labels())
    want = expected(made, first, last)
    assert report["total"] == want["total"] and 100 < report["total"] < 160  # some were received in June
    for key in ("by_type", "by_intent", "by_department", "by_channel"):
        assert report[key] == dict(want[key]), key
    assert report["answered"] == want["answered"]
    assert report["on_time_rate"] == want["on_time_rate"] and 0 < report["on_time_rate"] < 1
    assert report["median_processing_days"] == want["median"]
    assert [o["number"] for o in report["overdue"]] == want["overdue"]
    assert report["overdue_count"] == len(want["overdue"])
    assert report["extensions"]["reasons"] == want["extensions"] and report["extensions"]["count"] > 0
    sat = report["satisfaction"]
    assert (sat["mean"], sat["response_rate"]) == want["satisfaction"]
    assert (report["remedies"]["count"], report["remedies"]["won_paid"]) == want["remedies"]
    assert sum(report["by_month"].values()) == report["total"] and min(report["by_month"]) == "2026-07"
    complaint = report["topics"]["complaint"]
    assert complaint == sorted(complaint, key=lambda t: -t["count"])


async def test_one_departments_report(database: Database) -> None:
    made = seeded(random.Random(7), 60)
    await store(database, made)
    report = await make_report(database.uow, date(2026, 1, 1), date(2026, 12, 31), "legal", NOW, KST, Labels())
    assert report["total"] == sum(t.department == "legal" for t, _, _ in made)
    assert set(report["by_department"]) <= {"legal"}


async def test_the_weekly_digest_goes_to_each_department_on_monday_once(database: Database) -> None:
    from datetime import time

    from sqlalchemy import select

    from bot.alerts.ladder import Ladders
    from bot.alerts.sweep import AlertPlan
    from bot.casework.routing import RoutingTable
    from bot.conversation.texts import Catalog
    from bot.notices.model import Event, Facts
    from bot.notices.plan import NoticePlanner
    from bot.notices.sweep import sweep
    from bot.notices.templates import BUILTIN, Templates
    from storage.models import OutboxRow

    made = seeded(random.Random(3), 80)
    await store(database, made)
    plan = AlertPlan(Ladders.parse(["overdue"], {}), time(9, 0), ("voc_desk", "legal"))
    sunday = datetime(2026, 11, 15, 10, 0, tzinfo=KST)
    assert (await sweep(database.uow, CAL, sunday, plan)).weekly == 0
    monday = datetime(2026, 11, 16, 9, 30, tzinfo=KST)
    assert (await sweep(database.uow, CAL, monday, plan)).weekly == 2
    assert (await sweep(database.uow, CAL, monday + timedelta(hours=1), plan)).weekly == 0  # once a week
    async with database.uow() as uow:
        rows = (await uow.work.execute(select(OutboxRow.id, OutboxRow.kind, OutboxRow.payload).where(
            OutboxRow.kind == "weekly_digest"))).all()
    by_department = {row.payload["department"]: row for row in rows}
    week = [t for t, _, _ in made if datetime(2026, 11, 9, tzinfo=KST) <= t.received_at < datetime(2026, 11, 16,
                                                                                                       tzinfo=KST)]
    desk = by_department["voc_desk"]
    assert desk.payload["total"] == sum(t.department == "voc_desk" for t in week)
    assert (desk.payload["from"], desk.payload["to"]) == ("2026-11-09", "2026-11-15")
    planner = NoticePlanner(SETTINGS, RoutingTable.from_settings(SETTINGS), Templates.load(BUILTIN),
                            Catalog.load(), None, KST)
    (alert,) = planner.plan(Event(desk.id, desk.kind, desk.payload), Facts(), monday)
    assert alert.target == "voc_desk" and "고객지원부 주간 VOC" in alert.text
    assert "█" in alert.text or desk.payload["total"] == 0
