"""Open a file below a folder without following a symlink anywhere on the way, in one call.

Linux's ``openat2`` (5.6+) with ``RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH`` does
in the kernel what otherwise takes one ``openat(O_NOFOLLOW)`` per folder on
the path: reading the 2,000 ``package.json`` of a monorepo, that chain was
half the cost of the reads (bench/jest_collision.py). Python's ``os`` has no
``openat2``, so it is called through ``ctypes``; where the kernel, a seccomp
profile or the platform refuses it, ``opener`` returns None and the caller
walks the chain itself.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from collections.abc import Callable

# openat2's number is the same on every Linux architecture (it came after the unification)
_SYS_OPENAT2 = 437
_RESOLVE_NO_MAGICLINKS = 0x02
_RESOLVE_NO_SYMLINKS = 0x04
_RESOLVE_BENEATH = 0x08


class _OpenHow(ctypes.Structure):
    _fields_ = (
        ("flags", ctypes.c_uint64),
        ("mode", ctypes.c_uint64),
        ("resolve", ctypes.c_uint64),
    )


def _load() -> Callable[..., int] | None:
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "aarch64"):
        return None
    try:
        syscall = ctypes.CDLL(None, use_errno=True).syscall
    except (OSError, AttributeError):
        return None
    # No argtypes: every argument below is already a ctypes object of the right width, and
    # converting them per call would cost as much as the system call itself.
    syscall.restype = ctypes.c_long
    return syscall


_syscall = _load()
_NUMBER = ctypes.c_long(_SYS_OPENAT2)
_SIZE = ctypes.c_size_t(ctypes.sizeof(_OpenHow))
_RESOLVE = _RESOLVE_NO_SYMLINKS | _RESOLVE_BENEATH | _RESOLVE_NO_MAGICLINKS
_hows: dict[int, tuple[_OpenHow, object]] = {}  # flags -> (struct, pointer to it), kept alive
_works: bool | None = None  # learned on the first call


def _how(flags: int) -> object:
    """A pointer to the ``open_how`` struct for ``flags`` (the struct is kept alive here)."""
    how = _hows.get(flags)
    if how is None:
        struct = _OpenHow(flags | os.O_CLOEXEC, 0, _RESOLVE)
        how = _hows[flags] = (struct, ctypes.byref(struct))
    return how[1]


def opener(dirfd: int, flags: int) -> Callable[[str], int] | None:
    """A function opening ``path`` (relative, below ``dirfd``) never through a symlink.

    None when ``openat2`` is not available here. The returned function raises
    OSError as ``open`` would (``ELOOP`` when a symlink is on the way).
    Everything the call needs is looked up once: over 2,000 files, per-call
    lookups cost as much as the ``read`` system calls (bench/jest_collision.py).
    """
    if not available():
        return None
    syscall, number, folder, ref, size = _syscall, _NUMBER, ctypes.c_long(dirfd), _how(flags), _SIZE
    assert syscall is not None
    get_errno, strerror = ctypes.get_errno, os.strerror
    encoding, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()  # os.fsencode's

    def open_one(path: str) -> int:
        fd: int = syscall(number, folder, path.encode(encoding, errors), ref, size)
        if fd < 0:
            err = get_errno()
            raise OSError(err, strerror(err), path)
        return fd

    return open_one


def available() -> bool:
    """Whether ``openat2`` works here, probed once: an old kernel (ENOSYS), a seccomp filter
    that does not know it (EPERM, ENOSYS) or another refusal means the callers' fallback."""
    global _works
    if _works is None:
        _works = False
        if _syscall is not None:
            flags = os.O_RDONLY | os.O_DIRECTORY
            fd = os.open("/", flags)
            try:
                got = _syscall(_NUMBER, ctypes.c_long(fd), b".", _how(flags), _SIZE)
                if got >= 0:
                    os.close(got)
                    _works = True
            finally:
                os.close(fd)
    return _works
