"""Find and normalize Jest's configuration the way jest-config 29/30 does, for the haste map.

Discovery (``resolveConfigPath``): from the folder Jest runs in, walk up; in
each folder the candidates are ``jest.config.{js,ts,mjs,cjs,json}`` (Jest 30
adds ``mts`` and ``cts``) and a ``package.json`` with a ``jest`` key (a string
key names the config file). The walk stops at the first folder with a
candidate or any ``package.json``; two candidates is Jest's "Multiple
configurations found". ``rootDir`` is the config's ``rootDir`` resolved against
the config's folder, else that folder.

Only the options that shape the haste map are normalized: ``rootDir``,
``roots``, ``moduleFileExtensions``, ``modulePathIgnorePatterns``,
``cacheDirectory``, ``haste`` and ``projects`` (each project on its own; the
top level's ``roots`` and ``modulePathIgnorePatterns`` are not inherited),
``preset`` (``modulePathIgnorePatterns`` concatenated, the rest overridden)
and, for messages, ``testPathIgnorePatterns`` and ``watchPathIgnorePatterns``.

Configs Jest rejects raise ``JestConfigError`` (Jest's own wording); configs
prgate cannot evaluate safely raise ``Unpredictable``.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from workers.checks.jest_collision.haste_map import VCS_DIRECTORIES, HasteProject
from workers.checks.jest_collision.js_regex import JsRegexError, compile_js, translate
from workers.checks.jest_collision.tree import (
    JestConfigError,
    Tree,
    Unpredictable,
    parse_json,
)
from workers.engine.views import FileSkipped, RepoView

CONFIG_EXTS = {
    29: (".js", ".ts", ".mjs", ".cjs", ".json"),
    30: (".js", ".ts", ".mjs", ".mts", ".cjs", ".cts", ".json"),
}
DEFAULT_EXTENSIONS = {
    29: ("js", "mjs", "cjs", "jsx", "ts", "tsx", "json", "node"),
    30: ("js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx", "json", "node"),
}
PRESET_EXTS = (".json", ".js", ".cjs", ".mjs")
_TS_JEST = (
    "",
    "/presets/default",
    "/presets/default-esm",
    "/presets/js-with-ts",
    "/presets/js-with-ts-esm",
    "/presets/js-with-babel",
    "/presets/js-with-babel-esm",
)


def known_preset(name: str, version: int) -> dict[str, Any] | None:
    """Haste-relevant options of presets published on npm, or None when prgate does not know them.

    node_modules is never in a checkout, so a package preset cannot be read;
    these values were read from the packages themselves: ts-jest 29 (its
    presets set ``transform`` only), jest-preset-angular 17 and @react-native/jest-preset
    0.85 to 0.88. ``@nx/jest``'s
    preset depends on its version and Jest's: ``nx_jest.preset_options``.
    """
    if name in {f"ts-jest{s}" for s in _TS_JEST}:
        return {}
    if name == "jest-preset-angular":
        return {"moduleFileExtensions": list(_ANGULAR_EXTENSIONS)}
    if name == "@react-native/jest-preset":
        # 0.85 to 0.88 set haste.platforms to android, ios and native, which Jest already
        # knows (a package.json's module platform comes from its file name, "package.json")
        return {}
    return None


_ANGULAR_EXTENSIONS = ("ts", "html", "js", "json", "mjs")
PRESET_MODULES = ("jest-preset-angular/presets", "@react-native/jest-preset")
# @react-native/jest-preset's module (jest-preset.js), 0.85.0 to 0.88.0 and 0.89.0-rc.0:
# this haste object, and these keys, whose values are paths into node_modules
_REACT_NATIVE_HASTE = {"defaultPlatform": "ios", "platforms": ["android", "ios", "native"]}
_REACT_NATIVE_OTHERS = (
    "moduleNameMapper",
    "resolver",
    "transform",
    "transformIgnorePatterns",
    "setupFiles",
    "testEnvironment",
)


def preset_module(spec: str) -> str:
    """The source of a preset package's module a config may require (one of
    PRESET_MODULES), as a module factory for js_eval: what its functions return for the
    haste map, and a stand-in for the rest. jest-preset-angular 14.6, 15.0, 16.2 and 17.0
    were read: ``createCjsPreset``/``createEsmPreset`` set ``moduleFileExtensions`` to the
    same list whatever their options (those only reach ``transform``).
    ``@react-native/jest-preset`` is the preset object itself (a config may take its
    ``transform``, or spread it)."""
    assert spec in PRESET_MODULES
    unknown = json.dumps({STAND_IN: f"set by {spec}"})
    if spec == "@react-native/jest-preset":
        others = ", ".join(f"{key}: {unknown}" for key in _REACT_NATIVE_OTHERS)
        return (
            "(function (module, exports) {"
            f" module.exports = {{ haste: {json.dumps(_REACT_NATIVE_HASTE)}, {others} }}; }})"
        )
    preset = (
        "(options) => ({"
        f" moduleFileExtensions: {json.dumps(list(_ANGULAR_EXTENSIONS))},"
        " testEnvironment: (options || {}).testEnvironment ?? 'jsdom',"
        f" snapshotSerializers: {unknown}, transform: {unknown},"
        f" transformIgnorePatterns: {unknown} }})"
    )
    return (
        "(function (module, exports) {"
        f" exports.createCjsPreset = {preset}; exports.createEsmPreset = {preset}; }})"
    )


# The options that decide Jest's haste map: a value computed by a function in one of them
# makes a config unpredictable; the others may hold what prgate cannot know.
STAND_IN = "__prgate__"  # the key of what js_eval puts where it did not evaluate
HASTE_KEYS = (
    "rootDir",
    "roots",
    "moduleFileExtensions",
    "modulePathIgnorePatterns",
    "cacheDirectory",
    "haste",
    "projects",
    "preset",
    "runner",
)


@dataclass(frozen=True)
class JestProject:
    haste: HasteProject
    config_path: str | None  # repo-relative config file, None for an inline project
    config_format: str  # "json", "package.json", "js" or "inline"
    label: str  # how messages name the project: its rootDir, repo-relative
    test_path_ignore: tuple[str, ...] = ()
    watch_path_ignore: tuple[str, ...] = ()


def package_manifests(view: RepoView, run_dir: str = ".") -> Iterator[dict[str, Any]]:
    """The parsed ``package.json`` of ``run_dir`` and of the repository root, when valid.

    A manifest that is listed but cannot be read (over the size limit, not a
    regular file) raises Unpredictable: whether Jest is used, and which
    version, is not known without it.
    """
    for rel in dict.fromkeys((posixpath.normpath(f"{run_dir}/package.json"), "package.json")):
        if view.entry(rel) is None:
            continue
        try:
            data = parse_json(view.read(rel), rel)
        except FileSkipped as exc:
            raise Unpredictable(f"{rel} could not be read: {exc}", rel) from None
        except ValueError:
            continue
        if isinstance(data, dict):
            yield data


def jest_version(view: RepoView, run_dir: str = ".") -> int:
    """The Jest major version the repository pins (29 or 30); 30 when it says nothing."""
    for data in package_manifests(view, run_dir):
        for section in ("devDependencies", "dependencies"):
            deps = data.get(section)
            spec = deps.get("jest") if isinstance(deps, dict) else None
            if isinstance(spec, str) and (m := re.search(r"(\d+)", spec)):
                return 29 if int(m.group(1)) <= 29 else 30
    return 30


def resolve_config_path(tree: Tree, start: str, version: int) -> str | None:
    """``resolveConfigPath`` from an absolute folder; None when the walk leaves the repository."""
    directory = start
    while True:
        candidates = [
            f"{directory}/jest.config{ext}"
            for ext in CONFIG_EXTS[version]
            if tree.is_file(f"{directory}/jest.config{ext}")
        ]
        package = f"{directory}/package.json"
        has_package = tree.is_file(package)
        if has_package:
            key = jest_key(tree, package)
            if isinstance(key, str):
                target = key if key.startswith("/") else posixpath.normpath(f"{directory}/{key}")
                if not tree.is_file(target):
                    raise JestConfigError(
                        f"Configuration in {tree.rel(package)} is not valid. Jest expects the "
                        f"string configuration to point to a file, but {target} is not.",
                        tree.rel(package),
                    )
                candidates.append(target)
            elif js_truthy(key):
                candidates.append(package)
        if len(candidates) > 1:
            names = ", ".join(tree.rel(c) for c in candidates)
            raise JestConfigError(
                f"Multiple configurations found: {names}. Jest 28+ refuses to pick one; "
                "keep one configuration file and delete the others (or the `jest` key).",
                tree.rel(candidates[0]),
            )
        if candidates:
            return candidates[0]
        if has_package:
            return package
        if directory == tree.root:
            return None
        directory = posixpath.dirname(directory)


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness of a JSON value: ``{}`` and ``[]`` are true."""
    if isinstance(value, dict | list):
        return True
    return bool(value)


