"""Module resolution as TypeScript 5.x does it, on the repository's files.

A port of ``moduleNameResolver.ts`` (``nodeModuleNameResolverWorker``,
``classicNameResolver`` and what they call), kept close to the original so that a
difference can be read side by side: the oracle tests compare the outcome with real
``tsc`` case by case. No library resolves the way TypeScript does (``enhanced-resolve``
and Node's own resolver differ in extension substitution, ``index`` files, ``types``
and ``paths``), and TypeScript itself would need a JavaScript runtime and its 9 MB
compiler for every run.

What differs from TypeScript, on purpose: there is no ``node_modules``. A package
name that is a workspace package resolves in that package's folder, as the
workspace's package manager links it; any other package resolves to ``EXTERNAL``
(its presence decides, and prgate cannot see it), as does a name only ``@types``
or ``typeRoots`` could supply.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Protocol

TS, JS, DTS, JSON_EXT = 1, 2, 4, 8
IMPORTS, SELF_NAME, EXPORTS, PATTERN_TRAILERS, ESM = 2, 4, 8, 16, 32
ALL_FEATURES = IMPORTS | SELF_NAME | EXPORTS | PATTERN_TRAILERS

Resolution = Literal["classic", "node10", "node16", "nodenext", "bundler"]
EXTERNAL = "<external>"  # resolved, or not, by a package prgate cannot see

_MODULE_KINDS = {
    "none": 0,
    "commonjs": 1,
    "amd": 2,
    "umd": 3,
    "system": 4,
    "es6": 5,
    "es2015": 5,
    "es2020": 6,
    "es2022": 7,
    "esnext": 99,
    "node16": 100,
    "node18": 101,
    "node20": 102,
    "nodenext": 199,
    "preserve": 200,
}
_TARGETS = {
    "es3": 0,
    "es5": 1,
    "es6": 2,
    "es2015": 2,
    "es2016": 3,
    "es2017": 4,
    "es2018": 5,
    "es2019": 6,
    "es2020": 7,
    "es2021": 8,
    "es2022": 9,
    "es2023": 10,
    "es2024": 11,
    "esnext": 99,
}
_RESOLUTIONS: dict[str, Resolution] = {
    "classic": "classic",
    "node": "node10",
    "node10": "node10",
    "node16": "node16",
    "nodenext": "nodenext",
    "bundler": "bundler",
}


class Host(Protocol):
    def is_file(self, path: str) -> bool: ...
    def is_dir(self, path: str) -> bool: ...
    def package_json(self, folder: str) -> dict[str, Any] | None: ...
    def workspace_package(self, name: str, near: str = "") -> str | None: ...


@dataclass(frozen=True)
class ResolveOptions:
    """The compiler options that decide resolution, computed as TypeScript computes them."""

    resolution: Resolution
    base_url: str | None = None
    paths: dict[str, list[str]] | None = None
    paths_base: str | None = None
    root_dirs: tuple[str, ...] | None = None
    module_suffixes: tuple[str, ...] = ()
    resolve_json: bool = False
    features: int = 0
    custom_conditions: tuple[str, ...] = ()

    @cached_property
    def paths_index(self) -> dict[str, list[tuple[str, str]]]:
        """Prefix -> (suffix, key) of each ``paths`` key with one ``*``, in the keys' order,
        made once per project: a name costs its own length in lookups, not one comparison
        per key (4,000 keys by 4,000 imports took 70 s)."""
        index: dict[str, list[tuple[str, str]]] = {}
        for pattern in self.paths or {}:
            if pattern.count("*") == 1:
                prefix, _, suffix = pattern.partition("*")
                index.setdefault(prefix, []).append((suffix, pattern))
        return index

    @cached_property
    def config_folders(self) -> list[str]:
        """The folders these options point resolution into (``rootDirs``, ``baseUrl``,
        ``paths`` targets), made once per project."""
        roots = list(self.root_dirs or ())
        if self.base_url:
            roots.append(self.base_url)
        base = self.base_url or self.paths_base or ""
        for targets in (self.paths or {}).values():
            for target in targets if isinstance(targets, list) else ():
                if isinstance(target, str):
                    head = target.split("*", 1)[0]
                    roots.append(
                        posixpath.normpath(posixpath.join(base, posixpath.dirname(head) or "."))
                    )
        return [r for r in dict.fromkeys(posixpath.normpath(r) for r in roots) if r != "."]

    @classmethod
    def from_options(cls, options: dict[str, Any], paths_base: str | None) -> ResolveOptions:
        module = module_kind(options)
        resolution = _RESOLUTIONS.get(str(options.get("moduleResolution", "")).lower())
        if resolution is None:
            resolution = (
                "node10"
                if module == 1
                else "node16"
                if module in (100, 101, 102)
                else "nodenext"
                if module == 199
                else "bundler"
                if module == 200
                else "classic"
            )
        features = 0
        if resolution in ("node16", "nodenext", "bundler"):
            features = ALL_FEATURES
            for name, flag in (
                ("resolvePackageJsonExports", EXPORTS),
                ("resolvePackageJsonImports", IMPORTS),
            ):
                if options.get(name) is True:
                    features |= flag
                elif options.get(name) is False:
                    features &= ~flag
        json = options.get("resolveJsonModule")
        if json is None:
            json = module in (102, 199) or resolution == "bundler"
        paths = options.get("paths")
        root_dirs = options.get("rootDirs")
        return cls(
            resolution=resolution,
            base_url=options.get("baseUrl"),
            paths=paths if isinstance(paths, dict) else None,
            paths_base=paths_base,
            root_dirs=tuple(root_dirs) if isinstance(root_dirs, list) else None,
            module_suffixes=tuple(options.get("moduleSuffixes") or ()),
            resolve_json=bool(json),
            features=features,
            custom_conditions=tuple(options.get("customConditions") or ()),
        )


def module_kind(options: dict[str, Any]) -> int:
    """The ``module`` option as TypeScript's enum numbers it (its default from ``target``)."""
    module = _MODULE_KINDS.get(str(options.get("module", "")).lower())
    if module is not None:
        return module
    target = _TARGETS.get(str(options.get("target", "")).lower())
    return 5 if target is not None and target >= 2 else 1


