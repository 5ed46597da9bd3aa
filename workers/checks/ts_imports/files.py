"""The files a TypeScript project starts from: ``files``, ``include`` and ``exclude`` matched
as TypeScript matches them (``getFileNamesFromConfigSpecs`` and ``matchFiles`` in its
``utilities.ts``), on the repository's listing instead of a disk.

A port, not a glob library: TypeScript's wildcards have rules of their own that a
gitignore or fnmatch matcher gets wrong. ``*`` and ``?`` never match a name's leading
dot, ``**`` never enters a folder whose name starts with a dot or is ``node_modules``
(``bower_components``, ``jspm_packages``), ``*`` never matches a ``.min.js`` file, an
include whose last part has no ``.``, ``*`` or ``?`` means the folder and everything in it,
and of ``a.ts`` and ``a.d.ts`` (or ``a.js``) only the first is a root. Linux is case
sensitive, and so are these matches.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

ROOT = "/r"  # the repository as an absolute path, for patterns made from absolute paths
PACKAGE_FOLDERS = ("node_modules", "bower_components", "jspm_packages")
_IMPLICIT_EXCLUDE = f"(?!(?:{'|'.join(PACKAGE_FOLDERS)})(?:/|$))"
# TypeScript's `*` for files, without its empty alternative (`(\.(?!min\.js$))?`), which
# matches the same names and made `*a*a*a…` backtrack exponentially
_FILES_STAR = r"(?:[^./]|\.(?!min\.js$))*"
_FILES_DOUBLE = f"(?:/{_IMPLICIT_EXCLUDE}[^/.][^/]*)*?"
_EXCLUDE_STAR = "[^/]*"
_EXCLUDE_DOUBLE = "(?:/.+?)?"
_RESERVED = re.compile(r"[^\w\s/]")

SOURCE_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".json")
TS_GROUPS = ((".ts", ".tsx", ".d.ts"), (".cts", ".d.cts"), (".mts", ".d.mts"))
ALL_GROUPS = (
    (".ts", ".tsx", ".d.ts", ".js", ".jsx"),
    (".cts", ".d.cts", ".cjs"),
    (".mts", ".d.mts", ".mjs"),
)


def absolute(path: str) -> str:
    return ROOT if path in ("", ".") else f"{ROOT}/{path}"


def relative(path: str) -> str | None:
    """A repository path from an absolute one; None when it lies outside the repository."""
    if path == ROOT:
        return ""
    if path.startswith(ROOT + "/"):
        return path[len(ROOT) + 1 :]
    return None


def _components(spec: str, base: str) -> list[str]:
    joined = spec if spec.startswith("/") else posixpath.join(base, spec)
    normal = posixpath.normpath(joined)
    return ["/"] + [c for c in normal.split("/") if c]


def _sub_pattern(spec: str, base: str, exclude: bool) -> str | None:
    components = _components(spec, base)
    last = components[-1]
    if not exclude and last == "**":
        return None
    if not re.search(r"[.*?]", last):
        components += ["**", "*"]
    out = ""
    written = False
    for component in components:
        if component == "**":
            out += _EXCLUDE_DOUBLE if exclude else _FILES_DOUBLE
            written = True
            continue
        if written:
            out += "/"
        if component == "/":
            component = ""
        pattern = _component(component, exclude)
        if not exclude and pattern != component:
            out += _IMPLICIT_EXCLUDE
        out += pattern
        written = True
    return out


def _component(component: str, exclude: bool) -> str:
    """One path component's wildcards as a regex that cannot backtrack without bound.

    Between two ``*`` the text is matched at its first occurrence (an atomic group around
    a lazy star), as CPython's own fnmatch does: for ``*`` and ``?`` the leftmost match of
    a middle part is never worse than a later one, so the names matched are TypeScript's,
    and a pattern like ``*a*a*a…`` costs a pass over the name, not one per way of
    splitting it. For files a leading ``*`` or ``?`` does not match a dot.
    """
    star = _EXCLUDE_STAR if exclude else _FILES_STAR
    head, *rest = component.split("*")
    out = ""
    if not exclude and head.startswith("?"):
        out, head = "[^./]", head[1:]
    out += _literal(head)
    leading = not exclude and component.startswith("*")
    for n, part in enumerate(rest):
        last = n == len(rest) - 1
        gap = star if last else star + "?"
        if leading and n == 0:
            gap = f"(?:[^./]{gap})" + ("?" if last else "??")
        out += gap + _literal(part) if last else f"(?>{gap}{_literal(part)})"
    return out


def _literal(text: str) -> str:
    return _RESERVED.sub(lambda m: "[^/]" if m[0] == "?" else "\\" + m[0], text)


def _regex(specs: Iterable[str], base: str, exclude: bool) -> re.Pattern[str] | None:
    parts = [p for s in specs if (p := _sub_pattern(s, base, exclude)) is not None]
    if not parts:
        return None
    terminator = "(?:$|/)" if exclude else "$"
    return re.compile("^(?:" + "|".join(f"(?:{p})" for p in parts) + ")" + terminator)


def _include_regexes(specs: Iterable[str], base: str) -> list[re.Pattern[str]]:
    return [re.compile(f"^{p}$") for s in specs if (p := _sub_pattern(s, base, False)) is not None]


def root_files(
    paths: Iterable[str],
    folder: str,
    files: list[str] | None,
    include: list[str] | None,
    exclude: list[str] | None,
    *,
    allow_js: bool,
    json: bool,
    out_dirs: tuple[str, ...] = (),
) -> list[str]:
    """The project's root files among ``paths`` (repo-relative). ``files``, ``include`` and
    ``exclude`` are repo-relative specs as written (made so where their config lives);
    ``out_dirs``: outDir and declarationDir, excluded when ``exclude`` is not given."""
    base = absolute(folder)
    groups = ALL_GROUPS if allow_js else TS_GROUPS
    extensions = tuple(e for g in groups for e in g)
    literal = {absolute(f) for f in files or []}
    if files is None and include is None:  # TypeScript's default, in the project's folder
        include = [posixpath.join(folder, "**/*") if folder else "**/*"]
    if exclude is None:
        exclude = list(out_dirs)
    found: dict[str, str] = {}
    if include:
        includes = _include_regexes((absolute(s) for s in include), base)
        excluded = _regex((absolute(s) for s in exclude), base, True)
        json_includes = _include_regexes(
            (absolute(s) for s in include if s.endswith(".json")), base
        )
        # where TypeScript starts walking: each spec's folders before its first wildcard
        starts = tuple(_literal_prefix(absolute(s), base) for s in include)
        for path in sorted(paths):
            name = absolute(path)
            if not name.startswith(starts):
                continue
            is_json = json and name.endswith(".json")
            if not (name.endswith(extensions) or is_json):
                continue
            if excluded is not None and excluded.match(name):
                continue
            if not any(r.match(name) for r in includes):
                continue
            if is_json:
                if any(r.match(name) for r in json_includes) and name not in literal:
                    found.setdefault(name, name)
                continue
            if _has_higher_priority(name, literal, found, groups):
                continue
            _drop_lower_priority(name, found, groups)
            if name not in literal:
                found[name] = name
    roots = [relative(p) for p in sorted(literal)] + [relative(p) for p in found]
    return [r for r in roots if r is not None]


def _literal_prefix(spec: str, base: str) -> str:
    """The folder part of a spec before any wildcard, with a trailing slash (or the file)."""
    components = _components(spec, base)
    literal = []
    for component in components[1:]:
        if any(c in component for c in "*?"):
            break
        literal.append(component)
    else:
        if literal and re.search(r"[.*?]", literal[-1]):  # a file, matched exactly
            return "/" + "/".join(literal)
    return "/" + "/".join(literal) + ("/" if literal else "")


def _group(name: str, groups: tuple[tuple[str, ...], ...]) -> tuple[str, ...] | None:
    for group in groups:
        if name.endswith(group):
            return group
    return None


def _extension(name: str, group: tuple[str, ...]) -> str:
    return max((e for e in group if name.endswith(e)), key=len)


def _has_higher_priority(
    name: str, literal: set[str], found: dict[str, str], groups: tuple[tuple[str, ...], ...]
) -> bool:
    group = _group(name, groups)
    if group is None:
        return False
    own = _extension(name, group)
    stem = name[: -len(own)]
    for ext in group:
        if ext == own:
            return False
        other = stem + ext
        if other in literal or other in found:
            if ext == ".d.ts" and own in (".js", ".jsx"):
                continue
            return True
    return False


def _drop_lower_priority(
    name: str, found: dict[str, str], groups: tuple[tuple[str, ...], ...]
) -> None:
    group = _group(name, groups)
    if group is None:
        return
    own = _extension(name, group)
    stem = name[: -len(own)]
    for ext in reversed(group):
        if ext == own:
            return
        found.pop(stem + ext, None)
