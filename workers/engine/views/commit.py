"""The tree of one commit, read from git's object store (``GitCommitView``)."""

from __future__ import annotations

import bisect
import hashlib
import os
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from workers.engine.git import (
    finish_git,
    git_records,
    run_git,
    split_z,
    start_git,
)
from workers.engine.views.base import (
    Entry,
    FileSkipped,
    GrepHit,
    Kind,
    Listing,
    RepoView,
    _grep_args,
    _merge_base,
    _parse_grep,
    _pathspec,
)
from workers.engine.views.nofollow import (
    _record_path,
)


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
