"""Getting a pull request's code onto the worker: a cached partial clone, and no worktree.

* One bare repository per GitHub repository under ``PRGATE_CACHE_DIR/repos``,
  fetched with ``--filter=blob:none``: commits and trees come down once;
  ``fetch_blobs`` then brings, in one request, the blobs of the head commit
  that the cache lacks (on a warm cache, what the pull request changed). The
  checks read the commit from the object store (``GitCommitView``); render
  mode writes out only the template it renders. A file lock serialises the
  worker processes of one machine on one repository's fetches; reads need
  none (git's object store only grows, and a fetch cut short leaves objects
  git ignores until a later fetch completes).
* The cache is bounded: after a job, ``evict`` removes the least recently
  used repositories over ``PRGATE_CACHE_MAX_BYTES``, never one a job holds
  (``in_use``: a shared lock per repository).
* The token travels in an ``http.extraHeader`` given through git's
  ``GIT_CONFIG_*`` environment variables: never in a URL, never on a command
  line, never in ``.git/config`` (the cached repository's remote URL is the
  plain ``clone_url``). git's error output is scrubbed of it anyway.
* Worktrees that an earlier version made (one per job, named after the host
  and process) are removed by the next fetch once their process is gone.
* Revisions and refspecs come after ``--end-of-options``: they are validated
  where a delivery enters (``workers.shared.work``), and even so none could ever
  read as an option to git.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from workers.shared.environ import child_env, die_with_parent

GIT_TIMEOUT = 600  # seconds for one git command; a job's own timeout is the backstop
FETCH_BATCH = 10_000  # blobs asked for in one fetch: ~500 KB of "want" lines


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "prgate"


class CheckoutError(Exception):
    """git could not fetch or check out; the message never contains the token."""


class RepoCache:
    def __init__(self, root: Path, repo_id: int, clone_url: str, token: str) -> None:
        self.root = root
        self.dir = root / "repos" / f"{repo_id}.git"
        self.worktrees = root / "worktrees" / str(repo_id)
        self.clone_url = clone_url
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        self._secrets = (token, basic)
        self._env = child_env(
            {
                "GIT_TERMINAL_PROMPT": "0",
                "GIT_ASKPASS": "true",  # never prompt; a missing credential is an error
                "GIT_LFS_SKIP_SMUDGE": "1",
                "GIT_OPTIONAL_LOCKS": "0",
                "LC_ALL": "C",
                "GIT_CONFIG_COUNT": "2",
                "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
                "GIT_CONFIG_KEY_1": "credential.helper",
                "GIT_CONFIG_VALUE_1": "",
            }
        )

    def git(self, args: Sequence[str], cwd: Path | None = None, stdin: bytes = b"") -> bytes:
        command = args[2] if args[0] == "-c" else args[0]  # `-c key=value fetch ...`: fetch
        try:
            proc = subprocess.run(
                ["git", *args],
                cwd=cwd or self.dir,
                env=self._env,
                input=stdin,
                capture_output=True,
                timeout=GIT_TIMEOUT,
                check=False,
                # git dies with the worker: a killed worker's git would hold git's lock
                # files, and the next job could not tell a live lock from a stale one
                preexec_fn=functools.partial(die_with_parent, os.getpid()),
            )
        except subprocess.TimeoutExpired:
            raise CheckoutError(f"git {command} took longer than {GIT_TIMEOUT} s") from None
        except FileNotFoundError:
            if not (cwd or self.dir).is_dir():
                raise CheckoutError(f"the cache folder {cwd or self.dir} is gone") from None
            raise CheckoutError("git is not installed or not on PATH") from None
        if proc.returncode != 0:
            detail = self.scrub(proc.stderr.decode("utf-8", "replace").strip())
            raise CheckoutError(f"git {command} failed: {detail[-800:] or proc.returncode}")
        return proc.stdout

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """Held, shared, while a job uses this repository: ``evict`` never removes it then.
        Marks it used now, for least-recently-used eviction."""
        self.dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self.dir.with_suffix(".use"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            os.utime(lock.fileno())
            yield

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self.dir.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _clear_stale_locks(self) -> None:
        """Remove the ``*.lock`` files of a git that was killed mid-write (a job's timeout,
        an OOM kill): git refuses to fetch while one exists ("File exists"), so one left
        behind would fail every later job of the repository. Called under ``_locked``:
        the only git that writes here is this process's, and a killed job's git died with
        it (``die_with_parent``), so any lock file found has no owner left."""
        if not self.dir.is_dir():
            return
        found = [*self.dir.glob("*.lock"), *self.dir.glob("objects/info/*.lock")]
        if (self.dir / "refs").is_dir():
            found += (self.dir / "refs").rglob("*.lock")
        for lock in found:
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()

    def _ensure(self) -> None:
        self._clear_stale_locks()
        if not (self.dir / "HEAD").exists():
            tmp = self.dir.with_name(self.dir.name + f".tmp{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            self.git(["init", "-q", "--bare", str(tmp)], cwd=self.root)
            tmp.rename(self.dir)
        self.git(["config", "remote.origin.url", self.clone_url])

    def fetch(self, refspecs: Sequence[str]) -> None:
        """Fetch refspecs from origin: commits and trees (blobs come with ``fetch_blobs``).

        Into an empty cache the first refspec (the head) first comes down whole at depth 1,
        as a CI checkout fetches it: the server packs the head's files by walking its tree,
        where asking for tens of thousands of blobs by id makes it pack them one by one
        (about twice the time). The history then follows without blobs (``--unshallow``).
        """
        with self._locked():
            self._ensure()
            self._sweep()
            fetch = ["fetch", "-q", "--no-tags", "--no-write-fetch-head", "--recurse-submodules=no"]
            if not self.git(["for-each-ref", "--count=1", "--format=x"]):
                self.git([*fetch, "--depth=1", "--end-of-options", "origin", refspecs[0]])
            if (self.dir / "shallow").exists():  # that, or a job that died right after it
                fetch.append("--unshallow")
            self.git([*fetch, "--filter=blob:none", "--end-of-options", "origin", *refspecs])

    def fetch_blobs(self, sha: str) -> int:
        """Bring every blob of ``sha``'s tree that the cache lacks, many per fetch; the count.

        The checks read the commit from the object store (``GitCommitView``), which
        must never fetch on its own: it has no credentials, and git's lazy fetch
        asks for one object at a time. A warm cache lacks only what the pull
        request changed, so this costs what the change costs.
        """
        with self._locked():
            listed = self.git(
                ["rev-list", "--objects", "--missing=print", "--end-of-options", f"{sha}^{{tree}}"]
            )
            missing = [line[1:] for line in listed.splitlines() if line.startswith(b"?")]
            # what git's own promisor fetch runs, for many at once; in batches, so that one
            # request, and the pack it brings, stays bounded whatever the repository's size
            for start in range(0, len(missing), FETCH_BATCH):
                self.git(
                    [
                        "-c",
                        "fetch.negotiationAlgorithm=noop",
                        "fetch",
                        "-q",
                        "--no-tags",
                        "--no-write-fetch-head",
                        "--recurse-submodules=no",
                        "--filter=blob:none",
                        "--stdin",
                        "origin",
                    ],
                    stdin=b"\n".join(missing[start : start + FETCH_BATCH]) + b"\n",
                )
        return len(missing)

    def drop_objects(self, oids: Iterable[str]) -> int:
        """Remove these objects' loose files, which git could not read or which hold other
        contents than their id says, so that ``fetch_blobs`` brings them again (git never
        fetches an object it believes it has); how many were removed. An object in a pack
        is left: the next read fails again, and the job says it could not run."""
        removed = 0
        with self._locked():
            for oid in oids:
                if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", oid):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    (self.dir / "objects" / oid[:2] / oid[2:]).unlink()
                    removed += 1
        return removed

    def has_commit(self, sha: str) -> bool:
        try:
            self.git(["cat-file", "-e", "--end-of-options", f"{sha}^{{commit}}"])
        except CheckoutError:
            return False
        return True

    def rev(self, ref: str) -> str:
        return (
            self.git(["rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}"])
            .decode()
            .strip()
        )

    def merge_base(self, a: str, b: str) -> str | None:
        """Where ``b`` branched from ``a`` (commits and trees are local); None if unrelated."""
        try:
            return self.git(["merge-base", "--end-of-options", a, b]).decode().strip() or None
        except CheckoutError:
            return None

    def blob_id(self, rev: str, path: str) -> str | None:
        """The id of a file's blob at a revision, from the tree alone (no blob is fetched)."""
        try:
            return (
                self.git(["rev-parse", "--verify", "-q", "--end-of-options", f"{rev}:{path}"])
                .decode()
                .strip()
            )
        except CheckoutError:
            return None

    def show(self, rev: str, path: str) -> bytes | None:
        """A file's bytes at a revision (fetching its blob), or None when it is not there."""
        try:
            self.git(["cat-file", "-e", "--end-of-options", f"{rev}:{path}"])
        except CheckoutError:
            return None
        return self.git(["cat-file", "blob", "--end-of-options", f"{rev}:{path}"])

    def _sweep(self) -> None:
        """Remove worktrees that an earlier prgate (one worktree per job) left behind when
        its process died; prune git's list. Jobs make none now; a live one is another
        worker of this host still on that version, mid-deploy, and is left alone."""
        if self.worktrees.is_dir():
            host = socket.gethostname()
            for child in self.worktrees.iterdir():
                owner, _, rest = child.name.rpartition("-")[0].rpartition("-")
                if owner == host and rest.isdigit() and not _alive(int(rest)):
                    shutil.rmtree(child, ignore_errors=True)
        self.git(["worktree", "prune"])


