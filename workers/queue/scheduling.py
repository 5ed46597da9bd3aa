"""RQ's scheduler, run in the dispatcher's loop rather than in a process of its own.

RQ keeps jobs due later (a retry's interval, a run's sweep) in each queue's scheduled-job
registry; a scheduler moves them onto the queue when they are due. RQ's worker forks one
for that, and that process never learns that the worker died: a worker killed before it
could stop it (SIGKILL, the OOM killer, a SIGTERM in its first moments) left it running
for good, holding the scheduler locks. The dispatcher already watches the worker that
started it and exits with it, so the scheduling is one more duty of its loop, done with
RQ's own ``RQScheduler``: the same locks (one scheduler per queue across all workers), the
same heartbeat, the same moving of due jobs.
"""

from __future__ import annotations

import time

from redis import Redis
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer


class Scheduling:
    """The scheduler of ``queues``, stepped by its owner's loop (at least once a minute: the
    locks last ``interval + 60`` s). A queue whose lock another scheduler holds is tried
    again every ``retry_seconds``: RQ's worker tries every ten minutes, so the due jobs of
    a killed worker's queues waited that long once its locks expired."""

    def __init__(self, redis: Redis, queues: list[str], retry_seconds: float) -> None:
        # interval: the lock's lifetime is interval + 60 s; the loop's pace sets how often
        self.scheduler = RQScheduler(queues, connection=redis, serializer=JSONSerializer)
        self.queues = set(queues)
        self.retry_seconds = retry_seconds
        self._tried_at: float | None = None
        self._born = False

    def step(self) -> None:
        """Move the due jobs of the queues whose lock this scheduler holds, after taking the
        locks no scheduler holds when it is time to try."""
        scheduler = self.scheduler
        now = time.monotonic()
        due = self._tried_at is None or now - self._tried_at >= self.retry_seconds
        if scheduler.acquired_locks != self.queues and due:
            self._tried_at = now
            scheduler.acquire_locks()  # type: ignore[no-untyped-call]
        if not scheduler.acquired_locks:
            return
        if not self._born:
            scheduler.register_birth()
            self._born = True
        scheduler.heartbeat()  # type: ignore[no-untyped-call]
        scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]

    def leave(self) -> None:
        """Hand the locks back, so another worker's dispatcher schedules at once."""
        if self.scheduler.acquired_locks:
            self.scheduler.release_locks()  # type: ignore[no-untyped-call]
        if self._born:
            self.scheduler.register_death()
            self._born = False
