"""prgate's RQ worker: a sign of life for Kubernetes, and a stop that never outlasts the
platform's grace period.

A stopping worker (SIGTERM, Ctrl-C) lets its job run ``stop_grace`` seconds
(``PRGATE_STOP_GRACE``), then kills the work horse (and its git and render children,
in the horse's process group) and hands the job back: RQ's retry puts it on the queue
again, with one more retry so the hand-back costs none, and the job's runs stay as they
are until another worker ends them. Without this RQ waits for the job however long it
takes, and Kubernetes kills the worker 30 s after SIGTERM, job and all.


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

from rq import Worker
from rq.job import Job

_NO_HANDLER = (signal.SIG_DFL, signal.SIG_IGN, None)  # no RQ monitor waiting on the horse


class AliveWorker(Worker):
    """RQ's worker, touching ``alive_file`` when it registers and on every heartbeat, and
    handing its job back ``stop_grace`` seconds after it was asked to stop."""

    alive_file: Path | None = None
    stop_grace: float = 20.0
    _hand_back_at: float | None = None

    def request_stop(self, signum: Any, frame: Any) -> None:
        if self._hand_back_at is None:
            self._hand_back_at = time.monotonic() + self.stop_grace
            self.job_monitoring_interval = 1  # look at the horse every second from now on
            if self.horse_pid and signal.getsignal(signal.SIGALRM) not in _NO_HANDLER:
                signal.alarm(1)  # the monitor waits out its current 30 s otherwise
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
