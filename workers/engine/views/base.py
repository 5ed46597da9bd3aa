"""What every repository view is: the listing (``Listing``, ``Entry``, ``Kind``), the
reading rules (``FileSkipped``, the size limit, binary files), and ``RepoView``, the
interface the checks use; with the ``git grep`` plumbing the git views share."""

from __future__ import annotations

import bisect
import os
import shutil
import stat
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from workers.engine.git import (
    RepoError,
    run_git,
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


def _merge_base(root: Path, base: str, head: str) -> str:
    try:
        run_git(root, ["rev-parse", "--verify", "--end-of-options", f"{base}^{{commit}}"])
    except RepoError as exc:
        raise RepoError(f"--base {base}: no such commit or branch ({exc})") from exc
    try:
        return run_git(root, ["merge-base", base, head]).decode().strip()
    except RepoError:
        return base  # unrelated histories: compare with the base itself
