"""``/metrics``: Prometheus text from a registry of the app's own (never the process-global one).

The counters and histograms are this process's (with ``vocdesk serve --workers N`` each worker counts its
own; Prometheus sums them); the desk's gauges are read from the database at scrape time, so every worker
reports the same, global, values.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.conversation.classification import Classification, Classifier
from bot.conversation.messages import Inbound, Reply

if TYPE_CHECKING:
    from storage.gauges import DeskGauges

Handle = Callable[[Inbound], Awaitable[list[Reply]]]
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class DeskCollector(Collector):
    """The gauges of the last database read (``None``: the read failed, ``vocdesk_database_up`` 0)."""

    def __init__(self) -> None:
        self.last: DeskGauges | None = None

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("vocdesk_database_up", "1 when the database answered this scrape's queries")
        up.add_metric([], 1.0 if self.last else 0.0)
        yield up
        g = self.last
        if g is None:
            return
        opened = CounterMetricFamily("vocdesk_tickets_opened", "Tickets ever opened, by VOC type (database)",
                                     labels=["voc_type"])
        for kind, n in sorted(g.tickets_by_type.items()):
            opened.add_metric([kind], n)
        yield opened
        for name, doc, value in (
            ("vocdesk_tickets_overdue", "Open tickets past their due instant (database)", g.overdue),
            ("vocdesk_outbox_events_waiting", "Outbox events not yet fanned out into deliveries", g.events_waiting),
            ("vocdesk_deliveries_pending", "Deliveries waiting to be sent (the outbox backlog)", g.deliveries_pending),
            ("vocdesk_deliveries_failing", "Pending deliveries whose last attempt failed", g.deliveries_failing),
            ("vocdesk_deliveries_dead", "Deliveries given up after max_attempts", g.deliveries_dead),
        ):
            yield GaugeMetricFamily(name, doc, value=value)


class Metrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.messages = Counter("vocdesk_messages_in", "Customer messages handed to the dialogue", ["channel"],
                                registry=r)
        self.classification = Histogram("vocdesk_classification_seconds", "Time to classify one text",
                                        buckets=_FAST, registry=r)
        self.requests = Histogram("vocdesk_http_request_seconds", "HTTP request latency by route",
                                  ["route", "method", "status"], buckets=_FAST, registry=r)
        self.callbacks = Counter("vocdesk_kakao_answers", "Kakao skill answers by how they went",
                                 ["way"], registry=r)
        self.desk = DeskCollector()
        r.register(self.desk)

    def timed(self, classifier: Classifier) -> Classifier:
        return _TimedClassifier(classifier, self.classification)

    def counted(self, handle: Handle) -> Handle:
        async def counting(msg: Inbound) -> list[Reply]:
            self.messages.labels(msg.channel).inc()
            return await handle(msg)

        return counting

    async def render(self, read: Callable[[], Awaitable[DeskGauges]]) -> bytes:
        """The exposition text, after reading the desk's gauges (a failed read leaves them out)."""
        try:
            self.desk.last = await read()
        except Exception:
            self.desk.last = None
        return generate_latest(self.registry)


class _TimedClassifier:
    def __init__(self, inner: Classifier, histogram: Histogram) -> None:
        self.inner, self.histogram = inner, histogram

    def classify(self, text: str) -> Classification:
        start = time.perf_counter()
        try:
            return self.inner.classify(text)
        finally:
            self.histogram.observe(time.perf_counter() - start)
