"""The worker's repository cache on one host: bounded, shared by several work horses, and
usable after a process dies mid-way."""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import children, git, make_repo, served_origin
from workers.engine.views import GitCommitView
from workers.jobs.checkout import RepoCache, evict


def _origin(root: Path, files: dict[str, str]) -> Path:
    origin = make_repo(root, files)
    git(origin, "config", "uploadpack.allowFilter", "true")
    git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    return origin


def _job(cache_root: Path, repo_id: int, origin: Path) -> dict[str, bytes]:
    """What a check job does with the cache: hold it, fetch, bring the blobs, read."""
    cache = RepoCache(cache_root, repo_id, origin.as_uri(), "token")
    with cache.in_use():
        cache.fetch(["+refs/heads/main:refs/prgate/default"])
        sha = cache.rev("refs/prgate/default")
        cache.fetch_blobs(sha)
        view = GitCommitView(cache.dir, sha)
        try:
            return {k: v for k, v in view.read_many(view.paths()).items() if isinstance(v, bytes)}
        finally:
            view.close()


def _used(cache_root: Path, repo_id: int, at: float) -> None:
    os.utime(cache_root / "repos" / f"{repo_id}.use", (at, at))


def test_eviction_removes_the_least_recently_used_repositories_down_to_the_bound(
    tmp_path: Path,
) -> None:
    origins = {i: _origin(tmp_path / f"o{i}", {"a.txt": f"{i}\n" * 20_000}) for i in (1, 2, 3)}
    root = tmp_path / "cache"
    for i, origin in origins.items():
        _job(root, i, origin)
    _used(root, 1, 3000)  # most recent
    _used(root, 2, 1000)  # least recent
    _used(root, 3, 2000)
    sizes = {
        i: sum(
            p.lstat().st_blocks * 512
            for p in (root / "repos" / f"{i}.git").rglob("*")
            if p.is_file()
        )
        for i in origins
    }
    assert evict(root, sum(sizes.values())) == []  # within the bound: nothing goes
    assert evict(root, sizes[1] + sizes[3]) == ["2.git"]
    assert evict(root, sizes[1]) == ["3.git"]
    assert sorted(p.name for p in (root / "repos").glob("*.git")) == ["1.git"]
    # a removed repository comes back cold at its next job, with the same content
    assert _job(root, 2, origins[2]) == {"a.txt": b"2\n" * 20_000}


def _hold(cache_root: Path, repo_id: int, origin: Path, ready: object, release: object) -> None:
    cache = RepoCache(cache_root, repo_id, origin.as_uri(), "token")
    with cache.in_use():
        ready.set()  # type: ignore[attr-defined]
        release.wait(60)  # type: ignore[attr-defined]


