"""nx-generators: Nx generators that create a project must make one Nx can see.

``collection`` finds the generators as Nx does; ``effects`` reads what each factory
writes and whether anything makes its new folder a project; this module decides:

* ``unloadable`` — a generator Nx cannot load (its factory or schema file is missing,
  its schema or collection is not JSON): ``nx g`` fails;
* ``no-project`` — it writes files under a new root computed from its options
  (``libs/<name>``) and nothing makes that root a project (no ``project.json``, no
  ``addProjectConfiguration``, no ``package.json`` where the workspace's globs infer
  projects, no Nx project generator). An error when the generator says it creates a
  project, application, library or service, or writes a ``src/`` tree or a ``main``
  under a workspace layout root; a warning when it may well be file-only;
* ``no-targets`` — it makes a project with no targets while its description names
  targets it does not define and no inference plugin of the workspace could supply;
* ``schema-mismatch`` — options the factory reads that its schema does not declare, and
  required options it never reads (warnings: Nx passes undeclared options through).

A generator prgate cannot follow is judged no further, and a note says why.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import yaml

from workers.checks.nx_generators.collection import Generator, generators
from workers.checks.nx_generators.rules import (
    NAME,
    NO_PROJECT,
    NO_TARGETS,
    RULES,
    SCHEMA_MISMATCH,
    UNLOADABLE,
)
from workers.checks.workspaces import matches, package_globs, workspace_patterns
from workers.engine.config import RepoConfig
from workers.engine.findings import CheckError, CheckResult, Finding, Level, Note, TooDeep
from workers.engine.spec import CheckSpec
from workers.engine.views import FileSkipped, RepoView

if TYPE_CHECKING:  # the factory reader (tree-sitter) loads only where there are generators
    from workers.checks.nx_generators.effects import Effects, Reader

CLAIM = re.compile(
    r"\b(projects?|applications?|apps?|librar(y|ies)|libs?|(micro)?services?)\b", re.I
)
TARGET_WORDS = ("build", "test", "lint", "serve", "e2e")
RUNNABLE = re.compile(r"(^|/)(src/|main\.[cm]?[jt]sx?$)")
# Nx's own plugins that make a project from a file of their own (a build file); the other
# @nx/* plugins only add targets to folders with a project.json or package.json
PROJECT_PLUGINS = ("@nx/gradle", "@nx/dotnet", "@nx/maven")


def _placeholder(path: str) -> str:
    return re.sub(r"<[^>]*>", "<>", path)


def root_of(path: str) -> str | None:
    """The new root a written path makes: up to its first part computed from the options."""
    parts = path.split("/")
    if "<" in parts[0]:
        return None  # computed whole (an existing project's folder, say): maybe not new
    for i, part in enumerate(parts[:-1]):  # a folder: a file named after an option is no root
        if "<" in part:
            return "/".join(parts[: i + 1])
    return None


class Workspace:
    """What decides whether Nx sees a folder as a project: package-manager workspace globs
    (a package.json there is a project) and the nx.json inference plugins."""

    def __init__(self, view: RepoView) -> None:
        self.plugins: list[str] = []
        self.layout = ["apps", "libs", "packages"]
        pnpm = "pnpm-workspace.yaml"
        try:
            self.globs = workspace_patterns(
                _json(view, "package.json"),
                (lambda: view.read_text(pnpm)) if view.entry(pnpm) is not None else None,
            )
            self.packages: tuple[list[re.Pattern[str]], list[re.Pattern[str]]] | None = (
                package_globs(self.globs)
            )
        except (ValueError, FileSkipped, yaml.YAMLError):  # UnreadGlob is a ValueError
            self.globs, self.packages = [], None  # unread: any folder may be a project
        nx = _json(view, "nx.json")
        if isinstance(nx, dict):
            for p in nx.get("plugins") or []:
                name = p if isinstance(p, str) else p.get("plugin") if isinstance(p, dict) else None
                if isinstance(name, str):
                    self.plugins.append(name)
            layout = nx.get("workspaceLayout")
            if isinstance(layout, dict):
                self.layout += [v for v in layout.values() if isinstance(v, str)]

    @property
    def other_inference(self) -> list[str]:
        """nx.json plugins that may make projects from files other than project.json and
        package.json (any plugin not Nx's own, and Nx's build-file plugins)."""
        return [
            p for p in self.plugins if not p.startswith("@nx/") or p.startswith(PROJECT_PLUGINS)
        ]

    def infers(self, folder: str) -> bool:
        """Whether a package.json in ``folder`` (symbolic) is a project to Nx (when the
        workspace's globs could not be read, it may be)."""
        if self.packages is None:
            return True
        sample = re.sub(r"<[^>]*>", "x", folder)
        return matches(f"{sample}/package.json", *self.packages)


def _json(view: RepoView, path: str) -> object:
    """The workspace file's JSON; None when it is absent or not JSON (Nx then fails on its
    own). One that is there but prgate may not read decides what Nx infers: no verdict."""
    if view.entry(path) is None:
        return None
    try:
        return json.loads(view.read_text(path))
    except FileSkipped as exc:
        raise CheckError(f"{path} could not be read ({exc}); it decides what Nx infers") from None
    except ValueError:
        return None
    except RecursionError:  # Nx reads any depth: what it infers is unknown, no verdict
        raise TooDeep(path) from None


def run(view: RepoView, config: RepoConfig) -> CheckResult:
    found = generators(view)
    if not found:
        return CheckResult(check=NAME, skipped="there are no Nx generators in the repository")
    from workers.checks.nx_generators.effects import Reader

    reader = Reader(view)
    workspace = Workspace(view)
    findings: list[Finding] = []
    notes: list[Note] = []
    for gen in found:
        findings.extend(_judge(gen, reader, workspace, notes))
    return CheckResult(check=NAME, findings=findings, notes=notes)


def _judge(gen: Generator, reader: Reader, ws: Workspace, notes: list[Note]) -> list[Finding]:
    label = f"generator '{gen.name}' of {gen.collection}"
    if gen.problems:
        return [
            UNLOADABLE.finding(
                gen.collection,
                f"Nx cannot load {label}: {'; '.join(gen.problems)}. `nx g` fails for it.",
                fix="point `factory` and `schema` at files that exist (paths are relative "
                "to the collection file), and keep both files valid",
                key=gen.name,
            )
        ]
    if gen.built or gen.factory is None:
        notes.append(Note(f"{label}: not judged: {'; '.join(gen.built)}", gen.collection))
        return []
    found = reader.function(gen.factory, gen.export)
    if found is None:
        notes.append(
            Note(
                f"{label}: prgate could not find the function {gen.factory} exports as "
                f"{gen.export!r}; not judged",
                gen.factory,
            )
        )
        return []
    props = gen.schema_data.get("properties")
    names = set(props) if isinstance(props, dict) else set()
    from workers.checks.nx_generators.effects import Walk

    effects = Walk(reader).run(*found)
    out = _schema(gen, effects, names, label)
    if effects.unfollowed:
        notes.append(Note(f"{label}: not judged further: {effects.unfollowed[0]}", gen.factory))
        return out
    claim = _claim(gen)
    uncovered = _uncovered(effects, ws)
    if uncovered:
        root, files = uncovered
        runnable = any(RUNNABLE.search(f[len(root) + 1 :]) for f in files) and any(
            root.startswith(d + "/") for d in ws.layout
        )
        level = Level.ERROR if claim or runnable else Level.WARNING
        said = f" It says it {_quote(claim)}." if claim else ""
        if ws.other_inference:  # a plugin may make a project of it from another file
            level = Level.WARNING
            said += f" (nx.json's {', '.join(ws.other_inference)} may infer one from other files.)"
        shown = root.replace("<>", "<name>")
        finding = NO_PROJECT.finding(
            gen.factory,
            f"{label} writes {len(files)} file(s) under {shown}/ and nothing makes that "
            f"folder a project: no project.json, no addProjectConfiguration"
            + (", no package.json where the workspace infers projects" if ws.globs else "")
            + f".{said} Nx will not list it (`nx show projects`), and `nx build <name>` and "
            "the like fail.",
            fix="add a project.json with its targets to the template folder (e.g. "
            "files/project.json__tmpl__), or call addProjectConfiguration; or, if it only "
            'writes files, say "file-only" in its description',
            key=f"{gen.collection}:{gen.name}",
        )
        out.append(_at(finding, level))
        return out
    missing = _missing_targets(gen, effects, ws)
    if missing is not None:
        named, level = missing
        finding = NO_TARGETS.finding(
            gen.factory,
            f"{label} makes a project with no targets, while its description names "
            f"{', '.join(named)}; "
            + (
                "no inference plugin is configured in nx.json"
                if not ws.plugins
                else f"nx.json's plugins ({', '.join(ws.plugins)}) may infer them"
            )
            + ".",
            fix="give the project.json (or addProjectConfiguration) the targets it names, or "
            "add the config files an inference plugin reads",
            key=f"{gen.collection}:{gen.name}",
        )
        out.append(_at(finding, level))
    return out


def _at(finding: Finding, level: Level) -> Finding:
    import dataclasses

    return dataclasses.replace(finding, level=level)


def _quote(claim: str) -> str:
    return f'creates: "{claim}"'


def _claim(gen: Generator) -> str:
    """The generator's own words that it creates a project, or ""."""
    for text in (
        gen.description,
        str(gen.schema_data.get("description") or ""),
        str(gen.schema_data.get("title") or ""),
    ):
        words = text.replace("package.json", "").replace("project.json", "")
        if "file-only" in words.lower():
            return ""
        if CLAIM.search(words):
            return text.strip()
    return ""


def _uncovered(effects: Effects, ws: Workspace) -> tuple[str, list[str]] | None:
    """The first new root the generator writes that nothing makes a project, with its files."""
    if any(p.root is None for p in effects.projects):
        return None  # a project at a root prgate cannot name: may be any of them
    made = {_placeholder(p.root) for p in effects.projects if p.root is not None}
    made |= {_placeholder(d) for d, _ in effects.packages if ws.infers(d)}
    roots: dict[str, list[str]] = {}
    for path in effects.writes:
        root = root_of(_placeholder(path))
        if root is not None:
            roots.setdefault(root, []).append(_placeholder(path))
    for root, files in roots.items():
        if root not in made and not any(root.startswith(m + "/") for m in made):
            return root, files
    return None


def _missing_targets(
    gen: Generator, effects: Effects, ws: Workspace
) -> tuple[list[str], Level] | None:
    words = gen.description.lower()
    named = [t for t in TARGET_WORDS if re.search(rf"\b{t}\b", words)]
    if not named or effects.targets_maybe or not effects.projects:
        return None
    if any(p.targets is not False for p in effects.projects):
        return None
    roots = {_placeholder(p.root or "") for p in effects.projects}
    if any(scripts is not False and _placeholder(d) in roots for d, scripts in effects.packages):
        return None  # package.json scripts are targets too
    return named, Level.ERROR if not ws.plugins else Level.WARNING


def _schema(gen: Generator, effects: Effects, names: set[str], label: str) -> list[Finding]:
    if not gen.schema_data or gen.factory is None:
        return []
    out = []
    undeclared = sorted(effects.reads - names)
    if undeclared and isinstance(gen.schema_data.get("properties"), dict):
        out.append(
            SCHEMA_MISMATCH.finding(
                gen.schema or gen.collection,
                f"{label} reads options its schema does not declare: {', '.join(undeclared)} "
                "(Nx passes them through unchecked and never prompts for them)",
                fix="declare them under `properties` in the schema, or stop reading them",
                key=f"{gen.name}:undeclared",
            )
        )
    required = gen.schema_data.get("required")
    if isinstance(required, list) and not effects.options_escape and not effects.unfollowed:
        unread = sorted(str(r) for r in required if r not in effects.reads)
        if unread:
            out.append(
                SCHEMA_MISMATCH.finding(
                    gen.schema or gen.collection,
                    f"{label}'s schema requires {', '.join(unread)}, which the factory never "
                    "reads: a user must give a value that changes nothing",
                    fix="use the option, or drop it from `required`",
                    key=f"{gen.name}:unread",
                )
            )
    return out


SPEC = CheckSpec(
    name=NAME,
    rules=RULES,
    run=run,
    summary="Nx generators that create a project must make one Nx can see",
)
