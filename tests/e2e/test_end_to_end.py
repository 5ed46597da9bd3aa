"""End to end: `prgate serve` and `prgate worker` as separate processes, real Redis, a local
stand-in for GitHub's REST and GraphQL API reached through GHE_HOST, and the repository served
over HTTP by `git http-backend`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from tests.conftest import Tokens, git, write_files
from tests.support.fake_github import (
    FakeGitHub,
    FakeServer,
    app_env,
    check_suite_delivery,
    comment_delivery,
    free_port,
    make_private_key,
    merge_group_delivery,
    pull_request_delivery,
    serve_bare,
    wait_for,
)
from workers.shared.names import CHECK_NAMES

PRGATE = str(Path(sys.executable).parent / "prgate")
SECRET = "end-to-end secret"
RUNS = ("prgate/contamination", "prgate/jest-collision", "prgate/hook-validation")


@dataclass
class World:
    tmp: Path
    fake: FakeGitHub
    server: FakeServer
    bare: Path
    env: dict[str, str]
    redis: Redis

    def start_serve(self) -> tuple[subprocess.Popen[str], str]:
        port = free_port()
        proc = subprocess.Popen(
            [PRGATE, "serve", "--port", str(port)],
            env=self.env,
            stderr=subprocess.PIPE,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            try:
                return httpx.get(f"{base}/readyz").status_code == 200
            except httpx.TransportError:
                return False

        assert wait_for(ready, 30), "prgate serve did not become ready"
        return proc, base

    def deliver(self, base: str, sha: str, action: str = "opened") -> httpx.Response:
        body, headers = pull_request_delivery(SECRET, self.server.clone_url(), sha, 1, action)
        return httpx.post(f"{base}/api/github/webhooks", content=body, headers=headers)

    def comment(self, base: str, body: str, login: str) -> httpx.Response:
        data, headers = comment_delivery(SECRET, self.server.clone_url(), body, login)
        return httpx.post(f"{base}/api/github/webhooks", content=data, headers=headers)

    def worker(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PRGATE, "worker", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(p) for p in text)
    return found


@pytest.fixture
def world(tmp_path: Path, redis_url: str, redis_client: Redis) -> Iterator[World]:
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    write_files(
        origin,
        {
            "README.md": "# templates\n",
            "copier.yml": "_subdirectory: tpl\nname:\n  type: str\n  default: demo\n",
            "tpl/README.md.jinja": "# {{ name }}\n",
        },
    )
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "base")
    git_root = tmp_path / "served"
    bare = serve_bare(origin, git_root)
    pem, public = make_private_key()
    fake = FakeGitHub(bare, public)
    with FakeServer(fake, git_root) as server:
        env = app_env(server, pem, SECRET, redis_url, PRGATE_CACHE_DIR=str(tmp_path / "cache"))
        yield World(tmp_path, fake, server, bare, env, redis_client)


def push_pr(world: World, files: dict[str, str]) -> str:
    work = world.tmp / "work"
    if not work.exists():
        git(world.tmp, "clone", "-q", str(world.bare), str(work))
    git(work, "checkout", "-q", "-B", "feature", "origin/main")
    write_files(work, files)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "change")
    sha = git(work, "rev-parse", "HEAD").strip()
    git(work, "push", "-q", "-f", "origin", "HEAD:refs/pull/1/head")
    world.fake.add_pull(1, sha)
    return sha


def test_pull_request_opened_end_to_end(world: World) -> None:
    token_value = Tokens.github()
    sha = push_pr(world, {"tpl/.env": f"GITHUB_TOKEN={token_value}\n", "docs/a.md": "a\n"})
    serve, base = world.start_serve()
    try:
        response = world.deliver(base, sha)
        assert response.status_code == 200 and response.json()["outcome"] == "queued"
    finally:
        serve.terminate()
        _, serve_log = serve.communicate(timeout=30)
    result = world.worker("--burst")
    assert result.returncode == 0, result.stderr
    started = [json.loads(line) for line in result.stderr.splitlines() if "render mode" in line]
    assert len(started) == 1 and started[0]["logger"] == "prgate.worker"  # says if tasks can run

    for name in RUNS:
        run = world.fake.run(name)
        assert run.head_sha == sha and run.status == "COMPLETED", (name, run.history)
        assert run.history[0] == "QUEUED" and "IN_PROGRESS" in run.history
    contamination = world.fake.run("prgate/contamination")
    assert contamination.conclusion == "FAILURE"
    assert {a["path"] for a in contamination.annotations} == {"tpl/.env"}
    assert world.fake.run("prgate/hook-validation").conclusion == "SUCCESS"
    review = world.fake.reviews[0]
    assert review["commit_id"] == sha and [c["path"] for c in review["comments"]] == ["tpl/.env"]
    assert [t.path for t in world.fake.threads if t.line is None] == ["tpl/.env"]

    # git went over HTTP with the installation token in a header, never in a URL or on disk
    git_requests = world.server.git_requests
    assert git_requests and all(auth.startswith("Basic ") for _, _, auth in git_requests)
    tokens = world.fake.tokens
    assert all(t not in path for _, path, _ in git_requests for t in tokens)
    cache = world.tmp / "cache"
    on_disk = b"".join(p.read_bytes() for p in cache.rglob("config") if p.is_file())
    assert on_disk and not any(t.encode() in on_disk for t in tokens)
    assert not any(t in result.stderr or t in serve_log for t in tokens)
    assert token_value not in result.stderr  # the finding's secret is never logged either
    # the checks read the commit from the cache's object store: no worktree was ever made
    assert not (cache / "worktrees").exists()
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    ended = [r for r in logged if r.get("message") == "checks job ended"]
    assert ended and ended[0]["sha"] == sha and ended[0]["calls"] >= 3
    received = [json.loads(line) for line in serve_log.splitlines() if line.startswith("{")]
    delivered = [r for r in received if r.get("logger") == "prgate.receiver"]
    assert [(r["event"], r["sha"]) for r in delivered] == [("pull_request", sha)]
    assert SECRET not in serve_log and SECRET not in result.stderr


def test_a_rerun_command_end_to_end(world: World) -> None:
    """A maintainer's `/prgate rerun` over real HTTP: the receiver queues a command job; the
    worker checks the role, reacts, and runs the named check again on the current head."""
    sha = push_pr(world, {"docs/a.md": "a\n"})
    world.fake.roles["maint"] = "maintain"
    serve, base = world.start_serve()
    try:
        assert world.deliver(base, sha).json()["outcome"] == "queued"
        assert world.worker("--burst").returncode == 0
        response = world.comment(base, "Flaky?\n/prgate rerun contamination", "maint")
        assert response.status_code == 200 and response.json()["outcome"] == "queued"
    finally:
        serve.terminate()
        serve.communicate(timeout=30)
    result = world.worker("--burst")
    assert result.returncode == 0, result.stderr

    assert world.fake.reactions == [(9001, "+1")]
    assert world.fake.issue_comments == []
    runs = world.fake.runs_named("prgate/contamination")
    assert len(runs) == 2 and runs[1].head_sha == sha and runs[1].conclusion == "SUCCESS"
    assert [len(world.fake.runs_named(n)) for n in RUNS[1:]] == [1, 1]
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    handled = [r for r in logged if r.get("message") == "command handled"]
    assert handled and handled[0]["commands"] == {"rerun": "accepted"}


def test_a_merge_queue_end_to_end(world: World) -> None:
    """A pull request passes and enters the merge queue; GitHub builds two merge groups and
    asks for checks on each (merge_group.checks_requested) and sends check_suite.requested
    for their heads too. The group whose head adds a committed .env in a template fails
    prgate/contamination on that head; the clean one passes; one set of runs per head."""
    sha = push_pr(world, {"docs/a.md": "a\n"})
    work = world.tmp / "work"
    base = git(work, "rev-parse", "origin/main").strip()
    heads = {}
    for name, files in (
        ("bad", {"tpl/.env": f"GITHUB_TOKEN={Tokens.github()}\n"}),
        ("clean", {"docs/b.md": "b\n"}),
    ):
        git(work, "checkout", "-q", "-B", f"queue-{name}", base)
        write_files(work, files)
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", f"Merge pull request #1 ({name})")
        heads[name] = git(work, "rev-parse", "HEAD").strip()
        branch = f"gh-readonly-queue/main/pr-1-{heads[name]}"
        git(work, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    serve, url = world.start_serve()
    try:
        assert world.deliver(url, sha).json()["outcome"] == "queued"
        assert world.worker("--burst").returncode == 0
        assert {r.conclusion for r in world.fake.runs.values()} <= {"SUCCESS", "SKIPPED"}
        answers = []
        for name, head in heads.items():
            branch = f"gh-readonly-queue/main/pr-1-{head}"
            for body, headers in (
                check_suite_delivery(SECRET, world.server.clone_url(), head, branch),
                merge_group_delivery(SECRET, world.server.clone_url(), head, base),
            ):
                response = httpx.post(f"{url}/api/github/webhooks", content=body, headers=headers)
                answers.append((name, headers["X-GitHub-Event"], response.json()["outcome"]))
    finally:
        serve.terminate()
        serve.communicate(timeout=30)
    assert [a for a in answers if a[1] == "check_suite"] == [
        ("bad", "check_suite", "ignored"),
        ("clean", "check_suite", "ignored"),
    ]
    assert [a[2] for a in answers if a[1] == "merge_group"] == ["queued", "queued"]
    result = world.worker("--burst")
    assert result.returncode == 0, result.stderr
    for name, head in heads.items():
        runs = [r for r in world.fake.runs.values() if r.head_sha == head]
        assert sorted(r.name for r in runs) == sorted(f"prgate/{c}" for c in CHECK_NAMES)
        assert all(r.status == "COMPLETED" for r in runs), [r.history for r in runs]
        ends = {r.name: r.conclusion for r in runs}
        if name == "bad":
            assert ends["prgate/contamination"] == "FAILURE"
        else:
            assert set(ends.values()) <= {"SUCCESS", "SKIPPED"}, ends
    assert len(world.fake.reviews) == 0  # a merge group has no pull request to comment on


def test_serve_with_embedded_redis_runs_the_whole_app(world: World) -> None:
    """The README's run command: no REDIS_URL, so Redis and a worker come up with the receiver."""
    sha = push_pr(world, {"docs/a.md": "a\n"})
    world.env.pop("REDIS_URL")
    world.env["PRGATE_DATA_DIR"] = str(world.tmp / "data")
    serve, base = world.start_serve()
    try:
        assert world.deliver(base, sha).json()["outcome"] == "queued"
        assert wait_for(
            lambda: (
                all(r.status == "COMPLETED" for r in world.fake.runs.values())
                and len(world.fake.runs) == len(CHECK_NAMES)
            ),
            120,
        ), [r.history for r in world.fake.runs.values()]
    finally:
        serve.terminate()
        _, log = serve.communicate(timeout=30)
    assert "embedded Redis at" in log and "one worker started" in log
    # no tsconfig and no Nx generator here: ts-imports and nx-generators conclude skipped
    assert {r.name: r.conclusion for r in world.fake.runs.values()} == {
        "prgate/contamination": "SUCCESS",
        "prgate/jest-collision": "SUCCESS",
        "prgate/hook-validation": "SUCCESS",
        "prgate/ts-imports": "SKIPPED",
        "prgate/nx-generators": "SKIPPED",
    }
    assert any((world.tmp / "data" / "redis").glob("appendonly*"))


