"""prgate's RQ worker: a sign of life for Kubernetes, and a stop that never outlasts the
platform's grace period.

A stopping worker (SIGTERM, Ctrl-C) lets its job run ``stop_grace`` seconds
(``PRGATE_STOP_GRACE``), then kills the work horse (and its git and render children,
in the horse's process group) and hands the job back: RQ's retry puts it on the queue
again, with one more retry so the hand-back costs none, and the job's runs stay as they
are until another worker ends them. Without this RQ waits for the job however long it
takes, and Kubernetes kills the worker 30 s after SIGTERM, job and all.

When a stop takes effect: RQ ended an idle worker's wait for a job by raising from the
signal handler, and to RQ the moment between popping a job off the queue and marking
it started is idle too: a stop there lost the job (popped, in no registry). This worker
never raises from the handler: it notes the stop, and its queue class checks the note
before each wait for a job, where no job is in hand; a job popped just before the stop
runs with its grace like any other. The waits last ``WAIT_SECONDS`` (RQ's: 405 s), so an
idle worker stops within that. A running horse is looked at every ``MONITOR_SECONDS``
(RQ's: 30 s), so a stop ends at most that long after its grace. (Shortening RQ's 30 s
from the handler raced with RQ arming its next alarm: a signal between its two calls
lost the shorter one.)

A SIGTERM or SIGINT that arrives while ``prgate worker`` is still starting, before RQ
installs its handlers, would kill it outright and leave its dispatcher to notice on its
own; ``defer_stop_signals`` notes it instead, and the worker stops as soon as its loop
starts, by the same path as any stop.

RQ's worker beats its heart in Redis (``last_heartbeat``), at least once per dequeue
timeout while idle and after every job. A liveness probe that asked Redis would restart
every worker whenever Redis is unreachable; this one only asks whether the worker's own
loop still runs: ``PRGATE_ALIVE_FILE`` is touched on every heartbeat, and the probe
(``deploy/k8s/worker.yaml``) checks its age.
"""

from __future__ import annotations

import contextlib
import signal
import time
from pathlib import Path
from typing import Any

from rq import Queue, Worker
from rq.exceptions import StopRequested
from rq.job import Job
from rq.worker import WorkerStatus

WAIT_SECONDS = 2
MONITOR_SECONDS = 1
_early_stops: list[int] = []  # stop signals noted before the worker's loop took them over


def defer_stop_signals() -> None:
    """Note a SIGTERM or SIGINT from now until the worker's loop installs its handlers."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: _early_stops.append(signum))


class AliveWorker(Worker):
    """RQ's worker, touching ``alive_file`` when it registers and on every heartbeat, and
    handing its job back ``stop_grace`` seconds after it was asked to stop."""

    alive_file: Path | None = None
    stop_grace: float = 20.0
    _hand_back_at: float | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job_monitoring_interval = MONITOR_SECONDS
        self.queue_class = _stop_aware(self)

    @property
    def dequeue_timeout(self) -> int:
        return WAIT_SECONDS

    def _shutdown(self) -> None:
        if self.get_state() == WorkerStatus.BUSY:
            super()._shutdown()  # type: ignore[no-untyped-call]
        else:  # perhaps a job just popped in hand: the next wait for a job stops the loop
            self._stop_requested = True

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()  # type: ignore[no-untyped-call]
        if _early_stops:
            self.log.info("Worker %s: asked to stop while starting; stopping", self.name)
            self._stop_requested = True  # the loop stops before it takes a job

    def request_stop(self, signum: Any, frame: Any) -> None:
        if self._hand_back_at is None:
            self._hand_back_at = time.monotonic() + self.stop_grace
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def maintain_heartbeats(self, job: Job, *args: Any, **kwargs: Any) -> None:
        super().maintain_heartbeats(job, *args, **kwargs)
        if self._hand_back_at is not None and time.monotonic() >= self._hand_back_at:
            self.hand_back(job)

    def hand_back(self, job: Job) -> None:
        """Stop the job now and let RQ's retry put it back on the queue, at no retry's cost
        (the failure this makes is the stop's, not the job's)."""
        if not self.horse_pid:
            return
        self.log.warning(
            "Worker %s: stopping: job %s ran past the %g s grace, handing it back",
            self.name,
            job.id,
            self.stop_grace,
        )
        if job.retries_left is not None:  # RQ's failure handling reads this copy
            job.retries_left += 1
        self.kill_horse()
        self.wait_for_horse()

    def _touch(self) -> None:
        if self.alive_file is not None:
            with contextlib.suppress(OSError):  # a full or read-only disk is not a dead loop
                self.alive_file.touch()

    def register_birth(self, *args: Any, **kwargs: Any) -> None:
        super().register_birth(*args, **kwargs)  # type: ignore[no-untyped-call]
        self._touch()

    def heartbeat(self, *args: Any, **kwargs: Any) -> None:
        super().heartbeat(*args, **kwargs)
        self._touch()


def _stop_aware(worker: AliveWorker) -> type[Queue]:
    """``worker``'s queue class: RQ's, whose wait for a job ends the worker's loop instead
    once the worker was asked to stop (RQ catches ``StopRequested`` in its loop)."""

    class StopAwareQueue(worker.queue_class):  # type: ignore[name-defined,misc]
        @classmethod
        def lpop(cls, queue_keys: Any, timeout: int | None, connection: Any = None) -> Any:
            if worker._stop_requested:
                raise StopRequested
            return super().lpop(queue_keys, timeout, connection)

    return StopAwareQueue
