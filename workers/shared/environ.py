"""The environment of every child process prgate starts: an allow-list, never a copy.

A worker's own environment holds the App's secrets (``WEBHOOK_SECRET``,
``PRIVATE_KEY``, ``REDIS_URL`` with its password, ...). git, redis-server and
the render child need none of them, and anything a child can read a hostile
repository's hooks, filters or templates may get to see; so a child gets only
what makes tools work: where programs and home are, locale and time zone,
where git's repository and configuration are, certificates, and proxies.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping

ALLOWED = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "XDG_CONFIG_HOME",  # git reads $XDG_CONFIG_HOME/git/config
        # where the repository is: set by git for hooks (pre-commit sees the index being committed)
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_EXEC_PATH",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_NOSYSTEM",
        "GIT_CEILING_DIRECTORIES",
        "GIT_SSL_CAINFO",
        "GIT_SSL_CAPATH",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
    }
)
ALLOWED_PREFIXES = ("LC_",)


def child_env(
    extra: Mapping[str, str] | None = None, source: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The allowed variables of ``source`` (default: this process's), then ``extra`` on top."""
    env = {
        k: v
        for k, v in (os.environ if source is None else source).items()
        if k in ALLOWED or k.startswith(ALLOWED_PREFIXES)
    }
    env.update(extra or {})
    return env


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """In a child between fork and exec: get ``sig`` when ``parent`` (the process that
    started it) dies, even by SIGKILL, so nothing is left running after a crash. Linux's
    PR_SET_PDEATHSIG survives exec; if the parent is already gone, getppid says so."""
    import ctypes

    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(137)