def test_eviction_never_removes_a_repository_another_process_is_using(tmp_path: Path) -> None:
    origin = _origin(tmp_path / "o", {"a.txt": "a\n"})
    root = tmp_path / "cache"
    _job(root, 1, origin)
    _job(root, 2, origin)
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(root, 1, origin, ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        assert evict(root, 1) == ["2.git"]  # 1 is in use: skipped, though over the bound
        assert (root / "repos" / "1.git" / "HEAD").exists()
    finally:
        release.set()
        holder.join(30)
    assert evict(root, 1) == ["1.git"]


def _horse(cache_root: Path, origins: dict[int, Path], rounds: int, seed: int) -> None:
    for n in range(rounds):
        i = (seed + n) % len(origins) + 1
        got = _job(cache_root, i, origins[i])
        assert got == {"a.txt": f"{i}\n".encode() * 5_000, "b/c.txt": b"c\n"}, (i, got.keys())
        evict(cache_root, 1)  # as every job ends: remove whatever no other job holds


def test_several_work_horses_share_one_cache_while_it_is_evicted_under_them(
    tmp_path: Path,
) -> None:
    """Four processes run jobs on three repositories, each evicting everything it can after
    each job (a bound of one byte): every read is whole and right, and nothing fails."""
    origins = {
        i: _origin(tmp_path / f"o{i}", {"a.txt": f"{i}\n" * 5_000, "b/c.txt": "c\n"})
        for i in (1, 2, 3)
    }
    root = tmp_path / "cache"
    ctx = multiprocessing.get_context("fork")
    horses = [ctx.Process(target=_horse, args=(root, origins, 6, s)) for s in range(4)]
    for h in horses:
        h.start()
    for h in horses:
        h.join(240)
    assert [h.exitcode for h in horses] == [0, 0, 0, 0]
    evict(root, 1)
    assert list((root / "repos").glob("*.git*")) == []  # no leftovers once all are done


_CRASH = """
import os, signal, sys
from pathlib import Path
from workers.jobs.checkout import RepoCache

cache = RepoCache(Path(sys.argv[1]), 1, sys.argv[2], "token")
real = cache.git
def git(args, *a, **kw):
    out = real(args, *a, **kw)
    if sys.argv[3] in args:  # killed right after this git command, lock and all
        os.kill(os.getpid(), signal.SIGKILL)
    return out
cache.git = git
with cache.in_use():
    cache.fetch(["+refs/heads/main:refs/prgate/default"])
    cache.fetch_blobs(cache.rev("refs/prgate/default"))
"""


@pytest.mark.parametrize("after", ["init", "--depth=1", "--unshallow", "rev-list"])
def test_a_worker_killed_mid_fetch_leaves_a_cache_the_next_job_uses(
    tmp_path: Path, after: str
) -> None:
    """Killed holding the fetch lock, after making the repository's folder, after the
    head's shallow fetch, after the history's, or while bringing blobs: the kernel drops
    its locks, and the next job (or eviction) finds a cache it can use or remove."""
    origin = _origin(tmp_path / "o", {"a.txt": "a\n", "b.txt": "b\n"})
    root = tmp_path / "cache"
    proc = subprocess.run(
        [sys.executable, "-c", _CRASH, str(root), origin.as_uri(), after],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    leftovers = [p.name for p in (root / "repos").iterdir() if ".git." in p.name]
    assert [n.startswith("1.git.tmp") for n in leftovers] == ([True] if after == "init" else [])
    with open(root / "repos" / "1.lock", "a") as lock:  # the dead process's lock is free
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert _job(root, 1, origin) == {"a.txt": b"a\n", "b.txt": b"b\n"}
    assert not (root / "repos" / "1.git" / "shallow").exists()
    assert evict(root, 10**12) == []  # within the bound, yet the leftovers go
    assert [p.name for p in (root / "repos").iterdir() if ".git." in p.name] == []


def test_a_cold_cache_gets_the_heads_files_whole_and_the_history_without_blobs(
    tmp_path: Path,
) -> None:
    """The first fetch brings the head's blobs (nothing left for ``fetch_blobs``), the whole
    history of commits and trees (not shallow), and no blob that only history holds."""
    origin = served_origin(tmp_path / "o", {"seed.txt": "changed\n", "a/b.txt": "b\n"})
    head = git(origin, "rev-parse", "HEAD").strip()
    cache = RepoCache(tmp_path / "cache", 1, origin.as_uri(), "token")
    cache.fetch(["+refs/heads/main:refs/prgate/default"])
    assert not (cache.dir / "shallow").exists()
    assert cache.fetch_blobs(head) == 0
    assert git(cache.dir, "rev-list", "--count", head) == "2\n"
    old = git(cache.dir, "rev-list", "--objects", "--missing=print", f"{head}~1")
    assert [line for line in old.splitlines() if line.startswith("?")] == [
        "?" + git(origin, "rev-parse", "seed:seed.txt").strip()
    ]
    assert git(cache.dir, "config", "remote.origin.promisor") == "true\n"


def test_lock_files_a_killed_git_left_do_not_break_the_repository(tmp_path: Path) -> None:
    """git killed mid-write (a timeout, an OOM kill) leaves ``shallow.lock`` and ref locks;
    git then refuses every fetch ("File exists"). Under the cache's own lock no git of
    ours is running, so the next fetch removes them."""
    origin = _origin(tmp_path / "o", {"a.txt": "a\n"})
    root = tmp_path / "cache"
    assert _job(root, 1, origin) == {"a.txt": b"a\n"}
    repo = root / "repos" / "1.git"
    (repo / "shallow").write_text(git(origin, "rev-parse", "HEAD"))  # a killed cold fetch
    for stale in ("shallow.lock", "packed-refs.lock", "refs/prgate/default.lock"):
        (repo / stale).write_text("")
    git(origin, "commit", "-q", "--allow-empty", "-m", "more")
    (origin / "b.txt").write_text("b\n")
    git(origin, "add", "b.txt")
    git(origin, "commit", "-q", "-m", "b")
    assert _job(root, 1, origin) == {"a.txt": b"a\n", "b.txt": b"b\n"}
    assert not list(repo.glob("*.lock"))


_HANG = """
import sys
from pathlib import Path
from workers.jobs.checkout import RepoCache

cache = RepoCache(Path(sys.argv[1]), 1, sys.argv[2], "token")
cache.fetch(["+refs/heads/main:refs/prgate/default"])  # the origin's upload-pack hangs
"""


def test_a_killed_workers_git_dies_with_it(tmp_path: Path) -> None:
    """A worker killed mid-fetch leaves no git running on the cache: one would hold git's
    lock files while the next job takes it for stale."""
    origin = _origin(tmp_path / "o", {"a.txt": "a\n"})
    root = tmp_path / "cache"
    started = tmp_path / "upload-pack-started"
    repo = root / "repos" / "1.git"
    git(tmp_path, "init", "-q", "--bare", str(repo))
    hang = f"touch {started}; sleep 120; git-upload-pack"
    git(repo, "config", "remote.origin.uploadpack", hang)
    worker = subprocess.Popen(
        [sys.executable, "-c", _HANG, str(root), str(origin)],
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        for _ in range(600):  # the fetch reached the origin (bounded: 60 s)
            if started.exists() or worker.poll() is not None:
                break
            subprocess.run(["sleep", "0.1"], check=True)
        assert started.exists(), "the fetch never reached the origin"
        gits = children(worker.pid)
        assert gits, "no git under the worker"
        origin_side = [p for c in gits for p in children(c)]  # the hanging upload-pack
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
        for _ in range(300):  # the kernel delivers the parent-death signal at once
            if not any(_running(pid) for pid in gits):
                break
            subprocess.run(["sleep", "0.1"], check=True)
        assert not any(_running(pid) for pid in gits)
    finally:
        worker.kill()
        for pid in locals().get("origin_side", []):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
