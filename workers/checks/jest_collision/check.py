"""jest-collision: what Jest's haste map would report, predicted without running Jest.

For each folder CI runs Jest in (``run-from``, default the repository root)
``config`` finds and normalizes the configuration as Jest 29/30 would,
``haste_map`` registers the repository's files per project, and this module
turns the outcome into findings with the fix:

* ``haste-module`` — two or more ``package.json`` with one ``name`` ("Haste
  module naming collision"); the fix is the ``modulePathIgnorePatterns`` entry
  that removes the copy to drop (a generated project — a folder with a
  ``.copier-answers.yml`` — before a template, before the deeper copy), as the
  edited line of a JSON config so a review can suggest it;
* ``duplicate-mock`` — two manual mocks with one name;
* ``invalid-package-json`` — a ``package.json`` Jest cannot parse (it exits 1);
* ``config-error`` — a configuration Jest itself rejects;
* ``unpredictable`` — a config prgate cannot evaluate safely, or a
  ``haste.hasteImplModulePath``; the check then reports "could not run"
  (neutral), never a pass.

The prediction is for a fresh checkout of the change: the files git would
commit, as CI's Jest sees them.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from workers.checks.jest_collision import haste_map
from workers.checks.jest_collision.config import (
    HASTE_KEYS,
    JestProject,
    jest_key,
    jest_version,
    js_truthy,
    package_manifests,
    projects_for,
    resolve_config_path,
)
from workers.checks.jest_collision.js_regex import JsRegexError, compile_js
from workers.checks.jest_collision.rules import (
    CONFIG_ERROR,
    DUPLICATE_MOCK,
    HASTE_MODULE,
    INVALID_PACKAGE_JSON,
    NAME,
    RULES,
    UNPREDICTABLE,
)
from workers.checks.jest_collision.settings import JestCollisionSettings
from workers.checks.jest_collision.tree import JestConfigError, Tree, Unpredictable
from workers.engine.config import RepoConfig
from workers.engine.findings import CheckResult, Finding, Note
from workers.engine.spec import CheckSpec
from workers.engine.views import FileSkipped, RepoView


def load_js(tree: Tree, path: str) -> Any:
    """A JS/TS config's value: read statically when it is a literal, else evaluated in the
    embedded JS engine (js_eval)."""
    from workers.checks.jest_collision.js_static import JsSyntaxError, NotStatic, static_value

    rel = tree.rel(path)
    try:
        value = static_value(tree.read(path))
    except JsSyntaxError as exc:
        raise Unpredictable(f"{rel}: {exc}; Jest would fail to load it too", rel) from None
    except NotStatic:
        from workers.checks.jest_collision.js_eval import evaluate

        value = evaluate(tree, path, posixpath.dirname(path))
    if isinstance(value, dict):
        marked = _marked_key(value)
        if marked is not None:
            raise Unpredictable(f"{rel}: `{marked}` is computed by a function", rel)
    return value


def _marked_key(config: dict[str, Any], prefix: str = "") -> str | None:
    """The first option that decides the haste map and holds what prgate did not evaluate;
    a project given inline is looked at the same way (its other options may hold it)."""
    for key in HASTE_KEYS:
        value = config.get(key)
        if key == "projects" and isinstance(value, list):
            for i, project in enumerate(value):
                where = f"{prefix}projects[{i}]"
                if isinstance(project, dict) and "__prgate__" not in project:
                    inner = _marked_key(project, where + ".")
                    if inner is not None:
                        return inner
                elif _has_marker(project):
                    return where
        elif _has_marker(value):
            return prefix + key
    return None


def _has_marker(value: Any) -> bool:
    if isinstance(value, dict):
        return "__prgate__" in value or any(_has_marker(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_marker(v) for v in value)
    return False


def uses_jest(view: RepoView, tree: Tree, run_dir: str) -> bool:
    """Whether Jest is configured or depended on; a repository without it has nothing to predict."""
    start = tree.folder(run_dir)
    try:
        found = resolve_config_path(tree, start, 30) if tree.is_dir(start) else None
    except JestConfigError:
        return True  # several configurations: Jest is configured (the run reports the error)
    if found is not None and (
        not found.endswith("/package.json") or js_truthy(jest_key(tree, found))
    ):
        return True
    for data in package_manifests(view, run_dir):
        if "jest" in data:
            return True
        for section in ("dependencies", "devDependencies"):
            if isinstance(data.get(section), dict) and "jest" in data[section]:
                return True
        scripts = data.get("scripts")
        if isinstance(scripts, dict) and any(
            isinstance(v, str) and re.search(r"\bjest\b", v) for v in scripts.values()
        ):
            return True
    return False


def run(view: RepoView, config: RepoConfig) -> CheckResult:
    settings = config.settings(NAME)
    assert isinstance(settings, JestCollisionSettings)
    tree = Tree(view, load_js)
    findings: list[Finding] = []
    notes: list[Note] = []
    problems: list[str] = []
    try:
        used = any(uses_jest(view, tree, d) for d in settings.run_from)
        version = (settings.jest_version or jest_version(view)) if used else 0
    except Unpredictable as exc:  # a manifest or config it needs to decide could not be read
        finding = UNPREDICTABLE.finding(exc.path or "package.json", str(exc), key="uses-jest")
        return CheckResult(
            check=NAME,
            findings=[finding],
            error=_could_not_run(
                f"whether and which Jest is used here could not be decided: {exc}"
            ),
        )
    if not used:
        notes.append(
            Note(
                message="Jest is not used here (no Jest config, no jest dependency): "
                "nothing to predict"
            )
        )
        return CheckResult(check=NAME, notes=notes)
    notes.append(Note(message=f"predicting Jest {version}'s haste map"))
    tree.jest_major = version
    context = _Context(view, tree, config)
    for run_dir in settings.run_from:
        try:
            projects = list(projects_for(tree, run_dir, version))
        except JestConfigError as exc:
            findings.append(
                CONFIG_ERROR.finding(
                    exc.path or _package_json(run_dir), str(exc), key=f"{run_dir}:config"
                )
            )
            continue
        except Unpredictable as exc:
            findings.append(
                UNPREDICTABLE.finding(exc.path or _package_json(run_dir), str(exc), key=run_dir)
            )
            problems.append(str(exc))
            continue
        if not projects:
            notes.append(
                Note(
                    message=f"no Jest configuration found from {run_dir} up to the repository root"
                )
            )
        for project in projects:
            result = haste_map.build(project.haste, tree.haste_files, context.read_many)
            findings.extend(context.findings(project, result, len(projects) > 1))
            for path, why in result.unread:
                problems.append(f"{tree.rel(path)}: {why}")
                findings.append(
                    UNPREDICTABLE.finding(
                        tree.rel(path), f"Jest reads this package.json but prgate could not: {why}"
                    )
                )
    notes.extend(Note(message=text) for text in dict.fromkeys(tree.notes))
    error = None
    if problems:
        error = _could_not_run("Jest's haste map could not be predicted: " + "; ".join(problems))
    return CheckResult(check=NAME, findings=_dedupe(findings), notes=notes, error=error)


def _could_not_run(reason: str) -> str:
    """The reason, and the setting for a repository that wants no prediction at all (there
    is no level that makes an unpredictable project pass: rules.UNPREDICTABLE.fixed)."""
    return (
        f"{reason}. A repository that does not want this check sets "
        f"`{NAME}: {{enabled: false}}` in .github/prgate.yml"
    )


def _package_json(run_dir: str) -> str:
    return posixpath.normpath(posixpath.join(run_dir, "package.json"))


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for f in findings:
        seen.setdefault(f.fingerprint, f)
    return list(seen.values())


_ANSWERS = re.compile(r"\.copier-answers[^/]*\.ya?ml")


class _Context:
    def __init__(self, view: RepoView, tree: Tree, config: RepoConfig) -> None:
        self.view = view
        self.tree = tree
        self.config = config
        # Copier's answers file: .copier-answers.yml, or a custom name of that shape
        answers = [
            rel
            for rel in view.paths()
            if ".copier-answers" in rel and _ANSWERS.fullmatch(rel.rsplit("/", 1)[-1])
        ]
        self.generated = sorted({posixpath.dirname(a) for a in answers if "/" in a}, key=len)

    def read_many(self, paths: list[str]) -> dict[str, bytes | Exception]:
        rel = self.tree.rel
        got = self.view.read_many(rel(p) for p in paths)
        return {p: got[rel(p)] for p in paths}

    @cached_property
    def template_roots(self) -> list[str]:
        # imported here: only a collision needs it, and it loads YAML and pathspec
        from workers.checks.template_roots import find_template_roots

        roots, _ = find_template_roots(self.view, self.config)
        return [r.path for r in roots if r.path]

    def generated_folder(self, rel: str) -> str | None:
        return next((g for g in self.generated if rel.startswith(g + "/")), None)

    def template_folder(self, rel: str) -> str | None:
        return next((t for t in self.template_roots if rel.startswith(t + "/")), None)

    def findings(
        self, project: JestProject, result: haste_map.HasteResult, several: bool
    ) -> Iterator[Finding]:
        tree = self.tree
        where = f" in the Jest project at {project.label}" if several else ""
        for path, reason in result.invalid:
            rel = tree.rel(path)
            yield INVALID_PACKAGE_JSON.finding(
                rel,
                f"Jest{where} would exit 1: {reason.replace(path, rel)}. Every package.json under "
                "Jest's roots is parsed, whether or not a test uses it.",
                fix="make the file valid JSON (no BOM, no comments, no trailing commas), or add "
                "its folder to modulePathIgnorePatterns: "
                + json.dumps(_pattern(project, posixpath.dirname(path))),
                key=project.label,
            )
        for name, paths in sorted(result.packages.items()):
            yield self.collision(project, name, paths, where)
        for name, paths in sorted(result.mocks.items()):
            rels = [tree.rel(p) for p in paths]
            yield DUPLICATE_MOCK.finding(
                rels[0],
                f'Jest{where} would print "duplicate manual mock found: {name}" for '
                f"{', '.join(rels)}; it keeps whichever it crawls last.",
                fix="delete or rename all but one of these mocks, or ignore the folders that hold "
                "the extra copies with modulePathIgnorePatterns",
                related=tuple(rels[1:]),
                key=f"{project.label}:{name}",
            )

    def collision(self, project: JestProject, name: str, paths: list[str], where: str) -> Finding:
        tree = self.tree
        rels = [tree.rel(p) for p in paths]
        drop, why = self.copies_to_drop(rels)
        keep = [r for r in rels if r not in drop]
        folders = sorted(
            {
                self.generated_folder(r) or self.template_folder(r) or posixpath.dirname(r)
                for r in drop
            }
        )
        patterns = [_pattern(project, f"{tree.root}/{f}") for f in folders]
        extra = ""
        if project.haste.throw_on_collision:
            extra = " With haste.throwOnModuleCollision set, Jest exits 1."
        hidden = [
            r
            for r in rels
            if _matches_any(
                project.test_path_ignore + project.watch_path_ignore, f"{tree.root}/{r}"
            )
        ]
        if hidden:
            extra += (
                f" {', '.join(hidden)} {'is' if len(hidden) == 1 else 'are'} covered by "
                "testPathIgnorePatterns/watchPathIgnorePatterns, which do not remove files from "
                "the haste map: only modulePathIgnorePatterns does."
            )
        message = (
            f'Jest{where} would print "Haste module naming collision: {name}": '
            f"{len(rels)} package.json files share the name ({', '.join(rels)}). Jest drops "
            f'"{name}" from its haste map, so every test that requires it fails.{why}{extra}'
        )
        if all(_removes(project, patterns, f"{tree.root}/{r}") for r in drop):
            fix_text, fix_at = self.fix(project, patterns)
        else:  # Jest's unescaped <rootDir> would not match: regex characters in the path
            fix_text, fix_at = (
                f'rename the package in {" or ".join(drop)} so "{name}" is unique',
                None,
            )
        primary = drop[0] if drop else rels[0]
        related = tuple(r for r in rels if r != primary)
        return HASTE_MODULE.finding(
            primary,
            message,
            fix=fix_text,
            line=_name_line(self.view, primary),
            related=related,
            fix_at=fix_at,
            key=f"{project.label}:{name}:{','.join(keep)}",
        )

    def copies_to_drop(self, rels: list[str]) -> tuple[list[str], str]:
        generated = [r for r in rels if self.generated_folder(r)]
        if generated and len(generated) < len(rels):
            folders = sorted({g for r in generated if (g := self.generated_folder(r))})
            return generated, (
                f" {', '.join(f + '/' for f in folders)} holds a .copier-answers.yml: it is a "
                "generated project committed next to its template."
            )
        templated = [r for r in rels if self.template_folder(r)]
        if templated and len(templated) < len(rels):
            return (
                templated,
                " The template's copy is source for generated projects, not a package to test.",
            )
        ordered = sorted(rels, key=lambda r: (r.count("/"), r))
        return ordered[1:], ""

    def fix(self, project: JestProject, patterns: list[str]) -> tuple[str, tuple[str, int] | None]:
        config = project.config_path or "the Jest config"
        listed = ", ".join(json.dumps(p) for p in patterns)
        prose = (
            f"add {listed} to modulePathIgnorePatterns in {config}, or generate smoke output "
            "outside the Jest workspace"
        )
        if project.config_path and project.config_format in ("json", "package.json"):
            try:
                text = self.view.read_text(project.config_path)
            except FileSkipped:
                return prose, None
            edit = json_fix(text, patterns, project.config_format == "package.json")
            if edit is not None:
                line, replacement = edit
                return replacement, (project.config_path, line)
        return prose, None


def _pattern(project: JestProject, folder: str) -> str:
    """``<rootDir>/folder/`` with the folder's regex characters escaped."""
    rel = posixpath.relpath(folder, project.haste.root_dir)
    if rel == ".":
        return "<rootDir>/package\\.json$"
    return "<rootDir>/" + re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\1", rel) + "/"