@dataclass
class Resolved:
    path: str | None  # the resolved file, EXTERNAL, or None: TypeScript finds nothing
    tried: list[str] = field(default_factory=list)  # files looked for, in order
    workspace: str | None = None  # the workspace package's folder, for a package's name
    not_exported: bool = False  # its `exports` has no entry for the subpath
    alias: str | None = None  # the `paths` key that matched, or "baseUrl" when it mapped


@dataclass
class _State:
    resolving: ResolveOptions
    host: Host
    features: int
    conditions: tuple[str, ...]
    tried: list[str]
    workspace: str | None = None
    not_exported: bool = False
    near: str = ""  # the importing file's folder: which workspace links a package name
    alias: str | None = None


_PACKAGE_NAME = re.compile(r"^(?:@[a-z0-9-][a-z0-9._-]*/)?[a-z0-9-][a-z0-9._-]*$", re.IGNORECASE)


def could_be_package(name: str) -> bool:
    """Whether ``name``'s first part (two for ``@scope/``) could name an npm package: not
    ``@/x`` (no scope), ``~/x`` or ``#x`` (characters npm refuses), which aliases use."""
    return bool(_PACKAGE_NAME.match(_package_name(name)[0]))


def is_relative(name: str) -> bool:
    """``isExternalModuleNameRelative``: ``./x``, ``../x``, ``.``, ``..``, or rooted."""
    return bool(re.match(r"^\.\.?($|/)", name)) or name.startswith("/")


