"""contamination: local state, env files, secrets and build output inside templates.

Name rules apply inside template roots (see ``template_roots``) to names as
they will be rendered; ``contamination/secret`` applies to every file in the
repository. Folder-shaped contamination (``node_modules/``, ``buildx/`` state)
gives one finding for the top-most offending folder, named with a trailing
``/``, and nothing for the files inside it.
"""

from __future__ import annotations

import bisect
import dataclasses
import posixpath
import re
import shlex
from collections import defaultdict

import pathspec

from workers.checks.contamination import rules
from workers.checks.contamination.rules import (
    NAME,
    RULES,
)
from workers.checks.contamination.secrets import (
    NEEDLES,
    SecretMatch,
    env_assignments,
    is_placeholder_value,
    private_key_at,
    scan_env_text,
    scan_line,
)
from workers.checks.template_roots import TemplateRoot, find_template_roots, unreadable
from workers.engine.config import RepoConfig
from workers.engine.findings import CheckResult, Finding, Level, Note, RuleInfo
from workers.engine.spec import CheckSpec
from workers.engine.views import FileSkipped, GrepHit, Kind, RepoView

EXAMPLE_WORDS = {
    "example",
    "examples",
    "sample",
    "samples",
    "template",
    "tmpl",
    "tpl",
    "dist",
    "defaults",
    "default",
    "schema",
    "spec",
    "skeleton",
    "stub",
}
PACKAGE_LOCKFILES = {
    "yarn.lock",
    "Cargo.lock",
    "uv.lock",
    "poetry.lock",
    "Gemfile.lock",
    "composer.lock",
    "flake.lock",
    "Pipfile.lock",
    "pdm.lock",
    "pixi.lock",
    "mix.lock",
    "pubspec.lock",
    "Podfile.lock",
    "bun.lock",
    "deno.lock",
    "conan.lock",
    "paket.lock",
    "shard.lock",
    "Berksfile.lock",
    "renv.lock",
    "Chart.lock",
    "Package.resolved",
    "gradle.lockfile",
    "devbox.lock",
    ".terraform.lock.hcl",
    "MODULE.bazel.lock",
    "packages.lock.json",
    "Manifest.toml",
    "gopkg.lock",
    "Gopkg.lock",
    "bun.lockb",
    "cabal.project.freeze",
}
BACKUP_SUFFIXES = (".bak", ".orig", ".rej", "~", ".swp", ".swo")
ARTIFACT_DIRS = {
    "node_modules",
    "dist",
    "target",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
    ".venv",
    ".nx",
    ".turbo",
    ".next",
    "coverage",
}
BUILDX_STATE = {"instances", "activity", "refs", "defaults"}
OS_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
# Every name rule needs one of these in the path (lower-cased); a cheap C-speed
# screen over the joined listing so that only candidate paths are parsed.
_SCREEN = (
    ".env",
    ".bak",
    ".orig",
    ".rej",
    "~",
    ".sw",
    ".#",
    ".lock",
    ".pid",
    "tfstate",
    ".terraform",
    "buildx/",
    "node_modules/",
    "dist/",
    "target/",
    "__pycache__/",
    ".pyc",
    "_cache/",
    ".tox/",
    ".venv/",
    ".nx/",
    ".turbo/",
    ".next/",
    "coverage/",
    ".egg-info/",
    ".ds_store",
    "thumbs.db",
    "desktop.ini",
    "__dot__",
)


def is_env_name(name: str) -> bool:
    """``.env``, ``.env.*`` or ``*.env`` — example family included."""
    return name == ".env" or name.startswith(".env.") or (name.endswith(".env") and len(name) > 4)


def is_example_env(name: str) -> bool:
    words = set(re.split(r"[._\-]", name.lower()))
    return bool(words & EXAMPLE_WORDS) and not name.lower().endswith(BACKUP_SUFFIXES)


def is_package_lockfile(name: str) -> bool:
    """A package manager's lockfile, variants included (``pdm.dev.lock``, ``uv.ci.lock``)."""
    return name in PACKAGE_LOCKFILES or f"{name.split('.', 1)[0]}.lock" in PACKAGE_LOCKFILES