def _removes(project: JestProject, patterns: list[str], path: str) -> bool:
    """Whether Jest, given ``patterns``, would ignore ``path`` (a fix is only offered if so).

    ``<rootDir>`` is substituted as plain text the way jest-config does it and
    the result compiled with JavaScript's rules.
    """
    source = "|".join(p.replace("<rootDir>", project.haste.root_dir) for p in patterns)
    try:
        return bool(compile_js(source).search(path))
    except JsRegexError:
        return False


def _matches_any(patterns: tuple[str, ...], path: str) -> bool:
    for p in patterns:
        try:
            if compile_js(p).search(path):
                return True
        except JsRegexError:
            continue
    return False


def _name_line(view: RepoView, rel: str) -> int | None:
    try:
        text = view.read_text(rel)
    except FileSkipped:
        return None
    for i, line in enumerate(text.splitlines(), start=1):
        if re.match(r'\s*"name"\s*:', line):
            return i
    return None


def json_fix(text: str, patterns: list[str], in_package: bool) -> tuple[int, str] | None:
    """The line to replace (1-based) and its replacement that adds ``patterns``; None if unsure.

    The edit is applied and the result parsed before it is offered, so a
    suggestion never breaks the file.
    """
    lines = text.splitlines()
    entries = ", ".join(json.dumps(p) for p in patterns)
    edit = _json_edit(lines, entries, in_package)
    if edit is None:
        return None
    index, replacement = edit
    candidate = "\n".join([*lines[:index], replacement, *lines[index + 1 :]])
    try:
        data = json.loads(candidate)
        old = json.loads(text)
    except ValueError:
        return None
    if in_package:
        data, old = data.get("jest"), old.get("jest")
    if not isinstance(data, dict) or not isinstance(old, dict):
        return None
    expected = [*(old.get("modulePathIgnorePatterns") or []), *patterns]
    if data.get("modulePathIgnorePatterns") != expected or {
        k: v for k, v in data.items() if k != "modulePathIgnorePatterns"
    } != {k: v for k, v in old.items() if k != "modulePathIgnorePatterns"}:
        return None
    return index + 1, replacement


