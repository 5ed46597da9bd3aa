"""ts-imports: the imports ``tsc`` cannot resolve, and JSX a project does not enable,
predicted from the files alone (no ``node_modules``, no install, no compiler).

For every TypeScript project (``projects``: each ``tsconfig.json``, the configs those
reference or a package.json script compiles, and those the settings name; ``host``
is the repository as TypeScript's compiler host sees it) ``tsconfig`` reads the config with its
``extends`` chain, ``files`` picks its root files as TypeScript does, and the
program grows as TypeScript's does: every file a root imports, and what those
import. For each file TypeScript type-checks, ``syntax`` reads the module names
and ``resolve`` resolves them as TypeScript 5.x would:

* ``unresolved`` — a module name TypeScript cannot find (TS2307 and kin). An
  error only when certain: a relative name, or one that ``paths``/``baseUrl``
  maps and no package could supply, under options prgate has all read;
* ``undeclared-dependency`` — a package no ``package.json`` on the way up
  declares (and not a Node built-in): it resolves only if something else's
  dependency happens to be hoisted;
* ``jsx-not-enabled`` — JSX in a file of a project whose ``jsx`` is unset
  (TS17004).
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections import Counter
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

from workers.checks.ts_imports import files as ts_files
from workers.checks.ts_imports.host import (
    CODE_EXTENSIONS,
    DEPENDENCY_FIELDS,
    JS_EXTENSIONS,
    TS_EXTENSIONS,
    RepoHost,
    decode,
)
from workers.checks.ts_imports.known_types import declared_by
from workers.checks.ts_imports.projects import (
    compiled_by_scripts,
    is_config,
    typescript_major,
)
from workers.checks.ts_imports.resolve import (
    EXTERNAL,
    Resolved,
    ResolveOptions,
    could_be_package,
    is_relative,
    module_kind,
    resolve,
)
from workers.checks.ts_imports.rules import (
    JSX_NOT_ENABLED,
    NAME,
    RULES,
    UNDECLARED_DEPENDENCY,
    UNRESOLVED,
)
from workers.checks.ts_imports.settings import TsImportsSettings
from workers.checks.ts_imports.syntax import Facts, Specifier, read_facts, suppressed
from workers.checks.ts_imports.tsconfig import Loader, TsConfigError, TsProject
from workers.engine.config import RepoConfig
from workers.engine.findings import (
    LEVEL_ORDER,
    CheckError,
    CheckResult,
    Finding,
    Level,
    Note,
)
from workers.engine.spec import CheckSpec
from workers.engine.views import RepoView

PREFETCH_FILES = 5_000
# Node's built-in modules (`require("module").builtinModules`, Node 20), without `_` ones
_BUILTINS = (
    "assert assert/strict async_hooks buffer child_process cluster console constants "
    "crypto dgram diagnostics_channel dns dns/promises domain events fs fs/promises "
    "http http2 https inspector inspector/promises module net os path path/posix "
    "path/win32 perf_hooks process punycode querystring readline readline/promises "
    "repl stream stream/consumers stream/promises stream/web string_decoder sys timers "
    "timers/promises tls trace_events tty url util util/types v8 vm wasi "
    "worker_threads zlib test sea sqlite"
)
NODE_BUILTINS = frozenset(_BUILTINS.split())


def run(view: RepoView, config: RepoConfig) -> CheckResult:
    settings = config.settings(NAME)
    assert isinstance(settings, TsImportsSettings)
    repo = RepoHost(view)
    if not any(is_config(p) for p in repo.paths):
        return CheckResult(check=NAME, skipped="there is no tsconfig*.json in the repository")
    findings: list[Finding] = []
    notes: list[Note] = []
    problems: list[str] = []
    projects = discover(repo, settings.projects, notes, problems)
    # the TypeScript sources in one read: most are some project's, and one reader started
    # once costs less than one per project and level of imports (bounded: each is kept
    # until parsed; past the bound, files are read as the programs reach them)
    repo.prefetch([p for p in repo.sources if p.endswith(TS_EXTENSIONS)][:PREFETCH_FILES])
    used = Counter(
        v for p in projects.values() if isinstance(v := p.options.values.get("jsx"), str)
    )
    jsx = used.most_common(1)[0][0] if used else "react-jsx"
    judging = Judging(repo, jsx, notes=notes, projects=projects)
    judged = [(project, f) for project in projects.values() for f in judging.judge(project)]
    findings, swept = _by_owner(judged, projects, judging.programs, judging.roots)
    notes += swept
    declared = typescript_major(repo)
    if declared is not None and declared >= 6:
        # TypeScript 6 changed defaults and 7 dropped options; prgate predicts 5's rules
        notes.append(
            Note(
                message=f"this repository declares TypeScript {declared}; prgate predicts "
                "TypeScript 5's resolution, so its errors are reported as warnings"
            )
        )
        findings = [
            _with_level(f, Level.WARNING) if f.level is Level.ERROR else f for f in findings
        ]
    error = "could not read TypeScript configs: " + "; ".join(problems) if problems else None
    return CheckResult(check=NAME, findings=findings, notes=notes, error=error)


def discover(
    repo: RepoHost, named: list[str], notes: list[Note], problems: list[str]
) -> dict[str, TsProject]:
    """The projects prgate judges, by config path: every ``tsconfig.json``, the configs
    those reference, those a package.json script compiles, and those ``named``. What it
    cannot read goes in ``problems``; the configs it does not judge, in a note."""
    configs = [p for p in repo.paths if is_config(p)]
    repo.prefetch(configs)
    loader = Loader(lambda p: decode(repo.read(p)), repo.is_file, repo.workspace_package, repo)
    wanted = [p for p in configs if posixpath.basename(p) == "tsconfig.json"]
    wanted += [p for p in compiled_by_scripts(repo) if p not in wanted]
    wanted += [p for p in named if p not in wanted]
    projects: dict[str, TsProject] = {}
    while wanted:
        path = wanted.pop(0)
        if path in projects:
            continue
        if not repo.is_file(path):
            notes.append(Note(message=f"{path} is named as a project but does not exist"))
            continue
        try:
            project = loader.project(path)
        except TsConfigError as exc:
            if str(exc) not in problems:  # a base many projects extend fails once
                problems.append(str(exc))
            continue
        projects[path] = project
        wanted.extend(r for r in project.references if r not in projects)
    unjudged = sorted(set(configs) - set(projects) - _extended(projects))
    if unjudged:
        notes.append(
            Note(
                message="not judged (neither a tsconfig.json, nor referenced by one, nor "
                "compiled by a package.json script; name it in `projects` if CI compiles "
                "it): " + ", ".join(unjudged)
            )
        )
    return projects


class Owners:
    """Which project a file belongs to. A file's own project is the nearest one above it
    that compiles it (what an editor and the package's own ``tsc -p`` use); a project whose
    own files include another project's is an umbrella (an editor-wide config: a root
    tsconfig.json without include, or one whose include a base widened), and an umbrella
    that names no files at all (TypeScript's default, every file below it) is editor-wide."""

    def __init__(
        self,
        projects: dict[str, TsProject],
        programs: dict[str, set[str]],
        roots: dict[str, set[str]],
    ) -> None:
        self.projects = projects
        self.programs = programs
        self.folders = {p.folder for p in projects.values()}
        self.umbrellas = {
            config
            for config, files in roots.items()
            if any(self.home(f) not in (None, projects[config].folder) for f in files)
        }
        self.editor_wide = {
            c for c in self.umbrellas if projects[c].include is None and projects[c].files is None
        }

    @staticmethod
    def depth(folder: str) -> int:
        return 0 if not folder else folder.count("/") + 1

    def owner(self, path: str) -> TsProject | None:
        found = [
            p
            for p in self.projects.values()
            if path in self.programs.get(p.config, ())
            and (not p.folder or path.startswith(p.folder + "/"))
        ]
        return max(found, key=lambda p: self.depth(p.folder), default=None)

    def home(self, path: str) -> str | None:
        """The deepest folder above ``path`` that holds a project."""
        folder = posixpath.dirname(path)
        while True:
            if folder in self.folders:
                return folder
            if not folder:
                return None
            folder = posixpath.dirname(folder)

    def swept(self, project: TsProject, finding: Finding) -> bool:
        """An editor-wide config's finding in another project's file: that project judges it."""
        return project.config in self.editor_wide and self.home(finding.path) not in (
            None,
            project.folder,
        )

    def level(self, project: TsProject, finding: Finding) -> Finding:
        """The finding at the level its own project gives it: an error found through an
        umbrella, or through a project above the file's own, is a warning (whether anything
        runs ``tsc -p`` on that project is not certain)."""
        if finding.level is Level.ERROR and project.config in self.umbrellas:
            finding = dataclasses.replace(
                finding,
                level=Level.WARNING,
                message=f"{finding.message} ({project.config} also compiles other projects' "
                "files, as an editor-wide config does: prgate cannot tell whether CI runs "
                "tsc on it)",
            )
        own = self.owner(finding.path)
        if (
            finding.level is Level.ERROR
            and own is not None
            and own is not project
            and self.depth(own.folder) > self.depth(project.folder)
        ):
            finding = _with_level(finding, Level.WARNING)
            finding = dataclasses.replace(
                finding,
                message=f"{finding.message} (the file's own project, {own.config}, "
                f"does not report it; {project.config} includes the file too)",
            )
        return finding


def _by_owner(
    judged: list[tuple[TsProject, Finding]],
    projects: dict[str, TsProject],
    programs: dict[str, set[str]],
    roots: dict[str, set[str]],
) -> tuple[list[Finding], list[Note]]:
    """One finding per import (or file, for JSX), at the level its own project gives it
    (``Owners``); what an editor-wide config finds in other projects' files is counted in
    a note."""
    owners = Owners(projects, programs, roots)
    best: dict[tuple[str, str, int | None, str], Finding] = {}
    swept: Counter[str] = Counter()  # an editor-wide config's findings in other projects' files
    for project, found in judged:
        if owners.swept(project, found):
            swept[project.config] += 1  # summarised: the file's own project judges it
            continue
        finding = owners.level(project, found)
        subject = finding.key.split("@", 1)[0] if finding.rule == UNRESOLVED.id else ""
        key = (finding.rule, finding.path, finding.start_line, subject)
        kept = best.get(key)
        if kept is None or LEVEL_ORDER[finding.level] < LEVEL_ORDER[kept.level]:
            best[key] = finding
    notes = [
        Note(
            message=f"{config} compiles other projects' files, as an editor-wide config does: "
            f"{count} {'finding' if count == 1 else 'findings'} in them not listed (each file's "
            "own project judges it; name the config in `projects` if CI runs tsc on it)",
            path=config,
        )
        for config, count in sorted(swept.items())
    ]
    return list(best.values()), notes


def _extended(projects: dict[str, TsProject]) -> set[str]:
    return {base for p in projects.values() for base in p.extends}


@dataclass
class Judging:
    """What judging the projects of one repository shares: the files' facts, the import
    sites already judged, the notes, each project's program and root files, and the
    ``jsx`` a fix proposes (what the repository's other projects use)."""

    repo: RepoHost
    jsx_value: str
    facts: dict[str, Facts | None] = default(default_factory=dict)
    seen: set[tuple[str, str, int, int]] = default(default_factory=set)
    notes: list[Note] = default(default_factory=list)
    programs: dict[str, set[str]] = default(default_factory=dict)
    roots: dict[str, set[str]] = default(default_factory=dict)
    projects: dict[str, TsProject] = default(default_factory=dict)

    def root_files(self, project: TsProject) -> list[str]:
        """A project's root files: its ``files`` and ``include`` less ``exclude`` and its
        outputs (computed once; programs and the projects referencing them ask)."""
        found = self.roots.get(project.config)
        if found is None:
            values = project.options.values
            resolving = ResolveOptions.from_options(values, project.options.paths_base)
            out_dirs = tuple(
                v for k in ("outDir", "declarationDir") if isinstance(v := values.get(k), str)
            )
            found = self.roots[project.config] = set(
                ts_files.root_files(
                    self.repo.sources,
                    project.folder,
                    project.files,
                    project.include,
                    project.exclude,
                    allow_js=_allows_js(values),
                    json=resolving.resolve_json,
                    out_dirs=out_dirs,
                )
            )
        return sorted(found)

    def referenced_sources(self, project: TsProject) -> set[str]:
        """The source files of the projects ``project`` references: TypeScript reads their
        output declarations instead (``tsc -b`` builds them first), so an import that
        reaches one does not bring the file, nor what it imports, into this program; the
        referenced project judges it."""
        found: set[str] = set()
        for config in project.references:
            referenced = self.projects.get(config)
            if referenced is not None and referenced.specs_known:
                found.update(f for f in self.root_files(referenced) if not _declaration(f))
        return found

    def judge(self, project: TsProject) -> list[Finding]:
        """The findings of one project (its program's files go in ``programs``)."""
        if not project.specs_known:
            self.notes.append(
                Note(
                    message=f"{project.config}: not judged: it sets neither `files` nor "
                    f"`include`, and its base {project.options.unknown_base!r} (in "
                    "node_modules) may",
                    path=project.config,
                )
            )
            return []
        program = Program(self, project)
        program.grow()
        return program.verdicts()


class Program:
    """One project's program, grown as TypeScript grows it: its root files, the type
    declarations its ``types`` and references bring in, and every file they import; with
    the import sites TypeScript would report, judged once the program is complete."""

    def __init__(self, judging: Judging, project: TsProject) -> None:
        self.judging = judging
        self.repo = repo = judging.repo
        self.project = project
        self.values = values = project.options.values
        self.allow_js = _allows_js(values)
        self.resolving = resolving = ResolveOptions.from_options(values, project.options.paths_base)
        self.roots = judging.root_files(project)
        self.redirected = judging.referenced_sources(project) - set(self.roots)
        self.unsure = _unknown_options(project)
        self.findings: list[Finding] = []
        self.pending: list[tuple[str, Specifier, Resolved]] = []
        self.missing_refs: list[tuple[str, Specifier, list[str]]] = []
        self.queue = list(self.roots)
        # `types` entries a workspace package supplies bring their declarations in, as
        # `/// <reference types>` does; a package's from node_modules prgate cannot see, and
        # without `types` TypeScript takes every node_modules/@types package it finds
        types = values.get("types")
        self.unseen_types = not isinstance(types, list) and _node_modules_possible(
            repo, project.folder
        )
        # a package the program names (a `types` entry, a type reference, an import) whose
        # declarations prgate cannot read: it may `declare module` any name at all
        self.unseen_named = False
        # what the config includes that a build step writes (gitignored, not in the
        # checkout: React Router's .react-router/types, wrangler's worker-configuration.d.ts)
        self.generated = _generated_includes(repo, project)
        self.known: list[str] = []  # what the type packages prgate knows declare
        for entry in types if isinstance(types, list) else ():
            typed = _type_reference(repo, project.config, entry, resolving)
            if typed is None:
                self.unseen_named = _unseen(entry, self.known) or self.unseen_named
                self.unseen_types = _unseen(entry, self.known) or self.unseen_types
            elif typed not in self.queue:
                self.queue.append(typed)
        self.files = judging.programs[project.config] = set(self.queue)

    def _add(self, path: str) -> None:
        self.files.add(path)
        self.queue.append(path)

    def grow(self) -> None:
        """Read every file the program reaches, in waves, and follow what each imports."""
        repo, facts = self.repo, self.judging.facts
        index = 0
        while index < len(self.queue):
            path = self.queue[index]
            index += 1
            if path not in facts:
                if not repo.has_read(path):
                    # every file known so far that is not read yet, in one read: the reads
                    # go in waves, one per level of imports, not one per file
                    repo.prefetch([p for p in self.queue[index - 1 :] if not repo.has_read(p)])
                data = repo.take(path)
                why = repo.unread(path) if data is None else None
                if why is not None and path in self.files:
                    raise CheckError(
                        f"{path} is part of {self.project.config} but prgate could not read "
                        f"it ({why}); tsc would, so prgate cannot tell what it imports"
                    )
                facts[path] = (
                    read_facts(path, data)
                    if data is not None and not path.endswith(".json")
                    else None
                )
            fact = facts[path]
            if fact is not None:
                self._follow(path, fact)

    def _follow(self, path: str, fact: Facts) -> None:
        """One file's module names: what they bring into the program, and the sites to
        judge once it is complete."""
        repo, project, values, resolving = self.repo, self.project, self.values, self.resolving
        seen = self.judging.seen
        checked = _checked(path, fact, values)
        for spec in fact.specifiers:
            if spec.kind == "reference-path":  # brings its file, and its declarations, in
                referenced, tried = _reference_path(repo, path, spec.text)
                if referenced is not None and referenced not in self.files:
                    self._add(referenced)
                elif referenced is None and tried and path.endswith(TS_EXTENSIONS):
                    key = (project.config, path, spec.line, spec.column)
                    if key not in seen:
                        seen.add(key)
                        self.missing_refs.append((path, spec, tried))
                continue
            if spec.kind == "reference-types":
                typed = _type_reference(repo, path, spec.text, resolving)
                if typed is None:
                    self.unseen_named = _unseen(spec.text, self.known) or self.unseen_named
                    self.unseen_types = _unseen(spec.text, self.known) or self.unseen_types
                if typed is not None and typed not in self.files:
                    self._add(typed)
                continue
            if spec.kind == "require" and not path.endswith(JS_EXTENSIONS):
                continue  # TypeScript resolves require() in JavaScript files only
            esm = _esm(path, spec, resolving, repo)
            outcome = resolve(spec.text, path, resolving, repo, esm)
            target = outcome.path
            if target is not None and target != EXTERNAL:
                if (
                    target not in self.files
                    and target not in self.redirected
                    and _loadable(target, self.allow_js)
                ):
                    self._add(target)
                continue
            if not checked or (
                spec.kind == "side-effect" and not values.get("noUncheckedSideEffectImports")
            ):
                continue
            if suppressed(fact, spec.line):
                continue
            key = (project.config, path, spec.line, spec.column)
            if key not in seen:
                seen.add(key)
                self.pending.append((path, spec, outcome))
        if fact.jsx_line is not None and checked and not values.get("jsx"):
            self.findings.append(
                _jsx(project, path, fact.jsx_line, self.unsure, self.judging.jsx_value)
            )

    def verdicts(self) -> list[Finding]:
        """The findings, once the program is complete: a `declare module "x"` (or "*.svg")
        in any script of the program satisfies the name; in a module it is an
        augmentation of x, which declares nothing."""
        repo, project, resolving, values = self.repo, self.project, self.resolving, self.values
        facts = self.judging.facts
        declared = [
            name
            for f in self.files
            if (found := facts.get(f)) and found.ambient and not _is_module(f, found, values, repo)
            for name in found.ambient
        ] + self.known
        imports_packages = any(o.path == EXTERNAL for _, _, o in self.pending)
        self.unseen_named = self.unseen_named or imports_packages
        unseen = self.unseen_types or imports_packages
        findings = self.findings
        for path, spec, outcome in self.pending:
            if any(_ambient_match(pattern, spec.text) for pattern in declared):
                continue
            if outcome.path == EXTERNAL and not _claimed(repo, resolving, spec.text, outcome):
                finding = _undeclared(repo, path, spec)
            else:
                finding = _unresolved(self, path, spec, outcome, unseen)
            if finding is not None:
                findings.append(finding)
                if outcome.workspace is not None and finding.level is Level.ERROR:
                    findings.extend(_missing_sources_found(repo, outcome))
        for path, spec, tried in self.missing_refs:
            findings.append(
                _missing_reference(repo, project, resolving, path, spec, tried, self.unsure)
            )
        return findings


# what TypeScript adds to a `/// <reference path>` without an extension (its first group of
# supported extensions), and the extensions it reads a referenced file with
_REFERENCE_ADDED = (".ts", ".tsx", ".d.ts")
_REFERENCE_READ = (".ts", ".tsx", ".mts", ".cts", ".d.ts", ".d.mts", ".d.cts")


def _reference_path(repo: RepoHost, path: str, text: str) -> tuple[str | None, list[str]]:
    """The file a ``/// <reference path>`` names, and the paths TypeScript tries for it
    (none when it names a file TypeScript would refuse for its extension: not judged)."""
    referenced = posixpath.normpath(posixpath.join(posixpath.dirname(path), text))
    name = posixpath.basename(referenced)
    if "." in name.lstrip("."):
        if not referenced.endswith(_REFERENCE_READ):
            return (referenced if repo.is_file(referenced) else None), []
        return (referenced if repo.is_file(referenced) else None), [referenced]
    tried = [referenced + ext for ext in _REFERENCE_ADDED]
    return next((t for t in tried if repo.is_file(t)), None), tried


def _missing_reference(
    repo: RepoHost,
    project: TsProject,
    resolving: ResolveOptions,
    path: str,
    spec: Specifier,
    tried: list[str],
    unsure: list[str],
) -> Finding:
    """A ``/// <reference path>`` to a file that is not there: tsc fails the project
    (TS6053, or TS6231 without an extension), unless a build step writes the file."""
    reasons = list(unsure)
    absent = _absent_config_folders(repo, resolving, tried)
    generated = [t for t in tried if repo.ignored(t)]
    missing_folder = not repo.is_dir(posixpath.dirname(tried[0]))
    if absent or generated or missing_folder:
        where = (absent or generated or [posixpath.dirname(tried[0])])[0]
        reasons.append(f"a file a build step writes ({where} is not in the repository)")
    code = "TS6053" if len(tried) == 1 else "TS6231"
    message = (
        f"File '{spec.text}' not found ({code}): {project.config} compiles {path}, whose "
        f"`/// <reference path>` names {', '.join(tried)}"
    )
    if reasons:
        message += "; unless " + " or ".join(reasons) + " changes that, which prgate cannot see"
    finding = UNRESOLVED.finding(path, message, line=spec.line, key=f"{spec.text}@{project.config}")
    return finding if not reasons else _with_level(finding, Level.WARNING)


def _unseen(reference: Any, known: list[str]) -> bool:
    """Whether a type reference prgate cannot read may declare modules it cannot see; the
    names a package in ``known_types`` declares go in ``known``."""
    declared = declared_by(reference) if isinstance(reference, str) else None
    if declared is None:
        return True
    known.extend(declared - set(known))
    return False


def _node_modules_possible(repo: RepoHost, folder: str) -> bool:
    """Whether an install could put a node_modules in ``folder`` or above: a package.json
    is there (a package manager installs only where one is)."""
    while True:
        if repo.is_file(posixpath.join(folder, "package.json")):
            return True
        if not folder:
            return False
        folder = posixpath.dirname(folder)


def _type_reference(
    repo: RepoHost, containing: str, name: Any, resolving: ResolveOptions
) -> str | None:
    """The declaration file a type reference (``types``, ``/// <reference types>``) names,
    when a workspace package supplies it; None otherwise."""
    if not isinstance(name, str):
        return None
    if resolving.resolution == "classic":  # type references look in node_modules regardless
        resolving = dataclasses.replace(resolving, resolution="node10", features=0)
    found = resolve(name, containing, resolving, repo, esm=False).path
    return None if found is None or found == EXTERNAL else found


def _ambient_match(pattern: str, name: str) -> bool:
    """Whether an ambient module declaration's name (one ``*`` at most) covers ``name``."""
    if "*" not in pattern:
        return pattern == name
    prefix, _, suffix = pattern.partition("*")
    return (
        "*" not in suffix
        and len(name) >= len(prefix) + len(suffix)
        and name.startswith(prefix)
        and name.endswith(suffix)
    )


def _is_module(path: str, fact: Facts, values: dict[str, Any], repo: RepoHost) -> bool:
    """Whether TypeScript takes the file for a module (``getSetExternalModuleIndicator``):
    it imports or exports; or, not being a declaration file, ``moduleDetection`` is
    ``force`` (the default under ``module`` node16 to nodenext), or under ``auto`` its
    format is ESM or CommonJS by extension (or, node16 to nodenext, by its package.json's
    ``type``), or it holds JSX under an automatic ``jsx`` runtime."""
    if fact.module_syntax:
        return True
    if _DECLARATION.search(path):
        return False
    node = 100 <= module_kind(values) <= 199
    detection = str(values.get("moduleDetection") or ("force" if node else "auto")).lower()
    if detection != "auto":
        return detection == "force"
    if path.endswith((".mts", ".cts", ".mjs", ".cjs")):
        return True
    jsx = str(values.get("jsx", "")).lower()
    if jsx in ("react-jsx", "react-jsxdev") and fact.jsx_line is not None:
        return True
    return node and _typed_module(path, repo)


_DECLARATION = re.compile(r"\.d\.([^/]+\.)?[cm]?ts$")


def _declaration(path: str) -> bool:
    return bool(_DECLARATION.search(path))


def _allows_js(values: dict[str, Any]) -> bool:
    return bool(values.get("allowJs", values.get("checkJs", False)))


def _loadable(path: str, allow_js: bool) -> bool:
    if path.endswith(TS_EXTENSIONS):
        return True
    return allow_js and path.endswith(JS_EXTENSIONS)


def _checked(path: str, fact: Facts, values: dict[str, Any]) -> bool:
    """Whether TypeScript type-checks the file (reports TS2307 in it)."""
    if fact.check_pragma is False:
        return False  # // @ts-nocheck
    if path.endswith((".d.ts", ".d.mts", ".d.cts")) or re.search(r"\.d\.[^/]+\.ts$", path):
        return not values.get("skipLibCheck", False)
    if path.endswith(TS_EXTENSIONS):
        return True
    return bool(fact.check_pragma or values.get("checkJs"))


def _esm(path: str, spec: Specifier, resolving: ResolveOptions, repo: RepoHost) -> bool:
    """Whether the import resolves in ECMAScript-module mode, as TypeScript decides it:
    ``require`` forms never; node16/nodenext by the file's format (an ``import()`` call
    always; an ``import("x")`` type, like an import declaration, by the file's format);
    bundler for every ``import`` (its ``import`` condition)."""
    if spec.kind in ("require", "import-equals"):
        return False
    if resolving.resolution not in ("node16", "nodenext"):
        return True
    if spec.kind == "dynamic" or path.endswith((".mts", ".mjs")):
        return True
    if path.endswith((".cts", ".cjs")):
        return False
    return _typed_module(path, repo)


def _typed_module(path: str, repo: RepoHost) -> bool:
    """Whether the nearest package.json above ``path`` says ``"type": "module"``."""
    folder = posixpath.dirname(path)
    while True:
        package = repo.package_json(folder)
        if package is not None:
            return package.get("type") == "module"
        if folder == "":
            return False
        folder = posixpath.dirname(folder)


def _unknown_options(project: TsProject) -> list[str]:
    options = project.options
    if options.unknown_base is None:
        return []
    return [
        name
        for name in (
            "moduleResolution",
            "module",
            "paths",
            "baseUrl",
            "rootDirs",
            "jsx",
            "allowJs",
            "resolveJsonModule",
            "moduleSuffixes",
            "customConditions",
        )
        if not options.known(name)
    ]


def _unresolved(
    program: Program, path: str, spec: Specifier, outcome: Resolved, unseen_types: bool
) -> Finding | None:
    """An import site of ``program`` that resolves to no file (None: not a finding)."""
    repo, project, resolving = program.repo, program.project, program.resolving
    unsure = program.unsure
    own = set(program.roots)  # the project's own sources, where a fix may point
    reasons = list(unsure)
    tried = outcome.tried
    claimed = outcome.path == EXTERNAL  # by an alias; no package of the name is declared
    if not is_relative(spec.text) and could_be_package(spec.text) and not claimed:
        if outcome.workspace is None:
            return None  # a package could supply it
        if _asset_like(spec.text) and unseen_types:
            unsure = [*unsure, "a package's `declare module` for such names"]
        return _workspace_unresolved(repo, project, resolving, path, spec, outcome, unsure)
    absent = _absent_config_folders(repo, resolving, tried)
    if absent:
        reasons.append(
            f"files a build step writes into {', '.join(absent)} (named in the config, not in "
            "the repository)"
        )
    if any(repo.ignored(t) for t in tried):
        # a gitignored file is a build step's output (generated styles, typegen), taken as
        # built first, as a workspace package's dist/ is: not a finding's subject
        return None
    # `declare module '@qwik-city-plan'`, `declare module '~icons/*'`: a package's types
    # prgate cannot see may declare a name no file and no package supplies (not a `#x`: that
    # is the package's own `imports`, which no other package declares)
    # ... but not a name the project's own `paths` maps into its own files (shadcn's
    # '@/components/ui/button'): nothing but that file is meant by it
    bare = not is_relative(spec.text) and not could_be_package(spec.text)
    bare = bare and not spec.text.startswith("#") and outcome.alias in (None, "baseUrl", "*")
    if (_asset_like(spec.text) and unseen_types) or (bare and program.unseen_named):
        reasons.append("a package's `declare module` for such names")
    if (bare or _asset_like(spec.text)) and program.generated:
        reasons.append(
            f"the declarations a build step writes into {', '.join(program.generated)} "
            f"(included by {project.config}, gitignored)"
        )
    package = _package_of(spec.text)
    listed = repo.in_lockfile(package) if claimed else None
    if listed:
        reasons.append(f"the package '{package}' that {listed} lists")
    level = Level.ERROR if not reasons else Level.WARNING
    shown = ", ".join(dict.fromkeys(tried[:8])) + (", ..." if len(tried) > 8 else "")
    message = (
        f"Cannot find module '{spec.text}' (TS2307): {project.config} "
        f"(moduleResolution {resolving.resolution}) looked for {shown or 'nothing it could try'}"
    )
    if claimed:
        message = (
            f"Cannot find module '{spec.text}' (TS2307): in {project.config} "
            f"{_mapping(resolving, spec.text, outcome.alias)}, and no file is there "
            f"(moduleResolution {resolving.resolution}; looked for {shown}); it is not a "
            f"package either: no package.json in the repository declares '{package}'"
        )
    if reasons:
        message += "; unless " + " or ".join(reasons) + " changes that, which prgate cannot see"
    near = _nearest(repo, path, spec.text, resolving, own)
    fix = f"did you mean '{near}'?" if near else None
    if (
        spec.text.endswith(".json")
        and not resolving.resolve_json
        and repo.is_file(posixpath.normpath(posixpath.join(posixpath.dirname(path), spec.text)))
    ):
        fix = f'set "resolveJsonModule": true in the compilerOptions of {project.config}'
        message = message.replace("(TS2307)", "(TS2732: JSON needs resolveJsonModule)")
    written = _with_extension(repo, path, spec, resolving) if not tried else None
    if written is not None:
        code = "TS2834" if written.endswith(("/index.js", "/index.mjs", "/index.cjs")) else "TS2835"
        fix = f"did you mean '{written}'?"
        message = message.replace(
            "(TS2307)", f"({code}: an ECMAScript import names the file with its extension)"
        ).replace("looked for nothing it could try", f"needs the extension: '{written}'")
    finding = UNRESOLVED.finding(
        path, message, line=spec.line, fix=fix, key=f"{spec.text}@{project.config}"
    )
    return finding if level == finding.level else _with_level(finding, level)


# what TypeScript suggests for an extensionless relative import in an ECMAScript module
_EMITTED = ((".ts", ".js"), (".tsx", ".js"), (".d.ts", ".js"), (".mts", ".mjs"), (".cts", ".cjs"))


def _with_extension(
    repo: RepoHost, path: str, spec: Specifier, resolving: ResolveOptions
) -> str | None:
    """The specifier a relative import without an extension needs where node16/nodenext
    resolves it as ECMAScript: TypeScript's TS2835 suggestion (``./context.js``), or for a
    folder (TS2834, which suggests nothing) its index file; None otherwise."""
    if not is_relative(spec.text) or resolving.resolution not in ("node16", "nodenext"):
        return None
    if not _esm(path, spec, resolving, repo):
        return None
    base = posixpath.normpath(posixpath.join(posixpath.dirname(path), spec.text))
    for stem, shown in ((base, spec.text), (f"{base}/index", f"{spec.text.rstrip('/')}/index")):
        for source, emitted in _EMITTED:
            if repo.is_file(stem + source):
                return shown + emitted
    return None


def _claimed(repo: RepoHost, resolving: ResolveOptions, name: str, outcome: Resolved) -> bool:
    """Whether the repository's own alias claims a package-like name that resolved nowhere:
    a ``paths`` key with a literal prefix (or an exact key) matched it, or its first segment
    is a folder under ``baseUrl``; and no package.json in the repository declares a package
    of that name (an undeclared package is hoisted only as some package's dependency).
    A catch-all ``*`` key claims every name, so it claims none."""
    alias = outcome.alias
    if alias is None:
        return False
    if alias == "baseUrl":
        first = name.split("/", 1)[0]
        if resolving.base_url is None or not repo.is_dir(_join(resolving.base_url, first)):
            return False
    elif "*" in alias and not alias.partition("*")[0]:
        return False
    return _package_of(name) not in repo.declared


def _mapping(resolving: ResolveOptions, name: str, alias: str | None) -> str:
    """Where an alias sends ``name``, in words: the ``paths`` key and its targets, or
    ``baseUrl``."""
    if alias == "baseUrl" or alias is None:
        return f"`baseUrl` {resolving.base_url} maps it to {_join(resolving.base_url or '', name)}"
    base = resolving.base_url or resolving.paths_base or ""
    prefix, star, suffix = alias.partition("*")
    middle = name[len(prefix) : len(name) - len(suffix)] if star else ""
    targets = [
        _join(base, t.replace("*", middle, 1))
        for t in (resolving.paths or {}).get(alias) or []
        if isinstance(t, str)
    ]
    return f"`paths` '{alias}' maps it to {', '.join(targets) or 'nothing'}"


def _join(base: str, name: str) -> str:
    return posixpath.normpath(posixpath.join(base, name))


def _package_of(name: str) -> str:
    parts = name.split("/")
    return "/".join(parts[:2]) if name.startswith("@") else parts[0]


def _workspace_unresolved(
    repo: RepoHost,
    project: TsProject,
    resolving: ResolveOptions,
    path: str,
    spec: Specifier,
    outcome: Resolved,
    unsure: list[str],
) -> Finding | None:
    """A workspace package's name that does not resolve: its `exports` withholds the subpath
    (certain: no build changes package.json), or its files are missing (certain only when
    none of them would be build output, in a folder the repository lacks; None when some
    would: the package is built before it is type-checked against)."""
    folder = outcome.workspace or ""
    manifest = posixpath.join(folder, "package.json")
    where = folder or "the repository root"
    parts = spec.text.split("/")
    subpath = "./" + "/".join(parts[2 if spec.text.startswith("@") else 1 :])
    subpath = "." if subpath == "./" else subpath
    reasons = [
        u for u in unsure if u in ("moduleResolution", "module", "customConditions") or " " in u
    ]
    if outcome.not_exported:
        exports = (repo.package_json(folder) or {}).get("exports")
        keys = sorted(exports) if isinstance(exports, dict) else []
        message = (
            f"Cannot find module '{spec.text}' (TS2307): the `exports` of {manifest} have no "
            f"entry for '{subpath}' that {project.config} (moduleResolution "
            f"{resolving.resolution}) can use"
        )
        listed = ", ".join(k for k in keys if k.startswith(".")) or "none"
        fix = f"export '{subpath}' from {manifest}, or import one it exports: {listed}"
    elif resolving.resolution == "classic":
        message = (
            f"Cannot find module '{spec.text}' (TS2792): {project.config} resolves with "
            "`classic`, which never looks for packages in node_modules, where the package "
            f"manager links the workspace package in {where}"
        )
        fix = f'set "moduleResolution": "bundler" (or "node16") in {project.config}'
    else:
        # a missing folder the package's fields point into is build output (dist/); the
        # subpath's own folder, tried for an index file, is not
        probe = posixpath.normpath(posixpath.join(folder, subpath)) if subpath != "." else None
        missing = _missing_sources(repo, folder, outcome.tried)
        stems = tuple(_stem(named) for _, named in missing)
        tried = [t for t in outcome.tried if not t.startswith(stems)] if stems else outcome.tried
        built = sorted(
            {
                d
                for t in tried
                if not repo.is_dir(d := posixpath.dirname(t))
                and (probe is None or (d != probe and not d.startswith(probe + "/")))
            }
        )
        if built or any(repo.ignored(t) for t in tried):
            return None  # its build (dist/, build/) comes first, as a monorepo's does
        shown = ", ".join(dict.fromkeys(outcome.tried[:6]))
        message = (
            f"Cannot find module '{spec.text}' (TS2307): the workspace package in {where} "
            f"does not provide it to {project.config} (moduleResolution "
            f"{resolving.resolution}); looked for {shown}"
        )
        fix = f"point `types`/`exports` in {manifest} at files the package has"
        if missing:
            message += (
                f"; {manifest} names {', '.join(n for _, n in missing)}, a TypeScript source "
                "no build writes, which is not in the repository"
            )
    if reasons:
        message += "; unless " + " or ".join(reasons) + " changes that"
    finding = UNRESOLVED.finding(
        path, message, line=spec.line, fix=fix, key=f"{spec.text}@{project.config}"
    )
    return _with_level(finding, Level.WARNING) if reasons else finding


# the fields of a package.json that name its entry files, as TypeScript reads them
_ENTRY_FIELDS = ("types", "typings", "main")


def _missing_sources(repo: RepoHost, folder: str, tried: list[str]) -> list[tuple[str, str]]:
    """The entry files a workspace package's package.json names (``types``, ``typings``,
    ``main``, an ``exports`` target), as (field, path), that resolution looked for and that
    are TypeScript sources the repository lacks: no build writes a ``.ts`` file (a build
    writes ``.js`` and ``.d.ts``), and none is gitignored (generated code is)."""
    manifest = repo.package_json(folder) or {}
    named = [(f, v) for f in _ENTRY_FIELDS if isinstance(v := manifest.get(f), str)]
    named += [("exports", v) for v in _strings(manifest.get("exports")) if "*" not in v]
    looked = set(tried)
    found = []
    for field, value in named:
        path = posixpath.normpath(posixpath.join(folder, value))
        if (
            path in looked
            and not repo.is_file(path)
            and path.endswith(TS_EXTENSIONS)
            and not _DECLARATION.search(path)
            and not repo.ignored(path)
            and (field, path) not in found
        ):
            found.append((field, path))
    return found


def _strings(value: Any) -> list[str]:
    """Every string in a JSON value (an ``exports`` map's targets)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _stem(path: str) -> str:
    """A path without its TypeScript extension: what resolution derives from it."""
    ext = next((e for e in (".d.ts", *TS_EXTENSIONS) if path.endswith(e)), "")
    return path[: -len(ext)] if ext else path


def _missing_sources_found(repo: RepoHost, outcome: Resolved) -> list[Finding]:
    """An error on the package.json line that names a missing TypeScript source, beside
    the one on each importer."""
    folder = outcome.workspace or ""
    manifest = posixpath.join(folder, "package.json")
    text = decode(repo.read(manifest)) or ""
    found = []
    for field, path in _missing_sources(repo, folder, outcome.tried):
        line = next((n for n, t in enumerate(text.splitlines(), 1) if f'"{field}"' in t), None)
        found.append(
            UNRESOLVED.finding(
                manifest,
                f"`{field}` names {path}, which is not in the repository: a TypeScript "
                "source, which no build writes; every import of the package that needs it "
                "fails (TS2307)",
                line=line,
                fix=f"point `{field}` at the package's entry file",
                key=f"{field}@{manifest}",
            )
        )
    return found


def _generated_includes(repo: RepoHost, project: TsProject) -> list[str]:
    """The places a project's ``files`` and ``include`` name that are gitignored and not in
    the checkout: a build step writes them before ``tsc`` runs, and what they declare
    (``declare module``) prgate cannot see."""
    found: list[str] = []
    for pattern in [*(project.files or []), *(project.include or [])]:
        wild = min((i for i, c in enumerate(pattern) if c in "*?"), default=len(pattern))
        literal = pattern[:wild]
        literal = literal.rstrip("/") if wild == len(pattern) else posixpath.dirname(literal)
        if not literal or literal in found or repo.is_file(literal) or repo.is_dir(literal):
            continue
        if repo.ignored(literal) or repo.ignored(literal + "/index.d.ts"):
            found.append(literal)
    return found


def _absent_config_folders(
    repo: RepoHost, resolving: ResolveOptions, tried: list[str]
) -> list[str]:
    """Folders the config points resolution into (``rootDirs``, ``paths`` targets, ``baseUrl``)
    that the repository lacks: generated ones, like React Router's ``.react-router/types``,
    which a typegen step writes before ``tsc`` runs."""
    above: set[str] = set()  # every folder holding a path tried
    for path in tried:
        folder = posixpath.dirname(path)
        while folder and folder not in above:
            above.add(folder)
            folder = posixpath.dirname(folder)
    return [r for r in resolving.config_folders if r in above and not repo.is_dir(r)]


def _with_level(finding: Finding, level: Level) -> Finding:
    return dataclasses.replace(finding, level=level)


def _asset_like(name: str) -> bool:
    last = name.rsplit("/", 1)[-1]
    if any(c in name for c in "?!") or re.match(r"^[a-z][a-z0-9+.-]*:", name):
        return True
    return "." in last.lstrip(".") and not last.endswith(CODE_EXTENSIONS)


def _nearest(
    repo: RepoHost, importer: str, name: str, resolving: ResolveOptions, own: set[str]
) -> str | None:
    """The import that would reach a file with the same last name (a moved module), or the
    same file with the case the disk has; through the same alias when the name used one.
    Only a file among the project's own sources (``own``) is proposed: one in another app,
    or a build script a project reference compiles, is no fix for this project."""
    stem = name.rstrip("/").rsplit("/", 1)[-1]
    for ext in (*CODE_EXTENSIONS,):
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
    if not stem or stem in (".", ".."):
        return None
    candidates = [c for c in repo.by_stem.get(stem.lower(), []) if c in own]
    if not candidates:
        return None
    here = posixpath.dirname(importer)

    def distance(path: str) -> int:
        common = posixpath.commonpath([here or ".", posixpath.dirname(path) or "."])
        return len(here.split("/")) + len(path.split("/")) - 2 * len(common.split("/"))

    best = min(candidates, key=lambda p: (distance(p), p))
    target = re.sub(r"(\.d)?\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$", "", best)
    if target.endswith("/index"):
        target = target[: -len("/index")]
    if not is_relative(name):
        alias = _alias_for(target, name, resolving)
        if alias is not None:
            return alias
    relative = posixpath.relpath(target, here or ".")
    return relative if relative.startswith("../") else "./" + relative


def _alias_for(target: str, name: str, resolving: ResolveOptions) -> str | None:
    """``target`` (a repository path without extension) as a ``paths`` alias, preferring
    the alias ``name`` used, else under ``baseUrl``; None when none reaches it."""
    base = resolving.base_url or resolving.paths_base or ""
    options = []
    for key, targets in (resolving.paths or {}).items():
        if key.count("*") != 1 or not isinstance(targets, list):
            continue
        for pattern in targets:
            if not isinstance(pattern, str) or pattern.count("*") != 1:
                continue
            prefix, _, suffix = posixpath.normpath(posixpath.join(base, pattern)).partition("*")
            if target.startswith(prefix) and target.endswith(suffix):
                middle = target[len(prefix) : len(target) - len(suffix)]
                alias = key.replace("*", middle)
                used = name.startswith(key.split("*", 1)[0])
                options.append((not used, len(alias), alias))
    if options:
        return min(options)[2]
    if resolving.base_url is not None:
        inside = posixpath.relpath(target, resolving.base_url)
        if not inside.startswith("../"):
            return inside
    return None


def _undeclared(repo: RepoHost, path: str, spec: Specifier) -> Finding | None:
    name = spec.text
    if name.startswith("node:"):
        return None
    package = _package_of(name)
    if name in NODE_BUILTINS or package in NODE_BUILTINS:
        return None
    if package in repo.workspace:
        return None
    folder = posixpath.dirname(path)
    nearest = None
    while True:
        manifest = repo.package_json(folder)
        if manifest is not None:
            nearest = nearest or (
                posixpath.join(folder, "package.json") if folder else "package.json"
            )
            for key in DEPENDENCY_FIELDS:
                deps = manifest.get(key)
                if isinstance(deps, dict) and (package in deps or _types_name(package) in deps):
                    return None
        if folder == "":
            break
        folder = posixpath.dirname(folder)
    where = nearest or "any package.json (there is none)"
    return UNDECLARED_DEPENDENCY.finding(
        path,
        f"'{package}' is imported but not declared in {where} or any package.json above it: "
        "it resolves only while another package's dependency on it is hoisted",
        line=spec.line,
        fix=f"add '{package}' to the dependencies of {nearest}" if nearest else None,
        key=package,
    )


def _types_name(package: str) -> str:
    return "@types/" + (package[1:].replace("/", "__") if package.startswith("@") else package)


def _jsx(project: TsProject, path: str, line: int, unsure: list[str], jsx: str) -> Finding:
    message = (
        f"Cannot use JSX unless the '--jsx' flag is provided (TS17004): {project.config} "
        "includes this file and does not set `jsx`"
    )
    fix = f'set "jsx": "{jsx}" in the compilerOptions of {project.config}'
    hedged = "jsx" in unsure
    if hedged:  # the base prgate cannot read may set it: name it, and what to check
        base = project.options.unknown_base
        message = (
            f"{project.config} includes this JSX file and sets no `jsx` itself; its base "
            f"{base!r} (in node_modules, which prgate cannot see) may set it; if it does not, "
            "tsc stops with TS17004"
        )
        fix = f'check that {base!r} sets "jsx", or set it in {project.config}'
    finding = JSX_NOT_ENABLED.finding(path, message, line=line, fix=fix, key=project.config)
    return _with_level(finding, Level.WARNING) if hedged else finding


SPEC = CheckSpec(
    name=NAME,
    rules=RULES,
    run=run,
    summary="imports TypeScript cannot resolve, and JSX its tsconfig does not enable",
)
