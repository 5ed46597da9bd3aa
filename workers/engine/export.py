"""Write part of a repository view out to a folder, for the one consumer of real files.

Render mode runs Copier on a template, and Copier reads files from disk; every
other check reads through the view. So only the template's folder is written,
only when render runs, from whatever the view is: a work tree, or a commit in
the worker's repository cache (no worktree at all).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from workers.engine.views import Kind, RepoView


def export(view: RepoView, folder: str, dest: Path) -> list[str]:
    """Copy the view's files below ``folder`` into ``dest``, readable by anyone; the submodules.

    Regular files are copied whole (with their executable bit) and symlinks
    recreated as links, never followed; folders are 0755 and files 0644 or
    0755, so the sandbox's user (nobody, when the worker is root) can read what
    the worker's own umask or git's object modes would hide from it.
    """
    submodules = []
    # readable by all inside the scratch folder, which is 0700: no other user of the host
    # can reach it, only the sandbox, where it is bound at its own path
    dest.mkdir(mode=0o755)
    os.chmod(dest, 0o755)  # noqa: S103
    made = {dest}
    for path in view.below(folder):
        entry = view.entry(path)
        if entry is None:
            continue
        target = dest / (path[len(folder) + 1 :] if folder else path)
        if entry.kind is Kind.SUBMODULE:
            submodules.append(path)
            continue
        parent = target.parent
        if parent not in made:
            parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            for p in (parent, *parent.parents):
                if p == dest or p in made:
                    break
                os.chmod(p, 0o755)  # noqa: S103 - see above
                made.add(p)
        if entry.kind is Kind.SYMLINK:
            with contextlib.suppress(OSError, ValueError):
                os.symlink(view.link_target(path), target)
            continue
        view.copy_out(path, target)
    return submodules
