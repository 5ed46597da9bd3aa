"""Benchmark: from a delivery to the last check run completed, on a 10k-file repository.

Real parts as in production: ``prgate serve`` and a long-running ``prgate worker``
(separate processes), Redis (REDIS_URL, else the embedded server), git over
HTTP (``git http-backend``) and the tests' local stand-in for GitHub's API.
The repository is the jest-collision benchmark's generated monorepo (10,000
files, 1,000 package.json, real haste collisions), and the pull request adds
one file — a clean PR whose repository has pre-existing findings.

Measured, each the median of ``--repeat`` pull requests:

* cold: the worker's repository cache is empty (first PR on the repository);
* warm: the cache holds the repository; only the new commits are fetched;
* baseline, in the same run: ``git clone --filter=blob:none`` plus checkout of
  the same head over the same server — the least any CI job pays to look at
  the code — and that clone's fetch alone, without the checkout; and what a
  CI checkout fetches (``actions/checkout``: the head at depth 1, with every
  file's contents, which the checks read too), without its checkout;

and prints the ratios against the baseline and the GitHub API calls per PR.

    python3 dev.py bench worker_e2e [--files 10000] [--packages 1000] [--repeat 3] [--changed 1]

``--changed N`` makes each pull request change N files (new ones under
``docs/``) instead of one, to show that the cost follows the change.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.contamination import GIT_ENV  # noqa: E402
from bench.jest_collision import generate  # noqa: E402
from tests.support.fake_github import (  # noqa: E402
    FakeGitHub,
    FakeServer,
    app_env,
    make_private_key,
    pull_request_delivery,
    serve_bare,
    wait_for,
)
from workers.shared.names import CHECK_NAMES  # noqa: E402

PRGATE = str(Path(sys.executable).parent / "prgate")
SECRET = "bench"


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    ).stdout


def deliver(base: str, clone_url: str, sha: str, n: int) -> None:
    body, headers = pull_request_delivery(SECRET, clone_url, sha, n, "synchronize")
    r = httpx.post(f"{base}/api/github/webhooks", content=body, headers=headers, timeout=30)
    r.raise_for_status()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--packages", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--changed", type=int, default=1, help="files each pull request adds")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="prgate-bench-e2e-"))
    work = tmp / "work"
    generate(work, args.files, args.packages, 30)  # a git repository with one commit
    served = tmp / "served"
    bare = serve_bare(work, served)
    # packed, with bitmaps, as GitHub serves a repository: left loose, the first push's
    # automatic gc would repack it in the middle of the measurements
    git(bare, "repack", "-a", "-d", "-b", "-q")
    files = int(git(work, "ls-files", "-z").count("\0"))

    pem, public = make_private_key()
    fake = FakeGitHub(bare, public)
    embedded = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        from bot.embedded_redis import EmbeddedRedis

        embedded = EmbeddedRedis(tmp / "redis")
        redis_url = embedded.start()
    with FakeServer(fake, served) as server:
        env = app_env(server, pem, SECRET, redis_url, PRGATE_QUEUE=f"bench{os.getpid()}")
        port = 3900 + os.getpid() % 1000
        serve = subprocess.Popen(
            [PRGATE, "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: _ready(base), 30), "prgate serve did not start"
        cold: list[float] = []
        warm: list[float] = []
        calls: list[int] = []
        baseline: list[float] = []
        fetch_only: list[float] = []
        head_only: list[float] = []
        phases: list[dict[str, int]] = []
        n = 0
        try:
            for round_ in range(args.repeat):
                cache = tmp / f"cache{round_}"
                worker_env = {**env, "PRGATE_CACHE_DIR": str(cache)}
                log = (tmp / f"worker{round_}.log").open("w")
                worker = subprocess.Popen([PRGATE, "worker"], env=worker_env, stderr=log)
                # cold means an empty cache, not a worker still starting
                assert wait_for(lambda r=round_: _worker_ready(tmp / f"worker{r}.log"), 60)
                try:
                    for kind in ("cold", "warm"):
                        n += 1
                        sha = _push(work, bare, n, args.changed)
                        fake.add_pull(n, sha)
                        before = len(fake.requests)
                        start = time.perf_counter()
                        deliver(base, server.clone_url(), sha, n)
                        assert wait_for(lambda s=sha: _completed(fake, s), 600, 0.01)
                        seconds = time.perf_counter() - start
                        (cold if kind == "cold" else warm).append(seconds)
                        calls.append(len(fake.requests) - before)
                finally:
                    worker.terminate()
                    worker.wait(30)
                    log.close()
                phases.extend(_phases(tmp / f"worker{round_}.log"))
                fetched, cloned, shallow = _clone(tmp, server, fake, sha)
                fetch_only.append(fetched)
                baseline.append(cloned)
                head_only.append(shallow)
        finally:
            serve.terminate()
            serve.wait(30)
            if embedded is not None:
                embedded.stop()
    shutil.rmtree(tmp, ignore_errors=True)

    b, f, h, c, w = (statistics.median(x) for x in (baseline, fetch_only, head_only, cold, warm))
    print(
        f"repository: {files} files, {args.packages} package.json; "
        f"clean PR adding {args.changed} file(s)"
    )
    print(f"baseline  git clone --filter=blob:none + checkout over HTTP: {b * 1000:8.0f} ms")
    print(f"          of which the partial clone's fetch alone:           {f * 1000:8.0f} ms")
    print(f"a CI checkout's fetch alone (head at depth 1, no checkout):  {h * 1000:8.0f} ms")
    print(
        f"cold      delivery -> last check run completed:             {c * 1000:8.0f} ms  "
        f"({c / b:.2f}x baseline, {c / f:.2f}x the partial fetch, "
        f"{c / h:.2f}x the CI fetch)"
    )
    print(
        f"warm      delivery -> last check run completed:             {w * 1000:8.0f} ms  "
        f"({w / b:.2f}x baseline)"
    )
    git_ms = statistics.median(r["fetch"] + r.get("blobs", 0) for r in phases[0::2])
    print(
        f"cold's git work (phases fetch + blobs):                     {git_ms:8.0f} ms  "
        f"({git_ms / (f * 1000):.2f}x the partial clone's fetch alone)"
    )
    for kind, runs in (("cold", phases[0::2]), ("warm", phases[1::2])):
        names = runs[0].keys() if runs else ()
        print(
            f"  worker phases, {kind} (median ms): "
            + ", ".join(f"{k} {statistics.median(r[k] for r in runs):.0f}" for k in names)
        )
    print(f"GitHub API calls per clean PR: {sorted(set(calls))} (budget 8); runs: {args.repeat}")
    return 0 if max(calls) <= 8 else 1


def _phases(log: Path) -> list[dict[str, int]]:
    found = []
    for line in log.read_text().splitlines():
        if line.startswith("{") and '"checks job ended"' in line:
            found.append(json.loads(line)["phases"])
    return found


def _worker_ready(log: Path) -> bool:
    text = log.read_text()
    return "dispatching" in text and "Listening on" in text  # the dispatcher's and RQ's


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz").status_code == 200
    except httpx.TransportError:
        return False


def _push(work: Path, bare: Path, n: int, changed: int) -> str:
    git(work, "checkout", "-q", "-B", f"pr{n}", "main")
    (work / "docs").mkdir(exist_ok=True)
    for i in range(changed):
        (work / "docs" / f"change{n}-{i}.md").write_text(f"change {n} {i}\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", f"change {n}")
    sha = git(work, "rev-parse", "HEAD").strip()
    git(work, "push", "-q", "-f", str(bare), f"HEAD:refs/pull/{n}/head")
    git(work, "checkout", "-q", "main")
    return sha


def _completed(fake: FakeGitHub, sha: str) -> bool:
    runs = [r for r in fake.runs.values() if r.head_sha == sha]
    return len(runs) == len(CHECK_NAMES) and all(r.status == "COMPLETED" for r in runs)


def _clone(tmp: Path, server: FakeServer, fake: FakeGitHub, sha: str) -> tuple[float, float, float]:
    """Seconds for the partial clone's fetch alone, for the fetch plus the checkout, and for
    a CI checkout's fetch alone (the head at depth 1 with its files)."""
    token = next(iter(fake.tokens))
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    dest = tmp / "baseline"
    shutil.rmtree(dest, ignore_errors=True)
    env = {
        **os.environ,
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
    }
    start = time.perf_counter()
    subprocess.run(
        [
            "git",
            "clone",
            "-q",
            "--filter=blob:none",
            "--no-checkout",
            server.clone_url(),
            str(dest),
        ],
        env=env,
        check=True,
    )
    subprocess.run(["git", "-C", str(dest), "fetch", "-q", "origin", sha], env=env, check=True)
    fetched = time.perf_counter() - start
    subprocess.run(["git", "-C", str(dest), "checkout", "-q", sha], env=env, check=True)
    cloned = time.perf_counter() - start
    shutil.rmtree(dest)
    # what actions/checkout fetches: the head alone, every file of it, at depth 1
    start = time.perf_counter()
    subprocess.run(["git", "init", "-q", "--bare", str(dest)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(dest),
            "fetch",
            "-q",
            "--no-tags",
            "--depth=1",
            server.clone_url(),
            f"+{sha}:refs/remotes/origin/pr",
        ],
        env=env,
        check=True,
    )
    return fetched, cloned, time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