def jest_key(tree: Tree, package: str) -> Any:
    """The ``jest`` key of a package.json; Unpredictable when prgate could not read the file."""
    try:
        data = parse_json(tree.read(package), tree.rel(package))
    except ValueError:
        return None  # Jest swallows the parse error here and reads the file again later
    return data.get("jest") if isinstance(data, dict) else None


def read_config(tree: Tree, path: str) -> tuple[dict[str, Any], str]:
    """The options object in a config file with ``rootDir`` resolved, and its format."""
    rel = tree.rel(path)
    if path.endswith("/package.json") or path.endswith(".json"):
        try:
            value = parse_json(tree.read(path), rel)
        except ValueError as exc:
            raise JestConfigError(f"Jest: Failed to parse config file {rel}: {exc}", rel) from None
        fmt = "json"
        if path.endswith("/package.json"):
            value = (value.get("jest") if isinstance(value, dict) else None) or {}
            fmt = "package.json"
    else:
        value = _load_js(tree, path)
        fmt = "js"
    if not isinstance(value, dict):
        raise JestConfigError(f"{rel} does not export a configuration object", rel)
    directory = posixpath.dirname(path)
    root_dir = value.get("rootDir")
    if root_dir:
        if not isinstance(root_dir, str):
            raise JestConfigError(f'{rel}: Option "rootDir" must be a string', rel)
        value = {**value, "rootDir": posixpath.normpath(posixpath.join(directory, root_dir))}
    else:
        value = {**value, "rootDir": directory}
    return value, fmt


