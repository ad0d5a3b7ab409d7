"""The survey's web form (``handlers.survey_web``) with FastAPI's TestClient on the real databases: a GET (a link
preview, a crawler) never votes; one POST votes; a second is refused; a low rating reopens the ticket on request."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import select
from starlette.exceptions import StarletteDeprecationWarning

from bot.app import build_calendar
from bot.casework.staff import Staff, StaffAction
from bot.casework.tickets import Status
from bot.clock import FixedClock
from bot.conversation.texts import Catalog
from bot.standard.survey_desk import Inviter, SurveyDesk, SurveyTerms
from handlers.survey_web import parse_rating, survey_router
from storage.models import OutboxRow
from storage.uow import Database
from tests.fakes import KST
from tests.integration.test_dialogue_db import SETTINGS, dialogue_on, file_complaint

AT = datetime(2026, 9, 22, 10, 0, tzinfo=KST)
with warnings.catch_warnings():
    # starlette now prefers httpx2 for its TestClient; the server's branch settles the dependency at merge.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

TOKEN = "Zq3x-survey-token-0123456789abcdef"
NUMBER = "VOC-2026-000001"


def test_the_form_body_is_read_without_a_multipart_library() -> None:
    assert parse_rating(b"rating=4&comment=%EC%A2%8B%EC%95%84%EC%9A%94") == (4, "좋아요")
    assert parse_rating(b"comment=x") is None and parse_rating(b"rating=five") is None


async def answered(database: Database) -> None:
    await file_complaint(dialogue_on(database, AT))
    staff = Staff(database.uow, build_calendar(SETTINGS), FixedClock(AT + timedelta(days=1)),
                  frozenset(SETTINGS.departments), after=Inviter(SurveyTerms(), token=lambda: TOKEN))
    await staff.act(NUMBER, StaffAction("answer", "staff:kim", answer="확인 결과를 안내드립니다"))


def client(url: str) -> Iterator[TestClient]:
    """The router in an app whose lifespan opens the database, as the server mounts it."""
    desks: list[SurveyDesk] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database.from_url(url)
        desks.append(SurveyDesk(database.uow, FixedClock(AT + timedelta(days=2)), SurveyTerms()))
        yield
        await database.close()

    app = FastAPI(lifespan=lifespan)
    app.include_router(survey_router(lambda: desks[0], Catalog.load()))
    with TestClient(app) as test_client:
        yield test_client


async def test_a_get_never_votes_one_post_votes_and_a_second_is_refused(database: Database,
                                                                        database_url: str) -> None:
    await answered(database)
    for test_client in client(database_url):
        for _ in range(3):  # a link preview, a crawler, the customer opening the link
            shown = test_client.get(f"/survey/{TOKEN}", headers={"User-Agent": "facebookexternalhit/1.1"})
            assert shown.status_code == 200 and 'name="rating"' in shown.text and NUMBER in shown.text
            assert shown.headers["x-robots-tag"].startswith("noindex")
        async with database.uow() as uow:
            survey = await uow.surveys.by_number(NUMBER)
        assert survey is not None and survey.rating is None
        assert test_client.post(f"/survey/{TOKEN}", content=b"comment=x",
                                headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 422
        voted = test_client.post(f"/survey/{TOKEN}", data={"rating": "4", "comment": "빨랐어요"})
        assert voted.status_code == 200 and "감사합니다" in voted.text
        again = test_client.post(f"/survey/{TOKEN}", data={"rating": "1"})
        assert again.status_code == 409 and "이미 평가" in again.text
        assert "이미 평가" in test_client.get(f"/survey/{TOKEN}").text
        assert test_client.get("/survey/not-a-real-token-at-all-000").status_code == 404
    async with database.uow() as uow:
        survey = await uow.surveys.by_number(NUMBER)
        ticket = await uow.tickets.get(NUMBER)
    assert survey is not None and (survey.rating, survey.comment, survey.via) == (4, "빨랐어요", "web")
    assert ticket is not None
    assert [e.data["survey"] for e in ticket.events if e.action.value == "survey"] == ["invited", "rated"]


async def test_a_low_rating_alerts_the_department_and_the_follow_up_reopens(database: Database,
                                                                            database_url: str) -> None:
    await answered(database)
    for test_client in client(database_url):
        voted = test_client.post(f"/survey/{TOKEN}", data={"rating": "1", "comment": "답변이 부실합니다"})
        assert voted.status_code == 200 and f"/survey/{TOKEN}/follow-up" in voted.text
        reopened = test_client.post(f"/survey/{TOKEN}/follow-up")
        assert reopened.status_code == 200 and "다시 처리하도록" in reopened.text
        assert test_client.post(f"/survey/{TOKEN}/follow-up").status_code == 409
    async with database.uow() as uow:
        ticket = await uow.tickets.get(NUMBER)
        kinds = (await uow.work.execute(select(OutboxRow.kind).order_by(OutboxRow.id))).scalars().all()
    assert ticket is not None and ticket.status is Status.IN_PROGRESS
    assert ticket.events[-1].action.value == "reopen" and ticket.events[-1].actor.startswith("customer:")
    assert list(kinds)[-3:] == ["survey_invite", "survey_low", "survey_reopened"]
