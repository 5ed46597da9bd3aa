"""A plain folder without git (``DirectoryView``): every file below it but ``.git``."""

from __future__ import annotations

import os
import stat

from workers.engine.views.base import (
    Entry,
    FileSkipped,
    Kind,
    Listing,
    RepoView,
    check_relpath,
)
from workers.engine.views.nofollow import (
    _read_many_nofollow,
    _read_nofollow,
)


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
