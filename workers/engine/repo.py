"""Repository views: list the files a check may look at and read them safely.

Three views share one interface:

* ``GitWorktreeView`` — a git work tree: the files git would commit (tracked
  plus untracked-not-ignored), as they are on disk.
* ``GitCommitView`` — the tree of one commit, read from the object store.
* ``DirectoryView`` — a plain folder (no git): every file below it but ``.git``.

Every view never follows a symlink (a symlink is listed as a symlink and never
read), reads at most ``max_bytes`` of a file (larger files are reported back as
skipped, never silently), and hands out bytes: callers decide how to decode.

Content search (``grep``) prefilters with fixed strings. In git views it is
delegated to ``git grep`` (C, multi-threaded, reads packed objects directly):
a pure-Python read of every file is several times slower on a 50k-file tree,
and precise matching still happens in Python on the few lines that hit.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from workers.engine.git import (
    RepoError,
    finish_git,
    run_git,
    split_z,
    start_git,
    toplevel,
)

BINARY_SNIFF = 8000  # bytes git looks at to decide "binary"; we use the same


def max_bytes_from_env() -> int:
    from bot.settings import SettingsError, setting

    try:
        return int(setting("max_file_bytes"))
    except SettingsError as exc:
        raise RepoError(str(exc)) from None


class Kind(StrEnum):
    FILE = "file"
    SYMLINK = "symlink"
    SUBMODULE = "submodule"


class Entry(NamedTuple):
    """One listed path. A NamedTuple: a 50k-file listing builds 50k of these."""

    path: str  # repo-relative POSIX
    kind: Kind
    size: int | None = None


@dataclass(frozen=True, slots=True)
class GrepHit:
    path: str
    line: int  # 1-based
    text: str  # the whole line, decoded as UTF-8 with replacement


class FileSkipped(Exception):
    """A file was not read; ``str(exc)`` says why (too large, a symlink, binary)."""


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_SNIFF]


def check_relpath(path: str) -> str:
    """Refuse paths that could leave the repository before touching the disk."""
    p = PurePosixPath(path)
    if not path or p.is_absolute() or ".." in p.parts or "\\" in path or "\0" in path:
        raise FileSkipped(f"{path!r} is not a path inside the repository")
    return path


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


class RepoView(ABC):
    """Read-only view of a repository's files."""

    def __init__(self, root: Path, max_bytes: int | None = None) -> None:
        self.root = root.resolve()
        self.max_bytes = max_bytes if max_bytes is not None else max_bytes_from_env()

    @property
    @abstractmethod
    def description(self) -> str:
        """How the view is described to a user (``work tree of /x``, ``commit abc123``)."""

    @abstractmethod
    def _list(self) -> dict[str, Entry]:
        """Every listed path, by path."""

    @abstractmethod
    def _read_unchecked(self, entry: Entry) -> bytes:
        """Read a FILE entry already known to be within the size limit."""

    @cached_property
    def _entries(self) -> dict[str, Entry]:
        return self._list()

    def entries(self) -> list[Entry]:
        return list(self._entries.values())

    def entry(self, path: str) -> Entry | None:
        return self._entries.get(path)

    def _readable(self, path: str) -> Entry:
        """The entry of a file ``read`` may read; FileSkipped says why not."""
        check_relpath(path)
        entry = self._entries.get(path)
        if entry is None:
            raise FileSkipped(f"{path} is not part of {self.description}")
        if entry.kind is Kind.SYMLINK:
            raise FileSkipped(f"{path} is a symlink; prgate never follows symlinks")
        if entry.kind is not Kind.FILE:
            raise FileSkipped(f"{path} is a {entry.kind.value}")
        if entry.size is not None and entry.size > self.max_bytes:
            raise FileSkipped(self.oversize_reason(entry))
        return entry

    def read(self, path: str) -> bytes:
        """The file's bytes; raises FileSkipped for symlinks, missing or oversize files."""
        return self._read_unchecked(self._readable(path))

    def read_many(self, paths: Iterable[str]) -> dict[str, bytes | FileSkipped]:
        """Read several files under the rules of ``read``; a file that is skipped maps to why.

        Views override ``_read_many_unchecked`` to batch the work (one directory
        descriptor per folder, one pipelined ``cat-file`` exchange).
        """
        out: dict[str, bytes | FileSkipped] = {}
        ready: list[Entry] = []
        for path in paths:
            try:
                ready.append(self._readable(path))
            except FileSkipped as exc:
                out[path] = exc
        out.update(self._read_many_unchecked(ready))
        return out

    def _read_many_unchecked(self, entries: list[Entry]) -> dict[str, bytes | FileSkipped]:
        out: dict[str, bytes | FileSkipped] = {}
        for entry in entries:
            try:
                out[entry.path] = self._read_unchecked(entry)
            except FileSkipped as exc:
                out[entry.path] = exc
        return out

    def is_tracked(self, path: str) -> bool:
        """Whether git tracks ``path`` (views outside a work tree track everything they list)."""
        return path in self._entries

    def read_one(self, path: str) -> str | None:
        """Text of one known path (the config file) without listing the whole view; None if absent.

        Listing a big tree is the slow part of a run, and the checks start their
        content search before it: reading the config must not list first.
        """
        try:
            data = self._read_direct(check_relpath(path))
        except FileNotFoundError:
            return None
        if is_binary(data):
            raise FileSkipped(f"{path} is a binary file")
        return data.decode("utf-8-sig", "replace")

    def _read_direct(self, path: str) -> bytes:
        if self.entry(path) is None:
            raise FileNotFoundError(path)
        return self.read(path)

    def read_text(self, path: str) -> str:
        """Text of a file: UTF-8 (BOM stripped), undecodable bytes replaced; binary refused."""
        data = self.read(path)
        if is_binary(data):
            raise FileSkipped(f"{path} is a binary file")
        return data.decode("utf-8-sig", "replace")

    def oversize_reason(self, entry: Entry) -> str:
        assert entry.size is not None
        return (
            f"{entry.path} was not read: {human_size(entry.size)} is over the "
            f"{human_size(self.max_bytes)} limit (PRGATE_MAX_FILE_BYTES)"
        )

    def oversized(self) -> list[Entry]:
        return list(self._oversized)

    @cached_property
    def _oversized(self) -> list[Entry]:
        limit = self.max_bytes
        return [e for e in self._entries.values() if e.size is not None and e.size > limit]

    def grep(self, needles: Sequence[str]) -> list[GrepHit]:
        """Lines containing any of ``needles`` in every text file within the size limit.

        Binary files and oversize files are not searched (see ``oversized``).
        """
        return self.start_grep(needles)()

    def start_grep(self, needles: Sequence[str]) -> Callable[[], list[GrepHit]]:
        """Start a ``grep``; call the result to wait for its hits (git views run it alongside)."""
        return lambda: self._python_grep(needles, self._entries.values())

    def _python_grep(self, needles: Sequence[str], entries: Iterable[Entry]) -> list[GrepHit]:
        encoded = [n.encode() for n in needles]
        hits: list[GrepHit] = []
        for entry in entries:
            if entry.kind is not Kind.FILE or (entry.size or 0) > self.max_bytes:
                continue
            try:
                data = self._read_unchecked(entry)
            except FileSkipped:
                continue
            if is_binary(data) or not any(n in data for n in encoded):
                continue
            for number, line in enumerate(data.split(b"\n"), start=1):
                if any(n in line for n in encoded):
                    hits.append(GrepHit(entry.path, number, line.decode("utf-8", "replace")))
        return hits

    def changed_since(self, base: str) -> set[str]:
        """Paths that differ from ``base`` (three-dot: from the merge base)."""
        raise RepoError(f"--base needs a git repository; {self.description} is not one")