def projects_for(tree: Tree, run_dir: str, version: int) -> Iterator[JestProject]:
    """The projects Jest would build haste maps for when run in ``run_dir`` (repo-relative)."""
    start = tree.folder(run_dir)
    if not tree.is_dir(start):
        raise JestConfigError(
            f"Can't find a root directory while resolving a config file path: {run_dir}"
        )
    path = resolve_config_path(tree, start, version)
    if path is None:
        return
    options, fmt = read_config(tree, path)
    projects = options.get("projects")
    if not projects:
        yield normalize(tree, options, path, fmt, version)
        return
    if not isinstance(projects, list):
        raise JestConfigError(
            f'{tree.rel(path)}: Option "projects" must be an array', tree.rel(path)
        )
    seen: dict[str, str] = {}
    for entry in _expand_projects(tree, projects, options["rootDir"]):
        if isinstance(entry, dict):
            inline = dict(entry)
            inline["rootDir"] = (
                posixpath.normpath(
                    posixpath.join(
                        start, entry["rootDir"].replace("<rootDir>", posixpath.dirname(path))
                    )
                )
                if isinstance(entry.get("rootDir"), str) and entry["rootDir"]
                else posixpath.dirname(path)
            )
            yield normalize(tree, inline, None, "inline", version)
            continue
        if not isinstance(entry, str):
            raise JestConfigError(
                f"{tree.rel(path)}: a project must be a path or an object", tree.rel(path)
            )
        target = (
            entry if entry.startswith("/") else posixpath.normpath(posixpath.join(start, entry))
        )
        if tree.is_file(target):
            if not target.endswith(CONFIG_EXTS[version]) and not target.endswith("/package.json"):
                continue  # readConfigs drops files that are not configs
            config_path = target
        elif tree.is_dir(target):
            found = resolve_config_path(tree, target, version)
            if found is None:
                raise JestConfigError(f"No Jest configuration found for project {tree.rel(target)}")
            config_path = found
        else:
            raise JestConfigError(
                f"Can't find a root directory while resolving a config file path.\n"
                f"Provided path to resolve: {entry}",
                tree.rel(path),
            )
        if config_path in seen:
            raise JestConfigError(
                f"Whoops! Two projects resolved to the same config path: {tree.rel(config_path)} "
                f"(from {seen[config_path]} and {entry})",
                tree.rel(path),
            )
        seen[config_path] = entry
        project_options, project_fmt = read_config(tree, config_path)
        yield normalize(tree, project_options, config_path, project_fmt, version)


def _expand_projects(tree: Tree, projects: list[Any], root_dir: str) -> Iterator[Any]:
    for project in projects:
        if not isinstance(project, str):
            yield project
            continue
        pattern = project.replace("<rootDir>", root_dir)
        matches = sorted(glob(tree, pattern))
        yield from matches or [pattern]


