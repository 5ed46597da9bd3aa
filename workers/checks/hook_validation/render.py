"""Render a Copier template in a child process: inside the OS sandbox when one can start.

With the sandbox (``workers.sandbox``) Copier runs with ``unsafe=True``: the
template's tasks (for the defaults render) and ``_jinja_extensions`` run, with
no network, a read-only checkout, writes only to the sandbox's tmpfs, and
limits on time, memory, file size, processes and disk. Without it, tasks are
skipped and ``_jinja_extensions`` refused, so the child runs only Copier and
Jinja's own sandbox, with limits on time, memory, file size and CPU and an
environment that carries no secrets. Either way the result says which it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workers import sandbox
from workers.shared.engine_env import SettingsError, setting
from workers.shared.environ import die_with_parent

MEMORY = 1024 * 1024 * 1024  # address space, bytes
FILE_SIZE = 64 * 1024 * 1024  # largest file the render may write, bytes
CPU = 60  # seconds
SANDBOX_PROJECT = "/out/project"  # where the render writes inside the sandbox
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


@dataclass(frozen=True)
class RenderResult:
    ok: bool
    error: str | None = None
    refused_unsafe: bool = False
    timed_out: bool = False


def _limits(parent: int) -> None:  # runs in the child between fork and exec
    die_with_parent(parent)  # even if the process that started the render is SIGKILLed
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE, FILE_SIZE))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU, CPU))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _timeout_message(timeout: float) -> str:
    return f"the render did not finish in {timeout:g} s and was stopped"


def _parse(out: bytes, err: bytes, returncode: int | None) -> RenderResult:
    try:
        doc = json.loads(out.decode("utf-8", "replace").strip().splitlines()[-1])
        ok, error, unsafe = bool(doc["ok"]), doc.get("error"), bool(doc.get("unsafe"))
    except (ValueError, IndexError, KeyError, TypeError):
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        error = "the render crashed: " + (" | ".join(tail) or _ended(returncode))
        return RenderResult(ok=False, error=error)
    return RenderResult(ok=ok, error=error, refused_unsafe=unsafe)


def _ended(returncode: int | None) -> str:
    """How a render that printed nothing ended (the sandbox reports a signal as 128 + n)."""
    signum = -returncode if returncode is not None and returncode < 0 else None
    if returncode is not None and returncode > 128:
        signum = returncode - 128
    if signum is not None:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        return f"it was killed by {name} and said nothing (a task may have killed it)"
    return f"it exited with status {returncode} and said nothing"


def render_template(
    src: Path,
    dest: Path,
    data: dict[str, Any],
    vcs_ref: str | None,
    scratch: Path,
    *,
    tasks: bool = True,
    readonly: Sequence[Path] = (),
) -> RenderResult:
    """Render ``src`` into ``dest``. In the sandbox, ``readonly`` (the copy of the template)
    is all of the host it sees, and ``tasks`` says whether the template's tasks run."""
    try:
        timeout = float(setting("render_timeout"))  # wall time; CPU has its own limit
    except SettingsError as exc:
        return RenderResult(ok=False, error=str(exc))
    if sandbox.unavailable() is None:
        return _render_sandboxed(src, dest, data, vcs_ref, scratch, timeout, tasks, readonly)
    return _render_limited(src, dest, data, vcs_ref, scratch, timeout)


def _render_sandboxed(
    src: Path,
    dest: Path,
    data: dict[str, Any],
    vcs_ref: str | None,
    scratch: Path,
    timeout: float,
    tasks: bool,
    readonly: Sequence[Path],
) -> RenderResult:
    # The checkout belongs to another uid inside the sandbox, so git would call it dubious.
    # Environment config (GIT_CONFIG_COUNT) does not reach the upload-pack of a local clone;
    # a global config file does. It is bound read-only.
    gitconfig = scratch / "sandbox.gitconfig"
    gitconfig.write_text("[safe]\n\tdirectory = *\n")
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": sandbox.HOME,
        "TMPDIR": "/tmp",  # noqa: S108 - the sandbox's own tmpfs
        **GIT_ENV,
        "GIT_CONFIG_GLOBAL": str(gitconfig),
    }
    cmd = [
        sys.executable,
        "-m",
        "workers.checks.hook_validation.render_child",
        str(src),
        SANDBOX_PROJECT,
        json.dumps(data),
        vcs_ref or "",
        "tasks" if tasks else "unsafe-no-tasks",
    ]
    limits = sandbox.Limits(wall=timeout, memory=MEMORY, file_size=FILE_SIZE, cpu=CPU)
    try:
        result = sandbox.run_sandboxed(
            cmd,
            env=env,
            readonly=[src, *readonly, gitconfig],
            output=SANDBOX_PROJECT,
            dest=dest,
            limits=limits,
        )
    except sandbox.SandboxError as exc:
        return RenderResult(ok=False, error=f"the sandbox did not start: {exc}")
    if result.timed_out:
        return RenderResult(ok=False, error=_timeout_message(timeout), timed_out=True)
    parsed = _parse(result.stdout, result.stderr, result.returncode)
    if result.output_error:
        return RenderResult(ok=False, error=f"the rendered output: {result.output_error}")
    if not parsed.ok and parsed.error and not parsed.error.startswith("the render crashed"):
        # a failing task explains itself on stderr (a refused connection, a missing file)
        tail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-2:]
        if tail:
            error = f"{parsed.error} (stderr: {' | '.join(t[:300] for t in tail)})"
            return RenderResult(ok=False, error=error)
    return parsed


def _render_limited(
    src: Path,
    dest: Path,
    data: dict[str, Any],
    vcs_ref: str | None,
    scratch: Path,
    timeout: float,
) -> RenderResult:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(scratch),  # no real home: no credentials, no git config
        **GIT_ENV,
    }
    cmd = [
        sys.executable,
        "-m",
        "workers.checks.hook_validation.render_child",
        str(src),
        str(dest),
        json.dumps(data),
        vcs_ref or "",
        "no-tasks",
    ]
    parent = os.getpid()
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=scratch,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: _limits(parent),
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return RenderResult(ok=False, error=_timeout_message(timeout), timed_out=True)
    except BaseException:  # a job timeout or Ctrl-C: the render ends with this call
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return _parse(out, err, proc.returncode)
