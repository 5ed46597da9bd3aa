"""Shared helpers: real git repositories in temp dirs, the real ``prgate`` command."""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from workers import sandbox
from workers.engine.config import RepoConfig
from workers.engine.findings import Finding
from workers.engine.runner import Report, check_repository
from workers.engine.views import open_view

pytest_plugins = [
    "tests.support.worker_harness"
]  # the ``gh`` fixture: worker against a fake GitHub

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed-template-repo"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "prgate tests",
    "GIT_AUTHOR_EMAIL": "tests@prgate.invalid",
    "GIT_COMMITTER_NAME": "prgate tests",
    "GIT_COMMITTER_EMAIL": "tests@prgate.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"git {args}: {proc.stderr}"
    return proc.stdout


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def make_repo(root: Path, files: Mapping[str, str | bytes], *, commit: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write_files(root, files)
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial", "--allow-empty")
    return root


def served_origin(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """A repository a partial clone can fetch from: branch ``seed`` holds one file, and
    ``main`` adds ``files`` on top (a cache that fetched ``seed`` lacks exactly their blobs)."""
    origin = make_repo(root, {"seed.txt": "seed\n"})
    git(origin, "config", "uploadpack.allowFilter", "true")
    git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    git(origin, "branch", "seed")
    write_files(origin, files)
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "files", "--allow-empty")
    return origin


SEED_REF = "+refs/heads/seed:refs/prgate/seed"  # what makes a cache warm before it fetches main


def random_token(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits


BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


class Tokens:
    """Realistic secrets made at run time, so this repository never contains one."""

    @staticmethod
    def github(prefix: str = "gh" + "p_") -> str:
        """A classic token in GitHub's format: 30 random characters and their CRC32 in six
        base62 digits (what GitHub's own tokens carry)."""
        body = random_token(ALNUM, 30)
        number, digits = zlib.crc32(body.encode()), ""
        for _ in range(6):
            number, digit = divmod(number, 62)
            digits = BASE62[digit] + digits
        return prefix + body + digits

    @staticmethod
    def github_pat() -> str:
        return "github" + "_pat_" + random_token(ALNUM, 22) + "_" + random_token(ALNUM, 59)

    @staticmethod
    def aws() -> str:
        return "AK" + "IA" + random_token(string.ascii_uppercase + string.digits, 16)

    @staticmethod
    def slack() -> str:
        return "xo" + "xb-" + random_token(string.digits, 12) + "-" + random_token(ALNUM, 24)

    @staticmethod
    def google() -> str:
        return "AI" + "za" + random_token(ALNUM + "_-", 35)

    @staticmethod
    def stripe() -> str:
        return "sk" + "_live_" + random_token(ALNUM, 32)

    @staticmethod
    def private_key() -> str:
        body = "\n".join(random_token(ALNUM + "+/", 64) for _ in range(5))
        return f"-----BEGIN RSA {'PRIVATE'} KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> CliResult:
    """Run the installed ``prgate`` command as a user would."""
    exe = Path(sys.executable).parent / "prgate"
    proc = subprocess.run(
        [str(exe), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV, **(env or {})},
        timeout=120,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux: read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def check(
    path: Path,
    config: RepoConfig | None = None,
    only: tuple[str, ...] | list[str] = ("contamination",),
    **kwargs: Any,
) -> Report:
    """Run checks in-process: the contamination check unless ``only`` names others (``()``: all)."""
    return check_repository(open_view(path), config or RepoConfig(), only=only, **kwargs)


def pairs(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.rule, f.path) for f in findings}


@pytest.fixture
def repo(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def factory(files: Mapping[str, str | bytes], *, commit: bool = True) -> Path:
        return make_repo(tmp_path / f"repo{next(counter)}", files, commit=commit)

    return factory


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


# --- Redis: REDIS_URL when set (CI), else the embedded server ------------------------------

WEBHOOKS = ROOT / "tests" / "data" / "github-webhooks"  # GitHub's examples, vendored


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        # one database per xdist worker so parallel tests never see each other's keys
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        db = 1 + int(worker.removeprefix("gw") or 0) % 15
        yield url.rstrip("/").rsplit("/", 1)[0] + f"/{db}" if url.count("/") > 2 else f"{url}/{db}"
        return
    from bot.embedded_redis import EmbeddedRedis

    with EmbeddedRedis(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Any]:
    from redis import Redis

    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


# Tests of the OS sandbox: skipped on a machine that cannot run it, never on CI.
needs_sandbox = pytest.mark.skipif(
    sandbox.unavailable() is not None and not os.environ.get("CI"),
    reason=f"no OS sandbox here: {sandbox.unavailable()}",
)
