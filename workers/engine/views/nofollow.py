"""Reading files of a folder without ever following a symlink: every open is ``O_NOFOLLOW``
below a folder chain opened the same way (``beneath``), a FIFO or device that took a
file's place is refused, not waited on; and listing such a folder (``lstat``, the index)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from workers.engine.beneath import opener
from workers.engine.git import (
    git_records,
)
from workers.engine.views.base import (
    Entry,
    FileSkipped,
    Kind,
    check_relpath,
    human_size,
    not_regular,
)


def _lstat_all(
    root: Path,
    paths: Iterable[str],
    special: dict[str, Entry],
    limit: int,
    irregular: list[str] | None = None,
) -> list[str]:
    """The regular files and symlinks among ``paths`` (relative to ``root``), never followed.

    Symlinks and files over ``limit`` are added to ``special``. Missing paths
    (deleted in the work tree, sparse checkouts) and folders are dropped: git
    would not commit them. A FIFO, socket or device where git lists a file is
    kept (reading it says it is not a regular file) and added to ``irregular``:
    git cannot commit it, so what the change holds there is unknown, and a
    check that needs the file must say it could not judge rather than pass.
    This loop is the hot spot of listing a big work tree, hence the inlined
    mode tests.
    """
    found: list[str] = []
    keep = found.append
    rootfd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    lstat, is_reg, is_lnk = os.lstat, stat.S_ISREG, stat.S_ISLNK
    try:
        for path in paths:
            try:
                st = lstat(path, dir_fd=rootfd)
            except (FileNotFoundError, NotADirectoryError):
                continue
            mode = st.st_mode
            if is_reg(mode):
                keep(path)
                if st.st_size > limit:
                    special[path] = Entry(path, Kind.FILE, st.st_size)
            elif is_lnk(mode):
                keep(path)
                special[path] = Entry(path, Kind.SYMLINK, st.st_size)
            elif irregular is not None and not stat.S_ISDIR(mode):
                keep(path)
                irregular.append(path)
    finally:
        os.close(rootfd)
    return found


def _index(root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """Paths of ``git ls-files -z --stage`` once each, and (mode, path) of those not a file's.

    A record is ``<mode> <object id> <stage>\\t<path>`` with every field of fixed
    width, so the path starts at one offset in all of them; only records whose
    mode is not 100644/100755 or whose stage is not 0 (unmerged) are looked at.
    Each batch is cut up while git writes the next (``git_records``).
    """
    paths: list[str] = []
    odd: list[str] = []
    tab = 0
    for records in git_records(root, ["ls-files", "-z", "--stage"]):
        tab = tab or records[0].find("\t")
        paths += [r[tab + 1 :] for r in records]
        odd += [r for r in records if r[1] != "0" or r[tab - 1] != "0"]
    if any(r[tab - 1] != "0" for r in odd):
        paths = list(dict.fromkeys(paths))  # an unmerged path is listed once per stage
    return paths, [(r[:6], r[tab + 1 :]) for r in odd]


def _record_path(record: str) -> str:
    return record[record.find("\t") + 1 :]


# O_NONBLOCK: a FIFO put where a file was listed opens at once (and reads empty) instead of
# waiting for a writer that never comes; a regular file ignores it.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


_FIRST_READ = 64 * 1024  # nearly every file a check reads (package.json, configs) fits


def _read_nofollow(root: Path, path: str, limit: int, missing_ok: bool = True) -> bytes:
    """Read ``root/path`` without following a symlink anywhere on the way, at most ``limit``.

    With ``missing_ok=False`` a path that does not exist raises FileNotFoundError
    instead of FileSkipped.
    """
    check_relpath(path)
    got = _read_many_nofollow(root, [path], limit)[path]
    if isinstance(got, FileSkipped):
        if not missing_ok and isinstance(got.__cause__, FileNotFoundError | NotADirectoryError):
            raise FileNotFoundError(path)
        raise got
    return got


def _read_many_nofollow(root: Path, paths: list[str], limit: int) -> dict[str, bytes | FileSkipped]:
    """``_read_nofollow`` for many files.

    Each file is opened in one ``openat2`` call that refuses symlinks (see
    ``beneath``); where that is unavailable, each folder is opened once
    (O_NOFOLLOW), in path order, and only the descriptors of the folders on
    the current path stay open, so a deep or wide tree never runs into the
    descriptor limit. This loop is the hot spot of the jest-collision check
    (2,000 ``package.json`` in bench/jest_collision.py): three system calls a
    file, open, read and close, and nothing else that can be left out.
    """
    out: dict[str, bytes | FileSkipped] = {}
    rootfd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    chain = _FolderChain(rootfd)
    try:
        open_one = opener(rootfd, _FILE_FLAGS)
        if open_one is None:
            paths, open_one = sorted(paths), chain.open
        for path in paths:
            try:
                fd = open_one(path)
            except OSError as exc:
                out[path] = _unopened(path, exc)
                continue
            try:
                out[path] = _read_fd(fd, path, limit)
            except FileSkipped as exc:
                out[path] = exc
            finally:
                os.close(fd)
    finally:
        chain.close()
        os.close(rootfd)
    return out


def _unopened(path: str, exc: OSError) -> FileSkipped:
    """Why ``path`` could not be opened; the OSError is kept as the cause."""
    if exc.errno == errno.ELOOP:  # openat2's RESOLVE_NO_SYMLINKS, or O_NOFOLLOW on the file
        why = "a symlink; prgate never follows symlinks"
        skipped = FileSkipped(f"{path} could not be opened ({why})")
    elif exc.errno in (errno.ENOENT, errno.ENOTDIR):
        skipped = FileSkipped(f"{path} could not be opened: it does not exist")
    else:
        skipped = FileSkipped(f"{path} could not be opened: {exc.strerror}")
    skipped.__cause__ = exc
    return skipped


class _FolderChain:
    """Opens files below a folder one ``openat(O_NOFOLLOW)`` per folder on the way.

    The fallback where ``openat2`` is refused. Asked for paths in sorted
    order, it reuses the folders the last path opened and keeps open only the
    descriptors of the folders on the current path.
    """

    _DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC

    def __init__(self, rootfd: int) -> None:
        self.chain: list[tuple[str, int]] = [("", rootfd)]  # the root's descriptor is the caller's

    def open(self, path: str) -> int:
        chain = self.chain
        folder, _, name = path.rpartition("/")
        while len(chain) > 1 and not (folder + "/").startswith(chain[-1][0] + "/"):
            os.close(chain.pop()[1])
        have = chain[-1][0]
        rest = folder[len(have) :].lstrip("/") if folder != have else ""
        for part in rest.split("/") if rest else []:
            try:
                fd = os.open(part, self._DIR_FLAGS, dir_fd=chain[-1][1])
            except NotADirectoryError:  # what O_NOFOLLOW | O_DIRECTORY says of a link
                if stat.S_ISLNK(os.lstat(part, dir_fd=chain[-1][1]).st_mode):
                    raise OSError(errno.ELOOP, "a symlink", path) from None
                raise
            chain.append((f"{chain[-1][0]}/{part}".lstrip("/"), fd))
        return os.open(name, _FILE_FLAGS, dir_fd=chain[-1][1])

    def close(self) -> None:
        while len(self.chain) > 1:
            os.close(self.chain.pop()[1])


def _read_fd(fd: int, path: str, limit: int) -> bytes:
    """The contents of an open file, at most ``limit``; FileSkipped if over it or not a file.

    One ``read`` for a file under 64 KiB, without asking ``fstat`` its size
    first: a short read of a regular file is its end. Only an empty answer is
    looked at closely, since a FIFO or a device that replaced a listed file
    reads empty too (a folder fails the read itself).
    """
    first = min(limit + 1, _FIRST_READ)
    try:
        data = os.read(fd, first)
        if len(data) == first:  # a bigger file: read on, to its end or past the limit
            while len(data) <= limit:
                chunk = os.read(fd, limit + 1 - len(data))
                if not chunk:
                    break
                data += chunk
        if not data and not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileSkipped(not_regular(path))
    except OSError as exc:
        if exc.errno in (errno.EISDIR, errno.EAGAIN):
            raise FileSkipped(not_regular(path)) from None
        raise FileSkipped(f"{path} could not be read: {exc.strerror}") from None
    if len(data) > limit:
        raise FileSkipped(
            f"{path} was not read: it is over the {human_size(limit)} limit (PRGATE_MAX_FILE_BYTES)"
        )
    return data