def resolve(
    name: str, containing: str, resolving: ResolveOptions, host: Host, esm: bool
) -> Resolved:
    """Resolve ``name`` imported by the repository file ``containing``. ``esm``: the import
    is in ECMAScript-module mode (node16/nodenext: an ESM file's static import, or any
    ``import()``)."""
    folder = posixpath.dirname(containing)
    tried: list[str] = []
    if resolving.resolution == "classic":
        state = _State(resolving, host, 0, (), tried)
        found = _classic(name, folder, state)
        workspace = (
            None if is_relative(name) else host.workspace_package(_package_name(name)[0], folder)
        )
        return Resolved(found, tried, workspace, alias=state.alias)
    features = resolving.features
    if resolving.resolution in ("node16", "nodenext") and esm:
        features |= ESM
    state = _State(resolving, host, features, _conditions(resolving, esm), tried, near=folder)
    extensions = TS | JS | DTS | (JSON_EXT if resolving.resolve_json else 0)
    if resolving.resolution == "node10":
        found = _try(name, folder, TS | DTS, state) or _try(
            name, folder, extensions & ~(TS | DTS), state
        )
    else:
        found = _try(name, folder, extensions, state)
    return Resolved(
        found, tried, state.workspace, state.not_exported and found is None, state.alias
    )


def _conditions(resolving: ResolveOptions, esm: bool) -> tuple[str, ...]:
    """``getConditions`` for the import's mode (node10 uses none)."""
    if resolving.resolution == "node10":
        return ()
    conditions = ["import" if esm else "require", "types"]
    if resolving.resolution != "bundler":
        conditions.append("node")
    return (*conditions, *resolving.custom_conditions)


def _try(name: str, folder: str, extensions: int, state: _State) -> str | None:
    if not extensions:
        return None
    found = _optional_settings(name, folder, extensions, state, _relative_loader)
    if found:
        return found
    if not is_relative(name):
        if state.features & IMPORTS and name.startswith("#"):
            imported = _from_imports(name, folder, extensions, state)
            if imported is not None:
                return imported.value
        if state.features & SELF_NAME:
            own = _from_self_name(name, folder, extensions, state)
            if own is not None:
                return own.value
        if ":" in name:  # a URL-like name: no file; only a `declare module` can supply it,
            # as @types/node does for `node:fs`
            return EXTERNAL if name.startswith("node:") else None
        linked = state.host.workspace_package(_package_name(name)[0], state.near)
        if not could_be_package(name) and linked is None:
            # no published package has this name; one the repository links under it
            # (babel's "$repo-utils": "link:./scripts/repo-utils") is in node_modules
            return None
        return _from_node_modules(name, extensions, state)
    candidate = posixpath.normpath(posixpath.join(folder, name))
    if name.endswith(("/.", "/..")) or name in (".", ".."):
        candidate += "/"
    return _load_relative(candidate, extensions, state)


@dataclass
class _Found:
    value: str | None  # a result that ends the search, even when it found nothing


Loader = Any  # (extensions, candidate, state) -> str | None


def _relative_loader(extensions: int, candidate: str, state: _State) -> str | None:
    return _load_relative(candidate, extensions, state)


def _optional_settings(
    name: str, folder: str, extensions: int, state: _State, loader: Loader
) -> str | None:
    """``tryLoadModuleUsingOptionalResolutionSettings``: ``paths`` (when one matches, the
    outcome, found or not: ``baseUrl`` is not tried then), ``baseUrl``, ``rootDirs``."""
    s = state.resolving
    if s.paths is not None and not re.match(r"^\.\.?($|/)", name):
        base = s.base_url or s.paths_base or ""
        matched, found = _using_paths(extensions, name, base, s.paths, loader, state)
        if matched:
            return found
    if not is_relative(name):
        if s.base_url is None:
            return None
        state.alias = state.alias or "baseUrl"
        mapped: str | None = loader(extensions, _join(s.base_url, name), state)
        return mapped
    if not s.root_dirs:
        return None
    candidate = _join(folder, name)
    matched_root = None
    for root in s.root_dirs:
        normal = posixpath.normpath(root)
        prefix = "" if normal == "." else normal.rstrip("/") + "/"  # "." holds every path
        if candidate.startswith(prefix) and (
            matched_root is None or len(matched_root[1]) < len(prefix)
        ):
            matched_root = (root, prefix)
    if matched_root is None:
        return None
    found_path: str | None = loader(extensions, candidate, state)
    if found_path:
        return found_path
    suffix = candidate[len(matched_root[1]) :]
    for root in s.root_dirs:
        if root == matched_root[0]:
            continue
        found_path = loader(extensions, _join(posixpath.normpath(root), suffix), state)
        if found_path:
            return found_path
    return None


