"""A git work tree as ``prgate check`` sees it (``GitWorktreeView``: the files git would
commit, as they are on disk), and a worktree a worker has just checked out
(``CheckoutView``: the same files, listed from the index alone)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property

from workers.engine.git import (
    RepoError,
    finish_git,
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
    _index,
    _lstat_all,
    _read_many_nofollow,
    _read_nofollow,
)


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
