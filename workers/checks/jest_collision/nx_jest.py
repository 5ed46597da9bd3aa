"""What ``@nx/jest`` gives a Jest config in an Nx workspace, reproduced from the files.

An Nx workspace's root ``jest.config.ts`` is usually
``projects: await getJestProjectsAsync()`` and each project's config spreads
``require('@nx/jest/preset')``. Both live in ``node_modules``, which is never in a
checkout, and both run Nx's project graph, which prgate will not run. This module
reproduces what they return for the installed ``@nx/jest`` version, read from the
lockfile (``package-lock.json``, ``pnpm-lock.yaml``, ``yarn.lock``) or else the
root ``package.json``'s version range:

* ``getJestProjectsAsync()`` (18.3+): ``<rootDir>/<path>`` of every project
  target that runs Jest: the ``@nx/jest:jest`` executor's ``jestConfig``, or an
  ``nx:run-commands`` command with a word ``jest`` (its ``--config``, else its
  ``cwd``), including the ``test`` targets ``@nx/jest/plugin`` infers for each
  ``jest.config.*`` beside a ``project.json`` (or a workspace ``package.json``);
  from 20.0 a folder whose config file is also listed is dropped;
* ``getJestProjects()`` (16 to 20): the ``@nx/jest:jest`` targets written in
  ``project.json`` files;
* the preset, whose haste-relevant options changed in 21.3.0, 21.5.3 and 22.7.2.

Target defaults (``targetDefaults`` in nx.json) are applied in
``getJestProjectsAsync()`` in the shapes ``nx_target_defaults`` models.
``getJestProjects()`` reads the project graph Nx cached when there is one, else the
files, and the two differ on target defaults: there they are unpredictable.
From the files (real Nx 16.7.4 to 20.0.3) it also leaves ``{projectRoot}`` in a
``jestConfig`` unresolved, and Jest then stops ("Can't find a root directory") before
any haste map: the cached graph's answer, modelled here, is the only one Jest acts on.
A workspace package's Jest target is a different matter: left out by 16.7.4 and 17.3.2,
listed by 18.3.5, by 20.0.3 only from the cache, each a haste map Jest does build, so
it makes ``getJestProjects()`` unpredictable.

What this model does not cover is never guessed: a plugin other than Nx's own, any
other target default or a target both inferred and written that could change which
commands run Jest, a version range that spans a change of behaviour, or a version
older than 16 make the prediction Unpredictable, with the reason. Versions newer
than the newest prgate has read are assumed to behave like it, and a note says so.
The tables below were read from the published ``@nx/jest`` packages.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workers.checks.jest_collision import nx_target_defaults
from workers.checks.jest_collision.nx_target_defaults import (
    JEST_EXECUTORS,
    TargetDefaults,
    relevant,
)
from workers.checks.jest_collision.tree import Unpredictable, parse_json
from workers.checks.workspaces import (
    UnreadGlob,
    glob_regex,
    matches,
    package_globs,
    workspace_patterns,
)
from workers.engine.views import FileSkipped

if TYPE_CHECKING:
    from workers.checks.jest_collision.tree import Tree

Version = tuple[int, int, int, int]  # major, minor, patch, 0 for a prerelease else 1

OLDEST: Version = (16, 0, 0, 1)
NEWEST: Version = (23, 2, 1, 1)  # the newest release whose code was read
ASYNC_SINCE: Version = (18, 3, 0, 1)  # getJestProjectsAsync
DEDUPE_SINCE: Version = (20, 0, 0, 1)  # removeDuplicates in getJestProjectsAsync
SYNC_UNTIL: Version = (21, 0, 0, 0)  # getJestProjects was removed in 21
# The preset: 21.3.0 added mts/cts/cjs to moduleFileExtensions for every Jest; 21.5.3
# kept them for Jest 30 only; 22.7.2 added modulePathIgnorePatterns.
PRESET_BREAKS: tuple[Version, ...] = ((21, 3, 0, 1), (21, 5, 3, 1), (22, 7, 2, 1))
MODULES = ("@nx/jest", "@nrwl/jest", "@nx/jest/preset", "@nrwl/jest/preset")
PLUGIN_CONFIG = re.compile(r"(?:^|/)jest\.config\.(?:cjs|mjs|js|cts|mts|ts)$")
# The run-commands test of @nx/jest's get-jest-projects, as a Python pattern.
JEST_COMMAND = re.compile(r"(?:^|(?<=&))(?:[^&\r\n\s]* )*jest(?: [^&\r\n\s]*)*(?=\Z|&)")


def _version(text: str) -> Version | None:
    m = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+\S*)?", text.strip())
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), 0 if m.group(4) else 1)


def _show(v: Version) -> str:
    return f"{v[0]}.{v[1]}.{v[2]}" + ("-pre" if not v[3] else "")


@dataclass(frozen=True)
class Installed:
    """The versions of a package a checkout can install: ``low`` <= v < ``high``."""

    low: Version
    high: Version | None  # None: no upper bound; equal to low: exactly low
    source: str

    def spans(self, breaks: Iterable[Version]) -> Version | None:
        """A break strictly inside the range (behaviour differs within it), if any."""
        if self.high == self.low:
            return None
        for b in breaks:
            if self.low < b and (self.high is None or b < self.high):
                return b
        return None

    def at_least(self, v: Version) -> bool:
        return self.low >= v

    @property
    def exact(self) -> bool:
        return self.high == self.low


def _range(spec: str, source: str) -> Installed | None:
    spec = spec.strip()
    exact = _version(spec.lstrip("="))
    if exact is not None:
        return Installed(exact, exact, source)
    m = re.fullmatch(r"([\^~]|>=)\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?", spec)
    if not m:
        return None
    op, major = m.group(1), int(m.group(2))
    minor, patch = int(m.group(3) or 0), int(m.group(4) or 0)
    low = (major, minor, patch, 0 if m.group(5) else 1)
    if op == ">=":
        return Installed(low, None, source)
    if op == "^":
        high = (major + 1, 0, 0, 0) if major else (0, minor + 1, 0, 0)
    else:
        high = (major, minor + 1, 0, 0)
    return Installed(low, high, source)


def _read_json(tree: Tree, rel: str) -> Any:
    try:
        return parse_json(tree.view.read(rel), rel)
    except FileSkipped as exc:
        raise Unpredictable(f"{rel} could not be read: {exc}", rel) from None
    except ValueError as exc:
        raise Unpredictable(f"{rel} is not valid JSON: {exc}", rel) from None


def _read_text(tree: Tree, rel: str) -> str:
    try:
        return tree.view.read(rel).decode("utf-8", "replace")
    except FileSkipped as exc:
        raise Unpredictable(f"{rel} could not be read: {exc}", rel) from None


def _locked(tree: Tree, package: str) -> Installed | None:
    """The exact version a lockfile at the root records, when it records one."""
    view = tree.view
    if view.entry("package-lock.json") is not None:
        data = _read_json(tree, "package-lock.json")
        found: set[str] = set()
        if isinstance(data, dict):
            for key, value in (data.get("packages") or {}).items():
                if key.endswith(f"node_modules/{package}") and isinstance(value, dict):
                    found.add(str(value.get("version", "")))
            legacy = (data.get("dependencies") or {}).get(package)
            if isinstance(legacy, dict):
                found.add(str(legacy.get("version", "")))
        return _one(found, "package-lock.json")
    if view.entry("pnpm-lock.yaml") is not None:
        text = _read_text(tree, "pnpm-lock.yaml")
        found = set(
            re.findall(rf"^\s+['\"]?/?{re.escape(package)}@(\d[^:('\"\s]*)", text, re.MULTILINE)
        )
        return _one(found, "pnpm-lock.yaml")
    if view.entry("yarn.lock") is not None:
        text = _read_text(tree, "yarn.lock")
        found = set()
        for block in re.split(r"\n\s*\n", text):
            header = block.lstrip().split("\n", 1)[0]
            if re.search(rf"(?:^|[\s,\"]){re.escape(package)}@", header):
                m = re.search(r"^\s+version:?\s+\"?([^\"\s]+)", block, re.MULTILINE)
                if m:
                    found.add(m.group(1))
        return _one(found, "yarn.lock")
    return None


def _one(found: set[str], source: str) -> Installed | None:
    versions = {v for v in (_version(f) for f in found if f) if v is not None}
    if len(versions) != 1:
        return None  # not recorded, or several copies: fall back to the declared range
    (v,) = versions
    return Installed(v, v, source)


def installed(tree: Tree, package: str) -> Installed:
    """Which ``package`` (``@nx/jest`` or ``@nrwl/jest``) the checkout installs."""
    locked = _locked(tree, package)
    if locked is not None:
        return locked
    spec = None
    if tree.view.entry("package.json") is not None:
        data = _read_json(tree, "package.json")
        for section in ("devDependencies", "dependencies", "optionalDependencies"):
            deps = data.get(section) if isinstance(data, dict) else None
            if isinstance(deps, dict) and isinstance(deps.get(package), str):
                spec = deps[package]
                break
    if spec is None:
        raise Unpredictable(
            f"a Jest config requires {package}, but neither a lockfile nor package.json "
            "says which version is installed",
            "package.json",
        )
    found = _range(spec, f"package.json ({package} {spec})")
    if found is None:
        raise Unpredictable(
            f"package.json asks for {package} {spec!r}; prgate reads exact versions, "
            "^, ~ and >= ranges",
            "package.json",
        )
    return found


def _check_known(tree: Tree, package: str, found: Installed) -> None:
    if found.low < OLDEST:
        raise Unpredictable(
            f"{package} {_show(found.low)} ({found.source}) is older than the versions "
            f"prgate has read ({_show(OLDEST)} to {_show(NEWEST)})",
            "package.json",
        )
    if found.high is None or found.high > NEWEST or found.low > NEWEST:
        tree.notes.append(
            f"{package} from {found.source} may be newer than {_show(NEWEST)}, the newest "
            "release prgate has read; it is assumed to behave like that one"
        )


def _same_within(tree: Tree, package: str, found: Installed, breaks: Iterable[Version]) -> None:
    b = found.spans(breaks)
    if b is not None:
        raise Unpredictable(
            f"{found.source} allows {package} versions before and after {_show(b)}, where "
            "what it returns changed; a lockfile would say which one is installed",
            "package.json",
        )


def preset_options(tree: Tree, name: str, jest_major: int) -> dict[str, Any]:
    """The haste-relevant options of ``@nx/jest/preset`` at the installed version."""
    package = name.rsplit("/preset", 1)[0]
    found = installed(tree, package)
    _check_known(tree, package, found)
    breaks = PRESET_BREAKS if jest_major < 30 else (PRESET_BREAKS[0], PRESET_BREAKS[2])
    _same_within(tree, package, found, breaks)
    v = found.low
    old = ["ts", "js", "mjs", "html"]
    new = ["ts", "js", "mts", "mjs", "cts", "cjs", "html"]
    if v < PRESET_BREAKS[0]:
        exts = old
    elif v < PRESET_BREAKS[1]:
        exts = new
    else:
        exts = new if jest_major >= 30 else old
    options: dict[str, Any] = {"moduleFileExtensions": exts}
    if v >= PRESET_BREAKS[2]:
        options["modulePathIgnorePatterns"] = ["<rootDir>/dist/", "<rootDir>/out-tsc/"]
    return options


def module_source(tree: Tree, spec: str, jest_major: int) -> str:
    """A CommonJS factory standing in for ``spec`` (one of MODULES) in the JS sandbox."""
    if spec.endswith("/preset"):
        preset = json.dumps(preset_options(tree, spec, jest_major))
        return (
            "(function (module, exports) { exports.__esModule = true;"
            f" exports.default = {preset}; exports.nxPreset = exports.default; }})"
        )
    found = installed(tree, spec)
    _check_known(tree, spec, found)
    _same_within(tree, spec, found, (ASYNC_SINCE, DEDUPE_SINCE, SYNC_UNTIL))
    parts = ["(function (module, exports) {"]
    failed: list[Unpredictable] = []
    apis = [
        (name, inferred)
        for name, available, inferred in (
            ("getJestProjectsAsync", found.at_least(ASYNC_SINCE), True),
            ("getJestProjects", found.low < SYNC_UNTIL, False),
        )
        if available
    ]
    for name, inferred in apis:
        dedupe = inferred and found.at_least(DEDUPE_SINCE)
        try:
            listed = jest_projects(tree, dedupe=dedupe, inferred=inferred)
        except Unpredictable as exc:  # fails the config only if the config calls it
            failed.append(exc)
            parts.append(f" exports.{name} = () => {{ throw new Error({json.dumps(str(exc))}); }};")
            continue
        tree.notes.append(
            f"{spec} {_show(found.low)} ({found.source}): {name}() reproduced from the "
            f"workspace's project.json files and nx.json: {len(listed)} project(s)"
        )
        value = json.dumps(listed)
        call = f"async () => {value}" if inferred else f"() => {value}"
        parts.append(f" exports.{name} = {call};")
    if failed and len(failed) == len(apis):
        raise failed[0]  # whichever the config calls, the reason is this one (and its file)
    parts.append(" })")
    return "".join(parts)


# --- the workspace's projects and their targets ------------------------------------


def _glob_regex(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return glob_regex(pattern)
    except UnreadGlob as exc:
        raise Unpredictable(f"{where}: {exc}", where) from None


def _workspace_globs(tree: Tree) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
    """Package-manager workspaces: (include, exclude) patterns for package.json paths."""
    import yaml

    root = _read_json(tree, "package.json") if tree.view.entry("package.json") else None
    pnpm = "pnpm-workspace.yaml"
    try:
        patterns = workspace_patterns(
            root, (lambda: _read_text(tree, pnpm)) if tree.view.entry(pnpm) else None
        )
    except yaml.YAMLError as exc:
        raise Unpredictable(f"{pnpm}: {exc}", pnpm) from None
    try:
        return package_globs(patterns)
    except UnreadGlob as exc:
        raise Unpredictable(f"package.json workspaces: {exc}", "package.json") from None


@dataclass
class _Target:
    name: str
    body: dict[str, Any]
    source: str  # the file that sets it


def _plugins(tree: Tree, nx: dict[str, Any]) -> list[dict[str, Any]]:
    """The @nx/jest/plugin entries of nx.json; Unpredictable for a plugin Nx does not ship."""
    found = []
    for entry in nx.get("plugins") or []:
        name = entry if isinstance(entry, str) else entry.get("plugin")
        if not isinstance(name, str):
            raise Unpredictable("nx.json: a plugin entry without a name", "nx.json")
        if name == "@nx/jest/plugin":
            found.append(entry if isinstance(entry, dict) else {"plugin": name})
        elif not name.startswith("@nx/"):
            # Nx's own plugins other than @nx/jest infer no target whose command runs Jest.
            raise Unpredictable(
                f"nx.json lists the plugin {name!r}, which may infer targets that run Jest; "
                "prgate does not run plugins",
                "nx.json",
            )
    return found


def _token(value: str, root: str, name: str | None, where: str) -> str:
    """Nx's resolveNxTokensInOptions for one string."""
    value = re.sub(r"^\{workspaceRoot\}/?", "", value)
    if "{workspaceRoot}" in value:
        raise Unpredictable(f"{where}: {{workspaceRoot}} is only valid at the start", where)
    value = value.replace("{projectRoot}", root)
    if "{projectName}" in value:
        if name is None:
            raise Unpredictable(f"{where}: {{projectName}} of a project without a name", where)
        value = value.replace("{projectName}", name)
    return value


