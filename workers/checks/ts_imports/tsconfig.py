"""TypeScript projects as ``tsc -p`` reads them: a ``tsconfig*.json``, its ``extends`` chain,
the compiler options that decide resolution, and the files it includes.

Paths are repository-relative POSIX paths throughout; a path-valued option is made
relative to the repository where the config that sets it lives, as TypeScript makes it
absolute there. A base config that lives in ``node_modules`` (``"extends":
"@tsconfig/node20"``) is never seen by prgate: every option it could set is *unknown*
unless a config read after it sets the option again, and ``Options.known`` says so. The
check then judges only what does not depend on an unknown option, and says why.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from typing import Any

from workers.checks.ts_imports.resolve import config_export
from workers.engine.findings import TooDeep

CONFIG_DIR = "${configDir}"
# compiler options whose values are paths, made absolute where their config lives
PATH_OPTIONS = ("baseUrl", "rootDir", "outDir", "declarationDir", "tsBuildInfoFile", "outFile")
PATH_LIST_OPTIONS = ("rootDirs", "typeRoots")


# Configs in one chain of `extends` prgate follows; real chains are a handful long. Beyond
# it the check could not run (tsc may follow it), never a verdict.
MAX_EXTENDS_DEPTH = 100


class TsConfigError(Exception):
    """A config that ``tsc`` itself would reject (unreadable, not JSON, a missing base)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


@dataclass
class Options:
    values: dict[str, Any] = field(default_factory=dict)
    unknown_base: str | None = None  # the first base prgate could not read, as written
    known_after: set[str] = field(default_factory=set)  # set again after that base
    paths_base: str | None = None  # the folder of the config that set `paths`

    def known(self, name: str) -> bool:
        return self.unknown_base is None or name in self.known_after

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    touched: set[str] = field(default_factory=set)  # every key merged, for ``absorb``

    def merge(self, other: dict[str, Any], also: str | None = None) -> None:
        """Options a config sets (``also``: a key that is not an option, like ``@include``)."""
        self.values.update(other)
        keys = {*other, also} if also else set(other)
        self.touched |= keys
        if self.unknown_base is not None:
            self.known_after |= keys

    def merge_unknown(self, base: str) -> None:
        if self.unknown_base is None:
            self.unknown_base = base
        self.known_after.clear()

    def absorb(self, base: Options) -> None:
        """Apply a base config's resolved options, as merging its chain again would."""
        if base.unknown_base is not None:
            self.merge_unknown(base.unknown_base)
            self.values.update(base.values)
            self.known_after = set(base.known_after)
        else:
            self.values.update(base.values)
            if self.unknown_base is not None:
                self.known_after |= base.touched
        self.touched |= base.touched
        if base.paths_base is not None:
            self.paths_base = base.paths_base

    def copy(self) -> Options:
        return Options(
            dict(self.values),
            self.unknown_base,
            set(self.known_after),
            self.paths_base,
            set(self.touched),
        )


@dataclass(frozen=True)
class _Resolved:
    """A config with its bases applied, once (bases shared by many configs, or extended
    twice, are resolved once, as tsc caches extended configs)."""

    options: Options
    specs: dict[str, tuple[list[str], str]]
    chain: list[str]  # the configs read, base first, each once


@dataclass
class TsProject:
    config: str  # the tsconfig's repo-relative path
    options: Options
    files: list[str] | None  # `files`, resolved; None when not given
    include: list[str] | None  # `include` patterns, resolved; None when not given
    exclude: list[str] | None
    specs_known: bool  # False when a base prgate could not read could set files/include
    exclude_known: bool  # ... or exclude
    references: list[str]  # the referenced configs' paths
    extends: list[str]  # the configs read, base first (not the project's own)

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.config)


