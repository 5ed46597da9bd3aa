"""Render a Copier template in a child process with limits on time, memory, size and processes.

This is the render mode without a task sandbox: tasks are skipped and
``_jinja_extensions`` refused, so the child runs only Copier and Jinja's
sandbox; the limits stop a template that loops, bombs memory or writes huge
files, and the environment carries no secrets. Running the template's tasks
needs an OS sandbox (network, filesystem) and is not built yet.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import SettingsError, setting

MEMORY = 1024 * 1024 * 1024  # address space, bytes
FILE_SIZE = 64 * 1024 * 1024  # largest file the render may write, bytes
CPU = 60  # seconds


@dataclass(frozen=True)
class RenderResult:
    ok: bool
    error: str | None = None
    refused_unsafe: bool = False
    timed_out: bool = False


def _limits() -> None:  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE, FILE_SIZE))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU, CPU))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def render_template(
    src: Path, dest: Path, data: dict[str, Any], vcs_ref: str | None, scratch: Path
) -> RenderResult:
    try:
        timeout = float(setting("render_timeout"))  # wall time; CPU has its own limit
    except SettingsError as exc:
        return RenderResult(ok=False, error=str(exc))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(scratch),  # no real home: no credentials, no git config
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
    }
    cmd = [sys.executable, "-m", "workers.render_child", str(src), str(dest), json.dumps(data),
           vcs_ref or ""]  # fmt: skip
    proc = subprocess.Popen(
        cmd, env=env, cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=_limits, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return RenderResult(
            ok=False,
            error=f"the render did not finish in {timeout:g} s and was stopped",
            timed_out=True,
        )
    try:
        doc = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        return RenderResult(ok=False, error="the render crashed: " + " | ".join(tail))
    return RenderResult(
        ok=bool(doc["ok"]), error=doc.get("error"), refused_unsafe=bool(doc.get("unsafe"))
    )