def _node_join(*parts: str) -> str:
    joined = "/".join(p for p in parts if p)
    return posixpath.normpath(joined) if joined else "."


def _node_ext(path: str) -> str:
    base = posixpath.basename(path)
    i = base.rfind(".")
    return base[i:] if i > 0 else ""


def jest_projects(tree: Tree, *, dedupe: bool, inferred: bool = True) -> list[str]:
    """``<rootDir>/...`` entries, as getJestProjectsAsync (``inferred``: with the plugin's
    targets and run-commands) or the older getJestProjects (the Jest executor only)."""
    ws = _Workspace(tree)
    if ws.defaults and not inferred:
        raise Unpredictable(
            f"nx.json: targetDefaults[{ws.defaults.first()!r}] changes a Jest target, which "
            "getJestProjects() sees only when Nx has a project graph cached (and Nx 17 and "
            "18 leave a {projectRoot} of it unresolved); getJestProjectsAsync() always does",
            "nx.json",
        )
    if ws.defaults.named:
        ws.defaults.check_plugins(ws.nx.get("plugins") or [])
    ws.read_packages()
    ws.read_project_files()
    if inferred:
        for plugin in _plugins(tree, ws.nx):
            ws.infer(plugin)
    out: dict[str, None] = {}
    for root in sorted(ws.roots):
        for target in ws.roots[root].values():
            if not inferred and target.source.endswith("package.json"):
                _unread_by_sync(target)
            _collect(target, root, ws.names.get(root), out, ws.defaults, inferred)
    if dedupe:  # 20.0: a folder whose config file is also listed is dropped
        for entry in list(out):
            if _node_ext(entry):
                out.pop(posixpath.dirname(entry), None)
    return list(out)


