"""The satisfaction survey's web form: what an AlimTalk/SMS invitation links to.

``GET /survey/{token}`` shows the form and never votes (link previews and crawlers fetch it); ``POST`` with
``rating`` (1–5) and an optional ``comment`` votes, once per ticket. After a low rating the page offers a second
look (``POST /survey/{token}/follow-up`` reopens the ticket). Two pure translators (form body → rating; our result →
HTML) around thin routes; the lead's server mounts ``survey_router``."""

from __future__ import annotations

import html
from collections.abc import Callable
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.conversation.texts import Catalog
from bot.errors import SurveyRefused, TicketNotFound
from bot.standard.survey import RATINGS
from bot.standard.survey_desk import SurveyDesk, SurveyView

MAX_BODY = 8192
_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def parse_rating(body: bytes) -> tuple[int, str] | None:
    """``rating=4&comment=...`` (application/x-www-form-urlencoded) → (4, comment); None when there is no rating."""
    if len(body) > MAX_BODY:
        return None
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    rating = (fields.get("rating") or [""])[0].strip()
    if not rating.isdigit():
        return None
    return int(rating), (fields.get("comment") or [""])[0]


def page(texts: Catalog, locale: str, body: str, status: int = 200) -> HTMLResponse:
    title = html.escape(texts.text(locale, "survey.form_title"))
    document = (f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" '
                f'content="noindex"><title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>')
    return HTMLResponse(document, status_code=status, headers=_HEADERS)


def form_html(texts: Catalog, view: SurveyView, action: str) -> str:
    t = texts.text
    options = "".join(
        f'<label><input type="radio" name="rating" value="{r}" required> '
        f'{html.escape(t(view.locale, f"survey.rating_{r}"))}</label><br>' for r in reversed(RATINGS))
    return (f"<p>{html.escape(t(view.locale, 'survey.form_question', number=view.number))}</p>"
            f'<form method="post" action="{html.escape(action)}">{options}'
            f"<p><label>{html.escape(t(view.locale, 'survey.form_comment'))}<br>"
            f'<textarea name="comment" maxlength="1000" rows="4" cols="40"></textarea></label></p>'
            f"<button type=\"submit\">{html.escape(t(view.locale, 'survey.form_submit'))}</button></form>")


def survey_router(desk: Callable[[], SurveyDesk], texts: Catalog) -> APIRouter:
    """The form's routes. ``desk`` gives the ``SurveyDesk`` of the running app (opened in the server's lifespan)."""
    router = APIRouter()

    async def found(token: str) -> SurveyView | None:
        return await desk().view(token) if 16 <= len(token) <= 64 else None

    def say(view: SurveyView, key: str, status: int = 200) -> HTMLResponse:
        return page(texts, view.locale, f"<p>{html.escape(texts.text(view.locale, key, number=view.number))}</p>",
                    status)

    def missing() -> HTMLResponse:
        return page(texts, "ko", f"<p>{html.escape(texts.text('ko', 'survey.unknown'))}</p>", 404)

    @router.get("/survey/{token}", response_class=HTMLResponse)
    async def show(token: str) -> HTMLResponse:
        view = await found(token)
        if view is None:
            return missing()
        if view.rated:
            return say(view, "survey.already")
        if view.expired:
            return say(view, "survey.expired", 410)
        return page(texts, view.locale, form_html(texts, view, f"/survey/{token}"))

    @router.post("/survey/{token}", response_class=HTMLResponse)
    async def vote(token: str, request: Request) -> HTMLResponse:
        view = await found(token)
        if view is None:
            return missing()
        parsed = parse_rating(await request.body())
        if parsed is None or parsed[0] not in RATINGS:
            return page(texts, view.locale, form_html(texts, view, f"/survey/{token}"), 422)
        if view.rated:
            return say(view, "survey.already", 409)
        try:
            rated = await desk().rate(token, *parsed)
        except SurveyRefused:
            return say(view, "survey.already", 409)
        body = f"<p>{html.escape(texts.text(view.locale, 'survey.form_done'))}</p>"
        if rated.low:
            body += (f"<p>{html.escape(texts.text(view.locale, 'survey.low', number=view.number))}</p>"
                     f'<form method="post" action="/survey/{html.escape(token)}/follow-up"><button type="submit">'
                     f"{html.escape(texts.text(view.locale, 'survey.form_follow_up'))}</button></form>")
        return page(texts, view.locale, body)

    @router.post("/survey/{token}/follow-up", response_class=HTMLResponse)
    async def follow_up(token: str) -> HTMLResponse:
        view = await found(token)
        if view is None:
            return missing()
        try:
            await desk().follow_up(token)
        except (SurveyRefused, TicketNotFound):
            return say(view, "survey.unknown", 409)
        return say(view, "survey.reopened")

    return router