def classify_file(name: str) -> tuple[RuleInfo, str] | None:
    """(rule, what it is) for a rendered file name, or None when it is fine."""
    lower = name.lower()
    if is_env_name(name) and not is_example_env(name):
        backup = (
            " (a backup copy, still holding real values)" if lower.endswith(BACKUP_SUFFIXES) else ""
        )
        return rules.ENV_FILE, f"plaintext env file{backup}"
    if lower.endswith(BACKUP_SUFFIXES) or name.startswith(".#"):
        return rules.BACKUP_FILE, "editor or merge backup file"
    if name.endswith(".lock") and not is_package_lockfile(name):
        return rules.LOCAL_STATE, "lock file that is not a package-manager lockfile"
    if name.endswith(".pid"):
        return rules.LOCAL_STATE, "process id file"
    if name.startswith("terraform.tfstate"):
        return rules.LOCAL_STATE, "Terraform state (may hold secrets in plain text)"
    if name.endswith((".pyc", ".pyo")):
        return rules.BUILD_ARTIFACT, "compiled Python file"
    if lower in OS_JUNK_NAMES:
        return rules.OS_JUNK, "file-manager metadata"
    return None


def classify_folder(parts: list[str], i: int) -> tuple[RuleInfo, str] | None:
    """(rule, what it is) when folder ``parts[i]`` (not the file itself) is contamination."""
    name = parts[i]
    if name in ARTIFACT_DIRS or name.endswith(".egg-info"):
        return rules.BUILD_ARTIFACT, "build output, dependency or cache folder"
    if name == ".terraform":
        return rules.LOCAL_STATE, "Terraform working folder"
    if name == "buildx" and i + 2 < len(parts) and parts[i + 1] in BUILDX_STATE:
        return rules.LOCAL_STATE, "docker buildx state folder"
    return None


def _candidates(paths: list[str]) -> list[str]:
    """Paths that contain one of ``_SCREEN`` (ASCII case-insensitively).

    The listing is joined with NUL, the one byte no path can hold (a newline can: a file
    named ``a\\nb.txt`` would otherwise shift every later path by one)."""
    data = "\0".join(paths).encode("utf-8", "surrogateescape").lower() + b"\0"
    starts: set[int] = set()
    for needle in _SCREEN:
        word = needle.encode()
        pos = data.find(word)
        while pos != -1:
            starts.add(data.rfind(b"\0", 0, pos) + 1)
            pos = data.find(word, data.find(b"\0", pos))
    if not starts:
        return []
    line_starts = [0, *(m.end() for m in re.finditer(b"\0", data))]
    return [paths[bisect.bisect_left(line_starts, s)] for s in sorted(starts)]


def _innermost(roots: list[TemplateRoot], path: str) -> TemplateRoot | None:
    found = None
    for root in roots:
        if root.contains(path):
            found = root  # roots are outermost first
    return found


def _fix_for(root: TemplateRoot, path: str, is_dir: bool, tracked: bool) -> tuple[str, str]:
    """(how to fix, one-line fix text); ``tracked``: git has it (else it is only about to be
    committed, and ``git rm --cached`` would fail on it)."""
    target = path.rstrip("/")
    pattern = posixpath.basename(target) + ("/" if is_dir else "")
    if not tracked:
        if root.kind == "copier" and root.in_render_root(target) is not None:
            return (
                f"It is not committed yet: add {pattern!r} to .gitignore so it never is, or, "
                f"if the template needs it locally, to `_exclude` in {root.source} too.",
                f"add '{pattern}' to .gitignore",
            )
        return (
            f"It is not committed yet: add {pattern!r} to .gitignore so it never is.",
            f"add '{pattern}' to .gitignore",
        )
    rm = (
        f"git rm -r --cached {shlex.quote(target)}"
        if is_dir
        else f"git rm --cached {shlex.quote(target)}"
    )
    if root.kind == "copier" and root.in_render_root(target) is not None:
        return (
            f"Remove it from the template ({rm} keeps your local copy), or if the template "
            f"needs it locally, add {pattern!r} to "
            f"`_exclude` in {root.source} so Copier never renders it.",
            rm,
        )
    return (
        f"Remove it from the repository ({rm} keeps your local copy) and add it to .gitignore.",
        rm,
    )


