"""Redis going away, fuzzed input, and the real `prgate serve` / `prgate worker` processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from redis import Redis

from bot.app import create_app
from bot.embedded_redis import EmbeddedRedis
from bot.signature import sign
from tests.receiver.test_receiver import PATH, SECRET, Receiver, headers, load, settings
from workers.shared.inbox import connect

PRGATE = str(Path(sys.executable).parent / "prgate")


def test_redis_stopped_mid_test_gives_503_and_loses_nothing(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)  # our own server, so this test can stop it
    server.start()
    try:
        redis = connect(server.url)
        app = create_app(settings(), redis)
        with TestClient(app, raise_server_exceptions=False) as client:
            receiver = Receiver(client, redis)
            first = load("pull_request/opened.payload.json")
            assert (
                receiver.send("pull_request", first, "before-outage").json()["outcome"] == "queued"
            )

            server.stop()
            second = load("pull_request/synchronize.payload.json")
            second["pull_request"]["number"] = 7
            during = receiver.send("pull_request", second, "during-outage")
            assert during.status_code == 503 and "redeliver" in during.json()["detail"]
            assert client.get("/readyz").status_code == 503
            assert client.get("/metrics").status_code == 200  # scraping survives the outage

            server.start()  # same port and data folder: the append-only file is replayed
            assert [j.meta["delivery_id"] for j in receiver.jobs()] == ["before-outage"]
            redelivered = receiver.send("pull_request", second, "during-outage")
            assert redelivered.json()["outcome"] == "queued"  # not mistaken for a duplicate
            assert sorted(j.meta["delivery_id"] for j in receiver.jobs()) == [
                "before-outage",
                "during-outage",
            ]
    finally:
        server.stop()


@pytest.fixture(scope="module")
def fuzz_client(redis_url: str) -> Any:
    redis = Redis.from_url(redis_url)
    with TestClient(create_app(settings(), redis), raise_server_exceptions=False) as client:
        yield client


header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


EVENTS = ["pull_request", "check_run", "check_suite", "issue_comment", "installation"]
FIELDS = [
    "action",
    "pull_request",
    "repository",
    "installation",
    "check_suite",
    "check_run",
    "issue",
    "comment",
    "changes",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)
FUZZ = hsettings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(
    body=st.one_of(st.binary(max_size=2000), json_values.map(lambda v: json.dumps(v).encode())),
    event=st.one_of(st.sampled_from([*EVENTS, "installation_repositories", "ping"]), header_text),
    delivery=header_text,
    sign_it=st.booleans(),
    extra=st.dictionaries(
        st.sampled_from(["Content-Type", "X-Hub-Signature", "Content-Length"]), header_text
    ),
)
def test_fuzz_never_500(
    fuzz_client: TestClient,
    body: bytes,
    event: str,
    delivery: str,
    sign_it: bool,
    extra: dict[str, str],
) -> None:
    hdrs = {**extra, "X-GitHub-Event": event, "X-GitHub-Delivery": delivery}
    if sign_it:
        hdrs["X-Hub-Signature-256"] = sign(SECRET, body)
    response = fuzz_client.post(PATH, content=body, headers=hdrs)
    assert response.status_code < 500 or response.status_code == 503, response.text


@FUZZ
@given(
    mutation=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=3),
    event=st.sampled_from(EVENTS),
)
def test_fuzz_real_payloads_with_broken_fields(
    fuzz_client: TestClient, mutation: dict[str, Any], event: str
) -> None:
    files = {
        "pull_request": "pull_request/opened.payload.json",
        "check_run": "check_run/rerequested.payload.json",
        "check_suite": "check_suite/rerequested.payload.json",
        "issue_comment": "issue_comment/created.with-installation.payload.json",
        "installation": "installation/created.payload.json",
    }
    payload = {**load(files[event]), **mutation}
    body = json.dumps(payload).encode()
    response = fuzz_client.post(PATH, content=body, headers=headers(event, body))
    assert response.status_code in (200, 202, 400), response.text


def test_worker_without_redis_url_is_a_clear_error() -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    result = subprocess.run([PRGATE, "worker", "--burst"], env=env, capture_output=True, text=True)
    assert result.returncode == 2 and "REDIS_URL is not set" in result.stderr


def test_serve_without_secret_is_a_clear_error() -> None:
    env = {k: v for k, v in os.environ.items() if k != "WEBHOOK_SECRET"}
    result = subprocess.run([PRGATE, "serve"], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "WEBHOOK_SECRET is not set" in result.stderr
    assert "prgate app create" in result.stderr  # the one command that gets the credentials


def _lines_until(proc: subprocess.Popen[str], marker: str) -> list[str]:
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if marker in line:
            return [line]
    raise AssertionError(f"{marker!r} never printed: {''.join(seen)}")


def test_ctrl_c_stops_serve_cleanly_and_leaves_nothing_running(tmp_path: Path) -> None:
    """A terminal's Ctrl-C sends SIGINT to the whole foreground group: serve, its worker, the
    dispatcher and the embedded Redis. Redis used to stop first, and the worker's shutdown
    printed six tracebacks; now Redis is outside the group and stopped last."""
    import signal

    from tests.support.fake_github import free_port, make_private_key, wait_for

    pem, _ = make_private_key()
    (tmp_path / "app.pem").write_text(pem)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # the embedded Redis
    env.update(
        APP_ID="1",
        PRIVATE_KEY_PATH=str(tmp_path / "app.pem"),
        WEBHOOK_SECRET="x",
        PORT=str(port),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    proc = subprocess.Popen(
        [PRGATE, "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        text=True,
    )
    try:
        import httpx

        ready = wait_for(lambda: _answers(httpx, f"http://127.0.0.1:{port}/readyz"), 60)
        assert ready, "serve never answered"
        group = os.getpgid(proc.pid)
        # serve, its worker and the worker's dispatcher, all up
        assert wait_for(lambda: len(_group(group)) >= 3, 60), _group(group)
        assert not _embedded_redis_in(group)  # Redis is in a session of its own
        os.killpg(group, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (0, -signal.SIGINT, 130), err[-2000:]
    assert "Traceback" not in err, err[-4000:]
    assert wait_for(lambda: not _group(group), 10), _group(group)
    assert wait_for(lambda: not _embedded_redis(tmp_path / "state"), 10)


def _answers(httpx: Any, url: str) -> bool:
    try:
        return bool(httpx.get(url, timeout=1).status_code == 200)
    except httpx.HTTPError:
        return False


def _group(pgid: int) -> list[int]:
    """The processes of group ``pgid`` still running (an exited orphan waits as a zombie until
    init reaps it, which some containers' init never does)."""
    out = subprocess.run(
        ["ps", "-e", "-o", "pid=,pgid=,stat="], capture_output=True, text=True
    ).stdout
    rows = (line.split() for line in out.splitlines())
    return [int(p) for p, g, stat in rows if int(g) == pgid and not stat.startswith("Z")]


def _embedded_redis_in(pgid: int) -> bool:
    out = subprocess.run(["ps", "-e", "-o", "pgid=,args="], capture_output=True, text=True).stdout
    return any(
        line.split(None, 1)[0] == str(pgid) and "redis-server" in line for line in out.splitlines()
    )


def _embedded_redis(state: Path) -> bool:
    out = subprocess.run(["ps", "-e", "-o", "args="], capture_output=True, text=True).stdout
    return any("redis-server" in line and str(state) in line for line in out.splitlines())


def test_a_worker_stops_within_the_grace_period_at_any_moment(
    tmp_path: Path, redis_url: str
) -> None:
    """20 SIGTERMs at random moments (while starting, idle, or mid-job): every time the
    worker exits well within Kubernetes' 30 s, leaves no process behind, and its job is
    never lost nor charged a retry: it ran, or waits on the queue, or was handed back."""
    import random
    import signal

    from rq import Queue, Retry
    from rq.job import Job, JobStatus
    from rq.registry import StartedJobRegistry
    from rq.serializers import JSONSerializer

    from tests.support.fake_github import wait_for

    redis = Redis.from_url(redis_url)
    prefix = f"stop{os.getpid()}"
    env = _worker_env(tmp_path, redis_url, prefix)
    checks = Queue(f"{prefix}-checks", connection=redis, serializer=JSONSerializer)
    started = StartedJobRegistry(queue=checks)
    rng = random.Random(29)  # noqa: S311 - moments, not secrets
    for n in range(20):
        job = checks.enqueue_call(
            "time.sleep",
            args=(600,),
            job_id=f"stop-{n}",
            retry=Retry(max=3, interval=[10, 60, 300]),
        )
        proc = subprocess.Popen(
            [PRGATE, "worker"],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            if n % 2:  # mid-job: once the job runs, then a moment more
                assert wait_for(lambda: job.id in started.get_job_ids(), 60), n  # noqa: B023
            moment = rng.uniform(0, 1.5)
            subprocess.run(["sleep", f"{moment:.3f}"], check=True)
            group = os.getpgid(proc.pid)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)  # Kubernetes' grace period
        finally:
            if proc.poll() is None:
                proc.kill()
        assert wait_for(lambda: not _group(group), 10), (n, _group(group))  # noqa: B023
        assert "Traceback" not in err, err[-3000:]
        job = Job.fetch(job.id, connection=redis, serializer=JSONSerializer)
        status = job.get_status()
        assert status in (JobStatus.QUEUED, JobStatus.SCHEDULED), (n, moment, status, err[-2000:])
        waiting = checks.get_job_ids() + checks.scheduled_job_registry.get_job_ids()
        assert job.id in waiting, (n, moment, "popped, then lost", err[-2000:])
        assert job.retries_left == 3, (n, job.retries_left)  # a hand-back costs no retry
        checks.empty()
        for registry in (started, checks.scheduled_job_registry, checks.failed_job_registry):
            for jid in registry.get_job_ids():
                registry.remove(jid, delete_job=True)


def _worker_env(tmp_path: Path, redis_url: str, prefix: str) -> dict[str, str]:
    from tests.support.fake_github import make_private_key

    pem, _ = make_private_key()
    (tmp_path / "app.pem").write_text(pem)
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "APP_ID": "1",
        "PRGATE_QUEUE": prefix,
        "PRIVATE_KEY_PATH": str(tmp_path / "app.pem"),
        "PRGATE_STOP_GRACE": "1",
        "PRGATE_CACHE_DIR": str(tmp_path / "cache"),
    }
    env.pop("PRIVATE_KEY", None)
    return env