def _join(base: str, name: str) -> str:
    return posixpath.normpath(posixpath.join(base, name)) if base else posixpath.normpath(name)


def _using_paths(
    extensions: int,
    name: str,
    base: str,
    paths: dict[str, list[str]],
    loader: Loader,
    state: _State,
) -> tuple[bool, str | None]:
    """Whether a ``paths`` key matches ``name``, and what its targets resolve to."""
    match = _best_match(state.resolving, name)
    if match is None:
        return False, None
    pattern, star = match
    state.alias = pattern
    for target in paths.get(pattern) or []:
        if not isinstance(target, str):
            continue
        path = target.replace("*", star, 1) if star is not None else target
        candidate = _join(base, path)
        if _extension_of(target) is not None and _try_file(candidate, state):
            return True, candidate
        found = loader(extensions, candidate, state)
        if found:
            return True, found
    return True, None


def _best_match(resolving: ResolveOptions, name: str) -> tuple[str, str | None] | None:
    """``matchPatternOrExact``: an exact key, else the matching ``*`` pattern with the
    longest prefix (keys with more than one ``*`` are invalid and never match)."""
    if "*" not in name and name in (resolving.paths or {}):
        return name, None
    by_prefix = resolving.paths_index
    for end in range(len(name), -1, -1):
        for suffix, pattern in by_prefix.get(name[:end], ()):
            if len(name) >= end + len(suffix) and name.endswith(suffix):
                return pattern, name[end : len(name) - len(suffix)]
    return None


_EXTENSIONS = (
    ".d.mts",
    ".d.cts",
    ".d.ts",
    ".mts",
    ".cts",
    ".ts",
    ".tsx",
    ".mjs",
    ".cjs",
    ".js",
    ".jsx",
    ".json",
)


def _extension_of(path: str) -> str | None:
    """``tryGetExtensionFromPath``: TypeScript's own extensions only."""
    for ext in _EXTENSIONS:
        if path.endswith(ext):
            return ext
    return None


def _try_file(path: str, state: _State) -> bool:
    if not state.resolving.module_suffixes:
        state.tried.append(path)
        return state.host.is_file(path)
    ext = _extension_of(path) or ""
    stem = path[: -len(ext)] if ext else path
    for suffix in state.resolving.module_suffixes:
        candidate = stem + suffix + ext
        state.tried.append(candidate)
        if state.host.is_file(candidate):
            return True
    return False


def _load_relative(
    candidate: str, extensions: int, state: _State, consider_package: bool = True
) -> str | None:
    """``nodeLoadModuleByRelativeName``: a file, then (outside ESM mode) a folder."""
    if not candidate.endswith("/"):
        found = _load_file(extensions, candidate, state)
        if found:
            return found
    candidate = candidate.rstrip("/") or "."
    if not state.features & ESM:
        package = state.host.package_json(candidate) if consider_package else None
        return _load_directory(extensions, candidate, state, package)
    return None


def _load_file(extensions: int, candidate: str, state: _State) -> str | None:
    """``loadModuleFromFile``: replace a TypeScript/JavaScript extension, then add one."""
    found = _load_no_implicit_extension(extensions, candidate, state)
    if found:
        return found
    if not state.features & ESM:
        return _add_extensions(candidate, extensions, "", state)
    return None


def _load_no_implicit_extension(extensions: int, candidate: str, state: _State) -> str | None:
    base = posixpath.basename(candidate)
    if "." not in base:
        return None
    ext = _removable_extension(candidate)
    stem = candidate[: -len(ext)] if ext else candidate[: candidate.rfind(".")]
    return _add_extensions(stem, extensions, candidate[len(stem) :], state)


