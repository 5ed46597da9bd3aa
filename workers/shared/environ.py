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