def test_a_worker_asked_to_stop_while_starting_stops_cleanly(
    tmp_path: Path, redis_url: str
) -> None:
    """A SIGTERM between the worker's first log line and RQ's signal handlers used to kill
    it outright (exit -15), skipping its clean-up; it now stops through the usual path."""
    import signal

    from tests.support.fake_github import wait_for

    env = _worker_env(tmp_path, redis_url, f"early{os.getpid()}")
    proc = subprocess.Popen(
        [PRGATE, "worker"], env=env, start_new_session=True, stderr=subprocess.PIPE, text=True
    )
    try:
        _lines_until(proc, "render mode")  # printed before the jobs are even imported
        group = os.getpgid(proc.pid)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, (proc.returncode, err[-2000:])
    assert "asked to stop while starting" in err, err[-2000:]
    assert "Traceback" not in err, err[-3000:]
    assert wait_for(lambda: not _group(group), 10), _group(group)


def test_a_killed_worker_leaves_nothing_running_and_its_retries_still_run(
    tmp_path: Path, redis_url: str
) -> None:
    """Jobs due later (a retry, a sweep) are queued by the dispatcher, which exits with its
    worker: RQ's own scheduler process outlived a SIGKILLed worker, holding its locks."""
    import signal
    from datetime import timedelta

    from rq import Queue
    from rq.job import Job, JobStatus
    from rq.scheduler import RQScheduler
    from rq.serializers import JSONSerializer

    from tests.support.fake_github import wait_for

    redis = Redis.from_url(redis_url)
    prefix = f"kill{os.getpid()}"
    checks = Queue(f"{prefix}-checks", connection=redis, serializer=JSONSerializer)
    lock = RQScheduler.get_locking_key(checks.name)
    proc = subprocess.Popen(
        [PRGATE, "worker"],
        env=_worker_env(tmp_path, redis_url, prefix),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        due = checks.enqueue_in(timedelta(seconds=1), "time.sleep", 0, job_id=f"{prefix}-due")
        finished = lambda: due.get_status(refresh=True) == JobStatus.FINISHED  # noqa: E731
        assert wait_for(finished, 60), due.get_status(refresh=True)
        assert redis.exists(lock)  # the worker's dispatcher holds the scheduler lock
        group = os.getpgid(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert wait_for(lambda: not _group(group), 30), _group(group)
        assert not redis.exists(lock)  # handed back on the way out, not left to expire
    finally:
        if proc.poll() is None:
            proc.kill()
        Job.fetch(f"{prefix}-due", connection=redis, serializer=JSONSerializer).delete()


POPPED_THEN_STOPPED = """
import os, signal, sys
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from workers.queue.alive import AliveWorker

redis = Redis.from_url(sys.argv[1])
queue = Queue(sys.argv[2], connection=redis, serializer=JSONSerializer)
queue.enqueue("time.sleep", 0, job_id=sys.argv[2])
real = Queue.dequeue_any.__func__

def popped_then_stopped(cls, *args, **kwargs):
    popped = real(cls, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGTERM)  # the stop, a moment after the pop
    return popped

Queue.dequeue_any = classmethod(popped_then_stopped)
AliveWorker([queue], connection=redis, serializer=JSONSerializer).work()
"""


def test_a_stop_just_after_a_job_is_popped_does_not_lose_the_job(redis_url: str) -> None:
    """RQ raised StopRequested from the signal handler whenever its worker was not busy, and
    a popped job not yet started is in no registry: it was lost. It now runs (or is handed
    back after the grace), then the worker stops."""
    from rq.job import Job, JobStatus
    from rq.serializers import JSONSerializer

    name = f"popped{os.getpid()}"
    done = subprocess.run(
        [sys.executable, "-c", POPPED_THEN_STOPPED, redis_url, name],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    job = Job.fetch(name, connection=Redis.from_url(redis_url), serializer=JSONSerializer)
    try:
        assert job.get_status() == JobStatus.FINISHED, (job.get_status(), done.stderr[-3000:])
    finally:
        job.delete()
