"""The server's workers, started in its lifespan: the notices dispatcher, the deadline sweeper and the hourly
purge of abandoned drafts. Every worker process runs its own: deliveries are claimed with ``FOR UPDATE SKIP
LOCKED`` under a lease on PostgreSQL, and a sweep at the same instant queues nothing new."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

from bot.app import App, alert_plan, open_notices
from bot.config import AppConfig

log = logging.getLogger("vocdesk.server")
PURGE_EVERY_S = 3600.0
DISPATCH_GATHER_S = 0.25
"""After a commit wrote outbox rows, the dispatcher waits this long for more: under load one pass then sends the
notices of many tickets, instead of one pass (six units of work) per ticket competing with the turns."""


async def start_workers(config: AppConfig, app: App, stack: AsyncExitStack) -> dict[str, asyncio.Task[Any]]:
    """Start the workers; ``stack`` stops them (finishing the sends in flight) and closes the notices' clients."""
    from bot.notices.sweep import Sweeper

    notify = config.settings.notify
    notices = await open_notices(config, app.database, app.calendar, app.clock, stream=sys.stdout,
                                 texts=app.texts, routing=app.routing)
    stack.push_async_callback(notices.aclose)
    stop, wake = asyncio.Event(), asyncio.Event()
    workers = {
        "dispatcher": asyncio.create_task(notices.dispatcher.run(stop, wake, interval=notify.poll_interval)),
        "dispatch_wake": asyncio.create_task(_gather_wakes(notices.wake, wake, stop)),
        "draft_purge": asyncio.create_task(_every(stop, PURGE_EVERY_S, app.purge_drafts)),
    }
    if notify.sweep_minutes:
        sweeper = Sweeper(app.database.uow, app.calendar, app.clock, alert_plan(config))
        workers["sweeper"] = asyncio.create_task(sweeper.run(stop, notify.sweep_minutes * 60))

    async def stop_workers() -> None:
        stop.set()
        await asyncio.gather(*workers.values(), return_exceptions=True)

    stack.push_async_callback(stop_workers)
    return workers


async def _gather_wakes(source: asyncio.Event, target: asyncio.Event, stop: asyncio.Event) -> None:
    """Set ``target`` ``DISPATCH_GATHER_S`` after ``source`` is set (clearing ``source``), until ``stop``."""
    stopping = asyncio.create_task(stop.wait())
    try:
        while True:
            woken = asyncio.create_task(source.wait())
            await asyncio.wait({woken, stopping}, return_when=asyncio.FIRST_COMPLETED)
            woken.cancel()
            if stop.is_set():
                return
            source.clear()
            await asyncio.sleep(DISPATCH_GATHER_S)
            target.set()
    finally:
        stopping.cancel()


async def _every(stop: asyncio.Event, seconds: float, job: Callable[[], Awaitable[object]]) -> None:
    """Run ``job`` every ``seconds`` until ``stop``; a failure is logged and the next round tries again."""
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
        if stop.is_set():
            return
        try:
            await job()
        except Exception as exc:
            log.warning("%s failed: %s", getattr(job, "__name__", "job"), type(exc).__name__)