class _Workspace:
    """The projects of an Nx workspace and their targets, as Nx's project graph has them."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        view = tree.view
        if view.entry("angular.json") is not None:  # read when an Angular plugin is installed
            raise Unpredictable(
                "angular.json lists projects, which prgate does not read for Nx", "angular.json"
            )
        if view.entry("workspace.json") is not None:
            ignored = "workspace.json is ignored: Nx 16 and later no longer read it"
            if ignored not in tree.notes:  # (real Nx 16.0.0 to 17.3.2 list no project of it)
                tree.notes.append(ignored)
        data = _read_json(tree, "nx.json") if view.entry("nx.json") is not None else {}
        self.nx: dict[str, Any] = data if isinstance(data, dict) else {}
        self.defaults = nx_target_defaults.read(self.nx.get("targetDefaults"))
        ignore = None
        if view.entry(".nxignore") is not None:
            import pathspec

            lines = _read_text(tree, ".nxignore").splitlines()
            ignore = pathspec.PathSpec.from_lines("gitignore", lines)
        self.include, self.exclude = _workspace_globs(tree)
        self.paths = [
            p
            for p in view.paths(symlinks=False)
            if "node_modules/" not in f"/{p}" and not (ignore and ignore.match_file(p))
        ]
        self.present = set(self.paths)
        self.roots: dict[str, dict[str, _Target]] = {}
        self.names: dict[str, str | None] = {}

    def add(self, root: str, targets: Any, source: str) -> None:
        bucket = self.roots.setdefault(root, {})
        if not isinstance(targets, dict):
            return
        for tname, body in targets.items():
            if not isinstance(body, dict):
                continue
            earlier = bucket.get(tname)
            if earlier is not None and relevant(earlier.body) and relevant(body):
                raise Unpredictable(
                    f"{source}: target {tname!r} is also set in {earlier.source}; prgate "
                    "does not merge Nx targets",
                    source,
                )
            if earlier is None or relevant(body):
                bucket[tname] = _Target(tname, body, source)

    def in_workspaces(self, package_json: str) -> bool:
        return matches(package_json, self.include, self.exclude)

    def read_packages(self) -> None:
        """Workspace packages' ``nx.targets`` (the root package is not modelled)."""
        for rel in self.paths:
            if posixpath.basename(rel) != "package.json":
                continue
            if rel != "package.json" and not self.in_workspaces(rel):
                continue
            data = _read_json(self.tree, rel)
            if not isinstance(data, dict):
                continue
            root = posixpath.dirname(rel)
            name = data.get("name")
            self.names.setdefault(root, name if isinstance(name, str) else None)
            nx_key = data.get("nx")
            targets = nx_key.get("targets") if isinstance(nx_key, dict) else None
            if rel != "package.json":
                self.add(root, targets, rel)
            elif isinstance(targets, dict) and any(
                isinstance(b, dict) and relevant(b) for b in targets.values()
            ):
                raise Unpredictable(
                    "package.json: the root package's nx targets run commands; prgate does "
                    "not model the root project",
                    rel,
                )

    def read_project_files(self) -> None:
        for rel in self.paths:
            if posixpath.basename(rel) != "project.json":
                continue
            root = posixpath.dirname(rel)
            data = _read_json(self.tree, rel)
            if isinstance(data, dict):
                if isinstance(data.get("name"), str):
                    self.names[root] = data["name"]
                self.add(root, data.get("targets"), rel)

    def infer(self, plugin: dict[str, Any]) -> None:
        """The ``test`` targets one ``@nx/jest/plugin`` entry infers (``jest`` in the project)."""
        options = plugin.get("options") or {}
        target_name = options.get("targetName", "test") if isinstance(options, dict) else "test"
        inc = [_glob_regex(p, "nx.json") for p in plugin.get("include") or []]
        exc = [_glob_regex(p, "nx.json") for p in plugin.get("exclude") or []]
        for rel in self.paths:
            if not PLUGIN_CONFIG.search(rel) or (inc and not any(r.fullmatch(rel) for r in inc)):
                continue
            root = posixpath.dirname(rel)
            if any(r.fullmatch(rel) for r in exc) or not self._plugin_project(root):
                continue
            if "getJestProjectsAsync()" in _read_text(self.tree, rel):
                continue  # the plugin skips the config that asks for the projects
            written = self.roots.get(root, {}).get(target_name)
            if written is not None and relevant(written.body):
                raise Unpredictable(
                    f"{written.source}: target {target_name!r} is also inferred by "
                    f"@nx/jest/plugin from {rel}; prgate does not merge Nx targets",
                    written.source,
                )
            body = {"executor": "nx:run-commands", "options": {"command": "jest"}}
            self.roots.setdefault(root, {})[target_name] = _Target(target_name, body, rel)

    def _plugin_project(self, root: str) -> bool:
        """The plugin makes a project of a folder with a project.json, or a workspace package."""
        if _beside(root, "project.json") in self.present:
            return True
        package = _beside(root, "package.json")
        return package in self.present and self.in_workspaces(package)


