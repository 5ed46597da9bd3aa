"""Prometheus metrics of the receiver (``/metrics``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector


class QueueCollector(Collector):
    """Queue depth and the age of the oldest waiting job, read from Redis at scrape time;
    the inbox counts as a queue."""

    def __init__(self, depth: Callable[[], dict[str, tuple[int, float | None]]]) -> None:
        self.depth = depth

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily(
            "prgate_queue_jobs",
            "Jobs waiting in the queue (inbox: admitted work not yet made an RQ job)",
            labels=["queue"],
        )
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


class WorkerCollector(Collector):
    """What workers recorded in Redis (``workers.shared.stats``): jobs, GitHub API calls per job."""

    def __init__(self, stats: Callable[[], dict[str, float]], buckets: tuple[int, ...]) -> None:
        self.stats = stats
        self.buckets = buckets

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        try:
            stats = self.stats()
        except Exception:  # Redis down: /readyz says so; scraping must not fail
            stats = {}
        kinds = sorted({k.split(":")[1] for k in stats if k.startswith("jobs:")})
        calls = CounterMetricFamily(
            "prgate_github_api_calls", "GitHub API requests made by jobs", labels=["job"]
        )
        per_job = HistogramMetricFamily(
            "prgate_github_api_calls_per_job", "GitHub API requests per job", labels=["job"]
        )
        seconds = CounterMetricFamily(
            "prgate_job_seconds", "Time spent in jobs, by kind", labels=["job"]
        )
        for kind in kinds:
            count = stats.get(f"jobs:{kind}", 0.0)
            total = stats.get(f"calls:{kind}", 0.0)
            calls.add_metric([kind], total)
            seconds.add_metric([kind], stats.get(f"seconds:{kind}", 0.0))
            buckets = [(str(b), stats.get(f"calls_le:{kind}:{b}", 0.0)) for b in self.buckets]
            per_job.add_metric([kind], [*buckets, ("+Inf", count)], total)
        yield calls
        yield per_job
        yield seconds


class Metrics:
    def __init__(
        self,
        depth: Callable[[], dict[str, tuple[int, float | None]]],
        stats: Callable[[], dict[str, float]] | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "prgate_deliveries",
            "Webhook deliveries by event and outcome",
            ["event", "outcome"],
            registry=self.registry,
        )
        self.enqueue_seconds = Histogram(
            "prgate_enqueue_seconds",
            "Time to admit one delivery (de-duplicate, merge, append to the inbox)",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self._delivered: dict[tuple[str, str], Any] = {}
        self.registry.register(QueueCollector(depth))
        if stats is not None:
            from workers.shared.stats import CALL_BUCKETS

            self.registry.register(WorkerCollector(stats, CALL_BUCKETS))

    def delivered(self, event: str, outcome: str) -> None:
        """Count a delivery (the labelled child is kept: ``labels()`` costs more than ``inc``)."""
        child = self._delivered.get((event, outcome))
        if child is None:
            child = self._delivered[event, outcome] = self.deliveries.labels(event, outcome)
        child.inc()