def test_worker_without_app_credentials_is_a_clear_error(world: World) -> None:
    env = {k: v for k, v in world.env.items() if k != "PRIVATE_KEY"}
    result = subprocess.run(
        [PRGATE, "worker", "--burst"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "PRIVATE_KEY or PRIVATE_KEY_PATH" in result.stderr


def test_a_worker_killed_mid_job_never_leaves_a_run_in_progress(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = push_pr(world, {"docs/a.md": "a\n"})
    release = threading.Event()
    # a stall, armed by stall_pr_read on the PR re-read
    world.fake.fail("POST", r"/graphql$", 200, times=0, stall=release)
    reached = threading.Event()

    def stall_pr_read(method: str, path: str, body: Any) -> None:
        if body and "pullRequest(number" in body.get("query", ""):
            world.fake.faults[-1].times = 1
            reached.set()

    world.fake.on_request = stall_pr_read
    serve, base = world.start_serve()
    try:
        assert world.deliver(base, sha).status_code == 200
    finally:
        serve.terminate()
        serve.communicate(timeout=30)
    worker = subprocess.Popen(
        [PRGATE, "worker"], env=world.env, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        assert reached.wait(120), "the job never reached the PR re-read"
        assert all(world.fake.run(n).status == "IN_PROGRESS" for n in RUNS)
    finally:
        # the worker and its work horse (RQ starts the horse in a session of its own), as
        # when a machine or container goes away mid-job
        horses = _children(worker.pid)
        os.killpg(worker.pid, signal.SIGKILL)
        for pid in horses:
            os.kill(pid, signal.SIGKILL)
        worker.wait(30)
        release.set()
    checks = Queue("prgate-checks", connection=world.redis, serializer=JSONSerializer)
    registry = StartedJobRegistry(queue=checks)
    [job_id] = [entry.split(":")[0] for entry in registry.get_job_ids()]
    job = Job.fetch(job_id, connection=world.redis, serializer=JSONSerializer)
    job.retries_left = 0  # its last attempt
    job.save()
    # RQ's maintenance finds the job abandoned once its heartbeat expires (60 s and more
    # after the kill); sweeping with a cutoff in the future stands for that wait.
    for key, value in world.env.items():
        monkeypatch.setenv(key, value)
    registry.cleanup(timestamp=time.time() + 3600)

    for name in RUNS:
        run = world.fake.run(name)
        assert run.history[-1] == "COMPLETED:ACTION_REQUIRED", (name, run.history)
        assert "stopped (killed or lost)" in (run.summary or "")
    # a worktree an earlier version's killed job left is swept by the next job on the repository
    cache = world.tmp / "cache"
    (repo_id,) = [p.name.removesuffix(".git") for p in (cache / "repos").glob("*.git")]
    dead = subprocess.Popen(["true"])
    dead.wait()
    legacy = cache / "worktrees" / repo_id / f"{socket.gethostname()}-{dead.pid}-0123456789ab"
    (legacy / "docs").mkdir(parents=True)
    sha2 = push_pr(world, {"docs/b.md": "b\n"})
    world.fake.on_request = None
    serve, base = world.start_serve()
    try:
        assert world.deliver(base, sha2, "synchronize").status_code == 200
    finally:
        serve.terminate()
        serve.communicate(timeout=30)
    assert world.worker("--burst").returncode == 0
    assert not legacy.exists()


def test_a_killed_worker_leaves_no_dispatcher_behind(world: World) -> None:
    """``prgate worker`` runs the inbox's dispatcher as a child; killing the worker (not its
    process group, as an OOM kill does) must not leave the dispatcher running."""
    worker = subprocess.Popen(
        [PRGATE, "worker"], env=world.env, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        dispatcher = None
        while dispatcher is None and time.monotonic() < deadline:
            for pid in _children(worker.pid):
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if b"workers.queue.dispatch" in cmdline:
                    dispatcher = pid
            time.sleep(0.1)
        assert dispatcher is not None, "prgate worker started no dispatcher"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{dispatcher}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        state = Path(f"/proc/{dispatcher}/stat")
        gone = not state.exists() or state.read_text().split(")")[1].split()[0] == "Z"
        assert gone, "the dispatcher outlived its worker"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)


@pytest.mark.parametrize(
    "key",
    ["-----BEGIN RSA PRIVATE KEY-----\\nnot a key\\n-----END RSA PRIVATE KEY-----", "abc"],
)
def test_a_malformed_private_key_stops_the_worker_at_start(world: World, key: str) -> None:
    """Accepted at start, it failed the first delivery as "could not reach GitHub:
    InvalidKeyError", retried three times."""
    env = {**world.env, "PRIVATE_KEY": key}
    result = subprocess.run(
        [PRGATE, "worker", "--burst"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert "PRIVATE_KEY is not a usable private key" in result.stderr