def glob(tree: Tree, pattern: str) -> Iterator[str]:
    """node-glob's ``sync`` over the repository: ``*``, ``?``, ``[..]``, ``**`` and ``{a,b}``.

    Like glob's default, wildcards do not match names starting with a dot.
    """
    for expanded in _braces(pattern):
        if not expanded.startswith("/"):
            continue  # Jest resolves relative project globs against the process cwd
        parts = expanded.strip("/").split("/")
        yield from _glob_from("", parts, tree)


def _braces(pattern: str) -> list[str]:
    m = re.search(r"\{([^{}]*,[^{}]*)\}", pattern)
    if not m:
        return [pattern]
    out = []
    for alt in m.group(1).split(","):
        out.extend(_braces(pattern[: m.start()] + alt + pattern[m.end() :]))
    return out


def _glob_from(base: str, parts: list[str], tree: Tree) -> Iterator[str]:
    if not parts:
        if tree.exists(base or "/"):
            yield base
        return
    head, rest = parts[0], parts[1:]
    if head == "**":
        yield from _glob_from(base, rest, tree)
        for child in tree.children(base):
            if not child.rsplit("/", 1)[-1].startswith(".") and tree.is_dir(child):
                yield from _glob_from(child, parts, tree)
        return
    if not any(c in head for c in "*?["):
        yield from _glob_from(f"{base}/{head}", rest, tree)
        return
    regex = re.compile(fnmatch.translate(head))
    for child in tree.children(base):
        name = child.rsplit("/", 1)[-1]
        if name.startswith(".") and not head.startswith("."):
            continue
        if regex.match(name):
            yield from _glob_from(child, rest, tree)


def _string_list(options: dict[str, Any], key: str, where: str | None) -> list[str]:
    value = options.get(key)
    if value is None or (isinstance(value, dict) and STAND_IN in value):
        return []  # left out of the evaluation (js_contain): only messages read these
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise JestConfigError(
            f'{where or "inline project"}: Option "{key}" must be an array of strings', where
        )
    return value


def _apply_preset(
    tree: Tree, options: dict[str, Any], where: str | None, version: int
) -> dict[str, Any]:
    preset_name = options.get("preset")
    if not preset_name:
        return options
    if not isinstance(preset_name, str):
        raise JestConfigError(f'{where}: Option "preset" must be a string', where)
    root_dir = options["rootDir"]
    preset_path = preset_name.replace("<rootDir>", root_dir)
    preset: Any
    if preset_path.startswith((".", "/")):
        base = (
            preset_path
            if preset_path.startswith("/")
            else posixpath.normpath(f"{root_dir}/{preset_path}")
        )
        candidates = [base] + [base + ext for ext in PRESET_EXTS]
        found = next((c for c in candidates if tree.is_file(c)), None)
        if found is None:
            raise JestConfigError(
                f"Preset {preset_name} not found relative to rootDir {tree.rel(root_dir)}.", where
            )
        if found.endswith(".json"):  # Jest requires the preset as a whole object
            try:
                preset = parse_json(tree.read(found), tree.rel(found))
            except ValueError as exc:
                raise JestConfigError(f"Preset {preset_name}: {exc}", where) from None
        else:
            preset = _load_js(tree, found)
    else:
        if preset_name in ("@nx/jest/preset", "@nrwl/jest/preset"):
            from workers.checks.jest_collision import nx_jest  # loaded only for an Nx preset

            preset = nx_jest.preset_options(tree, preset_name, version)
        else:
            preset = known_preset(preset_name, version)
        if preset is None:
            raise Unpredictable(
                f"preset {preset_name!r} comes from node_modules, which is not in the checkout, "
                "and prgate does not know its options (it knows ts-jest, jest-preset-angular, "
                "@react-native/jest-preset and @nx/jest/preset)",
                where,
            )
    if not isinstance(preset, dict):
        raise JestConfigError(f"Preset {preset_name} does not export an object", where)
    merged = {**preset, **options}
    if isinstance(options.get("modulePathIgnorePatterns"), list) and isinstance(
        preset.get("modulePathIgnorePatterns"), list
    ):
        merged["modulePathIgnorePatterns"] = [
            *preset["modulePathIgnorePatterns"],
            *options["modulePathIgnorePatterns"],
        ]
    return merged


