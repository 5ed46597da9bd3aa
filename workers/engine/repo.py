"""Repository views: list the files a check may look at and read them safely.

Four views share one interface:

* ``GitWorktreeView`` — a git work tree: the files git would commit (tracked
  plus untracked-not-ignored), as they are on disk (``prgate check``).
* ``CheckoutView`` — a worktree prgate has just checked out (a worker's job):
  the same files, listed from the index alone.
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

import bisect
import errno
import hashlib
import os
import shutil
import stat
import subprocess
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import IO, NamedTuple

from workers.engine.beneath import opener
from workers.engine.git import (
    RepoError,
    finish_git,
    git_records,
    run_git,
    split_z,
    start_git,
    toplevel,
)

BINARY_SNIFF = 8000  # bytes git looks at to decide "binary"; we use the same


def max_bytes_from_env() -> int:
    from workers.shared.engine_env import SettingsError, setting

    try:
        return int(setting("max_file_bytes"))
    except SettingsError as exc:
        raise RepoError(str(exc)) from None


class Kind(StrEnum):
    FILE = "file"
    SYMLINK = "symlink"
    SUBMODULE = "submodule"


class Entry(NamedTuple):
    """One listed path; ``size`` is set for symlinks and oversize files (None: in the limit)."""

    path: str  # repo-relative POSIX
    kind: Kind
    size: int | None = None


class Listing:
    """Every path a view lists, held compactly.

    Ordinary files (regular files within the size limit, nearly all of a tree)
    are held as their path only; ``special`` has an Entry for the rest:
    symlinks, submodules and files over the limit. A 20k-file tree is listed
    on every run, and one object per path was the largest cost of listing it
    after git itself (bench/jest_collision.py).
    """

    __slots__ = ("irregular", "members", "paths", "special")

    def __init__(
        self, paths: list[str], special: dict[str, Entry], irregular: Iterable[str] = ()
    ) -> None:
        paths.sort()  # git lists in byte order; code point order is what bisect needs
        self.paths = paths
        self.members = set(paths)
        self.special = special
        # listed paths that are a FIFO, socket or device on disk (reading them fails)
        self.irregular = tuple(irregular)

    def entry(self, path: str) -> Entry | None:
        found = self.special.get(path)
        if found is None and path in self.members:
            return Entry(path, Kind.FILE)
        return found

    def has_folder(self, folder: str) -> bool:
        """Whether some listed path lies below ``folder`` (repo-relative, no trailing slash)."""
        prefix = folder + "/"
        i = bisect.bisect_left(self.paths, prefix)
        return i < len(self.paths) and self.paths[i].startswith(prefix)

    def below(self, folder: str) -> list[str]:
        """The listed paths below ``folder`` ("" is the whole tree), in order."""
        if not folder:
            return self.paths
        prefix = folder + "/"
        start = bisect.bisect_left(self.paths, prefix)
        end = bisect.bisect_left(self.paths, folder + "0")  # "0" follows "/"
        return self.paths[start:end]


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
    if not path or path[0] == "/" or "\\" in path or "\0" in path or ".." in path.split("/"):
        raise FileSkipped(f"{path!r} is not a path inside the repository")
    return path


def not_regular(path: str) -> str:
    return f"{path} is not a regular file (a FIFO, socket, device or folder where a file is listed)"


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
        # where a tool run on a checkout would see the repository (Jest's rootDir, which its
        # path patterns are matched against): the folder itself, unless the view says
        self.seen_at = self.root

    @property
    @abstractmethod
    def description(self) -> str:
        """How the view is described to a user (``work tree of /x``, ``commit abc123``)."""

    @abstractmethod
    def _list(self) -> Listing:
        """Every listed path."""

    @abstractmethod
    def _read_unchecked(self, entry: Entry) -> bytes:
        """Read a FILE entry already known to be within the size limit."""

    @cached_property
    def _listing(self) -> Listing:
        return self._list()

    def entries(self) -> list[Entry]:
        """Every listed path as an Entry (one object per path: prefer ``paths`` in hot loops)."""
        listing = self._listing
        return [listing.entry(p) or Entry(p, Kind.FILE) for p in listing.paths]

    def symlinks(self) -> list[Entry]:
        """The listed symlinks, in path order (without building an Entry for every path)."""
        special = self._listing.special
        return sorted((e for e in special.values() if e.kind is Kind.SYMLINK), key=lambda e: e.path)

    def paths(self, *, symlinks: bool = True) -> list[str]:
        """Listed files in path order: regular files and, unless ``symlinks=False``, symlinks.

        Submodules are never included.
        """
        listing = self._listing
        special = listing.special
        if not special:
            return list(listing.paths)
        return [
            p
            for p in listing.paths
            if p not in special
            or special[p].kind is Kind.FILE
            or (symlinks and special[p].kind is Kind.SYMLINK)
        ]

    def count(self) -> int:
        """How many paths the view lists."""
        return len(self._listing.paths)

    def entry(self, path: str) -> Entry | None:
        return self._listing.entry(path)

    def has_folder(self, folder: str) -> bool:
        """Whether ``folder`` (repo-relative; "" or "." is the top) holds a listed path."""
        if folder in ("", "."):
            return bool(self._listing.paths)
        return self._listing.has_folder(folder)

    def folder_exists(self, folder: str) -> bool:
        """Whether ``folder`` exists where the view's files are: one holding a listed path
        (git stores no empty folder, so a fresh checkout has no other)."""
        return self.has_folder(folder)

    def below(self, folder: str) -> list[str]:
        """Every listed path below ``folder`` (repo-relative; "" is the top), in path order."""
        return self._listing.below("" if folder == "." else folder)

    def _readable(self, path: str) -> Entry:
        """The entry of a file ``read`` may read; FileSkipped says why not."""
        check_relpath(path)
        entry = self._listing.entry(path)
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

        Views override ``_read_many_unchecked`` to batch the work (one ``openat2``
        a file, one pipelined ``cat-file`` exchange).
        """
        listing = self._listing
        members, special = listing.members, listing.special
        out: dict[str, bytes | FileSkipped] = {}
        ready: list[str] = []
        for path in paths:
            if path in members and path not in special:  # a listed file within the limit
                ready.append(path)
                continue
            try:
                ready.append(self._readable(path).path)
            except FileSkipped as exc:
                out[path] = exc
        out.update(self._read_many_unchecked(ready))
        return out

    def _read_many_unchecked(self, paths: list[str]) -> dict[str, bytes | FileSkipped]:
        """Read listed files already known to be within the size limit."""
        out: dict[str, bytes | FileSkipped] = {}
        for path in paths:
            try:
                out[path] = self._read_unchecked(Entry(path, Kind.FILE))
            except FileSkipped as exc:
                out[path] = exc
        return out

    def is_tracked(self, path: str) -> bool:
        """Whether git tracks ``path`` (views outside a work tree track everything they list)."""
        return path in self._listing.members

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

    def link_target(self, path: str) -> str:
        """What a listed symlink points to, as written in it (never followed)."""
        entry = self._listing.entry(check_relpath(path))
        if entry is None or entry.kind is not Kind.SYMLINK:
            raise FileSkipped(f"{path} is not a symlink in {self.description}")
        return self._link_target(path)

    def _link_target(self, path: str) -> str:
        try:
            return os.readlink(self.root / path)  # reads the link itself, not its target
        except OSError as exc:
            raise FileSkipped(f"{path} could not be read as a link: {exc.strerror}") from None

    def copy_out(self, path: str, target: Path) -> bool:
        """Write the listed regular file ``path`` to ``target`` whole (no size limit: a
        render needs every byte), 0755 if it is executable, else 0644; False when it is
        gone or no longer a regular file. For ``workers.engine.export``."""
        try:
            fd = os.open(
                self.root / path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            )
        except OSError:
            return False  # gone or replaced by a link since it was listed
        with os.fdopen(fd, "rb") as source:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                return False
            with open(target, "wb") as out:
                shutil.copyfileobj(source, out)
        os.chmod(target, 0o755 if mode & 0o111 else 0o644)
        return True

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

    def unscanned(self) -> list[tuple[str, str]]:
        """(path, why) of every listed file a content search skips: oversize or not a file.

        Symlinks are not in it (they are never read, by design, and judged by name).
        """
        out = [(e.path, self.oversize_reason(e)) for e in self._oversized]
        out += [(p, not_regular(p)) for p in self._listing.irregular]
        return sorted(out)

    @cached_property
    def _oversized(self) -> list[Entry]:
        limit = self.max_bytes
        special = self._listing.special.values()
        return [e for e in special if e.kind is Kind.FILE and (e.size or 0) > limit]

    def grep(self, needles: Sequence[str]) -> list[GrepHit]:
        """Lines containing any of ``needles`` in every text file within the size limit.

        Binary files and oversize files are not searched (see ``oversized``).
        """
        return self.start_grep(needles)()

    def start_grep(self, needles: Sequence[str]) -> Callable[[], list[GrepHit]]:
        """Start a ``grep``; call the result to wait for its hits (git views run it alongside)."""
        return lambda: self._python_grep(needles, self.entries())

    def _python_grep(self, needles: Sequence[str], entries: Iterable[Entry]) -> list[GrepHit]:
        encoded = [n.encode() for n in needles]
        hits: list[GrepHit] = []
        for entry in entries:
            if entry.kind is not Kind.FILE or (entry.size or 0) > self.max_bytes:
                continue
            try:
                data = self._read_unchecked(entry)
            except FileSkipped as exc:
                if isinstance(exc.__cause__, PermissionError):  # it may hold what is sought:
                    raise exc.__cause__ from None  # no verdict on it, never a silent pass
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

    def _list(self) -> Listing:
        # git walks the folders for untracked files (the slow part of listing a big tree:
        # one readdir per folder) while Python lstats the tracked paths on the other core.
        untracked = start_git(self.root, ["ls-files", "-z", "--others", "--exclude-standard"])
        try:
            tracked, odd = _index(self.root)
        except RepoError:
            untracked.kill()
            untracked.communicate()
            raise
        special = {p: Entry(p, Kind.SUBMODULE) for mode, p in odd if mode == "160000"}
        if special:
            tracked = [p for p in tracked if p not in special]
        irregular: list[str] = []
        paths = [*special, *_lstat_all(self.root, tracked, special, self.max_bytes, irregular)]
        self._untracked: set[str] = set()
        untracked_paths = []
        for path in split_z(finish_git(untracked, "ls-files --others")):
            if path.endswith("/"):  # a nested repository git does not descend into
                special[path[:-1]] = Entry(path[:-1], Kind.SUBMODULE)
                paths.append(path[:-1])
            else:
                untracked_paths.append(path)
        new = _lstat_all(self.root, untracked_paths, special, self.max_bytes)
        self._untracked = set(new)
        return Listing(paths + new, special, irregular)

    def _read_unchecked(self, entry: Entry) -> bytes:
        return _read_nofollow(self.root, entry.path, self.max_bytes)

    def _read_direct(self, path: str) -> bytes:
        return _read_nofollow(self.root, path, self.max_bytes, missing_ok=False)

    def _read_many_unchecked(self, paths: list[str]) -> dict[str, bytes | FileSkipped]:
        return _read_many_nofollow(self.root, paths, self.max_bytes)

    def is_tracked(self, path: str) -> bool:
        return path in self._listing.members and path not in self._untracked

    def start_grep(self, needles: Sequence[str]) -> Callable[[], list[GrepHit]]:
        # git greps the tracked files (C, threads) while Python lists and lstats; untracked
        # files (usually few) are read here, bounded. git reads whole files, so when the
        # listing shows a tracked file over the limit, that grep is stopped and rerun
        # without it: big files cost a serial run, never unbounded memory.
        proc = start_git(self.root, [*_grep_args(needles), *_pathspec(())])

        def result() -> list[GrepHit]:
            listing = self._listing
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
                entry = listing.entry(hit.path)
                if entry is not None and entry.kind is Kind.FILE:  # not a link that replaced a file
                    hits.append(hit)
            untracked = (e for p in sorted(self._untracked) if (e := listing.entry(p)) is not None)
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


