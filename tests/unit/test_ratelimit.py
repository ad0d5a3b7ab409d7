"""The per-client token bucket, at explicit instants (seconds on a monotonic clock)."""

from __future__ import annotations

import pytest

from handlers.ratelimit import RateLimit, RateLimiter


def test_a_burst_is_allowed_then_the_client_waits_for_the_refill() -> None:
    limiter = RateLimiter(RateLimit(burst=3, per_minute=30))  # a token every 2 s
    assert [limiter.take("a", 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", 100.0) == pytest.approx(2.0)
    assert limiter.take("a", 101.0) == pytest.approx(1.0)  # a refused request takes nothing
    assert limiter.take("a", 102.0) == 0.0
    assert limiter.take("b", 102.0) == 0.0  # each client has its own bucket


def test_the_bucket_refills_up_to_the_burst_only() -> None:
    limiter = RateLimiter(RateLimit(burst=2, per_minute=60))
    limiter.take("a", 0.0)
    limiter.take("a", 0.0)
    assert [limiter.take("a", 3600.0) for _ in range(3)] == [0.0, 0.0, pytest.approx(1.0)]


def test_a_clock_that_steps_back_gives_no_tokens() -> None:
    limiter = RateLimiter(RateLimit(burst=1, per_minute=60))
    limiter.take("a", 50.0)
    assert limiter.take("a", 40.0) == pytest.approx(1.0)


def test_the_least_recently_seen_clients_are_forgotten_first() -> None:
    limiter = RateLimiter(RateLimit(burst=1, per_minute=1, max_clients=2))
    limiter.take("a", 0.0)
    limiter.take("b", 0.0)
    limiter.take("a", 0.0)  # refused, but seen: "b" is now the oldest
    limiter.take("c", 0.0)
    assert limiter.take("b", 0.0) == 0.0  # forgotten, so it starts full again
    assert limiter.take("a", 0.0) == 0.0  # ...which pushed "a" out in turn


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    assert [RateLimiter.retry_after(w) for w in (0.01, 1.0, 1.2, 59.9)] == [1, 1, 2, 60]


def test_a_nonsense_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid rate limit"):
        RateLimit(burst=0)