def _name_findings(view: RepoView, roots: list[TemplateRoot], config: RepoConfig) -> list[Finding]:
    if not roots:
        return []
    paths = view.paths()
    findings: list[Finding] = []
    flagged_dirs: set[str] = set()
    for path in _candidates(paths):
        root = _innermost(roots, path)
        if root is None or root.unreadable or root.excluded(path) or config.ignored(path):
            continue  # an unreadable template is not judged: run() says the check could not run
        parts = path.split("/")
        first = len(root.path.split("/")) if root.path else 0
        folder_hit = None
        for i in range(first, len(parts) - 1):
            hit = classify_folder(parts, i)
            if hit is not None:
                folder_hit = ("/".join(parts[: i + 1]) + "/", hit)
                break
        if folder_hit is not None:
            folder, (rule, what) = folder_hit
            if (
                folder not in flagged_dirs
                and not root.excluded(folder.rstrip("/"))
                and not _authored_only(view, root, folder)
            ):
                flagged_dirs.add(folder)
                tracked = any(view.is_tracked(p) for p in view.below(folder.rstrip("/")))
                how, fix = _fix_for(root, folder, is_dir=True, tracked=tracked)
                findings.append(
                    _outside(
                        root,
                        folder,
                        _finding(
                            rule,
                            folder,
                            f"{what[:1].upper() + what[1:]} "
                            f"{'committed' if tracked else 'about to be committed'} "
                            f"{root.where(folder)}. {how}",
                            fix,
                        ),
                    )
                )
            continue
        rendered = root.rendered_name(parts[-1])
        hit = classify_file(rendered)
        if hit is None:
            continue
        rule, what = hit
        shown = f" (rendered as {rendered})" if rendered != parts[-1] else ""
        how, fix = _fix_for(root, path, is_dir=False, tracked=view.is_tracked(path))
        extra = (
            " Ship a `.env.example` with placeholders instead." if rule is rules.ENV_FILE else ""
        )
        level = None
        if rule is rules.ENV_FILE and root.rendered(path):
            verdict = _env_verdict(view, root, path)
            if verdict is None:
                continue  # a stub the generated project ignores: the deliberate pattern
            level, why = verdict
            what = f"{what}: {why}"
        finding = _finding(
            rule,
            path,
            f"{what[:1].upper() + what[1:]}{shown} {root.where(path)}. {how}{extra}",
            fix,
        )
        if level is not None:
            finding = dataclasses.replace(finding, level=level)
        findings.append(_outside(root, path, finding))
    return findings


def _env_verdict(view: RepoView, root: TemplateRoot, path: str) -> tuple[Level, str] | None:
    """Why an env file a template renders is a defect, and how sure that is; None when it
    follows the deliberate pattern: the generated project's own ``.gitignore`` ignores it and
    it holds no literal value (comments, placeholders, or answers rendered into it)."""
    try:
        text = view.read_text(path)
    except FileSkipped:
        return Level.ERROR, "it could not be read, so its values are unknown"
    literal = _literal_values(text)
    if _ignored_in_project(view, root, path):
        if not literal:
            return None
        return Level.ERROR, (
            f"it carries literal values ({', '.join(literal[:3])}) from the template into every "
            "project, though the project's .gitignore ignores it"
        )
    return Level.ERROR, (
        "every generated project will commit it (its .gitignore does not ignore it), and users "
        "fill real values into it"
    )


def _literal_values(text: str) -> list[str]:
    """Keys whose value is written out, not a placeholder and not rendered from an answer."""
    return [
        key
        for _, key, value in env_assignments(text)
        if value and not is_placeholder_value(value) and "{{" not in value
    ]


def _ignored_in_project(view: RepoView, root: TemplateRoot, path: str) -> bool:
    """Whether git, in the generated project, ignores the file: the rendered ``.gitignore``
    files of the folders above it (lines with Jinja left out: their rendering is unknown)."""
    rel = root.in_render_root(path)
    if rel is None:
        return False
    base = posixpath.join(root.path, root.render_root).strip("/")
    parts = rel.split("/")
    rendered = "/".join([*parts[:-1], root.rendered_name(parts[-1])])
    names = [".gitignore", *([".gitignore" + root.suffix] if root.suffix else [])]
    ignored = False  # as git decides: a deeper .gitignore, and a later line, win
    for depth in range(len(parts)):
        folder = "/".join(parts[:depth])
        here = posixpath.join(base, folder).strip("/")
        below = rendered[len(folder) + 1 :] if folder else rendered
        for name in names:
            source = posixpath.join(here, name) if here else name
            if view.entry(source) is None:
                continue
            try:
                lines = [ln for ln in view.read_text(source).splitlines() if "{" not in ln]
            except FileSkipped:
                continue
            verdict = pathspec.GitIgnoreSpec.from_lines(lines).check_file(below).include
            if verdict is not None:
                ignored = verdict
    return ignored