def _parse_grep(out: bytes, prefix: str = "") -> list[GrepHit]:
    hits = []
    for record in out.split(b"\n"):
        if not record:
            continue
        path_b, _, rest = record.partition(b"\0")
        number_b, _, text_b = rest.partition(b"\0")
        path = os.fsdecode(path_b)
        if prefix and path.startswith(prefix):
            path = path[len(prefix) :]
        hits.append(GrepHit(path, int(number_b), text_b.decode("utf-8", "replace")))
    return hits


def _grep_args(needles: Sequence[str]) -> list[str]:
    args = ["grep", "-z", "-n", "-I", "-F", "--no-color"]
    for needle in needles:
        args += ["-e", needle]
    return args


def _pathspec(excluded: Iterable[Entry]) -> list[str]:
    return ["--", ".", *(f":(exclude,literal){e.path}" for e in excluded)]


class GitWorktreeView(RepoView):
    """What git would commit in a work tree: tracked plus untracked-not-ignored files."""

    @property
    def description(self) -> str:
        return f"the work tree at {self.root}"

    def _list(self) -> dict[str, Entry]:
        tracked = start_git(self.root, ["ls-files", "-z", "--stage"])
        untracked = start_git(self.root, ["ls-files", "-z", "--others", "--exclude-standard"])
        tracked_out = finish_git(tracked, "ls-files")
        untracked_out = finish_git(untracked, "ls-files --others")
        found: dict[str, Entry] = {}
        self._untracked: set[str] = set()
        tracked_paths = []
        for record in tracked_out.decode("utf-8", "surrogateescape").split("\0"):
            meta, _, path = record.partition("\t")
            if meta.startswith("160000"):
                found[path] = Entry(path, Kind.SUBMODULE)
            elif path:
                tracked_paths.append(path)  # unmerged paths repeat once per stage: dict dedupes
        untracked_paths = []
        for path in split_z(untracked_out):
            if path.endswith("/"):  # a nested repository git does not descend into
                found[path[:-1]] = Entry(path[:-1], Kind.SUBMODULE)
            else:
                untracked_paths.append(path)
        found.update(_lstat_all(self.root, tracked_paths))
        new = _lstat_all(self.root, untracked_paths)
        found.update(new)
        self._untracked = set(new)
        return found

    def _read_unchecked(self, entry: Entry) -> bytes:
        return _read_nofollow(self.root, entry.path, self.max_bytes)

    def _read_direct(self, path: str) -> bytes:
        return _read_nofollow(self.root, path, self.max_bytes, missing_ok=False)

    def _read_many_unchecked(self, entries: list[Entry]) -> dict[str, bytes | FileSkipped]:
        return _read_many_nofollow(self.root, [e.path for e in entries], self.max_bytes)

    def is_tracked(self, path: str) -> bool:
        return path in self._entries and path not in self._untracked

    def start_grep(self, needles: Sequence[str]) -> Callable[[], list[GrepHit]]:
        # git greps the tracked files (C, threads) while Python lists and lstats; untracked
        # files (usually few) are read here, bounded. git reads whole files, so when the
        # listing shows a tracked file over the limit, that grep is stopped and rerun
        # without it: big files cost a serial run, never unbounded memory.
        proc = start_git(self.root, [*_grep_args(needles), *_pathspec(())])

        def result() -> list[GrepHit]:
            entries = self._entries
            too_big = [e for e in self.oversized() if e.path not in self._untracked]
            if too_big:
                proc.kill()
                proc.communicate()
                out = run_git(
                    self.root, [*_grep_args(needles), *_pathspec(too_big)], ok_codes=(0, 1)
                )
            else:
                out = finish_git(proc, "grep", ok_codes=(0, 1))
            hits = []
            for hit in _parse_grep(out):
                entry = entries.get(hit.path)
                if entry is not None and entry.kind is Kind.FILE:  # not a link that replaced a file
                    hits.append(hit)
            untracked = (entries[p] for p in sorted(self._untracked) if p in entries)
            return hits + self._python_grep(needles, untracked)

        return result

    def changed_since(self, base: str) -> set[str]:
        start = _merge_base(self.root, base, "HEAD")
        out = run_git(
            self.root, ["diff", "--name-only", "--relative", "-z", "--no-renames", start, "--", "."]
        )
        changed = set(split_z(out))
        untracked = run_git(self.root, ["ls-files", "-z", "--others", "--exclude-standard"])
        changed.update(split_z(untracked))
        return changed