class CheckoutView(GitWorktreeView):
    """A checkout prgate has just made itself (a worker's job worktree): its index is its listing.

    Nothing is untracked and nothing changed since ``git worktree add``, so
    the files git would commit are the index's entries, kinds from their
    modes: no walk of the folders for untracked files and no lstat of every
    path, which is most of what listing a big work tree costs. Reads are
    the work tree's (no symlink followed, the size limit applied on read);
    sizes are looked up only when ``oversized`` is asked for.
    """

    def _list(self) -> Listing:
        paths, odd = _index(self.root)
        special: dict[str, Entry] = {}
        for mode, path in odd:
            if mode == "160000":
                special[path] = Entry(path, Kind.SUBMODULE)
            elif mode == "120000":
                special[path] = Entry(path, Kind.SYMLINK)
        self._untracked = set()
        return Listing(paths, special)

    def changed_since(self, base: str) -> set[str]:
        start = _merge_base(self.root, base, "HEAD")
        out = run_git(self.root, ["diff", "--name-only", "-z", "--no-renames", start, "HEAD"])
        return set(split_z(out))  # nothing is untracked: no walk of the folders

    @cached_property
    def _oversized(self) -> list[Entry]:
        limit = self.max_bytes
        sizes: dict[str, Entry] = {}
        _lstat_all(self.root, self.paths(symlinks=False), sizes, limit)
        return [e for e in sizes.values() if e.kind is Kind.FILE]


