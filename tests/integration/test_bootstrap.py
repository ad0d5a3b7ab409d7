"""The composition root: a long-running process is ready before its first customer writes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.app import bootstrap, open_desk
from bot.clock import FixedClock
from bot.config import Database as DatabaseSettings
from bot.config import load_config
from tests.conftest import ROOT
from tests.fakes import KST, ScriptedClassifier, classification


async def test_bootstrap_warms_the_calendar_and_a_desk_opens_without_a_classifier(tmp_path: Path) -> None:
    base = load_config(ROOT / "config.toml", {})
    settings = base.settings.model_copy(update={
        "database": DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'vocdesk.db'}")})
    config = base.model_copy(update={"settings": settings})
    clock = FixedClock(datetime(2026, 12, 31, 23, 0, tzinfo=KST))
    app = await bootstrap(config, clock=clock, classifier=ScriptedClassifier({}, classification("greet", None, 1)))
    try:
        assert set(app.calendar._years) == {2026, 2027}
    finally:
        await app.aclose()
    desk = await open_desk(config, clock=clock)
    try:
        assert desk.calendar._years == {}  # staff commands count no deadline up front
        async with desk.uow() as uow:
            assert await uow.tickets.list() == []
    finally:
        await desk.aclose()
