"""Package-manager workspaces as Nx reads them: which folders' package.json files are
projects (``workspaces`` in the root package.json, ``packages`` in pnpm-workspace.yaml),
and the minimatch globs Nx matches them and its plugins' include/exclude with.

Shared by jest-collision (Nx's jest projects, ``nx_jest``) and nx-generators (whether a
package.json a generator writes makes a project); each says in its own way what it does
when a glob is one prgate does not read. ``declaration`` says how a package.json links a
dependency and ``packages_by_name`` which folders hold a package name (ts-imports resolves
through them, nx-generators follows a factory into them).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from typing import Any


class UnreadGlob(ValueError):
    """A glob whose syntax prgate does not translate (classes, extglobs)."""


def glob_regex(pattern: str) -> re.Pattern[str]:
    """minimatch (``dot: false``) for the patterns workspaces and plugins use."""
    if re.search(r"[\[\]]|[+@!?*]\(", pattern):
        raise UnreadGlob(f"prgate does not read the glob {pattern!r}")
    out = []
    for alt in _expand_braces(pattern.removeprefix("./")):
        regex = ""
        segments = alt.split("/")
        for i, seg in enumerate(segments):
            last = i == len(segments) - 1
            if seg == "**":
                regex += r"(?:(?!\.)[^/]+(?:/(?!\.)[^/]+)*)?" if last else r"(?:(?!\.)[^/]+/)*"
                continue
            lead = r"(?!\.)" if seg[:1] in ("*", "?") else ""
            body = "".join(
                "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in seg
            )
            regex += lead + body + ("" if last else "/")
        out.append(regex)
    return re.compile("(?:" + "|".join(out) + ")")


def _expand_braces(pattern: str) -> list[str]:
    m = re.search(r"\{([^{}]*)\}", pattern)
    if not m:
        return [pattern]
    out: list[str] = []
    for alt in m.group(1).split(","):
        out.extend(_expand_braces(pattern[: m.start()] + alt + pattern[m.end() :]))
    return out


def workspace_patterns(package_json: Any, pnpm_workspace: Callable[[], str] | None) -> list[str]:
    """The workspace globs: the root package.json's ``workspaces`` (already parsed) and, when
    there is a pnpm-workspace.yaml, its ``packages`` (``pnpm_workspace`` reads its text;
    a YAML error is raised as ``yaml.YAMLError``)."""
    patterns: list[str] = []
    ws = package_json.get("workspaces") if isinstance(package_json, dict) else None
    if isinstance(ws, dict):
        ws = ws.get("packages")
    if isinstance(ws, list):
        patterns += [p for p in ws if isinstance(p, str)]
    if pnpm_workspace is not None:
        import yaml

        data = yaml.safe_load(pnpm_workspace())
        if isinstance(data, dict) and isinstance(data.get("packages"), list):
            patterns += [p for p in data["packages"] if isinstance(p, str)]
    return patterns


def package_globs(patterns: list[str]) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
    """(include, exclude) regexes of the package.json paths the workspace ``patterns`` name."""
    include: list[re.Pattern[str]] = []
    exclude: list[re.Pattern[str]] = []
    for p in patterns:
        target = exclude if p.startswith("!") else include
        target.append(glob_regex(f"{p.lstrip('!').rstrip('/')}/package.json"))
    return include, exclude


def matches(path: str, include: list[re.Pattern[str]], exclude: list[re.Pattern[str]]) -> bool:
    return any(r.fullmatch(path) for r in include) and not any(r.fullmatch(path) for r in exclude)


INSTALLED_FIELDS = ("dependencies", "devDependencies", "optionalDependencies")  # what is linked


def declaration(
    name: str, near: str, package_json: Callable[[str], dict[str, Any] | None]
) -> tuple[str, str] | None:
    """How the nearest package.json at or above the folder ``near`` that declares ``name``
    links it, as Node's walk up ``node_modules`` finds it: ``("path", folder)`` for pnpm's
    ``workspace:../x``, ``link:`` and ``file:`` (folder "" when it is outside the
    repository), ``("workspace", "")`` for ``workspace:*`` and its ranges (the member of
    that name), ``("registry", spec)`` for anything else; None when none declares it."""
    folder = near
    while True:
        manifest = package_json(folder) or {}
        for field in INSTALLED_FIELDS:
            deps = manifest.get(field)
            spec = deps.get(name) if isinstance(deps, dict) else None
            if not isinstance(spec, str):
                continue
            protocol, _, rest = spec.partition(":")
            if protocol in ("workspace", "link", "file") and rest.startswith(("/", ".")):
                target = posixpath.normpath(posixpath.join(folder, rest))
                outside = rest.startswith("/") or target == ".." or target.startswith("../")
                return "path", "" if outside else target
            if protocol == "workspace":
                return "workspace", ""
            return "registry", spec
        if folder in ("", "."):
            return None
        folder = posixpath.dirname(folder)


def packages_by_name(
    manifests: Iterable[str], package_json: Callable[[str], dict[str, Any] | None]
) -> dict[str, list[str]]:
    """Package name -> the folders of the ``manifests`` (package.json paths) that have it."""
    found: dict[str, list[str]] = {}
    for path in manifests:
        folder = posixpath.dirname(path)
        name = (package_json(folder) or {}).get("name")
        if isinstance(name, str):
            found.setdefault(name, []).append(folder)
    return found


_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


def satisfies(manifest: dict[str, Any] | None, spec: str) -> bool:
    """Whether the package ``manifest`` describes satisfies the dependency range ``spec``,
    for the ranges workspaces use: ``*``, an exact version, ``^x.y.z``, ``~x.y.z``,
    ``>=x.y.z``; anything else (``||``, hyphen ranges, tags, prereleases): False, as prgate
    cannot tell that the package manager links the member."""
    version = (manifest or {}).get("version")
    have = _VERSION.fullmatch(version) if isinstance(version, str) else None
    spec = spec.strip()
    if spec in ("*", "", "x"):
        return have is not None or version is None
    if have is None or "-" in (version or "") or " " in spec:
        return False
    want = _VERSION.fullmatch(spec.lstrip("^~>="))
    if want is None or "-" in spec:
        return False
    got = tuple(int(n) for n in have.groups()[:3])
    need = tuple(int(n) for n in want.groups()[:3])
    if spec.startswith(">="):
        return got >= need
    if spec.startswith("^"):
        same = next((i for i, n in enumerate(need) if n != 0), 2)  # ^0.2.3 keeps 0.2
        return got >= need and got[: same + 1] == need[: same + 1]
    if spec.startswith("~"):
        return got >= need and got[:2] == need[:2]
    return got == need if spec[0].isdigit() or spec[0] == "v" else False