def _removable_extension(path: str) -> str | None:
    """``removeFileExtension``'s extensions: TypeScript's and JavaScript's, and ``.json``."""
    for ext in (
        ".d.ts",
        ".d.mts",
        ".d.cts",
        ".mjs",
        ".mts",
        ".cjs",
        ".cts",
        ".ts",
        ".js",
        ".tsx",
        ".jsx",
        ".json",
    ):
        if path.endswith(ext):
            return ext
    return None


def _add_extensions(stem: str, extensions: int, original: str, state: _State) -> str | None:
    def attempt(ext: str) -> str | None:
        path = stem + ext
        return path if _try_file(path, state) else None

    def first(*options: tuple[int, str]) -> str | None:
        for flag, ext in options:
            if extensions & flag:
                found = attempt(ext)
                if found:
                    return found
        return None

    if original in (".mjs", ".mts", ".d.mts"):
        return first((TS, ".mts"), (DTS, ".d.mts"), (JS, ".mjs"))
    if original in (".cjs", ".cts", ".d.cts"):
        return first((TS, ".cts"), (DTS, ".d.cts"), (JS, ".cjs"))
    if original == ".json":
        return first((DTS, ".d.json.ts"), (JSON_EXT, ".json"))
    if original in (".tsx", ".jsx"):
        return first((TS, ".tsx"), (TS, ".ts"), (DTS, ".d.ts"), (JS, ".jsx"), (JS, ".js"))
    if original in (".ts", ".d.ts", ".js", ""):
        return first((TS, ".ts"), (TS, ".tsx"), (DTS, ".d.ts"), (JS, ".js"), (JS, ".jsx"))
    if extensions & DTS and not _is_declaration(stem + original):
        return attempt(f".d{original}.ts")
    return None


def _is_declaration(path: str) -> bool:
    return bool(re.search(r"\.d\.([^.]+\.)?[cm]?ts$", path))


def _load_directory(
    extensions: int, candidate: str, state: _State, package: dict[str, Any] | None
) -> str | None:
    """``loadNodeModuleFromDirectoryWorker``: ``types``/``typings``, ``main``, ``index``."""
    package_file = None
    if package is not None:
        if extensions & DTS:
            package_file = _package_field(package, ("typings", "types"), candidate)
        if package_file is None and extensions & (TS | JS | DTS):
            package_file = _package_field(package, ("main",), candidate)
    if package_file is not None:
        found = _from_package_field(extensions, package_file, state, package)
        if found:
            return found
    if not state.features & ESM:
        return _load_file(extensions, _join(candidate, "index"), state)
    return None


def _package_field(package: dict[str, Any], names: tuple[str, ...], folder: str) -> str | None:
    for name in names:
        value = package.get(name)
        if isinstance(value, str):
            return _join(folder, value)
    return None


def _package_field_file(extensions: int, candidate: str, state: _State) -> str | None:
    """``loadFileNameFromPackageJsonField``: a TypeScript file as named, else by extension."""
    ts_impl = _extension_of(candidate) in (".ts", ".tsx", ".mts", ".cts")
    declaration = _is_declaration(candidate)
    if (extensions & TS and ts_impl and not declaration) or (extensions & DTS and declaration):
        return candidate if _try_file(candidate, state) else None
    return _load_no_implicit_extension(extensions, candidate, state)


def _from_package_field(
    extensions: int, candidate: str, state: _State, package: dict[str, Any] | None
) -> str | None:
    """A ``types``/``main`` target: as a file, else as a file or folder, outside ESM mode
    unless the package is ``"type": "module"``."""
    found = _package_field_file(extensions, candidate, state)
    if found:
        return found
    expanded = TS | DTS if extensions == DTS else extensions
    features = state.features
    if (package or {}).get("type") != "module":
        state.features &= ~ESM
    try:
        return _load_relative(candidate, expanded, state, consider_package=False)
    finally:
        state.features = features


def _package_name(name: str) -> tuple[str, str]:
    parts = name.split("/")
    count = 2 if name.startswith("@") else 1
    return "/".join(parts[:count]), "/".join(parts[count:])