class GitCommitView(RepoView):
    """The tree of one commit, read from the object store (no checkout needed)."""

    def __init__(self, root: Path, rev: str, max_bytes: int | None = None) -> None:
        super().__init__(root, max_bytes)
        out = run_git(self.root, ["rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}"])
        self.rev = out.decode().strip()
        self._blobs: dict[str, str] = {}
        self._reader: subprocess.Popen[bytes] | None = None

    def close(self) -> None:
        if self._reader is not None:
            self._reader.kill()
            self._reader.communicate()
            self._reader = None

    def __del__(self) -> None:
        self.close()

    @property
    def description(self) -> str:
        return f"commit {self.rev[:12]}"

    def _list(self) -> dict[str, Entry]:
        out = run_git(self.root, ["ls-tree", "-r", "-z", "-l", "--full-tree", self.rev])
        entries = []
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, path_b = record.partition(b"\t")
            mode, _type, sha, size = meta.split()
            path = os.fsdecode(path_b)
            self._blobs[path] = sha.decode()
            if mode == b"160000":
                entries.append(Entry(path, Kind.SUBMODULE))
            elif mode == b"120000":
                entries.append(Entry(path, Kind.SYMLINK, int(size)))
            else:
                entries.append(Entry(path, Kind.FILE, int(size)))
        return {e.path: e for e in entries}

    def _read_unchecked(self, entry: Entry) -> bytes:
        # One long-lived `git cat-file --batch` serves every read of this view by blob id.
        if self._reader is None:
            self._reader = start_git(self.root, ["cat-file", "--batch"], stdin=True)
        assert self._reader.stdin is not None and self._reader.stdout is not None
        self._reader.stdin.write(self._blobs[entry.path].encode() + b"\n")
        self._reader.stdin.flush()
        header = self._reader.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise FileSkipped(f"{entry.path} could not be read from {self.description}")
        data = self._reader.stdout.read(int(header[2]))
        self._reader.stdout.read(1)  # the newline after the contents
        return data

    def _read_many_unchecked(self, entries: list[Entry]) -> dict[str, bytes | FileSkipped]:
        # One pipelined exchange: a thread writes every blob id while this one reads the
        # answers (writing all first could fill the output pipe and deadlock).
        if not entries:
            return {}
        proc = start_git(self.root, ["cat-file", "--batch"], stdin=True)
        assert proc.stdin is not None and proc.stdout is not None
        stdin, stdout = proc.stdin, proc.stdout

        def feed() -> None:
            try:
                stdin.write(b"".join(self._blobs[e.path].encode() + b"\n" for e in entries))
            finally:
                stdin.close()

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        out: dict[str, bytes | FileSkipped] = {}
        try:
            for entry in entries:
                header = stdout.readline().split()
                if len(header) != 3 or header[1] != b"blob":
                    out[entry.path] = FileSkipped(
                        f"{entry.path} could not be read from {self.description}"
                    )
                    continue
                out[entry.path] = stdout.read(int(header[2]))
                stdout.read(1)
        finally:
            writer.join()
            proc.stdout.close()
            proc.wait()
        return out

    def start_grep(self, needles: Sequence[str]) -> Callable[[], list[GrepHit]]:
        # sizes come with the listing (ls-tree -l), so oversize blobs are excluded up front
        args = [*_grep_args(needles), self.rev, *_pathspec(self.oversized())]
        proc = start_git(self.root, args)
        return lambda: _parse_grep(finish_git(proc, "grep", ok_codes=(0, 1)), f"{self.rev}:")

    def changed_since(self, base: str) -> set[str]:
        start = _merge_base(self.root, base, self.rev)
        out = run_git(self.root, ["diff", "--name-only", "-z", "--no-renames", start, self.rev])
        return set(split_z(out))


