"""Repository views: list the files a check may look at and read them safely.

One module per view (``worktree``, ``commit``, ``directory``), the interface they share
in ``base``, and the no-follow reader of folders on disk in ``nofollow``.

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

from pathlib import Path

from workers.engine.git import RepoError, toplevel
from workers.engine.views.base import (
    Entry,
    FileSkipped,
    GrepHit,
    Kind,
    Listing,
    RepoView,
    human_size,
    is_binary,
    max_bytes_from_env,
)
from workers.engine.views.commit import GitCommitView
from workers.engine.views.directory import DirectoryView
from workers.engine.views.worktree import CheckoutView, GitWorktreeView

__all__ = [
    "CheckoutView",
    "DirectoryView",
    "Entry",
    "FileSkipped",
    "GitCommitView",
    "GitWorktreeView",
    "GrepHit",
    "Kind",
    "Listing",
    "RepoView",
    "human_size",
    "is_binary",
    "max_bytes_from_env",
    "open_view",
]


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