def _from_node_modules(name: str, extensions: int, state: _State) -> str | None:
    """``loadModuleFromSpecificNodeModulesDirectory`` for a workspace package, found by
    name as if linked into node_modules; any other package is EXTERNAL."""
    package_name, rest = _package_name(name)
    folder = state.host.workspace_package(package_name, state.near)
    if folder is None:
        return EXTERNAL
    state.workspace = folder
    candidate = _join(folder, rest) if rest else folder
    info = state.host.package_json(candidate)
    root_info = None
    if rest and info is not None:
        root_info = state.host.package_json(folder)
        if not state.features & EXPORTS or "exports" not in (root_info or {}):
            found = _load_file(extensions, candidate, state)
            return found or _load_directory(extensions, candidate, state, info)
    if rest:
        info = root_info if root_info is not None else state.host.package_json(folder)
    if info is not None and info.get("exports") and state.features & EXPORTS:
        return _from_exports(info, folder, extensions, "./" + rest if rest else ".", state)
    found = None
    if rest or not state.features & ESM:
        found = _load_file(extensions, candidate, state)
    if not found:
        found = _load_directory(extensions, candidate, state, info if not rest else None)
    esm_index = not found and not rest and state.features & ESM
    if esm_index and info is not None and info.get("exports") is None:
        found = _load_file(extensions, _join(candidate, "index.js"), state)
    return found


def config_export(package: dict[str, Any], folder: str, subpath: str, host: Host) -> str | None:
    """The config file a workspace package's ``exports`` gives an ``extends`` for ``subpath``
    (``"."`` or ``"./x"``), as TypeScript's ``nodeNextJsonConfigResolver`` resolves it (nodenext
    features, CommonJS conditions, JSON files); None when none does."""
    state = _State(
        ResolveOptions("nodenext", resolve_json=True, features=ALL_FEATURES),
        host,
        ALL_FEATURES,
        ("require", "types", "node"),
        [],
    )
    return _from_exports(package, folder, JSON_EXT, subpath, state)


def _package_scope(folder: str, state: _State) -> tuple[str, dict[str, Any]] | None:
    current = folder
    while True:
        package = state.host.package_json(current)
        if package is not None:
            return current, package
        if current in ("", "."):
            return None
        current = posixpath.dirname(current)


def _from_self_name(name: str, folder: str, extensions: int, state: _State) -> _Found | None:
    scope = _package_scope(folder, state)
    if scope is None:
        return None
    directory, package = scope
    if package.get("exports") is None or not isinstance(package.get("name"), str):
        return None
    own = package["name"]
    if name != own and not name.startswith(own + "/"):
        return None
    subpath = "." + name[len(own) :]
    return _Found(_from_exports(package, directory, extensions, subpath, state))


def _from_imports(name: str, folder: str, extensions: int, state: _State) -> _Found | None:
    if name in ("#", "#/") or name.startswith("#/"):
        return None
    scope = _package_scope(folder, state)
    if scope is None or not isinstance(scope[1].get("imports"), dict):
        return _Found(None)
    directory, package = scope
    return _Found(_exports_or_imports(extensions, name, package["imports"], directory, state, True))


def _from_exports(
    package: dict[str, Any], folder: str, extensions: int, subpath: str, state: _State
) -> str | None:
    exports = package.get("exports")
    if subpath == ".":
        main = None
        if isinstance(exports, (str, list)) or (
            isinstance(exports, dict) and not any(k.startswith(".") for k in exports)
        ):
            main = exports
        elif isinstance(exports, dict) and "." in exports:
            main = exports["."]
        if main is None:
            state.not_exported = True
            return None
        return _target(main, "", False, extensions, folder, state, False)
    if isinstance(exports, dict) and exports and all(k.startswith(".") for k in exports):
        return _exports_or_imports(extensions, subpath, exports, folder, state, False)
    state.not_exported = True
    return None


