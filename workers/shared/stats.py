"""Per-job figures the workers leave in Redis for the receiver's ``/metrics``.

RQ runs each job in a forked work horse, so in-process Prometheus counters
would die with it; a Redis hash outlives the process and every worker adds to
the same one. The receiver turns it into metrics at scrape time
(``bot.metrics.WorkerCollector``).
"""

from __future__ import annotations

from redis import Redis
from redis.exceptions import RedisError

from workers.shared.settings import Settings

CALL_BUCKETS = (2, 4, 6, 8, 12, 16, 32, 64)


def stats_key(settings: Settings) -> str:
    return f"{settings.queue}:stats"


def record_job(redis: Redis, settings: Settings, kind: str, calls: int, seconds: float) -> None:
    """Count one finished job of ``kind``: its GitHub API calls and its duration."""
    key = stats_key(settings)
    try:
        pipe = redis.pipeline(transaction=False)
        pipe.hincrby(key, f"jobs:{kind}", 1)
        pipe.hincrby(key, f"calls:{kind}", calls)
        pipe.hincrbyfloat(key, f"seconds:{kind}", seconds)
        for bound in CALL_BUCKETS:
            if calls <= bound:
                pipe.hincrby(key, f"calls_le:{kind}:{bound}", 1)
        pipe.execute()
    except RedisError:
        pass  # figures are best effort; the job's own outcome is what matters


def read_stats(redis: Redis, settings: Settings) -> dict[str, float]:
    raw = redis.hgetall(stats_key(settings))
    return {(k.decode() if isinstance(k, bytes) else k): float(v) for k, v in raw.items()}
