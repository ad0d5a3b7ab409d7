"""``vocdesk demo seed``: a realistic year of VOC driven through the real lifecycle with a simulated clock, so every
event, due instant, survey and remedy is what the engine would have made: all types, channels and departments,
supplements, extensions, late answers, ratings (some low, some reopened), remedy cases and their outcomes."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.casework.routing import Route, RoutingTable
from bot.casework.staff import Staff, StaffAction
from bot.casework.tickets import ExtensionReason, Status, Ticket
from bot.casework.workcalendar import WorkCalendar
from bot.clock import FixedClock
from bot.config import Settings
from bot.errors import VocdeskError
from bot.ports import UnitOfWorkFactory
from bot.standard.remedies import RemedyCommand
from bot.standard.remedy_desk import RemedyDesk, plan_remedy, store_remedy
from bot.standard.rules import RemedyKind, RemedyRules
from bot.standard.survey_desk import Inviter, SurveyTerms, rate_in, reopen_in

CHANNELS = ("telegram", "kakao", "web", "console")
TEXTS = {
    "inquiry": ("보증 신청 서류가 무엇인지 알고 싶습니다", "보증료 납부 방법을 알려 주세요"),
    "complaint": ("창구 직원 응대가 불친절했습니다", "처리가 너무 늦어 불편합니다",
                  "약속 시간에 아무도 오지 않았습니다"),
    "suggestion": ("온라인 신청 화면을 개선해 주세요", "상담 예약 제도를 만들어 주세요"),
    "praise": ("담당 직원이 친절하게 설명해 주었습니다",),
}


@dataclass
class Seeded:
    tickets: int = 0
    answered: int = 0
    ratings: int = 0
    remedies: int = 0


async def seed(uow: UnitOfWorkFactory, settings: Settings, calendar: WorkCalendar, clock: FixedClock, *,
               tickets: int, start: datetime, rng: random.Random,
               progress: Callable[[int], None] = lambda _: None) -> Seeded:
    """``tickets`` tickets received over the year from ``start`` (working hours), each lived through to its end."""
    routing = RoutingTable.from_settings(settings)
    rules = RemedyRules.from_settings(settings)
    survey = settings.survey
    terms = SurveyTerms(survey.enabled, survey.low_score, survey.valid_days)
    staff = Staff(uow, calendar, clock, frozenset(settings.departments), desk=settings.desk_department,
                  after=Inviter(terms))
    remedies = RemedyDesk(uow, rules, clock)
    intents = list(settings.intents)
    step = timedelta(days=360) / max(tickets, 1)
    done = Seeded()
    for i in range(tickets):
        received = _working(start + step * i + timedelta(minutes=rng.randrange(0, 600)), calendar)
        route = routing.route(intents[rng.randrange(len(intents))])
        clock.at = received
        ticket = await _open(uow, route, rules, calendar, received, CHANNELS[rng.randrange(len(CHANNELS))], i, rng)
        done.tickets += 1
        if await _live(staff, remedies, uow, ticket, route, rules, clock, rng, terms, done):
            done.answered += 1
        progress(i + 1)
    return done


def _working(at: datetime, calendar: WorkCalendar) -> datetime:
    local = calendar.to_local(at)
    day = calendar.roll_forward(local.date())
    hour = 9 + (local.hour % 8)
    return datetime(day.year, day.month, day.day, hour if hour != 12 else 13, local.minute, tzinfo=calendar.tz)


async def _open(uow: UnitOfWorkFactory, route: Route, rules: RemedyRules, calendar: WorkCalendar, at: datetime,
                channel: str, i: int, rng: random.Random) -> Ticket:
    """As the dialogue opens one: the ticket, its outbox row and its remedy case, in one unit of work."""
    texts = TEXTS[route.voc_type.value]
    async with uow() as work:
        customer = await work.customers.get_or_create(channel, f"demo-{i}")
        ticket = Ticket.open(customer_id=customer.id or 0, channel=channel, voc_type=route.voc_type,
                             intent=route.intent, department=route.department, text=texts[rng.randrange(len(texts))],
                             received_at=at, policy=route.period, calendar=calendar, actor=f"customer:{customer.id}")
        terms = rules.for_intent(route.intent)
        remedy = plan_remedy(ticket, terms, at, calendar) if terms else None
        await work.tickets.add(ticket, announce={"department": route.department, "due_at": ticket.due_at.isoformat()})
        if remedy is not None:
            await store_remedy(work, ticket, remedy)
        await work.commit()
    return ticket


async def _live(staff: Staff, remedies: RemedyDesk, uow: UnitOfWorkFactory, ticket: Ticket, route: Route,
                rules: RemedyRules, clock: FixedClock, rng: random.Random, terms: SurveyTerms, done: Seeded) -> bool:
    number = ticket.number
    clerk = f"staff:{rng.choice(('kim.minsu', 'lee.jiyoung', 'park.junho'))}"

    async def act(after: timedelta, cmd: StaffAction) -> Ticket | None:
        clock.at += after
        try:
            return await staff.act(number, cmd)
        except VocdeskError:
            return None

    await act(timedelta(hours=1), StaffAction("assign", clerk, assignee=clerk.removeprefix("staff:")))
    await act(timedelta(hours=2), StaffAction("start", clerk))
    if rng.random() < 0.12:
        await act(timedelta(hours=3), StaffAction("request-supplement", clerk, reason="증빙 서류를 보내 주세요"))
        await act(timedelta(days=rng.randrange(1, 5)), StaffAction("supplement", f"customer:{ticket.customer_id}",
                                                                   reason="서류 보냅니다"))
    if rng.random() < 0.08:
        await act(timedelta(days=2), StaffAction("extend", clerk, reason="관련 부서 협조가 필요합니다",
                                                 extension_reason=ExtensionReason.COOPERATION))
    if rng.random() < 0.05:
        return False  # still open: the report's overdue list
    late = rng.random() < 0.1
    answered = await act(timedelta(days=rng.randrange(8, 20) if late else rng.randrange(0, 6),
                                   hours=rng.randrange(1, 6)),
                         StaffAction("answer", clerk, answer="검토 결과를 안내드립니다."))
    if answered is None:
        return False
    kind = rules.by_intent.get(route.intent)
    if kind is not None:
        done.remedies += 1
        await _remedy(remedies, uow, number, kind, clock, rng, clerk)
    if rng.random() < 0.6 and answered.status is Status.ANSWERED:
        clock.at += timedelta(hours=rng.randrange(2, 48))
        await _rate(uow, number, rng, clock, terms, done)
    if rng.random() < 0.5:
        await act(timedelta(days=1), StaffAction("close", clerk))
    return True


async def _rate(uow: UnitOfWorkFactory, number: str, rng: random.Random, clock: FixedClock, terms: SurveyTerms,
                done: Seeded) -> None:
    rating = rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 2, 4, 5))[0]
    async with uow() as work:
        survey = await work.surveys.by_number(number)
        if survey is None or survey.rated:
            return
        rated = await rate_in(work, survey, rating, "", rng.choice(("web", "chat")), clock.at, terms.low_score)
        if rated.low and rng.random() < 0.4:
            await reopen_in(work, survey, f"customer:{survey.customer_id}", clock.at, "만족도 조사 후 재검토 요청")
        await work.commit()
    done.ratings += 1


async def _remedy(remedies: RemedyDesk, uow: UnitOfWorkFactory, number: str, kind: RemedyKind, clock: FixedClock,
                  rng: random.Random, clerk: str) -> None:
    async with uow() as work:
        found = await work.remedies.list(number=number)
    if not found or found[0].id is None:
        return
    remedy_id = found[0].id
    steps: list[RemedyCommand]
    if kind is RemedyKind.DAMAGE:
        steps = [RemedyCommand("refer", clerk, reason="민원조정위원회 심의 요청")]
        if rng.random() < 0.5:
            steps.append(RemedyCommand("decide", "staff:committee", decision="upheld", reason="일부 인정",
                                       amount=rng.choice((50_000, 120_000, 300_000))))
        else:
            steps.append(RemedyCommand("decide", "staff:committee", decision="dismissed", reason="위법·부당 행위 없음"))
    elif rng.random() < 0.25:
        steps = [RemedyCommand("reject", clerk, reason="사실이 확인되지 않음")]
    else:
        steps = ([RemedyCommand("visits", clerk, visits=rng.choice((2, 3)))] if kind is RemedyKind.ACCURACY else
                 [RemedyCommand("training", clerk, staff="창구 직원")])
        steps += [RemedyCommand("apology", clerk, by="지점장"), RemedyCommand("approve", clerk, reason="사실 확인")]
    steps.append(RemedyCommand("pay", "staff:finance"))
    for cmd in steps:
        clock.at += timedelta(days=rng.randrange(1, 3))
        with contextlib.suppress(VocdeskError):  # nothing to pay after a rejection: that step is not taken
            await remedies.act(remedy_id, cmd)