def _exports_or_imports(
    extensions: int, name: str, table: dict[str, Any], folder: str, state: _State, imports: bool
) -> str | None:
    if not name.endswith("/") and "*" not in name and name in table:
        return _target(table[name], "", False, extensions, folder, state, imports)
    keys = sorted((k for k in table if k.count("*") == 1 or k.endswith("/")), key=_pattern_key)
    for key in keys:
        star = key.find("*")
        if state.features & PATTERN_TRAILERS and star != -1 and not key.endswith("*"):
            if name.startswith(key[:star]) and name.endswith(key[star + 1 :]):
                sub = name[star : len(name) - (len(key) - 1 - star)]
                return _target(table[key], sub, True, extensions, folder, state, imports)
        elif key.endswith("*") and name.startswith(key[:-1]):
            return _target(
                table[key], name[len(key) - 1 :], True, extensions, folder, state, imports
            )
        elif name.startswith(key):
            return _target(table[key], name[len(key) :], False, extensions, folder, state, imports)
    if not imports:
        state.not_exported = True  # no key of `exports` names the subpath
    return None


def _pattern_key(key: str) -> tuple[int, int, int]:
    """``comparePatternKeys``, as a sort key: longer base before shorter, then longer key."""
    star = key.find("*")
    base = star + 1 if star != -1 else len(key)
    return (-base, 0 if star != -1 else 1, -len(key))


def _target(
    target: Any,
    subpath: str,
    pattern: bool,
    extensions: int,
    folder: str,
    state: _State,
    imports: bool,
) -> str | None:
    if isinstance(target, str):
        if not pattern and subpath and not target.endswith("/"):
            return None
        if not target.startswith("./"):
            if imports and not target.startswith(("../", "/")):
                lookup = target.replace("*", subpath) if pattern else target + subpath
                return _try(lookup, folder, extensions, state)
            return None
        parts = target[2:].split("/")[1:]
        if any(p in ("..", ".", "node_modules") for p in parts):
            return None
        if any(p in ("..", ".", "node_modules") for p in subpath.split("/") if subpath):
            return None
        resolved = _join(folder, target) + ("/" if target.endswith("/") else "")
        final = resolved.replace("*", subpath) if pattern else resolved + subpath
        return _package_field_file(extensions, final, state)
    if isinstance(target, dict):
        applied = False
        for condition, sub in target.items():
            if (
                condition == "default"
                or condition in state.conditions
                or _types_versioned(condition, state.conditions)
            ):
                applied = True
                found = _target(sub, subpath, pattern, extensions, folder, state, imports)
                if found:
                    return found
        if not applied and not imports:
            state.not_exported = True  # exported, but under no condition this import has
        return None
    if target is None and not imports:
        state.not_exported = True  # `null`: the package withholds the subpath
        return None
    if isinstance(target, list):
        for item in target:
            found = _target(item, subpath, pattern, extensions, folder, state, imports)
            if found:
                return found
    return None


def _types_versioned(condition: str, conditions: tuple[str, ...]) -> bool:
    return "types" in conditions and condition.startswith("types@")


def _classic(name: str, folder: str, state: _State) -> str | None:
    resolving, host = state.resolving, state.host

    def loader(extensions: int, candidate: str, state: _State) -> str | None:
        return _load_file(extensions, candidate, state)

    for extensions in (TS | DTS, JS | (JSON_EXT if resolving.resolve_json else 0)):
        found = _optional_settings(name, folder, extensions, state, loader)
        if found:
            return found
        if not is_relative(name):
            current = folder
            while True:
                hit = _load_file(extensions, _join(current, name), state)
                if hit:
                    return hit
                if current in ("", "."):
                    break
                current = posixpath.dirname(current)
            # classic looks only in node_modules/@types: a workspace package is never
            # there; any other name might be, which prgate cannot see
            if (
                extensions & (TS | DTS)
                and could_be_package(name)
                and host.workspace_package(_package_name(name)[0], folder) is None
            ):
                return EXTERNAL
        else:
            hit = _load_file(extensions, _join(folder, name), state)
            if hit:
                return hit
    return None