def _json_edit(lines: list[str], entries: str, in_package: bool) -> tuple[int, str] | None:
    key = re.compile(r'^(\s*)"modulePathIgnorePatterns"\s*:\s*\[(.*)$')
    for i, line in enumerate(lines):
        m = key.match(line)
        if not m:
            continue
        rest = m.group(2)
        close = rest.rfind("]")
        if close >= 0:  # the whole array on this line
            inside = rest[:close].strip()
            start = len(line) - len(rest)
            sep = ", " if inside else ""
            return i, line[: start + close] + sep + entries + line[start + close :]
        for j in range(i + 1, len(lines)):
            if lines[j].strip().startswith("]"):
                last = j - 1
                if last == i:
                    return None
                indent = re.match(r"\s*", lines[last]).group(0)  # type: ignore[union-attr]
                return last, lines[last].rstrip() + ",\n" + indent + entries
        return None
    opener = re.compile(r'^(\s*)"jest"\s*:\s*\{\s*$') if in_package else re.compile(r"^(\s*)\{\s*$")
    for i, line in enumerate(lines):
        m = opener.match(line)
        if m:
            indent = m.group(1) + "  "
            return i, f'{line}\n{indent}"modulePathIgnorePatterns": [{entries}],'
    return None


SPEC = CheckSpec(
    name=NAME,
    rules=RULES,
    run=run,
    summary="package names and manual mocks that collide in Jest's haste map",
)
