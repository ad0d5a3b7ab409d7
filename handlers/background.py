"""Tasks a request starts and does not wait for (a Kakao turn past its answer, a callback): kept here so the
server's shutdown waits for them before it closes the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger("vocdesk.server")


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``coro`` as a task of its own: a request that stops waiting for it (or is cancelled) leaves it
        running."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for every task (and those they start); cancel what is left.
        Returns how many were cancelled."""
        loop = asyncio.get_running_loop()
        until = loop.time() + timeout
        while self._tasks and loop.time() < until:
            await asyncio.wait(set(self._tasks), timeout=until - loop.time())
        left = list(self._tasks)
        for task in left:
            task.cancel()
        if left:
            log.warning("%d background tasks cancelled at shutdown", len(left))
            await asyncio.gather(*left, return_exceptions=True)
        return len(left)