def _outside(root: TemplateRoot, path: str, finding: Finding) -> Finding:
    """A finding outside the folder Copier renders is a warning: no generated project gets
    the file, so it cannot poison one (a secret in it is still an error: the secret rule)."""
    if root.rendered(path.rstrip("/")) or finding.level is not Level.ERROR:
        return finding
    return dataclasses.replace(finding, level=Level.WARNING)


def _symlink_findings(
    view: RepoView, roots: list[TemplateRoot], config: RepoConfig
) -> list[Finding]:
    """Committed symlinks in templates that dangle or point out of the template, judged from
    the link's text alone (never followed): Copier resolves them when it copies."""
    findings = []
    for entry in view.symlinks():
        root = _innermost(roots, entry.path)
        if root is None or root.unreadable or root.excluded(entry.path):
            continue
        if config.ignored(entry.path):
            continue
        try:
            target = view.link_target(entry.path)
        except FileSkipped:
            continue
        problem = _link_problem(view, root, entry.path, target)
        if problem is not None:
            message = (
                f"symlink {entry.path} -> {target} {problem}, {root.where(entry.path)}: "
                "`copier copy` fails on it (or copies a file from outside the template). "
                "Commit the file itself, or point the link inside the template."
            )
            finding = _finding(rules.SYMLINK, entry.path, message, None)
            findings.append(_outside(root, entry.path, finding))
    return findings


def _link_problem(view: RepoView, root: TemplateRoot, path: str, target: str) -> str | None:
    """Why a link's target is unusable in a clone of the template, or None when it is fine."""
    for _ in range(8):  # a chain of links inside the repository, resolved by their text
        if target.startswith("/"):
            return "is an absolute path, which every other machine lacks"
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        if resolved == ".." or resolved.startswith("../"):
            return "points outside the repository"
        if root.path and not (resolved == root.path or resolved.startswith(root.path + "/")):
            return f"points outside the template folder {root.path}/"
        entry = view.entry(resolved)
        if entry is None:
            if view.has_folder(resolved) or _rendered_target(view, root, path, resolved):
                return None
            return "points to a path that is not in the repository (it dangles in every clone)"
        if entry.kind is not Kind.SYMLINK:
            return None
        try:
            path, target = resolved, view.link_target(resolved)
        except FileSkipped:
            return None
    return "is part of a chain of links too long to follow"


def _rendered_target(view: RepoView, root: TemplateRoot, link: str, target: str) -> bool:
    """With ``_preserve_symlinks`` Copier copies a link as a link into the project, where
    it points at rendered files: ``make -> make.py`` beside ``make.py.jinja`` is whole."""
    if root.kind != "copier" or not root.preserve_symlinks or root.in_render_root(link) is None:
        return False
    return bool(root.suffix) and view.entry(target + root.suffix) is not None


def _authored_only(view: RepoView, root: TemplateRoot, folder: str) -> bool:
    """A folder named like build output that holds only what people write (docs, the
    template's own sources): ``template/docs/reports/coverage/index.md`` is a page, not a
    report."""
    below = view.below(folder.rstrip("/"))
    authored = (".md", ".rst", ".adoc", ".txt", *([root.suffix] if root.suffix else []))
    skip = len(folder)
    return bool(below) and all(p.endswith(authored) or "{{" in p[skip:] for p in below)


def _finding(
    rule: RuleInfo, path: str, message: str, fix: str | None, line: int | None = None, key: str = ""
) -> Finding:
    return rule.finding(path, message, fix=fix, line=line, key=key)


def _secret_finding(path: str, line: int, match: SecretMatch, ordinal: int) -> Finding:
    finding = _finding(
        rules.SECRET,
        path,
        _secret_message(match, line),
        match.fix,
        line,
        key=f"{match.detector}:{ordinal}",
    )
    # a value prgate cannot tell from a sample, or a key a passphrase guards: not certain
    unsure = not match.certain or match.encrypted
    return dataclasses.replace(finding, level=Level.WARNING) if unsure else finding


