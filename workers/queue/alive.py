"""A worker's sign of life for Kubernetes, without Redis: a file touched on every heartbeat.

RQ's worker beats its heart in Redis (``last_heartbeat``), at least once per dequeue
timeout while idle and after every job. A liveness probe that asked Redis would restart
every worker whenever Redis is unreachable; this one only asks whether the worker's own
loop still runs: ``PRGATE_ALIVE_FILE`` is touched on every heartbeat, and the probe
(``deploy/k8s/worker.yaml``) checks its age.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from rq import Worker


class AliveWorker(Worker):
    """RQ's worker, touching ``alive_file`` when it registers and on every heartbeat."""

    alive_file: Path | None = None

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