def _load_js(tree: Tree, path: str) -> Any:
    if tree.load_js is None:
        raise Unpredictable(
            f"{tree.rel(path)} is JavaScript and no evaluator is available", tree.rel(path)
        )
    return tree.load_js(tree, path)


def _roots(tree: Tree, options: dict[str, Any], root_dir: str, where: str | None) -> list[str]:
    raw_roots = options.get("roots")
    raw_roots = ["<rootDir>"] if raw_roots is None else _string_list(options, "roots", where)
    roots = []
    for i, raw in enumerate(raw_roots):
        root = posixpath.normpath(posixpath.join(root_dir, raw.replace("<rootDir>", root_dir)))
        if not tree.is_dir(root):
            if tree.is_file(root):
                raise JestConfigError(f"{root} in the roots[{i}] option is not a directory.", where)
            raise JestConfigError(
                f"Directory {root} in the roots[{i}] option was not found.", where
            )
        roots.append(root)
    return roots


def _extensions(options: dict[str, Any], where: str | None, version: int) -> list[str]:
    extensions = options.get("moduleFileExtensions")
    if extensions is None:
        return list(DEFAULT_EXTENSIONS[version])
    if not isinstance(extensions, list) or not all(isinstance(e, str) for e in extensions):
        raise JestConfigError(
            f'{where}: Option "moduleFileExtensions" must be an array of strings', where
        )
    if "js" not in extensions and options.get("runner") in (None, "jest-runner"):
        raise JestConfigError(
            "moduleFileExtensions must include 'js': but instead received: "
            + json.dumps(extensions),
            where,
        )
    return extensions


def _ignore_pattern(
    options: dict[str, Any], root_dir: str, where: str | None
) -> tuple[list[str], re.Pattern[str]]:
    """modulePathIgnorePatterns (and a cacheDirectory inside rootDir) as Jest's one regex."""
    parts = [
        p.replace("<rootDir>", root_dir)
        for p in _string_list(options, "modulePathIgnorePatterns", where)
    ]
    cache = options.get("cacheDirectory")
    if isinstance(cache, str):
        cache = posixpath.normpath(posixpath.join(root_dir, cache.replace("<rootDir>", root_dir)))
        if cache.startswith(root_dir + "/"):
            parts.append(cache)
    source = "|".join([*parts, VCS_DIRECTORIES]) if parts else VCS_DIRECTORIES
    try:
        # Jest builds new RegExp(parts.join('|')) first, then appends the VCS part.
        if parts:
            translate("|".join(parts))
        return parts, compile_js(source)
    except JsRegexError as exc:
        raise JestConfigError(f"modulePathIgnorePatterns: {exc}", where) from None


def normalize(
    tree: Tree, options: dict[str, Any], path: str | None, fmt: str, version: int
) -> JestProject:
    where = tree.rel(path) if path else None
    options = _apply_preset(tree, options, where, version)
    root_dir = posixpath.normpath(options["rootDir"])
    if not tree.is_dir(root_dir):
        raise JestConfigError(f"Directory {root_dir} in the rootDir option was not found.", where)

    roots = _roots(tree, options, root_dir, where)
    extensions = _extensions(options, where, version)

    haste = options.get("haste") or {}
    if not isinstance(haste, dict):
        raise JestConfigError(f'{where}: Option "haste" must be an object', where)
    if haste.get("hasteImplModulePath"):
        raise Unpredictable(
            "haste.hasteImplModulePath makes every file's haste name depend on the "
            f"repository's code ({haste['hasteImplModulePath']}); prgate does not run it",
            where,
        )

    parts, ignore = _ignore_pattern(options, root_dir, where)

    return JestProject(
        haste=HasteProject(
            root_dir=root_dir,
            roots=tuple(roots),
            extensions=frozenset(["snap", *extensions]),
            ignore=ignore,
            ignore_parts=tuple(parts),
            files_only_ignore=haste.get("forceNodeFilesystemAPI", True) is False,
            retain_all_files=bool(haste.get("retainAllFiles")),
            throw_on_collision=bool(haste.get("throwOnModuleCollision")),
        ),
        config_path=where,
        config_format=fmt,
        label=tree.rel(root_dir),
        test_path_ignore=tuple(
            p.replace("<rootDir>", root_dir)
            for p in _string_list(options, "testPathIgnorePatterns", where)
        ),
        watch_path_ignore=tuple(
            p.replace("<rootDir>", root_dir)
            for p in _string_list(options, "watchPathIgnorePatterns", where)
        ),
    )
