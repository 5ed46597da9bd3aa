"""Prometheus metrics of the receiver (``/metrics``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class QueueCollector(Collector):
    """Queue depth and the age of the oldest waiting job, read from Redis at scrape time."""

    def __init__(self, depth: Callable[[], dict[str, tuple[int, float | None]]]) -> None:
        self.depth = depth

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily("prgate_queue_jobs", "Jobs waiting in the queue", labels=["queue"])
        age = GaugeMetricFamily(
            "prgate_queue_oldest_job_age_seconds",
            "Age of the oldest waiting job (0 when the queue is empty)",
            labels=["queue"],
        )
        try:
            depth = self.depth()
        except Exception:  # Redis down: /readyz says so; scraping must not fail
            depth = {}
        now = time.time()
        for name, (count, oldest) in depth.items():
            jobs.add_metric([name], count)
            age.add_metric([name], max(now - oldest, 0.0) if oldest else 0.0)
        yield jobs
        yield age


class Metrics:
    def __init__(self, depth: Callable[[], dict[str, tuple[int, float | None]]]) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "prgate_deliveries",
            "Webhook deliveries by event and outcome",
            ["event", "outcome"],
            registry=self.registry,
        )
        self.enqueue_seconds = Histogram(
            "prgate_enqueue_seconds",
            "Time to de-duplicate and enqueue one delivery",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.registry.register(QueueCollector(depth))
