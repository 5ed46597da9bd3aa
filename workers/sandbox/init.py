"""Inside the sandbox: build a minimal read-only root, run one command in it, send back its output.

Started only by ``workers.sandbox.run_sandboxed``, through util-linux's ``unshare`` in new
mount, network, PID, IPC and UTS namespaces (and a user namespace when the
worker is not root), as PID 1 of the new PID namespace. Standard library only,
and nothing from the pull request runs in this process. Steps:

1. A size-limited tmpfs becomes the new root. The system folders, the Python
   installation, prgate's own packages and the template checkout are bind-mounted
   into it read-only, at their own paths; ``/dev`` gets only null, zero, full,
   random and urandom; ``/proc`` is the new PID namespace's own. Nothing else of
   the host is there: no home folders, no App key, no repository caches.
2. ``pivot_root`` into it and detach the old root, so no path leads back.
3. Fork the command: it gets the limits (address space, file size, CPU,
   processes), ``no_new_privs``, an empty capability bounding set, and, when the
   worker runs as root, uid/gid 65534 (nobody), then ``execve`` with the given
   environment only.
4. Reap every process (PID 1's duty); when the command exits, kill what it left
   behind, write the output folder as a tar stream to the descriptor the worker
   passed, and exit with the command's status.

From the start, a thread reads the watch pipe whose only writer is the worker:
when it ends (the worker is done with the sandbox, or died, even by SIGKILL),
every process of the namespace is killed and this one exits, which takes the
PID namespace down.

mount(2), umount2(2), pivot_root(2) and prctl(2) are called through ctypes: the
standard library has no wrappers for them on Python 3.11.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import platform
import resource
import signal
import socket
import sys
import tarfile
import threading
from pathlib import Path
from typing import Any

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG = 24, 38, 1
# statvfs flag -> mount flag: a read-only remount in a user namespace must repeat the
# flags the bind mount was locked with, or the kernel refuses it.
_LOCKED = {
    os.ST_NOSUID: MS_NOSUID,
    os.ST_NODEV: MS_NODEV,
    os.ST_NOEXEC: MS_NOEXEC,
    os.ST_NOATIME: MS_NOATIME,
    os.ST_NODIRATIME: MS_NODIRATIME,
    os.ST_RELATIME: MS_RELATIME,
}
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
DEVICES = ("null", "zero", "full", "random", "urandom")
NOBODY = 65534

_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(err)}")


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    _check(
        _libc.mount(
            src.encode() if src else None,
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {src or fstype} on {target}",
    )


def _bind_readonly(src: str, root: str) -> None:
    """Bind ``src`` at the same path under ``root``, read-only; symlinks are recreated."""
    path = Path(src)
    if not os.path.lexists(src):
        return
    target = root + src
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        if not os.path.lexists(target):
            os.symlink(os.readlink(src), target)
        return
    if os.path.lexists(target):
        return  # already inside an earlier bind
    if path.is_dir():
        os.mkdir(target)
    else:
        Path(target).touch()
    _mount(src, target, None, MS_BIND)
    locked = os.statvfs(src).f_flag
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
    for st, ms in _LOCKED.items():
        if locked & st:
            flags |= ms
    _mount(None, target, None, flags)


def build_root(spec: dict[str, Any]) -> str:
    root: str = spec["root"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount reaches the host
    _mount("sandbox", root, "tmpfs", MS_NOSUID | MS_NODEV, f"size={spec['disk']},mode=755")
    # Deepest first would hide nothing; shortest first lets a nested path see its parent.
    for src in sorted(set(spec["readonly"]), key=len):
        _bind_readonly(src, root)
    os.makedirs(f"{root}/dev", exist_ok=True)
    for name in DEVICES:
        Path(f"{root}/dev/{name}").touch()
        _mount(f"/dev/{name}", f"{root}/dev/{name}", None, MS_BIND)
    os.makedirs(f"{root}/proc", exist_ok=True)
    _mount("proc", f"{root}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for folder in spec["writable"]:  # on the root tmpfs: counted in its size
        os.makedirs(root + folder, exist_ok=True)
        os.chmod(root + folder, 0o1777 if folder == "/tmp" else 0o755)  # noqa: S108
        if spec["drop_to_nobody"]:
            os.chown(root + folder, NOBODY, NOBODY)
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise SetupError(f"pivot_root: unknown system call number on {platform.machine()}")
    os.chdir(root)
    _check(_libc.syscall(number, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")
    return root


def _drop_privileges(spec: dict[str, Any]) -> None:
    """In the command's process, between fork and exec."""
    limits = spec["limits"]
    for name, value in (
        ("RLIMIT_AS", limits["memory"]),
        ("RLIMIT_FSIZE", limits["file_size"]),
        ("RLIMIT_CPU", limits["cpu"]),
        ("RLIMIT_NPROC", limits["processes"]),
        ("RLIMIT_CORE", 0),
    ):
        resource.setrlimit(getattr(resource, name), (value, value))
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    for cap in range(64):  # empty the bounding set: execve grants no capability
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break
    if spec["drop_to_nobody"]:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _send_output(folder: str, fd: int) -> None:
    with os.fdopen(fd, "wb") as pipe, tarfile.open(fileobj=pipe, mode="w|") as tar:
        if os.path.isdir(folder):
            tar.add(folder, arcname=".")


def _die_with_the_worker(fd: int) -> None:
    """Block until the worker's end of the watch pipe closes, then end the sandbox."""
    while True:
        try:
            if not os.read(fd, 4096):
                break
        except InterruptedError:
            continue
        except OSError:
            break
    with contextlib.suppress(ProcessLookupError):
        os.kill(-1, signal.SIGKILL)  # as PID 1: every other process of the namespace
    os._exit(137)


def main() -> int:
    spec = json.loads(sys.argv[1])
    out_fd: int = spec["out_fd"]
    watch_fd: int = spec["watch_fd"]
    threading.Thread(target=_die_with_the_worker, args=(watch_fd,), daemon=True).start()
    try:
        build_root(spec)
        socket.sethostname("sandbox")
    except (OSError, SetupError) as exc:
        print(f"prgate sandbox: {exc}", file=sys.stderr)
        return 125
    pid = os.fork()
    if pid == 0:
        try:
            os.close(out_fd)
            os.close(watch_fd)
            os.chdir(spec["cwd"])
            _drop_privileges(spec)
            os.execve(spec["argv"][0], spec["argv"], spec["env"])  # noqa: S606 - its purpose
        except BaseException as exc:  # report, then leave the child
            print(f"prgate sandbox: cannot start {spec['argv'][0]}: {exc}", file=sys.stderr)
        os._exit(126)
    status = 0
    while True:
        try:
            done, code = os.wait()
        except ChildProcessError:
            break
        if done == pid:
            status = os.waitstatus_to_exitcode(code)
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)  # what the command left behind
    _send_output(spec["output"], out_fd)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
