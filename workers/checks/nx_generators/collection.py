"""The Nx generators of a repository, found as Nx finds them.

A package's ``package.json`` names its collection with ``generators`` (or the older
``schematics``): a JSON file whose ``generators`` (or ``schematics``) map a generator's
name to its ``factory`` (or ``implementation``) and ``schema``, both paths from the
collection's folder. A factory is ``path`` (its default export) or ``path#export``. Nx
resolves a path as Node's ``require`` does: the file itself, then with ``.ts``/``.js``
and the like, then as a folder's ``index``. Local plugins are packages of the workspace
like any other; ``node_modules`` is not in a checkout and is not read.
"""

from __future__ import annotations

import functools
import json
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workers.engine.findings import CheckError, TooDeep
from workers.engine.views import FileSkipped, RepoView

SOURCE_EXTS = (".ts", ".js", ".mts", ".cts", ".mjs", ".cjs", ".tsx", ".jsx")


@dataclass
class Generator:
    name: str
    collection: str  # the collection file, repo-relative
    package: str  # the package.json naming the collection
    entry: dict[str, Any]  # the collection's entry for it
    factory: str | None = None  # the factory's source file, when it is in the repository
    export: str = "default"
    schema: str | None = None  # the schema file, when it is in the repository
    schema_data: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # why Nx could not load it
    built: list[str] = field(default_factory=list)  # files it names that a build writes

    @property
    def description(self) -> str:
        text = self.entry.get("description")
        return text if isinstance(text, str) else ""


def _json(view: RepoView, path: str) -> tuple[Any, str | None]:
    """A collection's or schema's JSON, or why Nx cannot load it (not JSON). A file that is
    there but prgate may not read (padded past the limit, a FIFO) is no verdict: Nx may
    read it, so the check could not run."""
    try:
        text = view.read_text(path)
    except FileSkipped as exc:
        raise CheckError(f"{path} could not be read ({exc}); Nx may load it") from None
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, f"{path} is not valid JSON: {exc}"
    except RecursionError:  # Nx reads any depth; Python's json does not: no verdict
        raise TooDeep(path) from None


def resolve(view: RepoView, base: str, spec: str) -> str | None:
    """Node's resolution of ``spec`` from the folder ``base`` inside the repository."""
    target = posixpath.normpath(posixpath.join(base, spec))
    if target.startswith("../") or target == "..":
        return None
    present = view.entry
    candidates = [target, *(target + e for e in SOURCE_EXTS)]
    candidates += [f"{target}/index{e}" for e in SOURCE_EXTS]
    if target.endswith(".js"):  # TypeScript sources named by their compiled name
        candidates += [target[:-3] + e for e in (".ts", ".tsx")]
    return next((c for c in candidates if present(c) is not None and not c.endswith("/")), None)


def manifests(view: RepoView) -> list[tuple[str, dict[str, Any]]]:
    """The repository's package.json files that name a generator collection."""
    paths = [
        p
        for p in view.paths(symlinks=False)
        if posixpath.basename(p) == "package.json" and "node_modules/" not in f"/{p}"
    ]
    found = []
    for path, data in view.read_many(paths).items():
        if isinstance(data, Exception):
            # padded past the read limit, or not a file: Nx reads it, and it may name a
            # collection; judged without it, its generators would pass unseen
            raise CheckError(
                f"{path} could not be read ({data}); Nx may load it as a plugin's "
                "package.json, and it may name a generator collection"
            )
        if b'"generators"' not in data and b'"schematics"' not in data:
            continue
        try:
            parsed = json.loads(data.decode("utf-8-sig", "replace"))
        except ValueError:
            continue  # jest-collision and ts-imports report a package.json that is not JSON
        except RecursionError:
            raise TooDeep(path) from None
        if isinstance(parsed, dict) and isinstance(
            parsed.get("generators") or parsed.get("schematics"), str
        ):
            found.append((path, parsed))
    return sorted(found)


def generators(view: RepoView) -> list[Generator]:
    """Every generator of every collection in the repository, with what Nx cannot load."""
    out: list[Generator] = []
    configs = functools.cache(lambda: tsconfig_files(view))
    for package, data in manifests(view):
        folder = posixpath.dirname(package)
        spec = data.get("generators") or data.get("schematics")
        assert isinstance(spec, str)
        collection = resolve(view, folder, spec) if not spec.startswith("/") else None
        if collection is None:
            out.append(
                Generator(
                    "*", spec, package, {}, problems=[f"its collection {spec!r} does not exist"]
                )
            )
            continue
        doc, problem = _json(view, collection)
        if problem is not None or not isinstance(doc, dict):
            out.append(
                Generator("*", collection, package, {}, problems=[problem or "not an object"])
            )
            continue
        entries = doc.get("generators") or doc.get("schematics") or {}
        for name, entry in entries.items() if isinstance(entries, dict) else ():
            out.append(_generator(view, str(name), collection, package, entry, configs))
    return out


