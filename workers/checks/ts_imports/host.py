"""The repository as TypeScript's compiler host sees it, read from a ``RepoView``: which
files and folders exist, their bytes (read in few streams, each source once),
package.json files, the workspace's packages by name, and what .gitignore files ignore
(files a build step writes)."""

from __future__ import annotations

import json
import posixpath
import re
from functools import cached_property
from typing import Any

from workers.checks.ts_imports import files as ts_files
from workers.checks.workspaces import (
    declaration,
    matches,
    package_globs,
    packages_by_name,
    satisfies,
    workspace_patterns,
)
from workers.engine.findings import TooDeep
from workers.engine.views import FileSkipped, Kind, RepoView

TS_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts")
JS_EXTENSIONS = (".js", ".jsx", ".mjs", ".cjs")
# the modules TypeScript loads itself; any other name (an asset, `?url`) only a
# `declare module "*.svg"` can satisfy
CODE_EXTENSIONS = (*TS_EXTENSIONS, *JS_EXTENSIONS, ".json")
DEPENDENCY_FIELDS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
LOCKFILES = frozenset(
    ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock")
)


class RepoHost:
    """The repository as TypeScript's host sees it: files, folders, package.json files."""

    def __init__(self, view: RepoView) -> None:
        self.view = view
        self.paths = [p for p in view.paths() if "node_modules" not in p.split("/")]
        self.files = set(self.paths)
        self.folders = {""}
        for path in self.paths:
            folder = posixpath.dirname(path)
            while folder not in self.folders:
                self.folders.add(folder)
                folder = posixpath.dirname(folder)
        self._packages: dict[str, dict[str, Any] | None] = {}
        self._ignored: dict[str, bool] = {}
        self._members: dict[str, tuple[list[Any], list[Any]] | None] = {}
        self._text: dict[str, bytes | None] = {}
        self._unread: dict[str, str] = {}  # a listed file that could not be read: why
        self.link_to: dict[str, str] = {}  # a symlink to a file in the repository: that file
        self._links(view)

    def _links(self, view: RepoView) -> None:
        """Symlinks as TypeScript's host sees them: one to a file in the repository is that
        file (read through its target; prgate never follows a link on disk), one that
        dangles or loops is no file at all. One that leaves the repository stays listed
        and unread: what it points to is unknown."""
        for entry in view.symlinks():
            if entry.path not in self.files:
                continue
            target = _final_target(view, entry.path)
            if target is None:
                continue
            if target:
                self.link_to[entry.path] = target
            else:
                self.files.discard(entry.path)
        if len(self.files) < len(self.paths):
            self.paths = [p for p in self.paths if p in self.files]

    @cached_property
    def by_stem(self) -> dict[str, list[str]]:
        """Code files by their name before the first dot, lower case (``index`` files also
        by their folder's name): where a moved module may have gone."""
        found: dict[str, list[str]] = {}
        for path in self.paths:
            if not path.endswith(CODE_EXTENSIONS):
                continue
            own = posixpath.basename(path).split(".", 1)[0]
            found.setdefault(own.lower(), []).append(path)
            if own == "index":
                folder = posixpath.basename(posixpath.dirname(path))
                found.setdefault(folder.lower(), []).append(path)
        return found

    @cached_property
    def sources(self) -> list[str]:
        """The paths a project could include: TypeScript's and JavaScript's, and JSON."""
        return [p for p in self.paths if p.endswith(ts_files.SOURCE_EXTENSIONS)]

    def is_file(self, path: str) -> bool:
        return path in self.files

    def is_dir(self, path: str) -> bool:
        return path in self.folders or path in ("", ".")

    def has_read(self, path: str) -> bool:
        return path in self._text

    def take(self, path: str) -> bytes | None:
        """A file's bytes, read once and not kept (a source is parsed once)."""
        data = self.read(path)
        self._text[path] = None
        return data

    def read(self, path: str) -> bytes | None:
        if path not in self._text:
            self.prefetch([path])
        return self._text[path]

    def unread(self, path: str) -> str | None:
        """Why a listed file could not be read (over the size limit, a link out of the
        repository), once ``read`` or ``take`` gave None for it; None otherwise."""
        return self._unread.get(path)

    def prefetch(self, paths: list[str]) -> None:
        wanted = [p for p in paths if p not in self._text and p in self.files]
        through = {self.link_to.get(p, p): p for p in wanted}
        for target, data in self.view.read_many(through).items():
            path = through[target]
            if isinstance(data, FileSkipped):
                self._unread[path] = str(data)
                self._text[path] = None
            else:
                self._text[path] = data
        for path in paths:
            self._text.setdefault(path, None)

    def package_json(self, folder: str) -> dict[str, Any] | None:
        if folder in (".",):
            folder = ""
        if not self._packages:  # every package.json in one read, the first time one is asked
            self.prefetch([p for p in self.paths if posixpath.basename(p) == "package.json"])
        if folder not in self._packages:
            path = posixpath.join(folder, "package.json") if folder else "package.json"
            data = self.read(path) if path in self.files else None
            parsed = None
            if data is not None:
                try:
                    value = json.loads(data)
                    parsed = value if isinstance(value, dict) else None
                except ValueError:
                    parsed = None
                except RecursionError:  # TypeScript reads any depth; Python's json does not
                    raise TooDeep(path) from None
            self._packages[folder] = parsed
        return self._packages[folder]

    @cached_property
    def workspace(self) -> dict[str, list[str]]:
        """Package name -> the folders of the package.json files that have it."""
        manifests = [p for p in self.paths if posixpath.basename(p) == "package.json"]
        self.prefetch(manifests)
        return packages_by_name(manifests, self.package_json)

    @cached_property
    def declared(self) -> frozenset[str]:
        """Every package name a package.json in the repository declares as a dependency."""
        names: set[str] = set()
        for path in self.paths:
            if posixpath.basename(path) == "package.json":
                manifest = self.package_json(posixpath.dirname(path)) or {}
                for key in DEPENDENCY_FIELDS:
                    deps = manifest.get(key)
                    names.update(deps if isinstance(deps, dict) else ())
        return frozenset(names)

    def in_lockfile(self, package: str) -> str | None:
        """The first lockfile that names ``package`` (a transitive dependency an install
        may hoist where TypeScript finds it); None when none does."""
        pattern = re.compile(
            r"""(?:^|[\s"'/])""" + re.escape(package) + r"""(?:@|["':]|$)""", re.MULTILINE
        )
        for path, text in self._lockfiles:
            if text is None or pattern.search(text):  # one too large to read may list it
                return path
        return None

    @cached_property
    def _lockfiles(self) -> list[tuple[str, str | None]]:
        found = [p for p in self.paths if posixpath.basename(p) in LOCKFILES]
        self.prefetch(found)
        return [(p, decode(self.read(p))) for p in found]

    def workspace_package(self, name: str, near: str = "") -> str | None:
        """The folder of the package named ``name`` that a file at ``near`` gets linked.

        One name held by several package.json files (a repository holding several
        workspaces, or test fixtures): the package manager links the member of the
        workspace ``near`` is installed by (the nearest folder above it that declares
        workspaces) whose globs match; none of them, or two: None, not known. Where no
        folder above declares workspaces, the one sharing the longest path with ``near``;
        None when two tie."""
        how = declaration(name, near, self.package_json)
        if how is not None and how[0] == "path":  # `workspace:./x`, `link:./x`, `file:./x`
            linked = how[1]
            return linked if linked and self.package_json(linked) is not None else None
        folders = self.workspace.get(name, [])
        if how is not None and how[0] == "registry":
            # a version range: the package manager links a member only where its version
            # satisfies it (npm, yarn); otherwise, or where prgate cannot tell, the package
            # comes from the registry (apollo-client's integration app named "next" needs
            # next ^15, not itself)
            folders = [f for f in folders if satisfies(self.package_json(f), how[1])]
        if len(folders) <= 1:
            return folders[0] if folders else None
        root = self._install_root(near)
        if root is not None:
            members = [f for f in folders if self._member(root, f)]
            return members[0] if len(members) == 1 else None

        def shared(folder: str) -> int:
            common = posixpath.commonpath([folder or ".", near or "."])
            return 0 if common in ("", ".") else common.count("/") + 1

        ranked = sorted(folders, key=shared, reverse=True)
        return ranked[0] if shared(ranked[0]) > shared(ranked[1]) else None

    def _install_root(self, near: str) -> str | None:
        """The nearest folder at or above ``near`` that declares workspaces."""
        folder = near
        while True:
            manifest = self.package_json(folder) or {}
            pnpm = (
                posixpath.join(folder, "pnpm-workspace.yaml") if folder else "pnpm-workspace.yaml"
            )
            if "workspaces" in manifest or pnpm in self.files:
                return folder
            if folder in ("", "."):
                return None
            folder = posixpath.dirname(folder)

    def _member(self, root: str, folder: str) -> bool:
        """Whether the workspace declared at ``root`` links the package in ``folder``; a
        workspace prgate cannot read links nothing it can name."""
        if root not in self._members:
            self._members[root] = self._member_globs(root)
        globs = self._members[root]
        if globs is None or not (folder == root or folder.startswith(root + "/") or not root):
            return False
        inside = folder[len(root) + 1 :] if root else folder
        return folder == root or matches(f"{inside}/package.json", *globs)

    def _member_globs(self, root: str) -> tuple[list[Any], list[Any]] | None:
        pnpm = posixpath.join(root, "pnpm-workspace.yaml") if root else "pnpm-workspace.yaml"
        text = decode(self.read(pnpm)) if pnpm in self.files else None
        if pnpm in self.files and text is None:
            return None  # there, but not readable: its members are not known
        if text is not None:
            import yaml  # only for a pnpm workspace: `prgate check` starts without it

            errors: tuple[type[Exception], ...] = (ValueError, yaml.YAMLError)
        else:
            errors = (ValueError,)
        try:
            patterns = workspace_patterns(
                self.package_json(root) or {}, (lambda: text or "") if text is not None else None
            )
            return package_globs(patterns)
        except errors:  # a glob prgate does not read (UnreadGlob), or YAML it cannot parse
            return None

    @cached_property
    def _ignores(self) -> list[tuple[str, Any]]:
        """Each .gitignore's folder and its patterns (pathspec's gitignore rules)."""
        import pathspec

        files = [p for p in self.paths if posixpath.basename(p) == ".gitignore"]
        self.prefetch(files)
        found = []
        for path in files:
            data = self.read(path)
            if data is not None:
                lines = data.decode("utf-8", "replace").splitlines()
                found.append((posixpath.dirname(path), pathspec.GitIgnoreSpec.from_lines(lines)))
        return found

    def ignored(self, path: str) -> bool:
        """Whether a .gitignore above ``path`` ignores it: a file a build may write."""
        if path not in self._ignored:
            self._ignored[path] = any(
                spec.match_file(path[len(folder) + 1 :] if folder else path)
                for folder, spec in self._ignores
                if not folder or path.startswith(folder + "/")
            )
        return self._ignored[path]


def decode(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", "replace").lstrip("\ufeff")


MAX_LINK_HOPS = 40  # Linux's limit on symlinks followed in one lookup (ELOOP beyond)


def _final_target(view: RepoView, path: str) -> str | None:
    """Where a listed symlink leads, followed link by link within the repository: the file
    it names, "" when it dangles, loops or names a folder (no file for TypeScript), None
    when it cannot be known (it leaves the repository, or cannot be read)."""
    current = path
    for _ in range(MAX_LINK_HOPS):
        try:
            target = view.link_target(current)
        except FileSkipped:
            return None
        if target.startswith("/"):
            return None
        following = posixpath.normpath(posixpath.join(posixpath.dirname(current), target))
        if following == ".." or following.startswith("../"):
            return None
        entry = view.entry(following)
        if entry is None:
            return ""  # nothing there (or a folder: not a file either)
        if entry.kind is Kind.SYMLINK:
            current = following
            continue
        return following if entry.kind is Kind.FILE else ""
    return ""  # a loop, as ELOOP
