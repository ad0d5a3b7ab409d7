"""The dispatcher: every outbox event becomes deliveries (one per subscriber), and every delivery reaches its
sink exactly once as far as the sink can tell, whatever the provider does and even when a worker is killed.

Each pass runs in short units of work: fan-out (events → deliveries, one transaction), claim (a lease on a
batch, committed before anything is sent), send (no transaction open), record (one transaction). A worker
killed mid-send leaves leased deliveries; after the lease another worker takes them over, and asks the sink
first whether the provider already has them (``maybe_sent``). A failing sink never blocks another: each
delivery has its own attempts, backoff and state, and a delivery that fails for good is dead-lettered with a
``delivery_dead`` event for staff. Nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.notices.model import AlimTalk, Dead, Outcome, Outgoing, Retry, Sent, Sink
from bot.notices.plan import NoticePlanner
from bot.notices.policy import next_attempt
from bot.notices.ports import DEAD, PENDING, SENT, Delivery, Recorded
from bot.pii import mask
from bot.ports import UnitOfWorkFactory

log = logging.getLogger("vocdesk.dispatch")
DEAD_EVENT = "delivery_dead"


@dataclass(frozen=True)
class Settings:
    batch: int = 200  # events fanned out / deliveries claimed per unit of work
    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 8
    backoff_base: float = 5.0
    backoff_cap: float = 3600.0


@dataclass
class Pass:
    fanned_out: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0

    def __iadd__(self, other: Pass) -> Pass:
        self.fanned_out += other.fanned_out
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        return self

    @property
    def busy(self) -> bool:
        return bool(self.fanned_out or self.sent or self.retried or self.dead)


class Dispatcher:
    def __init__(self, uow: UnitOfWorkFactory, planner: NoticePlanner, sinks: Mapping[str, Sink], clock: Clock,
                 settings: Settings | None = None, *, rng: random.Random | None = None) -> None:
        self.uow, self.planner, self.sinks, self.clock = uow, planner, dict(sinks), clock
        self.settings = settings or Settings()
        self.rng = rng

    # -- one pass ----------------------------------------------------------------------------------------
    async def run_once(self, stop: asyncio.Event | None = None) -> Pass:
        """Fan out every waiting event and send every delivery due now, then return (``dispatch --once``);
        when ``stop`` is set, return after the batch in flight instead."""
        total = Pass()
        while stop is None or not stop.is_set():
            step = Pass(fanned_out=await self.fan_out())
            step += await self.deliver()
            total += step
            if not step.busy:
                break
        return total

    async def fan_out(self) -> int:
        now = self.clock.now()
        async with self.uow() as uow:
            events = await uow.deliveries.events(self.settings.batch)
            if not events:
                return 0
            planned = [d for event, facts in events for d in self.planner.plan(event, facts, now)]
            await uow.deliveries.fan_out(planned, [event.id for event, _ in events], now)
            await uow.commit()
        return len(events)

    async def deliver(self) -> Pass:
        """Claim the due deliveries (one batch), send them sink by sink, record the outcomes."""
        now = self.clock.now()
        async with self.uow() as uow:
            claimed = await uow.deliveries.claim(now, self.settings.batch, now + self.settings.lease)
            await uow.commit()
        if not claimed:
            return Pass()
        by_sink: dict[str, list[Delivery]] = defaultdict(list)
        for delivery in claimed:
            by_sink[delivery.sink].append(delivery)
        outcomes = await asyncio.gather(*(self._send(sink, batch) for sink, batch in by_sink.items()))
        return await self._record(claimed, [o for group in outcomes for o in group])

    async def _send(self, sink_name: str, deliveries: list[Delivery]) -> list[Outcome]:
        sink = self.sinks.get(sink_name)
        if sink is None:
            return [Dead(d.key, f"no sink {sink_name!r} is configured") for d in deliveries]
        outcomes: list[Outcome] = []
        ambiguous = [d for d in deliveries if d.maybe_sent]
        settled: set[str] = set()
        if ambiguous:
            already = await _sent_before(sink, [outgoing(d) for d in ambiguous])
            if already is None:  # sending blind could send twice: ask again at the next attempt
                outcomes += [Retry(d.key, "could not ask the provider what it already has", unsure=True)
                             for d in ambiguous]
                settled = {d.key for d in ambiguous}
            else:
                outcomes += [Sent(key, "found at the provider") for key in already]
                settled = already
        todo = [outgoing(d) for d in deliveries if d.key not in settled]
        for start in range(0, len(todo), max(sink.batch_size, 1)):
            batch = todo[start:start + sink.batch_size]
            try:
                outcomes += await sink.send(batch)
            except Exception as exc:  # a sink must not raise; if it does, the batch is retried, not lost
                log.error("sink %s raised %s; the batch will be retried", sink_name, type(exc).__name__)
                outcomes += [Retry(m.key, f"sink raised {type(exc).__name__}", unsure=True) for m in batch]
        return outcomes

    async def _record(self, claimed: Sequence[Delivery], outcomes: Sequence[Outcome]) -> Pass:
        now = self.clock.now()
        by_key = {d.key: d for d in claimed}
        results, dead, done = [], [], Pass()
        answered: set[str] = set()
        for outcome in outcomes:
            delivery = by_key.get(outcome.key)
            if delivery is None or outcome.key in answered:
                continue
            answered.add(outcome.key)
            result = self._result(delivery, outcome, now)
            results.append(result)
            if result.state == SENT:
                done.sent += 1
            elif result.state == DEAD:
                done.dead += 1
                dead.append((delivery, result.error))
            else:
                done.retried += 1
        for delivery in claimed:  # a sink that forgot a message: try it again
            if delivery.key not in answered:
                results.append(self._result(delivery, Retry(delivery.key, "the sink gave no outcome"), now))
                done.retried += 1
        async with self.uow() as uow:
            await uow.deliveries.record(results, now)
            for delivery, reason in dead:
                log.warning("delivery %s (%s %s via %s) is dead: %s", delivery.id, delivery.kind, delivery.number,
                            delivery.sink, mask(reason))
                if delivery.kind != DEAD_EVENT:
                    await uow.outbox.put(DEAD_EVENT, {
                        "delivery_id": delivery.id, "number": delivery.number, "kind": delivery.kind,
                        "sink": delivery.sink, "reason": mask(reason),
                    }, dedupe_key=f"dead:{delivery.key}:{delivery.attempts}")
            await uow.commit()
        return done

    def _result(self, delivery: Delivery, outcome: Outcome, now: datetime) -> Recorded:
        if isinstance(outcome, Sent):
            return Recorded(delivery.id, SENT, ref=outcome.ref)
        if isinstance(outcome, Dead):
            return Recorded(delivery.id, DEAD, error=outcome.reason)
        if delivery.attempts >= self.settings.max_attempts:
            return Recorded(delivery.id, DEAD, error=f"gave up after {delivery.attempts} attempts: {outcome.reason}")
        s = self.settings
        when = next_attempt(now, delivery.attempts, outcome.after, base=s.backoff_base, cap=s.backoff_cap,
                            rng=self.rng)
        return Recorded(delivery.id, PENDING, error=outcome.reason, next_attempt_at=when, unsure=outcome.unsure)

    # -- the worker --------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, wake: asyncio.Event, *, interval: float = 5.0,
                  on_pass: Callable[[Pass], None] | None = None) -> None:
        """Pass after pass until ``stop``: after an idle pass, wait for ``wake`` (new outbox rows, from this
        process or PostgreSQL ``NOTIFY``), the next due delivery, ``interval`` seconds, or ``stop``. Sends in
        flight when ``stop`` is set are finished and recorded before returning."""
        while not stop.is_set():
            wake.clear()
            idle = interval
            try:
                done = await self.run_once(stop)
                idle = await self._idle_for(interval)
            except Exception as exc:  # a database hiccup: log it and try again after the interval
                log.error("dispatch pass failed: %s: %s", type(exc).__name__, mask(str(exc)))
                done = Pass()
            if on_pass is not None and done.busy:
                on_pass(done)
            await _first(stop, wake, idle)

    async def _idle_for(self, interval: float) -> float:
        async with self.uow() as uow:
            due = await uow.deliveries.next_due()
        if due is None:
            return interval
        return max(0.0, min(interval, (due - self.clock.now()).total_seconds()))


def outgoing(d: Delivery) -> Outgoing:
    alimtalk = AlimTalk(d.template_id, d.variables, d.sms_text) if d.template_id else None
    text = d.text if alimtalk or not d.sms_text or d.sink != "sms" else d.sms_text
    extra = {"number": d.number, "locale": d.locale}
    if not alimtalk and "choices" in d.variables:  # a chat notice's buttons (JSON [[choice id, label], ...])
        extra["choices"] = d.variables["choices"]
    return Outgoing(d.key, d.kind, d.sink, d.to, text, alimtalk, extra)


async def _sent_before(sink: Sink, batch: list[Outgoing]) -> set[str] | None:
    """The keys of ``batch`` the sink's provider already has; None when it could not say."""
    check = getattr(sink, "sent_before", None)
    if check is None:
        return set()
    try:
        found: set[str] = await check(batch)
    except Exception as exc:
        log.warning("sink %s could not say what it already sent (%s); asking again later", sink.name,
                    type(exc).__name__)
        return None
    return found


async def _first(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await w
