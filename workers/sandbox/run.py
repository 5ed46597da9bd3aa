"""How the sandbox runs a command: the ``unshare`` command line, the limits, the scratch
folders a janitor removes, the output's tar stream, and whether the sandbox can start here
(``unavailable``). The package's docstring says what the code inside gets."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from workers.shared.environ import child_env

SYSTEM_PATHS = (
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/group",
    "/etc/ssl",
    "/etc/ca-certificates",
)
HOME = "/home/sandbox"


@dataclass(frozen=True)
class Limits:
    wall: float = 60.0  # seconds, for the whole sandbox
    memory: int = 1024 * 1024 * 1024  # address space per process, bytes
    file_size: int = 64 * 1024 * 1024  # largest file written, bytes
    cpu: int = 60  # CPU seconds per process
    processes: int = 64  # processes beyond those its uid already has
    disk: int = 512 * 1024 * 1024  # the writable tmpfs, bytes
    output: int = 256 * 1024 * 1024  # largest output tar accepted, bytes


@dataclass(frozen=True)
class Result:
    returncode: int | None
    stdout: bytes = b""
    stderr: bytes = b""
    timed_out: bool = False
    output_error: str | None = None
    skipped: tuple[str, ...] = ()  # output members not unpacked, and why


class SandboxError(Exception):
    """The sandbox itself could not start (not the command failing)."""


# The janitor: block until the pipe's only writer (the process that made the folder) closes
# it or dies, then remove the folder. Standard library only, started with -I -S.
_JANITOR = (
    "import os, shutil, sys\n"
    "fd = int(sys.argv[1])\n"
    "while True:\n"
    "    try:\n"
    "        if not os.read(fd, 4096): break\n"
    "    except InterruptedError: pass\n"
    "shutil.rmtree(sys.argv[2], ignore_errors=True)\n"
)


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A new temporary folder, removed when the block ends and also when this process dies.

    A process killed with SIGKILL runs no ``finally``; the folder is then removed
    by a janitor process that waits for the end of a pipe only this process
    writes to (the kernel closes it when this process is gone, however it ends).
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    read_fd, write_fd = os.pipe()
    try:
        janitor = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _JANITOR, str(read_fd), str(path)],
            pass_fds=(read_fd,),
            env=child_env(),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        os.close(write_fd)
        shutil.rmtree(path, ignore_errors=True)
        raise
    finally:
        os.close(read_fd)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(write_fd)  # the janitor finds nothing left and exits
        with contextlib.suppress(subprocess.TimeoutExpired):
            janitor.wait(5)


def _python_paths() -> list[str]:
    import workers

    paths = {sys.base_prefix, sys.prefix, str(Path(workers.__file__).resolve().parent)}
    exe = Path(sys.executable)
    paths.add(str(exe.resolve().parent.parent))  # the interpreter's own prefix
    return sorted(paths)


def _processes_of(uid: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def _command(spec: dict[str, object]) -> list[str]:
    unshare = shutil.which("unshare") or "unshare"
    argv = [unshare, "--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child"]
    if os.geteuid() != 0:
        argv += ["--user", "--map-root-user"]
    return [*argv, sys.executable, "-I", "-m", "workers.sandbox.init", json.dumps(spec)]


def _receive(fd: int, dest: Path | None, cap: int, errors: list[str], skipped: list[str]) -> None:
    """Unpack the output tar from ``fd`` into ``dest``, never more than ``cap`` bytes; members
    the ``data`` filter refuses (links out of ``dest``, devices) are skipped and listed."""

    class Capped:
        def __init__(self) -> None:
            self.seen = 0

        def read(self, n: int = -1) -> bytes:
            chunk = os.read(fd, n if n > 0 else 65536)
            self.seen += len(chunk)
            if self.seen > cap:
                raise OverflowError(f"the output is over {cap // (1024 * 1024)} MiB")
            return chunk

    try:
        if dest is None:
            while os.read(fd, 65536):
                pass
            return
        dest.mkdir(parents=True, exist_ok=True)

        def data_only(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
            try:
                return tarfile.data_filter(member, path)
            except tarfile.FilterError as exc:  # skip it, keep the rest
                skipped.append(str(exc).strip())
                return None

        with tarfile.open(fileobj=Capped(), mode="r|") as tar:  # type: ignore[call-overload]
            tar.extractall(dest, filter=data_only)  # noqa: S202 - the data filter is applied
    except (OverflowError, tarfile.TarError, OSError) as exc:
        errors.append(str(exc) or type(exc).__name__)
    finally:
        os.close(fd)


def run_sandboxed(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    readonly: Sequence[str | Path] = (),
    writable: Sequence[str] = ("/tmp", HOME),  # noqa: S108 - the sandbox's own tmpfs
    cwd: str = HOME,
    output: str | None = None,
    dest: Path | None = None,
    limits: Limits = Limits(),
) -> Result:
    """Run ``argv`` (an absolute program path inside the sandbox) and return its result;
    the sandbox folder ``output`` (writable) is unpacked into ``dest`` on the host."""
    drop = os.geteuid() == 0
    processes = limits.processes + _processes_of(65534 if drop else os.geteuid())
    with scratch_dir("prgate-sandbox-") as mountpoint:
        spec = {  # what workers.sandbox.init sets up, but the pipes _run adds
            "root": str(mountpoint),
            "disk": limits.disk,
            "readonly": [*SYSTEM_PATHS, *_python_paths(), *(str(p) for p in readonly)],
            "writable": sorted({*writable, *([output] if output else [])}),
            "cwd": cwd,
            "argv": list(argv),
            "env": dict(env),
            "output": output or "/nonexistent",
            "drop_to_nobody": drop,
            "limits": {**asdict(limits), "processes": processes},
        }
        return _run(spec, dest, limits)


def _run(spec: dict[str, Any], dest: Path | None, limits: Limits) -> Result:
    """Start workers.sandbox.init with ``spec`` and wait for it, receiving its output."""
    read_fd, write_fd = os.pipe()
    # workers.sandbox.init reads watch_r: when watch_w closes (this process is done with it,
    # or died) it kills every process in the sandbox
    watch_r, watch_w = os.pipe()
    spec = {**spec, "out_fd": write_fd, "watch_fd": watch_r}
    errors: list[str] = []
    skipped: list[str] = []
    receiver = threading.Thread(
        target=_receive, args=(read_fd, dest, limits.output, errors, skipped)
    )
    try:
        proc = subprocess.Popen(
            _command(spec),
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(write_fd, watch_r),
            start_new_session=True,
        )
    except OSError as exc:
        os.close(read_fd)
        os.close(watch_w)
        raise SandboxError(f"cannot start unshare: {exc}") from exc
    finally:
        os.close(write_fd)
        os.close(watch_r)
    receiver.start()
    timed_out = False
    try:
        out, err = proc.communicate(timeout=limits.wall)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)  # unshare --kill-child takes the namespace down
        out, err = proc.communicate()
    except BaseException:  # a job timeout or Ctrl-C here: the sandbox ends with this call
        os.close(watch_w)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    os.close(watch_w)
    receiver.join(30)
    if proc.returncode == 125 and b"prgate sandbox:" in err:
        raise SandboxError(err.decode("utf-8", "replace").strip().splitlines()[-1])
    return Result(
        None if timed_out else proc.returncode,
        out[-1_000_000:],
        err[-100_000:],
        timed_out=timed_out,
        output_error=errors[0] if errors else None,
        skipped=tuple(skipped),
    )


@cache
def unavailable() -> str | None:
    """Why no sandbox can run on this machine, or None when it can (probed once)."""
    from workers.shared.engine_env import setting

    if setting("sandbox") == "off":
        return "the sandbox is switched off (PRGATE_SANDBOX=off)"
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux namespaces; this is {sys.platform}"
    if shutil.which("unshare") is None:
        return "the sandbox needs util-linux's unshare, which is not on PATH"
    if not hasattr(tarfile, "data_filter"):
        return "the sandbox needs Python 3.11.4 or newer (tarfile's data filter)"
    try:
        result = run_sandboxed(["/bin/sh", "-c", "exit 0"], env={}, limits=Limits(wall=20))
    except SandboxError as exc:
        return f"the sandbox cannot start here: {exc}"
    if result.returncode != 0:
        tail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        return f"the sandbox cannot start here: {' '.join(tail) or result.returncode}"
    return None