class GitCommitView(RepoView):
    """The tree of one commit, read from the object store (no checkout needed); with
    ``tree=True`` ``rev`` may name a bare tree (``git write-tree``: what is staged)."""

    def __init__(
        self,
        root: Path,
        rev: str,
        max_bytes: int | None = None,
        *,
        tree: bool = False,
        seen_at: Path | None = None,
    ) -> None:
        super().__init__(root, max_bytes)
        if seen_at is not None:  # a bare repository: where a checkout of it would be
            self.seen_at = seen_at
        kind = "tree" if tree else "commit"
        out = run_git(self.root, ["rev-parse", "--verify", "--end-of-options", f"{rev}^{{{kind}}}"])
        self.rev = out.decode().strip()
        self.kind = kind
        self._records: list[str] = []  # ls-tree records, in the order of the listing's paths
        self._reader: subprocess.Popen[bytes] | None = None
        # blobs git could not give, or gave with contents that do not hash to their id: a
        # corrupt object store (a worker's cache can be repaired: ``RepoCache.drop_objects``)
        self.unreadable: set[str] = set()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.kill()
            self._reader.communicate()
            self._reader = None

    def __del__(self) -> None:
        self.close()

    @property
    def description(self) -> str:
        return f"{'staged tree' if self.kind == 'tree' else 'commit'} {self.rev[:12]}"

    def _list(self) -> Listing:
        args = ["ls-tree", "-r", "-z", "-l", "--full-tree", self.rev]
        records = [r for batch in git_records(self.root, args) for r in batch]
        paths = [_record_path(r) for r in records]
        if paths != sorted(paths):  # git sorts bytes; a name that is not UTF-8 can differ
            records.sort(key=_record_path)
            paths.sort()
        self._records = records
        # "<mode> blob <object id> <size, right-aligned in 7>\t<path>": the tab of a blob whose
        # size fits the 7 columns is at one offset, so a record is looked at closely only if
        # its mode is not a file's (100644, 100755), its size is wider, or as wide as the limit.
        tab = len("100644 blob ") + len(self.rev) + len(" ") + 7
        digits = len(str(self.max_bytes))
        special: dict[str, Entry] = {}
        for record in records:
            if record[1] == "0" and record[tab] == "\t" and record[tab - digits] == " ":
                continue  # the fast test, true for nearly every record
            meta, _, path = record.partition("\t")
            mode, _type, _sha, size = meta.split()
            if mode == "160000":
                special[path] = Entry(path, Kind.SUBMODULE)
            elif mode == "120000":
                special[path] = Entry(path, Kind.SYMLINK, int(size))
            elif int(size) > self.max_bytes:
                special[path] = Entry(path, Kind.FILE, int(size))
        return Listing(paths, special)

    def _record(self, path: str) -> str:
        """The ls-tree record of ``path`` (the listing's paths and records are in one order)."""
        return self._records[bisect.bisect_left(self._listing.paths, path)]

    def _blob(self, path: str) -> str:
        """The object id of ``path``."""
        return self._record(path).split(None, 3)[2]

    def _ask(self, path: str) -> tuple[IO[bytes], int]:
        """The reader's output positioned at ``path``'s contents, and their size.

        One long-lived `git cat-file --batch` serves every read of this view by blob id;
        the caller reads exactly the size, then the newline after it.
        """
        if self._reader is None:
            self._reader = start_git(self.root, ["cat-file", "--batch"], stdin=True)
        assert self._reader.stdin is not None and self._reader.stdout is not None
        self._reader.stdin.write(self._blob(path).encode() + b"\n")
        self._reader.stdin.flush()
        header = self._reader.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            self.unreadable.add(self._blob(path))
            raise FileSkipped(f"{path} could not be read from {self.description}")
        return self._reader.stdout, int(header[2])

    def _read_unchecked(self, entry: Entry) -> bytes:
        stream, size = self._ask(entry.path)
        data = stream.read(size)
        stream.read(1)  # the newline after the contents
        problem = self._verify(entry.path, data)
        if problem is not None:
            raise problem
        return data

    def _verify(self, path: str, data: bytes) -> FileSkipped | None:
        """git's object check, which ``cat-file`` skips: the contents hash to the blob's id.
        A mismatch is a corrupt cache (or disk), never the pull request's doing."""
        oid = self._blob(path)
        digest = (hashlib.sha1 if len(oid) == 40 else hashlib.sha256)(b"blob %d\0" % len(data))
        digest.update(data)  # no copy of the contents to hash them
        if digest.hexdigest() == oid:
            return None
        self.unreadable.add(oid)
        return FileSkipped(f"{path} is corrupt in {self.description} (object {oid[:12]})")

    def copy_out(self, path: str, target: Path) -> bool:
        stream, size = self._ask(path)
        with open(target, "wb") as out:
            while size:
                chunk = stream.read(min(size, 1 << 20))
                if not chunk:
                    raise FileSkipped(f"{path} could not be read from {self.description}")
                out.write(chunk)
                size -= len(chunk)
        stream.read(1)
        os.chmod(target, 0o755 if self._record(path).startswith("100755") else 0o644)
        return True

    def _link_target(self, path: str) -> str:
        # a symlink's blob holds its target
        target = self._read_unchecked(Entry(path, Kind.FILE))
        return os.fsdecode(target)

    def _read_many_unchecked(self, paths: list[str]) -> dict[str, bytes | FileSkipped]:
        # One pipelined exchange: a thread writes every blob id while this one reads the
        # answers (writing all first could fill the output pipe and deadlock).
        if not paths:
            return {}
        proc = start_git(self.root, ["cat-file", "--batch"], stdin=True)
        assert proc.stdin is not None and proc.stdout is not None
        stdin, stdout = proc.stdin, proc.stdout

        def feed() -> None:
            try:
                stdin.write("".join(f"{self._blob(p)}\n" for p in paths).encode())
            finally:
                stdin.close()

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        out: dict[str, bytes | FileSkipped] = {}
        try:
            for path in paths:
                header = stdout.readline().split()
                if len(header) != 3 or header[1] != b"blob":
                    self.unreadable.add(self._blob(path))
                    out[path] = FileSkipped(f"{path} could not be read from {self.description}")
                    continue
                data = stdout.read(int(header[2]))
                stdout.read(1)
                out[path] = self._verify(path, data) or data
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

    def _list(self) -> Listing:
        paths: list[str] = []
        special: dict[str, Entry] = {}
        irregular: list[str] = []
        stack = [("", str(self.root))]
        while stack:
            rel, absolute = stack.pop()
            with os.scandir(absolute) as it:
                for d in it:
                    path = f"{rel}{d.name}"
                    if d.is_symlink():
                        paths.append(path)
                        special[path] = Entry(
                            path, Kind.SYMLINK, d.stat(follow_symlinks=False).st_size
                        )
                    elif d.is_dir(follow_symlinks=False):
                        if d.name != ".git":
                            stack.append((f"{path}/", d.path))
                    elif d.is_file(follow_symlinks=False):
                        paths.append(path)
                        size = d.stat(follow_symlinks=False).st_size
                        if size > self.max_bytes:
                            special[path] = Entry(path, Kind.FILE, size)
                    else:  # a FIFO, socket or device: listed, and unreadable when read
                        paths.append(path)
                        irregular.append(path)
        return Listing(paths, special, irregular)

    def _read_unchecked(self, entry: Entry) -> bytes:
        return _read_nofollow(self.root, entry.path, self.max_bytes)

    def _read_many_unchecked(self, paths: list[str]) -> dict[str, bytes | FileSkipped]:
        return _read_many_nofollow(self.root, paths, self.max_bytes)

    def folder_exists(self, folder: str) -> bool:
        """Outside git an empty folder exists too (tools such as Jest look on disk);
        checked without following a symlink anywhere on the way."""
        if self.has_folder(folder):
            return True
        try:
            check_relpath(folder)
        except FileSkipped:
            return False
        path = self.root
        for part in folder.split("/"):
            path = path / part
            try:
                if not stat.S_ISDIR(os.lstat(path).st_mode):
                    return False
            except OSError:
                return False
        return True


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
