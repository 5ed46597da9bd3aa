"""Run code from a pull request in an OS sandbox: Linux namespaces, a read-only root, limits.

The command runs under util-linux's ``unshare`` (on every Debian-based image,
including ``python:*-slim``; no package to install) in new mount, network, PID,
IPC and UTS namespaces, plus a user namespace when the worker is not root, so
no privilege is needed. ``workers.sandbox.init`` builds its root there. What the
command gets:

- no network: its network namespace has only a loopback interface, down;
- a root holding only the system folders, the Python installation, prgate's
  packages and the given read-only paths (a copy of the template), all read-only;
  writable are only the given folders, on a tmpfs of ``Limits.disk`` bytes;
- only the environment it is given (no tokens, no App key, a scratch ``HOME``);
- limits on address space, file size, CPU seconds, processes (as uid 65534 when
  the worker is root, since the kernel never limits root's processes) and wall
  time; at the wall limit the whole PID namespace is killed, so nothing it
  started lives on.

Nothing of it outlives the process that started it, however that process
ends (an exception such as RQ's job timeout, or SIGKILL): ``workers.sandbox.init``
reads a pipe whose only writer is the parent and kills the whole PID
namespace when it sees the end of it, which the kernel delivers the moment
the parent is gone; and every host folder it uses comes from
``scratch_dir``, which a janitor process removes the same way.

Its output folder comes back as a tar stream on a pipe, capped at
``Limits.output`` bytes and unpacked with tarfile's ``data`` filter (no
absolute paths, no links out, no devices): the host gives it no writable path.

Why not bubblewrap: it would be a system package every machine that runs
prgate must install, while ``unshare`` already ships with util-linux; the mount
work bwrap does is the ~100 lines of ``workers.sandbox.init``. Where the sandbox cannot
start (not Linux, no ``unshare``, user namespaces disabled, or
``PRGATE_SANDBOX=off``), ``unavailable()`` says why and callers skip the code
they would have run, saying so.
"""

from workers.sandbox.run import (
    HOME,
    SYSTEM_PATHS,
    Limits,
    Result,
    SandboxError,
    run_sandboxed,
    scratch_dir,
    unavailable,
)

__all__ = [
    "HOME",
    "SYSTEM_PATHS",
    "Limits",
    "Result",
    "SandboxError",
    "run_sandboxed",
    "scratch_dir",
    "unavailable",
]
