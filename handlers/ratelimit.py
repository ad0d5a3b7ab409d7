"""A token bucket per client, for public HTTP endpoints. Time is passed in (seconds on a monotonic clock), so
tests give explicit instants.

The buckets live in the memory of one process: with several worker processes each keeps its own, and a client
may get up to ``workers`` times the rate. That is the documented trade-off (no shared state for a courtesy
limit); a proxy in front can enforce a hard limit.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """``burst`` requests at once, refilled at ``per_minute`` requests a minute; at most ``max_clients``
    buckets are kept (the least recently seen are forgotten first, which only makes a limit more lenient)."""

    burst: int = 20
    per_minute: float = 30.0
    max_clients: int = 10_000

    def __post_init__(self) -> None:
        if self.burst < 1 or self.per_minute <= 0 or self.max_clients < 1:
            raise ValueError(f"invalid rate limit: {self}")


class RateLimiter:
    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, at)

    def take(self, client: str, now: float, cost: float = 1.0) -> float:
        """Take ``cost`` tokens from ``client``'s bucket: 0.0 when allowed, else the seconds to wait before the
        request would be allowed (nothing is taken then)."""
        rate = self.limit.per_minute / 60.0
        tokens, at = self._buckets.pop(client, (float(self.limit.burst), now))
        tokens = min(float(self.limit.burst), tokens + max(0.0, now - at) * rate)
        wait = 0.0
        if tokens >= cost:
            tokens -= cost
        else:
            wait = (cost - tokens) / rate
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self.limit.max_clients:
            self._buckets.popitem(last=False)
        return wait

    @staticmethod
    def retry_after(wait: float) -> int:
        """Seconds for a ``Retry-After`` header: whole seconds, rounded up, at least 1."""
        return max(1, math.ceil(wait))
