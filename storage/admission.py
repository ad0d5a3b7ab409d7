"""First come, first served admission to the database's connections.

Without it, concurrent units of work race for pooled connections (and on SQLite for the write lock, in
SQLite's sleeping busy handler); a task that just gave a connection back can take it straight again, so
some customers wait seconds while others are served at once. The gate hands a freed slot directly to the
longest-waiting task, so the order of admission is the order of arrival.
"""

from __future__ import annotations

import asyncio
from collections import deque

from bot.errors import DatabaseBusy


class Admission:
    """``capacity`` slots, granted in arrival order; waiting longer than ``timeout`` seconds raises
    ``DatabaseBusy``. Bound to the event loop of its first waiter (like the engine's connections)."""

    def __init__(self, capacity: int, timeout: float) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity, self.timeout = capacity, timeout
        self._free = capacity
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(not w.done() for w in self._waiters)

    async def enter(self) -> None:
        if self._free and not self._waiters:
            self._free -= 1
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        start = loop.time()
        try:
            async with asyncio.timeout(self.timeout):
                await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                self.leave()  # the slot came just as we gave up: pass it on
            else:
                waiter.cancel()
            if isinstance(exc, TimeoutError):
                raise DatabaseBusy(loop.time() - start) from None
            raise

    def leave(self) -> None:
        """Give the slot to the longest-waiting task (never back to the pool while someone waits)."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1