def _generator(
    view: RepoView,
    name: str,
    collection: str,
    package: str,
    entry: Any,
    configs: Callable[[], list[str]],
) -> Generator:
    gen = Generator(name, collection, package, entry if isinstance(entry, dict) else {})
    base = posixpath.dirname(collection)
    factory = gen.entry.get("factory") or gen.entry.get("implementation")
    if not isinstance(factory, str) or not factory:
        gen.problems.append("its entry names no `factory` or `implementation`")
    else:
        path, _, export = factory.partition("#")
        gen.export = export or "default"
        gen.factory = resolve(view, base, path) or _missing(
            view, gen, base, path, "factory", configs
        )
    schema = gen.entry.get("schema")
    if isinstance(schema, str):
        gen.schema = resolve(view, base, schema) or _missing(
            view, gen, base, schema, "schema", configs
        )
        if gen.schema is not None:
            data, problem = _json(view, gen.schema)
            if problem is not None:
                gen.problems.append(problem)
            elif isinstance(data, dict):
                gen.schema_data = data
    return gen


def _missing(
    view: RepoView,
    gen: Generator,
    base: str,
    spec: str,
    what: str,
    configs: Callable[[], list[str]],
) -> str | None:
    """A factory or schema that is not in the repository: build output a .gitignore keeps
    out (``./dist/...``), judged from the source a TypeScript build makes it of when
    prgate can tell which (returned); else left unjudged (the plugin is used built, and
    prgate does not judge what it has not got). Or missing: Nx cannot load the generator."""
    target = posixpath.normpath(posixpath.join(base, spec))
    if ignored(view, target):
        compiled = compiled_from(view, target, configs())
        source = resolve(view, "", compiled) if compiled is not None else None
        if source is not None:
            return source
        gen.built.append(f"its {what} {spec!r} (build output, ignored by git)")
    else:
        gen.problems.append(f"its {what} {spec!r} does not exist")
    return None


def tsconfig_files(view: RepoView) -> list[str]:
    return [
        p
        for p in view.paths(symlinks=False)
        if posixpath.basename(p).startswith("tsconfig") and p.endswith(".json")
    ]


def compiled_from(view: RepoView, target: str, tsconfigs: list[str]) -> str | None:
    """The path in the sources that a TypeScript build writes ``target`` from, by the
    ``outDir`` and ``rootDir`` of the ``tsconfig*.json`` files in the folders above it (a
    plugin built into its own ``dist/``, as Nx's TypeScript workspaces do); None unless
    every config that writes there says the same, each setting both options itself or
    through a base prgate read, and no config there extends a base prgate cannot read
    (it may set ``outDir``). Assets (a ``schema.json``) are copied along the same
    mapping by Nx's build executors."""
    from workers.checks.ts_imports.tsconfig import Loader, TsConfigError

    folders, folder = set(), target
    while folder:
        folder = posixpath.dirname(folder)
        folders.add(folder)
    configs = [p for p in tsconfigs if posixpath.dirname(p) in folders]
    loader = Loader(_text_or_none(view), lambda p: view.entry(p) is not None)
    mapped = set()
    for config in configs:
        try:
            options = loader.project(config).options
        except (TsConfigError, TooDeep):
            continue
        if not options.known("outDir"):
            return None  # a base prgate could not read may make it write there
        out, root = options.values.get("outDir"), options.values.get("rootDir")
        if not isinstance(out, str) or not target.startswith(out.rstrip("/") + "/"):
            continue
        if not isinstance(root, str) or not options.known("rootDir"):
            return None  # TypeScript takes the inputs' common folder: not told here
        mapped.add(posixpath.join(root, target[len(out.rstrip("/")) + 1 :]))
    return mapped.pop() if len(mapped) == 1 else None


def _text_or_none(view: RepoView) -> Any:
    def read(path: str) -> str | None:
        try:
            return view.read_text(path)
        except FileSkipped:
            return None

    return read


def ignored(view: RepoView, path: str) -> bool:
    """Whether a .gitignore in a folder above ``path`` ignores it."""
    import pathspec

    parts = path.split("/")
    for i in range(len(parts)):
        folder = "/".join(parts[:i])
        gitignore = f"{folder}/.gitignore" if folder else ".gitignore"
        try:
            lines = view.read_text(gitignore).splitlines()
        except FileSkipped:
            continue
        if pathspec.GitIgnoreSpec.from_lines(lines).match_file("/".join(parts[i:])):
            return True
    return False