def _secret_message(match: SecretMatch, line: int) -> str:
    if match.doubt:
        return (
            f"{match.kind} ({match.mask}) on line {line}, but {match.doubt}. If it is real, "
            "revoke it and remove it from the file and from git history."
        )
    if not match.certain and match.example:
        return (
            f"{match.key} has a value shaped like a generated credential ({match.mask}) on "
            f"line {line} of an example file, where placeholders belong. If it is a real value, "
            f"rotate it; either way write a placeholder ({match.fix})."
        )
    if not match.certain:
        return (
            f"{match.key} has a value ({match.mask}) on line {line} too short or too "
            "plain to tell a real secret from a sample. If it is real, rotate it; either way "
            f"write a placeholder ({match.fix})."
        )
    if match.encrypted:
        return (
            f"{match.kind}, protected by a passphrase ({match.mask}), on line {line}. The key "
            "is encrypted, so what guards it is its passphrase: if that is weak or kept in "
            "the repository too, revoke the key; either way, keep keys out of git."
        )
    if match.key is not None:
        return (
            f"{match.key} has a real-looking value ({match.mask}) on line {line}. "  # noqa: S608
            f"Rotate it, replace the value with a placeholder ({match.fix}) and keep "
            "real values out of git (load them from the environment or a secret store)."
        )
    return (
        f"{match.kind} in plain text ({match.mask}) on line {line}. Revoke or rotate it "
        "now, remove it from the file and from git history, and load it at run time "
        "from the environment or a secret store."
    )


def _secret_findings(
    hits: list[GrepHit], view: RepoView, roots: list[TemplateRoot]
) -> tuple[list[Finding], list[Note]]:
    by_line: dict[tuple[str, int], SecretMatch] = {}
    key_headers: dict[str, list[int]] = defaultdict(list)
    for hit in hits:
        matches = scan_line(hit.text)
        if matches:
            by_line[(hit.path, hit.line)] = matches[0]
        elif "PRIVATE KEY" in hit.text:
            key_headers[hit.path].append(hit.line)
    notes: list[Note] = []
    for path, numbers in key_headers.items():
        try:
            lines = view.read_text(path).splitlines()
        except FileSkipped as exc:
            notes.append(Note(path=path, message=f"not scanned for private keys: {exc}"))
            continue
        for number in numbers:
            match = private_key_at(lines, number - 1) if number - 1 < len(lines) else None
            if match is not None:
                by_line[(path, number)] = match
    for entry in view.entries():
        if "env" not in entry.path or entry.kind is not Kind.FILE:
            continue
        name = entry.path.rpartition("/")[2]
        if "env" not in name:  # every env-like name has "env" in it
            continue
        root = _innermost(roots, entry.path)
        rendered = root.rendered_name(name) if root else name.removesuffix(".jinja")
        if not is_env_name(rendered):
            continue
        try:
            text = view.read_text(entry.path)
        except FileSkipped as exc:
            notes.append(Note(path=entry.path, message=f"env file not scanned for secrets: {exc}"))
            continue
        for number, match in scan_env_text(text, example=is_example_env(rendered)):
            by_line.setdefault((entry.path, number), match)
    for path, why in view.unscanned():
        notes.append(Note(path=path, message=f"not scanned for secrets: {why}"))
    findings = []
    ordinals: dict[tuple[str, str], int] = defaultdict(int)
    for (path, line), match in sorted(by_line.items()):
        ordinals[(path, match.detector)] += 1
        findings.append(_secret_finding(path, line, match, ordinals[(path, match.detector)]))
    return findings, notes


def run(view: RepoView, config: RepoConfig) -> CheckResult:
    pending = view.start_grep(NEEDLES)  # content search runs while names are judged
    roots, notes = find_template_roots(view, config)
    findings = _name_findings(view, roots, config) + _symlink_findings(view, roots, config)
    secrets, secret_notes = _secret_findings(pending(), view, roots)
    if not roots:
        notes.append(
            Note(
                message="no template roots found (copier.yml, Nx generator files/, "
                "cookiecutter, or template-roots in .github/prgate.yml): only the "
                "secret rule ran"
            )
        )
    problems = unreadable(roots)
    return CheckResult(
        check=NAME,
        findings=findings + secrets,
        notes=notes + secret_notes,
        error="; ".join(problems) if problems else None,
    )


SPEC = CheckSpec(
    name=NAME,
    rules=RULES,
    run=run,
    summary="local state, env files, secrets and build output inside templates",
)