class DirectoryView(RepoView):
    """A plain folder: every file below it, ``.git`` folders excluded, symlinks not followed."""

    @property
    def description(self) -> str:
        return f"the folder {self.root}"

    def _list(self) -> dict[str, Entry]:
        entries: list[Entry] = []
        stack = [("", str(self.root))]
        while stack:
            rel, absolute = stack.pop()
            with os.scandir(absolute) as it:
                for d in it:
                    path = f"{rel}{d.name}"
                    if d.is_symlink():
                        entries.append(
                            Entry(path, Kind.SYMLINK, d.stat(follow_symlinks=False).st_size)
                        )
                    elif d.is_dir(follow_symlinks=False):
                        if d.name != ".git":
                            stack.append((f"{path}/", d.path))
                    elif d.is_file(follow_symlinks=False):
                        entries.append(
                            Entry(path, Kind.FILE, d.stat(follow_symlinks=False).st_size)
                        )
        return {e.path: e for e in entries}

    def _read_unchecked(self, entry: Entry) -> bytes:
        return _read_nofollow(self.root, entry.path, self.max_bytes)

    def _read_many_unchecked(self, entries: list[Entry]) -> dict[str, bytes | FileSkipped]:
        return _read_many_nofollow(self.root, [e.path for e in entries], self.max_bytes)


def _lstat_all(root: Path, paths: list[str]) -> dict[str, Entry]:
    """Regular files and symlinks among ``paths`` (relative to ``root``), never followed.

    Missing paths (deleted in the work tree, sparse checkouts) are dropped: git
    would not commit them. This loop is the hot spot of listing a big work
    tree, hence the inlined mode tests.
    """
    found: dict[str, Entry] = {}
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
                found[path] = Entry(path, Kind.FILE, st.st_size)
            elif is_lnk(mode):
                found[path] = Entry(path, Kind.SYMLINK, st.st_size)
    finally:
        os.close(rootfd)
    return found


