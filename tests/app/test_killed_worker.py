"""A killed worker's job is handled on prgate's clock, not an idle RQ worker's."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rq.serializers import JSONSerializer

from tests.conftest import children

Repo = Callable[..., Path]


# --- 5. A killed worker's job is handled on prgate's clock, not an idle RQ worker's -------


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def _state(redis: Any, pid: int) -> str | None:
    """The state RQ's worker with process id ``pid`` wrote to Redis, if it registered."""
    for key in redis.scan_iter("rq:worker:*"):
        if redis.type(key) == b"hash" and redis.hget(key, "pid") == str(pid).encode():
            state = redis.hget(key, "state")
            return state.decode() if state else None
    return None


def test_a_killed_workers_job_is_handled_within_the_maintenance_interval(
    redis_url: str, redis_client: Any, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys
    import time

    from rq import Callback, Queue
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    from tests.support.fake_github import make_private_key, wait_for

    pem, _ = make_private_key()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "APP_ID": "1",
        "PRIVATE_KEY": pem,
        "PRGATE_MAINTENANCE_SECONDS": "3",
        "LOG_LEVEL": "warning",
    }
    exe = str(Path(sys.executable).parent / "prgate")
    checks = Queue("prgate-checks", connection=redis_client, serializer=JSONSerializer)
    started = StartedJobRegistry(
        "prgate-checks", connection=redis_client, serializer=JSONSerializer
    )
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    doomed = subprocess.Popen([exe, "worker"], env=env, start_new_session=True, **quiet)
    survivor = None
    try:
        job = checks.enqueue(
            "time.sleep",
            600,
            job_id="abandoned",
            job_timeout=900,
            on_failure=Callback("workers.jobs.on_quick_failure"),
        )
        assert wait_for(lambda: started.get_job_ids() == ["abandoned"], 30)
        # the work horse is forked: the worker's second child, beside its dispatcher
        assert wait_for(lambda: len(children(doomed.pid)) >= 2, 30), children(doomed.pid)
        family = _descendants(doomed.pid)
        os.killpg(doomed.pid, signal.SIGKILL)  # the worker and its dispatcher
        for pid in family:  # the work horse has a process group of its own
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        doomed.wait()
        assert wait_for(
            lambda: (
                not any(
                    Path(f"/proc/{p}/cmdline").exists() and Path(f"/proc/{p}/cmdline").read_bytes()
                    for p in family
                )
            ),
            5,
        )
        # one idle worker is left; it has started and done its start-up cleaning
        survivor = subprocess.Popen([exe, "worker"], env=env, start_new_session=True, **quiet)
        # RQ's worker waits for jobs (state idle) only after its start-up cleaning
        assert wait_for(lambda: _state(redis_client, survivor.pid) == "idle", 60)
        # the dead horse's heartbeat lapses now (RQ gives it 90 s; this test does not wait)
        member = redis_client.zrange(started.key, 0, -1)[0]
        redis_client.zadd(started.key, {member: time.time() - 1})
        lapsed = time.monotonic()
        handled = wait_for(
            lambda: (
                job.id
                in FailedJobRegistry(
                    "prgate-checks", connection=redis_client, serializer=JSONSerializer
                ).get_job_ids()
            ),
            20,
        )
        took = time.monotonic() - lapsed
        assert handled, "the abandoned job was not handled"
        assert took < 3 + 3, f"handled {took:.1f} s after its heartbeat lapsed"
    finally:
        for proc in (doomed, survivor):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