def evict(root: Path, max_bytes: int) -> list[str]:
    """Remove the least recently used repositories until the cache holds at most ``max_bytes``;
    the names of those removed. A repository some job is using (``in_use``) is skipped.

    A removal renames the repository first, under the exclusive lock, then deletes it: a
    job that comes next starts it again cold, and a crash mid-way leaves a renamed folder
    that the next call deletes, as it does one that a crashed first fetch left.
    """
    repos = root / "repos"
    if not repos.is_dir():
        return []
    for child in repos.iterdir():
        left = _LEFTOVER.fullmatch(child.name)
        if left and not _alive(int(left[1])):
            shutil.rmtree(child, ignore_errors=True)
    sizes = {d: _disk_bytes(d) for d in repos.glob("*.git") if d.is_dir()}
    total = sum(sizes.values())
    removed: list[str] = []
    for repo in sorted(sizes, key=_last_used):
        if total <= max_bytes:
            break
        with open(repo.with_suffix(".use"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a job is using it
            if not repo.is_dir():
                continue  # another worker removed it meanwhile
            gone = repo.with_name(f"{repo.name}.gone{os.getpid()}")
            shutil.rmtree(gone, ignore_errors=True)
            repo.rename(gone)
        shutil.rmtree(gone, ignore_errors=True)
        total -= sizes[repo]
        removed.append(repo.name)
    return removed


_LEFTOVER = re.compile(r"\d+\.git\.(?:tmp|gone)(\d+)")


def _disk_bytes(folder: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):  # a file git removed meanwhile
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total


def _last_used(repo: Path) -> float:
    try:
        return repo.with_suffix(".use").stat().st_mtime
    except FileNotFoundError:
        return 0.0  # made by a version before this one and unused since


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def base_ref_name(base_ref: str | None) -> str:
    """Where the base is kept locally; without a PR, the default branch (the remote's HEAD)."""
    return f"refs/prgate/base/{base_ref}" if base_ref else "refs/prgate/default"


def pull_refspecs(pr_number: int | None, head_sha: str, base_ref: str | None) -> list[str]:
    """What to fetch: the PR head (works for forks) or the bare SHA, and the base branch."""
    specs = [f"+refs/pull/{pr_number}/head:refs/prgate/pull/{pr_number}" if pr_number else head_sha]
    source = f"refs/heads/{base_ref}" if base_ref else "HEAD"
    specs.append(f"+{source}:{base_ref_name(base_ref)}")
    return specs


__all__ = [
    "CheckoutError",
    "RepoCache",
    "base_ref_name",
    "default_cache_dir",
    "evict",
    "pull_refspecs",
]
