"""Sweeps: looking again, later, for check runs GitHub made that prgate never saw.

A request that creates runs and gets no answer may still be carried out by GitHub after
prgate's retry has made the runs anew. ``Runs.ensure`` then schedules two sweeps; each runs
``workers.jobs.sweep_strays``, which ends the copies with the verdict of the runs they copy.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from rq import Callback, Queue
from rq.serializers import JSONSerializer

from workers.queue.dispatch import ANNOUNCE_TIMEOUT, JOBS, QUICK_FAILURE, RETRY, job_digest
from workers.shared.inbox import worker_queues

if TYPE_CHECKING:
    from redis import Redis

    from workers.shared.settings import Settings
    from workers.shared.work import CheckRequest

SWEEP_DELAYS = (120, 900)  # seconds: past GitHub's slowest answers, and once more much later


def schedule_sweeps(redis: Redis, settings: Settings, request: CheckRequest, jid: str) -> None:
    """Queue the sweeps of job ``jid``'s runs for later; the dispatcher of every ``prgate
    worker`` queues them when due (``workers.queue.scheduling``). Their job ids are stable,
    so scheduling twice queues each sweep once."""
    queue = Queue(worker_queues(settings)[0], connection=redis, serializer=JSONSerializer)
    for delay in SWEEP_DELAYS:
        queue.enqueue_in(
            timedelta(seconds=delay),
            JOBS["sweep_strays"],
            kwargs={"request": request.model_dump(mode="json"), "job_id": jid},
            job_id=f"sweep-{delay}-" + job_digest(f"{jid}:{request.delivery_id}"),
            timeout=ANNOUNCE_TIMEOUT,
            retry=RETRY,
            on_failure=Callback(QUICK_FAILURE),
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description=f"sweep {request.event} {request.delivery_id}",
        )
