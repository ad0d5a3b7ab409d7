"""When to try a delivery again, and when a notice may go out: pure functions of the instant."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def backoff(attempt: int, *, base: float = 5.0, cap: float = 3600.0, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: exponential (``base · 2^(attempt-1)``, at most ``cap``) with full
    jitter over its upper half, so retries after an outage do not arrive together."""
    ceiling = min(cap, base * 2.0 ** max(attempt - 1, 0))
    draw = rng.random() if rng is not None else random.random()
    return ceiling / 2 + draw * ceiling / 2


def next_attempt(now: datetime, attempt: int, retry_after: float | None, *, base: float = 5.0,
                 cap: float = 3600.0, rng: random.Random | None = None) -> datetime:
    """The provider's ``Retry-After`` when it gave one, else the backoff."""
    wait = max(retry_after, 0.0) if retry_after is not None else backoff(attempt, base=base, cap=cap, rng=rng)
    return now + timedelta(seconds=wait)


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """``"21:00-08:00"`` → (21:00, 08:00); ``""`` → None (no quiet hours). Raises ValueError otherwise."""
    if not text.strip():
        return None
    start, sep, end = text.strip().partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not a window like \"21:00-08:00\"")
    try:
        window = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a window like \"21:00-08:00\"") from None
    if window[0] == window[1]:
        raise ValueError(f"{text!r}: the window must not be empty")
    return window


def release_at(now: datetime, quiet: tuple[time, time] | None, tz: ZoneInfo) -> datetime:
    """``now`` when a notice may go out now, else the end of the quiet window (in ``tz``) it falls in."""
    if quiet is None:
        return now
    start, end = quiet
    local = now.astimezone(tz)
    clock = local.timetz().replace(tzinfo=None)
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return now
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz)
