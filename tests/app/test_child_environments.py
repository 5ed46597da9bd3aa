"""Child processes (git, fetches, the embedded Redis) get an environment from an
allow-list, never the App's secrets."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import check

Repo = Callable[..., Path]


# --- 7. Child processes get an environment from an allow-list, never the App's secrets -----

SECRET_ENV = {
    "WEBHOOK_SECRET": "webhook-secret-marker-7f3a",
    "PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nprivate-key-marker-7f3a\n-----END",
    "PRGATE_SOMETHING": "prgate-setting-marker-7f3a",
}


def _git_spy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``git`` first on PATH that records its environment, then runs the real git."""
    import shutil

    real = shutil.which("git")
    assert real is not None
    dumps = tmp_path / "git-envs"
    dumps.mkdir()
    spy = tmp_path / "spy-bin"
    spy.mkdir()
    (spy / "git").write_text(
        f'#!/bin/sh\nenv -0 > "$(mktemp -p {dumps})"\nexec {real} "$@"\n', encoding="utf-8"
    )
    (spy / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{spy}:{os.environ['PATH']}")
    for key, value in SECRET_ENV.items():
        monkeypatch.setenv(key, value)
    return dumps


def _envs(dumps: Path) -> list[dict[str, str]]:
    return _envs_in(list(dumps.iterdir()))


def _envs_in(files: list[Path]) -> list[dict[str, str]]:
    out = []
    for dump in files:
        pairs = (item.split("=", 1) for item in dump.read_text().split("\0") if "=" in item)
        out.append(dict(pairs))
    return out


def _no_secret_in(envs: list[dict[str, str]]) -> None:
    assert envs, "no git process was recorded"
    for env in envs:
        for key in SECRET_ENV:
            assert key not in env
            assert not any("marker-7f3a" in v for v in env.values()), env


def test_the_engines_git_never_sees_the_apps_secrets(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = repo({"copier.yml": "_subdirectory: t\n", "t/.env": "A=1\n"})
    dumps = _git_spy(tmp_path, monkeypatch)  # after the tests' own git made the repository
    check(path, only=())
    envs = _envs(dumps)
    _no_secret_in(envs)
    # what git needs still reaches it: the tests' isolated config, locale pinned
    assert all(e.get("GIT_CONFIG_GLOBAL") == os.devnull and e["LC_ALL"] == "C" for e in envs)


def test_the_workers_fetches_never_see_the_apps_secrets(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import SEED_REF, git, served_origin
    from workers.jobs.checkout import RepoCache

    origin = served_origin(tmp_path / "origin", {"README.md": "x\n"})
    sha = git(origin, "rev-parse", "HEAD").strip()
    dumps = _git_spy(tmp_path, monkeypatch)
    cache = RepoCache(tmp_path / "cache", 1, f"file://{origin}", "ghs_installation-token-7f3a")
    cache.fetch([SEED_REF])
    cache.fetch(["+refs/heads/main:refs/prgate/default"])
    assert cache.fetch_blobs(sha) == 1  # the one blob, fetched with the token
    from workers.engine.views import GitCommitView

    assert GitCommitView(cache.dir, sha).read_text("README.md") == "x\n"
    envs = _envs(dumps)
    _no_secret_in(envs)
    configs = list((tmp_path / "cache").rglob("config"))
    assert configs and not any("7f3a" in c.read_text() for c in configs)  # no token in .git/config


def test_the_embedded_redis_never_sees_the_apps_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """redis-server wipes its own /proc environ, so a shim records what it was given."""
    embedded = pytest.importorskip("bot.embedded_redis")
    try:
        real = embedded.redis_server_binary()
    except embedded.EmbeddedRedisError as exc:
        pytest.skip(f"no embedded Redis here: {exc}")
    dump = tmp_path / "redis-env"
    shim = tmp_path / "redis-server"
    shim.write_text(f'#!/bin/sh\nenv -0 > {dump}\nexec {real} "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    monkeypatch.setattr(embedded, "redis_server_binary", lambda: str(shim))
    for key, value in SECRET_ENV.items():
        monkeypatch.setenv(key, value)
    with embedded.EmbeddedRedis(tmp_path / "redis"):
        pass
    _no_secret_in(_envs_in([dump]))