def _read_nofollow(root: Path, path: str, limit: int, missing_ok: bool = True) -> bytes:
    """Read ``root/path`` without following a symlink anywhere on the way, at most ``limit``.

    With ``missing_ok=False`` a path that does not exist raises FileNotFoundError
    instead of FileSkipped.
    """
    parts = check_relpath(path).split("/")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    dirfd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts[:-1]:
            try:
                nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dirfd)
            except FileNotFoundError:
                if not missing_ok:
                    raise
                raise FileSkipped(f"{path}: a folder on the way is missing") from None
            except OSError as exc:
                raise FileSkipped(f"{path}: a folder on the way is a symlink or missing") from exc
            os.close(dirfd)
            dirfd = nxt
        try:
            fd = os.open(parts[-1], flags, dir_fd=dirfd)
        except FileNotFoundError:
            if not missing_ok:
                raise
            raise FileSkipped(f"{path} could not be opened: it does not exist") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise FileSkipped(f"{path} is a symlink; prgate never follows symlinks") from None
            raise FileSkipped(f"{path} could not be opened: {exc.strerror}") from exc
    finally:
        os.close(dirfd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileSkipped(f"{path} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise FileSkipped(
            f"{path} was not read: it is over the {human_size(limit)} limit (PRGATE_MAX_FILE_BYTES)"
        )
    return data


def _read_many_nofollow(root: Path, paths: list[str], limit: int) -> dict[str, bytes | FileSkipped]:
    """``_read_nofollow`` for many files: each folder is opened once (O_NOFOLLOW), in path order.

    Only the descriptors of the folders on the current path stay open, so a
    deep or wide tree never runs into the descriptor limit.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    dir_flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    out: dict[str, bytes | FileSkipped] = {}
    chain: list[tuple[str, int]] = [("", os.open(root, os.O_RDONLY | os.O_DIRECTORY))]
    try:
        for path in sorted(paths):
            folder, _, name = path.rpartition("/")
            while len(chain) > 1 and not (folder + "/").startswith(chain[-1][0] + "/"):
                os.close(chain.pop()[1])
            try:
                have = chain[-1][0]
                rest = folder[len(have) :].lstrip("/") if folder != have else ""
                for part in rest.split("/") if rest else []:
                    fd = os.open(part, dir_flags, dir_fd=chain[-1][1])
                    chain.append((f"{chain[-1][0]}/{part}".lstrip("/"), fd))
                fd = os.open(name, flags, dir_fd=chain[-1][1])
            except OSError as exc:
                why = "a symlink" if exc.errno == errno.ELOOP else (exc.strerror or "unreadable")
                out[path] = FileSkipped(
                    f"{path} could not be opened ({why}; prgate never follows symlinks)"
                )
                continue
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    out[path] = FileSkipped(f"{path} is not a regular file")
                    continue
                data = b""
                while len(data) <= limit:
                    chunk = os.read(fd, limit + 1 - len(data))
                    if not chunk:
                        break
                    data += chunk
            finally:
                os.close(fd)
            if len(data) > limit:
                out[path] = FileSkipped(
                    f"{path} was not read: it is over the {human_size(limit)} limit "
                    "(PRGATE_MAX_FILE_BYTES)"
                )
            else:
                out[path] = data
    finally:
        for _, fd in chain:
            os.close(fd)
    return out


def _merge_base(root: Path, base: str, head: str) -> str:
    try:
        run_git(root, ["rev-parse", "--verify", "--end-of-options", f"{base}^{{commit}}"])
    except RepoError as exc:
        raise RepoError(f"--base {base}: no such commit or branch ({exc})") from exc
    try:
        return run_git(root, ["merge-base", base, head]).decode().strip()
    except RepoError:
        return base  # unrelated histories: compare with the base itself


def open_view(path: Path, rev: str | None = None, max_bytes: int | None = None) -> RepoView:
    """The right view for ``path``: its git work tree (or ``rev``'s tree), else the plain folder."""
    if not path.exists():
        raise RepoError(f"{path} does not exist")
    if not path.is_dir():
        raise RepoError(f"{path} is not a directory")
    top = toplevel(path)
    if rev is not None:
        if top is None:
            raise RepoError(f"{path} is not in a git repository, so it has no revision {rev}")
        return GitCommitView(top, rev, max_bytes)
    if top is not None:
        return GitWorktreeView(path, max_bytes)
    return DirectoryView(path, max_bytes)