def parse_jsonc(text: str) -> Any:
    """tsconfig's JSON: comments and trailing commas allowed (JSON5 is a superset). Plain
    JSON, which most configs are, is read by the standard library first: the same value,
    a hundred times faster than json5's pure-Python parser."""
    try:
        return json.loads(text)
    except ValueError:
        import json5

        return json5.loads(text)


class Loader:
    """Reads configs through ``read(path) -> str | None`` and caches each one parsed."""

    def __init__(self, read: Any, exists: Any, package: Any = None, host: Any = None) -> None:
        self._read = read
        self._exists = exists
        self._package = package or (lambda name, near: None)  # a workspace package's folder
        self._host = host  # resolve.Host: a workspace package's `exports`
        self._raw: dict[str, dict[str, Any]] = {}
        self._resolved: dict[str, _Resolved] = {}

    def raw(self, path: str) -> dict[str, Any]:
        if path not in self._raw:
            text = self._read(path)
            if text is None:
                raise TsConfigError(path, "cannot be read")
            try:
                data = parse_jsonc(text)
            except ValueError as exc:
                raise TsConfigError(path, f"is not valid JSON: {exc}") from None
            except RecursionError:
                raise TooDeep(path) from None
            if not isinstance(data, dict):
                raise TsConfigError(path, "is not a JSON object")
            self._raw[path] = data
        return self._raw[path]

    def project(self, path: str) -> TsProject:
        resolved = self._resolve(path, ())
        options = resolved.options.copy()
        specs, chain = resolved.specs, resolved.chain
        folder = posixpath.dirname(path)
        _resolve_config_dir(options, folder)
        raw = self.raw(path)
        return TsProject(
            config=path,
            options=options,
            files=_specs(specs.get("files"), folder),
            include=_specs(specs.get("include"), folder),
            exclude=_specs(specs.get("exclude"), folder),
            # set where prgate read it, after any base it could not read
            specs_known=options.known("@files") or options.known("@include"),
            exclude_known=options.known("@exclude"),
            references=self._references(path, raw),
            extends=chain[:-1],
        )

    def _resolve(self, path: str, below: tuple[str, ...]) -> _Resolved:
        """``path`` with its ``extends`` chain applied; ``below``: the configs extending it."""
        if path in self._resolved:
            return self._resolved[path]
        if path in below:
            raise TsConfigError(path, "extends itself (a circular chain)")
        if len(below) >= MAX_EXTENDS_DEPTH:
            raise TooDeep(
                path, f"ends a chain of more than {MAX_EXTENDS_DEPTH} `extends`, too long"
            )
        raw = self.raw(path)
        folder = posixpath.dirname(path)
        extends = raw.get("extends")
        bases = [extends] if isinstance(extends, str) else extends or []
        if not isinstance(bases, list) or not all(isinstance(b, str) for b in bases):
            raise TsConfigError(path, "`extends` is neither a string nor a list of strings")
        options = Options()
        specs: dict[str, tuple[list[str], str]] = {}
        chain: dict[str, None] = {}
        for base in bases:
            found = self._base(path, folder, base)
            if found is None:
                options.merge_unknown(base)
                continue
            applied = self._resolve(found, (*below, path))
            options.absorb(applied.options)
            specs.update(applied.specs)
            chain.update(dict.fromkeys(applied.chain))
        compiler = raw.get("compilerOptions") or {}
        if not isinstance(compiler, dict):
            raise TsConfigError(path, "`compilerOptions` is not an object")
        own = dict(compiler)
        for name in PATH_OPTIONS:
            if isinstance(own.get(name), str):
                own[name] = _at(folder, own[name])
        for name in PATH_LIST_OPTIONS:
            if isinstance(own.get(name), list):
                own[name] = [_at(folder, v) for v in own[name] if isinstance(v, str)]
        if "paths" in own:
            options.paths_base = folder
        options.merge(own)
        for key in ("files", "include", "exclude"):
            value = raw.get(key)
            if isinstance(value, list):
                specs[key] = ([v for v in value if isinstance(v, str)], folder)
                options.merge({}, also=f"@{key}")
        chain.pop(path, None)
        resolved = _Resolved(options, specs, [*chain, path])
        self._resolved[path] = resolved
        return resolved

    def _base(self, path: str, folder: str, base: str) -> str | None:
        """The repo path of an extended config; None when it lives in a package that is not
        the workspace's (node_modules, which the repository lacks)."""
        if base.startswith(("./", "../", "/")) or base in (".", ".."):
            candidate = _at(folder, base)
            if self._exists(candidate):
                return candidate
            if not candidate.endswith(".json") and self._exists(candidate + ".json"):
                return candidate + ".json"
            # not in the repository: written by a tool before tsc runs (Nuxt's
            # .nuxt/tsconfig.json, SvelteKit's .svelte-kit/tsconfig.json), so unknown
            return None
        parts = base.split("/")
        count = 2 if base.startswith("@") else 1
        package = self._package("/".join(parts[:count]), folder)
        if package is None:
            return None
        # a workspace package, linked into node_modules by the package manager
        rest = "/".join(parts[count:])
        manifest = self._host.package_json(package) if self._host is not None else None
        if manifest is not None and manifest.get("exports") is not None:
            # its `exports` decide (`"./tsconfig": "./agents.tsconfig.json"`); a subpath
            # they do not give is left unknown
            subpath = "./" + rest if rest else "."
            return config_export(manifest, package, subpath, self._host)
        for candidate in (
            [posixpath.join(package, rest), posixpath.join(package, rest) + ".json"]
            if rest
            else [posixpath.join(package, "tsconfig.json")]
        ):
            if self._exists(candidate):
                return candidate
        return None  # through its package.json `exports` or `tsconfig`: not read

    def _references(self, path: str, raw: dict[str, Any]) -> list[str]:
        found = []
        folder = posixpath.dirname(path)
        for ref in raw.get("references") or []:
            target = ref.get("path") if isinstance(ref, dict) else None
            if not isinstance(target, str):
                continue
            resolved = _at(folder, target)
            if not resolved.endswith(".json"):
                resolved = posixpath.join(resolved, "tsconfig.json")
            found.append(resolved)
        return found


