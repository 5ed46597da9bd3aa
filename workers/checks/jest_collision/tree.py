"""The repository as Jest sees it (``Tree``), how it reads a JSON file, and the two ways a
prediction stops: Jest itself refuses the configuration, or prgate cannot tell.

Shared by the config reader (``config``), the Nx reproduction (``nx_jest``) and the
sandbox (``js_eval``), which import it and not each other.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from functools import cached_property
from typing import Any

from workers.engine.findings import TooDeep
from workers.engine.views import FileSkipped, Kind, RepoView


class JestConfigError(Exception):
    """Jest itself would refuse this configuration (it exits 1 before running tests)."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path  # repo-relative file the problem is in, when known


class Unpredictable(Exception):
    """prgate cannot tell what Jest would do here without running the repository's code."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class Tree:
    """The repository as Jest would see it on disk, in absolute POSIX paths."""

    def __init__(self, view: RepoView, load_js: JsLoader | None = None) -> None:
        self.view = view
        self.jest_major = 30  # the Jest whose behaviour is predicted (set by the check)
        self.notes: list[str] = []  # assumptions a prediction made, for the check's notes
        self.root = view.seen_at.as_posix()
        self.load_js = load_js
        self._prefix = self.root + "/"

    def _inside(self, path: str) -> str | None:
        """The repo-relative form of an absolute path ("" for the root); None if outside."""
        if path == self.root:
            return ""
        return path[len(self._prefix) :] if path.startswith(self._prefix) else None

    @cached_property
    def haste_files(self) -> list[str]:
        """Absolute paths of the regular files ``haste_map.build`` looks at (Jest's crawler skips
        symlinks): every ``package.json`` and everything under a ``__mocks__`` folder.

        Filtered on the repo-relative paths, so a 20k-file tree does not become 20k
        absolute strings first; ``build`` applies the exact test again.
        """
        prefix = self._prefix
        return [
            prefix + p
            for p in self.view.paths(symlinks=False)
            if p.endswith("package.json") or "__mocks__/" in p
        ]

    def folder(self, rel: str) -> str:
        """Absolute path of a repo-relative folder (``.`` is the root)."""
        rel = posixpath.normpath(rel).strip("/")
        return self.root if rel in ("", ".") else f"{self.root}/{rel}"

    def rel(self, path: str) -> str:
        return "." if path == self.root else path[len(self.root) + 1 :]

    def is_file(self, path: str) -> bool:
        """Whether ``path`` is a listed file or symlink."""
        rel = self._inside(path)
        if not rel:
            return False
        entry = self.view.entry(rel)
        return entry is not None and entry.kind is not Kind.SUBMODULE

    def is_dir(self, path: str) -> bool:
        """Whether ``path`` is the root or a folder that exists (``RepoView.folder_exists``)."""
        rel = self._inside(path)
        return rel is not None and (rel == "" or self.view.folder_exists(rel))

    def exists(self, path: str) -> bool:
        return self.is_file(path) or self.is_dir(path)

    def children(self, path: str) -> set[str]:
        """Absolute paths of the files and folders directly in the folder ``path``."""
        rel = self._inside(path)
        if rel is None:  # a folder above the repository: the next folder towards it
            above = self.root.startswith(path + "/")
            return {f"{path}/{self.root[len(path) + 1 :].split('/', 1)[0]}"} if above else set()
        skip = len(rel) + 1 if rel else 0
        names = {p[skip:].split("/", 1)[0] for p in self.view.below(rel)}
        return {c for name in names if self.exists(c := f"{path}/{name}")}

    def read(self, path: str) -> bytes:
        rel = self._inside(path)
        if not rel:
            raise Unpredictable(f"{path} is not a file in the repository")
        try:
            return self.view.read(rel)
        except FileSkipped as exc:
            raise Unpredictable(f"{rel} could not be read: {exc}", rel) from None


JsLoader = Callable[[Tree, str], Any]  # (tree, absolute path) -> the module's exported config


def parse_json(data: bytes, path: str) -> Any:
    """``JSON.parse`` of a file read as UTF-8: a BOM, NaN or an empty file are errors.
    Nesting deeper than Python's parser goes is ``TooDeep`` (could not run): Node reads it."""
    text = data.decode("utf-8", "replace")

    def constant(name: str) -> Any:
        raise ValueError(f"Unexpected token '{name[0]}'")

    try:
        return json.loads(text, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{exc.msg} (line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise TooDeep(path) from None
