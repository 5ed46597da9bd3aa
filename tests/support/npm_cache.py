"""npm packages the tests compare prgate with, installed once per machine into a cache.

node and npm come from the machine: without them a test is skipped locally and
fails on CI (``CI`` set), where they are part of the image.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

CACHE = Path(os.environ.get("PRGATE_TEST_CACHE", Path.home() / ".cache" / "prgate-tests"))


def _need_npm(why: str) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        if os.environ.get("CI"):
            pytest.fail(f"node and npm are needed {why} and are not on PATH")
        pytest.skip(f"node/npm not on PATH: cannot {why.removeprefix('to ')}")


def npm_file(package: str, version: str, path: str, why: str) -> bytes:
    """One file of a published package, from its tarball (``npm pack``: the package alone,
    none of its dependencies), kept in the cache."""
    _need_npm(why)
    home = CACHE / "packs" / f"{package.replace('/', '+')}@{version}"
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        tarballs = list(home.glob("*.tgz"))
        if not tarballs:
            proc = subprocess.run(
                ["npm", "pack", "--silent", f"{package}@{version}"],
                cwd=home,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert proc.returncode == 0, f"npm pack {package}@{version} failed:\n{proc.stderr}"
            tarballs = list(home.glob("*.tgz"))
    with tarfile.open(tarballs[0]) as tar:
        member = tar.extractfile(f"package/{path}")
        assert member is not None, f"{package}@{version} has no {path}"
        return member.read()


def npm_install(folder: str, spec: str, marker: str, why: str) -> Path:
    """``spec`` (one or more packages, space-separated) installed under ``CACHE/folder``
    (a lock keeps xdist workers from racing);
    ``marker`` is a path under node_modules that exists once it is installed."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        if os.environ.get("CI"):
            pytest.fail(f"node and npm are needed {why} and are not on PATH")
        pytest.skip(f"node/npm not on PATH: cannot {why.removeprefix('to ')}")
    home = CACHE / folder
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "node_modules" / marker).exists():
            (home / "package.json").write_text(f'{{"name": "prgate-{folder}", "private": true}}\n')
            proc = subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", *spec.split()],
                cwd=home,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert proc.returncode == 0, f"npm install {spec} failed:\n{proc.stderr[-2000:]}"
    return home