def _beside(root: str, name: str) -> str:
    return f"{root}/{name}" if root else name


def _unread_by_sync(target: _Target) -> None:
    """getJestProjects() and a workspace package's Jest target: Nx 16.7.4 and 17.3.2 leave
    it out, 18.3.5 lists it, 20.0.3 lists it only from a cached project graph."""
    if target.body.get("executor") in JEST_EXECUTORS:
        raise Unpredictable(
            f"{target.source}: target {target.name!r} runs Jest, and whether "
            "getJestProjects() lists it depends on the Nx version and on a cached project "
            "graph; getJestProjectsAsync() always does",
            target.source,
        )


def _collect(
    target: _Target,
    root: str,
    name: str | None,
    out: dict[str, None],
    defaults: TargetDefaults,
    commands: bool,
) -> None:
    """Add what one target contributes, with what nx.json's targetDefaults give it;
    ``commands``: also nx:run-commands (the async API)."""
    body = dict(target.body)
    where = f"{target.source}: target {target.name!r}"
    if "command" in body:
        if "executor" in body:
            raise Unpredictable(f"{where} has both executor and command", target.source)
        body = {
            **body,
            "executor": "nx:run-commands",
            "options": {**(body.get("options") or {}), "command": body["command"]},
        }
    body = defaults.apply(target.name, body)
    executor = body.get("executor")
    options: dict[str, Any] = body["options"] if isinstance(body.get("options"), dict) else {}
    configurations = [c for c in (body.get("configurations") or {}).values() if isinstance(c, dict)]

    def tok(value: Any) -> Any:
        return _token(value, root, name, where) if isinstance(value, str) else value

    if executor in JEST_EXECUTORS:
        for block in (options, *configurations):
            config = tok(block.get("jestConfig"))
            if isinstance(config, str) and config:
                out[_node_join("<rootDir>", config)] = None
            elif config:
                raise Unpredictable(f"{where}: jestConfig is not a string", target.source)
    elif executor == "nx:run-commands" and commands:
        for block in (options, *configurations):
            cwd = tok(block.get("cwd"))
            if cwd is None:
                cwd = root
            if not isinstance(cwd, str):
                raise Unpredictable(f"{where}: cwd is not a string", target.source)
            lines: list[Any] = []
            if block.get("command"):
                lines = [block["command"]]
            elif isinstance(block.get("commands"), list):
                lines = [c.get("command") if isinstance(c, dict) else c for c in block["commands"]]
            for command in lines:
                if isinstance(command, str):
                    _from_command(tok(command), cwd, out, where, target.source)


def _from_command(command: str, cwd: str, out: dict[str, None], where: str, source: str) -> None:
    for match in JEST_COMMAND.finditer(command):
        words = match.group(0).split(" ")
        if any(q in match.group(0) for q in "'\"\\"):
            raise Unpredictable(f"{where}: a quoted jest command line", source)
        configs = []
        for i, word in enumerate(words):
            if word == "--config" and i + 1 < len(words):
                configs.append(words[i + 1])
            elif word.startswith("--config="):
                configs.append(word.split("=", 1)[1])
        if len(configs) > 1:
            raise Unpredictable(f"{where}: jest is given --config twice", source)
        if configs and configs[0]:
            out[_node_join("<rootDir>", _node_join(cwd, configs[0]))] = None
        else:
            out[_node_join("<rootDir>", cwd)] = None