def _at(folder: str, value: str) -> str:
    """A config's relative path as a repo-relative one (``${configDir}`` kept for later)."""
    if value.startswith(CONFIG_DIR):
        return value
    return posixpath.normpath(posixpath.join(folder, value))


def _resolve_config_dir(options: Options, folder: str) -> None:
    for name in PATH_OPTIONS:
        value = options.values.get(name)
        if isinstance(value, str) and value.startswith(CONFIG_DIR):
            options.values[name] = _at(folder, "./" + value[len(CONFIG_DIR) :].lstrip("/"))
    for name in PATH_LIST_OPTIONS:
        values = options.values.get(name)
        if isinstance(values, list):
            options.values[name] = [
                _at(folder, "./" + v[len(CONFIG_DIR) :].lstrip("/"))
                if v.startswith(CONFIG_DIR)
                else v
                for v in values
            ]
    paths = options.values.get("paths")
    if isinstance(paths, dict):  # targets are relative to baseUrl, or to where `paths` is set
        here = posixpath.relpath(folder or ".", options.get("baseUrl") or options.paths_base or ".")
        options.values["paths"] = {
            k: [t.replace(CONFIG_DIR, here) if isinstance(t, str) else t for t in v]
            if isinstance(v, list)
            else v
            for k, v in paths.items()
        }


def _specs(found: tuple[list[str], str] | None, folder: str) -> list[str] | None:
    if found is None:
        return None
    values, defined_in = found
    out = []
    for value in values:
        if value.startswith(CONFIG_DIR):
            out.append(_at(folder, "./" + value[len(CONFIG_DIR) :].lstrip("/")))
        else:
            out.append(_at(defined_in, value))
    return out
