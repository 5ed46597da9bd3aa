"""hook-validation: Copier hooks and tasks that never see the real answers (static rules).

For every Copier template (``copier.yml``/``copier.yaml``) this reads
``_tasks`` and ``_migrations`` and the hook scripts beside them:

* task commands that name a script which is missing or not tracked, or a
  relative script path that resolves against the destination;
* hook scripts no task runs, and hook folders Copier will copy into every
  generated project;
* Python hooks analysed by ``hook_ast`` (context files Copier never writes,
  success on missing input, answers read from the environment, ...);
* ``.copierignore`` (Copier never reads it), an ``_exclude`` that drops
  Copier's defaults, and pytest-copier used without ``copier_template_paths``;
* questions rendered into paths whose validators do not reject unsafe answers
  (``copier_questions``), answers pasted into string-form shell tasks, and
  one-shot tasks without a copy-only ``when``.

With ``render`` (``prgate check --render`` or ``render: true`` in the
config), ``hook_render`` also renders each template; running its tasks in an
OS sandbox is not built yet.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import posixpath
import re
import shlex
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from workers.checks.copier_questions import (
    check_question,
    interpolated_names,
    never_asked,
    suggested_validator,
)
from workers.checks.copier_settings import key_places
from workers.checks.hook_validation import rules
from workers.checks.hook_validation.hook_ast import analyse, validation
from workers.checks.hook_validation.rules import (
    NAME,
    RULES,
)
from workers.checks.hook_validation.settings import HookValidationSettings
from workers.checks.template_roots import (
    DEFAULT_EXCLUDE,
    HOOK_FOLDERS,
    TemplateRoot,
    find_template_roots,
)
from workers.engine.config import RepoConfig
from workers.engine.findings import LEVEL_ORDER, CheckResult, Finding, Level, Note, RuleInfo
from workers.engine.spec import CheckSpec
from workers.engine.views import FileSkipped, Kind, RepoView

if TYPE_CHECKING:  # render mode's module loads only when a template is rendered
    from workers.checks.hook_validation.hook_render import Accepted

SCRIPT_SUFFIXES = (".py", ".sh", ".bash", ".js", ".mjs", ".cjs", ".ts", ".rb", ".pl")
SRC = "@SRC@"
# {{ _copier_conf.src_path }} and {{ _copier_conf.src_path / 'a' / 'b.py' }}
SRC_EXPR = re.compile(r"\{\{-?\s*_copier_conf\.src_path((?:\s*/\s*['\"][^'\"]+['\"])*)\s*-?\}\}")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


def _finding(
    rule: RuleInfo,
    path: str,
    message: str,
    *,
    subject: str,
    line: int | None = None,
    fix: str | None = None,
) -> Finding:
    """A finding of ``rule``; its fingerprint comes from the rule, the path and ``subject``
    (the question, script, command or value it is about), never from the message's words,
    so rewording a message does not resolve and re-post every open review comment."""
    return rule.finding(path, message, fix=fix, line=line, key=f"{rule.name}:{subject}")


def _commands(settings: dict[str, Any]) -> Iterator[tuple[str, str | list[str]]]:
    """(where, command) for every task and migration, in Copier's accepted shapes."""
    for i, task in enumerate(settings.get("_tasks") or []):
        cmd = task.get("command") if isinstance(task, dict) else task
        if isinstance(cmd, str | list):
            yield f"_tasks[{i}]", cmd
    for i, migration in enumerate(settings.get("_migrations") or []):
        if isinstance(migration, str | list):
            yield f"_migrations[{i}]", migration
        elif isinstance(migration, dict):
            if isinstance(migration.get("command"), str | list):
                yield f"_migrations[{i}]", migration["command"]
            for stage in ("before", "after"):  # the legacy format
                for cmd in migration.get(stage) or []:
                    if isinstance(cmd, str | list):
                        yield f"_migrations[{i}].{stage}", cmd


def _src_path(match: re.Match[str]) -> str:
    """``{{ _copier_conf.src_path / 'hooks' / 'x.py' }}`` -> ``@SRC@/hooks/x.py``."""
    return SRC + "".join("/" + p for p in re.findall(r"['\"]([^'\"]+)['\"]", match.group(1)))


SHELLS = ("sh", "bash", "dash", "zsh", "ash", "ksh")


def _tokens(cmd: str | list[str]) -> list[str]:
    """Words of a command with ``src_path`` expressions made literal and other Jinja opaque.

    A string command is split as the shell will split it; so is the script of a
    list command that runs a shell with ``-c`` (``["sh", "-c", "cd x && python y.py"]``).
    """
    parts = cmd if isinstance(cmd, list) else [cmd]
    shell = isinstance(cmd, list) and posixpath.basename(str(cmd[0]) if cmd else "") in SHELLS
    words: list[str] = []
    for i, part in enumerate(parts):
        text = SRC_EXPR.sub(_src_path, str(part))
        text = JINJA.sub("@VAR@", text)
        script = shell and i > 0 and str(parts[i - 1]) == "-c"
        try:
            words += shlex.split(text) if script or not isinstance(cmd, list) else [text]
        except ValueError:
            words += text.split()
    return words


def _script_words(cmd: str | list[str]) -> list[str]:
    return [w for w in _tokens(cmd) if w.lower().endswith(SCRIPT_SUFFIXES) and "@VAR@" not in w]


def _rendered_inside(template: TemplateRoot, templates: list[TemplateRoot]) -> TemplateRoot | None:
    """The other Copier template whose rendered folder holds this one's copier.yml (and does
    not exclude it): VibesPro ships sub-templates that way, whose Jinja reads the outer
    template's answers, so rendering them alone fails where no user renders them."""
    for outer in templates:
        if outer is template or outer.unreadable is not None:
            continue
        root = outer.rendered_from
        inside = not root or template.source.startswith(root + "/")
        if inside and not outer.excluded(template.source):
            return outer
    return None


def _check_template(
    view: RepoView, template: TemplateRoot, notes: list[Note], render: bool, problems: list[str]
) -> list[Finding]:
    """Findings of one template; what it could not read goes to ``problems`` (could not run)."""
    if template.unreadable is not None:
        problems.append(f"{template.unreadable}; its tasks, validators and hooks were not judged")
        return []
    settings = template.settings
    used = _used_in_paths(view, template)
    findings = _path_questions(view, template.source, settings, used)
    findings += _task_shapes(template.source, settings)
    scripts, referenced = _task_scripts(view, template)
    findings += scripts
    findings += _hook_folders(view, template, referenced)
    names = set(_questions(settings))
    for script in sorted(referenced):  # a hook nothing runs is reported dead, not analysed
        if script.endswith(".py") and view.entry(script) is not None:
            findings += _python_hook(view, script, problems, names)
    ignore = f"{template.path}/.copierignore" if template.path else ".copierignore"
    if view.entry(ignore) is not None:
        findings.append(
            _finding(
                rules.COPIERIGNORE,
                ignore,
                "Copier does not read .copierignore; it copies it into every generated project. "
                f"Move its patterns into _exclude in {template.source} and delete it.",
                subject="",
            )
        )
    if render:  # last: what it proves is evidence for the static findings above
        rendered, accepted = _rendered(view, template, used, notes, problems)
        findings = _confirmed(view, template.source, findings, accepted)
        findings = _leaks_confirmed(findings, rendered)
    return findings


def _rendered(
    view: RepoView,
    template: TemplateRoot,
    used: dict[str, list[str]],
    notes: list[Note],
    problems: list[str],
) -> tuple[list[Finding], Accepted]:
    """Render mode's findings (``hook_render``), and the unsafe answers to path questions
    Copier rendered."""
    from workers.checks.hook_validation.hook_render import render_findings

    questions = _questions(template.settings)
    # A question Copier never asks (when: false) carries what the answers it is computed
    # from carry: those are what a user types, so those are tried with unsafe answers.
    asked = {s for n in used for s in _computed_from(questions[n], questions) or [n]}
    strings = [n for n in sorted(asked) if _is_text_question(questions[n])]
    rendered, render_notes, accepted = render_findings(view, template, strings, _finding, problems)
    notes += render_notes
    return rendered, accepted


def _confirmed(
    view: RepoView, copier_yml: str, findings: list[Finding], accepted: Accepted
) -> list[Finding]:
    """One finding per question, whatever render mode adds: its static
    ``unvalidated-path-question`` carries the answers Copier rendered and the paths each
    produced; a question the static rule passed gets one ``unsafe-answer-accepted`` with
    that evidence. Both at the question's line in copier.yml."""
    out = []
    confirmed = set()
    for finding in findings:
        name = finding.key.removeprefix("unvalidated-path-question:")
        if finding.key.startswith("unvalidated-path-question:") and name in accepted:
            confirmed.add(name)
            message = f"{finding.message} Render mode confirms it: {_evidence(accepted[name])}."
            finding = dataclasses.replace(finding, message=message)
        out.append(finding)
    places = key_places(view, copier_yml) if accepted else {}
    for name in sorted(set(accepted) - confirmed):
        path, line = places.get(name, (copier_yml, None))
        out.append(
            _finding(
                rules.UNSAFE_ANSWER_ACCEPTED,
                path,
                f"question {name!r}: Copier renders unsafe answers: {_evidence(accepted[name])}; "
                "Copier should have refused them. Tighten the question's validator.",
                line=line,
                subject=name,
            )
        )
    return out


def _leaks_confirmed(findings: list[Finding], rendered: list[Finding]) -> list[Finding]:
    """A leak render mode shows that a static finding already names (``hooks-rendered`` for a
    hook folder, ``copierignore``) is that finding's evidence, not a second finding: the
    static one says so, at the higher of the two levels."""
    out = list(findings)
    proven: dict[int, list[Finding]] = {}  # a static finding's index -> the leaks it names
    for leak in rendered:
        produced = leak.key.removeprefix("leaked-machinery:")
        static = None
        if leak.key.startswith("leaked-machinery:"):
            static = next((i for i, f in enumerate(out) if _covers(f, produced)), None)
        if static is None:
            out.append(leak)
        else:
            proven.setdefault(static, []).append(leak)
    for index, leaks in proven.items():
        found = out[index]
        produced = ", ".join(leak.key.removeprefix("leaked-machinery:") for leak in leaks)
        level = min((found.level, *(leak.level for leak in leaks)), key=LEVEL_ORDER.__getitem__)
        out[index] = dataclasses.replace(
            found,
            level=level,
            message=f"{found.message} Render mode confirms it: rendering the defaults "
            f"produces {produced}.",
        )
    return out


def _covers(static: Finding, produced: str) -> bool:
    """Whether a static finding names the leak of rendered path ``produced``."""
    rule, _, subject = static.key.partition(":")
    if rule == "hooks-rendered":
        return produced.startswith(subject + "/")
    return rule == "copierignore" and produced == ".copierignore"


def _evidence(answers: list[tuple[str, list[str]]]) -> str:
    """Which unsafe answers Copier rendered and what each produced."""
    parts = []
    for answer, paths in answers:
        shown = ", ".join(p if p.isprintable() else repr(p) for p in paths[:3])
        more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
        produced = f"produced {shown}{more}" if paths else "produced no file the defaults do not"
        parts.append(f"{answer!r} {produced}")
    return "; ".join(parts)


def _task_scripts(view: RepoView, template: TemplateRoot) -> tuple[list[Finding], set[str]]:
    """Scripts the tasks and migrations run: missing, uncommitted or relative ones, and the
    set of every template file they run."""
    copier_yml = template.source
    prefix = f"{template.path}/" if template.path else ""
    findings: list[Finding] = []
    referenced: set[str] = set()
    for where, cmd in _commands(template.settings):
        for word in _script_words(cmd):
            if word.startswith(SRC + "/"):
                path = posixpath.normpath(prefix + word[len(SRC) + 1 :])
                referenced.add(path)
                if view.entry(path) is None:
                    findings.append(
                        _finding(
                            rules.MISSING_TASK_SCRIPT,
                            copier_yml,
                            f"{where} runs {path}, which is not in the template. Add it or fix the path.",
                            subject=path,
                        )
                    )
                elif not view.is_tracked(path):
                    findings.append(
                        _finding(
                            rules.MISSING_TASK_SCRIPT,
                            path,
                            f"{where} runs {path}, which is not committed: Copier renders a git template "
                            "from its commits, so generated projects will not have it. Commit it.",
                            subject=path,
                        )
                    )
            elif not word.startswith(("/", SRC, "@")) and "/" in word:
                relative = posixpath.normpath(prefix + word)
                referenced.add(relative)
                if _rendered_into_project(view, template, word):
                    continue  # Copier copies the script into the project: there it runs
                findings.append(
                    _finding(
                        rules.RELATIVE_TASK_SCRIPT,
                        copier_yml,
                        f"{where} runs {word!r} relative to the generated project, not the template. "
                        f"Use '{{{{ _copier_conf.src_path }}}}/{word}'.",
                        fix=f"{{{{ _copier_conf.src_path }}}}/{word}",
                        subject=word,
                    )
                )
    return findings, referenced


def _hook_folders(view: RepoView, template: TemplateRoot, referenced: set[str]) -> list[Finding]:
    """Hook scripts nothing runs, and hook folders rendered into every project."""
    settings = template.settings
    copier_yml = template.source
    prefix = f"{template.path}/" if template.path else ""
    findings: list[Finding] = []
    subdirectory = settings.get("_subdirectory")
    exclude = settings.get("_exclude")
    hook_scripts = [
        e.path
        for e in view.entries()
        if e.kind is Kind.FILE
        and e.path.startswith(prefix)
        and any(e.path[len(prefix) :].startswith(f"{h}/") for h in HOOK_FOLDERS)
        and e.path.lower().endswith(SCRIPT_SUFFIXES)
    ]
    libraries = _libraries(view, hook_scripts, referenced, prefix)
    for script in sorted(set(hook_scripts) - referenced - libraries):
        rel = script[len(prefix) :]
        findings.append(_dead_hook(view, script, copier_yml, rel, set(_questions(settings))))
    if not subdirectory:
        excluded = {str(p).strip("/") for p in exclude} if isinstance(exclude, list) else set()
        for folder in HOOK_FOLDERS:
            if (
                any(s.startswith(f"{prefix}{folder}/") for s in hook_scripts)
                and folder not in excluded
            ):
                findings.append(
                    _finding(
                        rules.HOOKS_RENDERED,
                        f"{prefix}{folder}/",
                        f"{copier_yml} has no _subdirectory, so {prefix}{folder}/ is rendered into every "
                        f"generated project. Set _subdirectory, or add '{folder}' to _exclude.",
                        subject=folder,
                    )
                )
        if isinstance(exclude, list):
            dropped = _lost_defaults(template)
            if dropped:
                findings.append(
                    _finding(
                        rules.EXCLUDE_DROPS_DEFAULTS,
                        copier_yml,
                        f"_exclude replaces Copier's defaults, and its own patterns do not cover "
                        f"{', '.join(dropped)}: those will be rendered. Add them to _exclude.",
                        fix="_exclude: add " + ", ".join(repr(d.split(" ")[0]) for d in dropped),
                        subject="",
                    )
                )
    return findings


# What each of Copier's default exclusions keeps out, as paths in the rendered tree: a
# default is lost when the template's own `_exclude` (matched as Copier matches it) lets one
# of them through. The settings file and `.git` only matter at the root; the rest anywhere.
# `*.py[co]`: `.pyo` files are no longer written (Python 3.5, PEP 488), so `.pyc` stands for it.
_DEFAULT_EXCLUDED = {
    "copier.yaml": ("copier.yaml",),
    "copier.yml": ("copier.yml",),
    "~*": ("~notes", "src/~notes"),
    "*.py[co]": ("x.pyc", "src/x.pyc"),
    "__pycache__": ("__pycache__/x.pyc", "src/__pycache__/x.pyc"),
    ".git": (".git/config",),
    ".DS_Store": (".DS_Store", "src/.DS_Store"),
    ".svn": (".svn/entries", "src/.svn/entries"),
}


def _lost_defaults(template: TemplateRoot) -> list[str]:
    """Copier's default exclusions the template's own ``_exclude`` does not cover (with where,
    when it covers them only at the root)."""
    spec = template.exclude
    lost = []
    for default in DEFAULT_EXCLUDE:
        paths = _DEFAULT_EXCLUDED[default]
        through = [p for p in paths if spec is None or not spec.match_file(p)]
        if len(through) == len(paths):
            lost.append(default)
        elif through:
            lost.append(f"{default} (in subfolders)")
    return lost


ONE_SHOT = re.compile(r"^\s*(git\s+init|rm\s|git\s+remote\s+add|git\s+commit)")


def _questions(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if isinstance(k, str) and not k.startswith("_")}


def _used_in_paths(view: RepoView, template: TemplateRoot) -> dict[str, list[str]]:
    """Questions rendered into paths, ``_subdirectory``, ``_answers_file`` or ``working_directory``."""
    settings = template.settings
    sub = settings.get("_subdirectory")
    prefix = f"{template.rendered_from}/" if template.rendered_from else ""
    used: dict[str, list[str]] = {}
    for entry in view.entries():
        if not entry.path.startswith(prefix) or "{" not in entry.path:
            continue
        for segment in entry.path[len(prefix) :].split("/"):
            for name in interpolated_names(segment, settings.get("_envops")):
                places = used.setdefault(name, [])
                if segment not in places:
                    places.append(segment)
    settings_values = [("_subdirectory", sub), ("_answers_file", settings.get("_answers_file"))]
    settings_values += [
        (f"_tasks[{i}].working_directory", t.get("working_directory"))
        for i, t in enumerate(settings.get("_tasks") or [])
        if isinstance(t, dict)
    ]
    for where, value in settings_values:
        if isinstance(value, str):
            for name in interpolated_names(value, settings.get("_envops")):
                used.setdefault(name, []).append(where)
    questions = _questions(settings)
    return {name: places for name, places in used.items() if name in questions}


def _path_questions(
    view: RepoView, copier_yml: str, settings: dict[str, Any], used: dict[str, list[str]]
) -> list[Finding]:
    questions = _questions(settings)
    keys = key_places(view, copier_yml) if used else {}
    findings = []
    judged: set[str] = set()
    for name in sorted(used):
        places = tuple(used[name])
        sources = _computed_from(questions[name], questions)
        # a question Copier never asks (when: false) whose default is computed from other
        # answers: those answers are what reach the path, so they are judged instead
        for source in sources or [name]:
            if source in judged:
                continue
            result = check_question(source, questions[source], places)
            if result.problem is None:
                continue
            judged.add(source)
            where = ", ".join(repr(p) for p in result.used_in[:3])
            via = f" (through {name!r}, computed from it)" if source != name else ""
            path, line = keys.get(source, (copier_yml, None))
            findings.append(
                _finding(
                    rules.UNVALIDATED_PATH_QUESTION,
                    path,
                    f"question {source!r}, used in {where}{via}, {result.problem}. Add a "
                    "validator that rejects /, \\, .., a leading . or ~, empty answers and "
                    "newlines.",
                    line=line,
                    fix="validator: '"
                    + suggested_validator(source, questions[source], free_text=source != name)
                    + "'",
                    subject=source,
                )
            )
    return findings


def _computed_from(spec: Any, questions: dict[str, Any]) -> list[str]:
    """The questions a never-asked question's default is computed from (``when: false``
    and a templated default); empty for a question the user answers."""
    if not isinstance(spec, dict) or not never_asked(spec):
        return []
    default = spec.get("default")
    if not isinstance(default, str) or "{" not in default:
        return []
    return sorted(n for n in interpolated_names(default) if n in questions)


def _is_text_question(spec: Any) -> bool:
    return not isinstance(spec, dict) or str(spec.get("type", "str")) not in (
        "int",
        "float",
        "bool",
    )


def _task_shapes(copier_yml: str, settings: dict[str, Any]) -> list[Finding]:
    # answers that can hold a quote or ';': text questions (a bool, int or float cannot)
    questions = {n for n, spec in _questions(settings).items() if _is_text_question(spec)}
    findings = []
    for i, task in enumerate(settings.get("_tasks") or []):
        cmd = task.get("command") if isinstance(task, dict) else task
        when = str(task.get("when", "")) if isinstance(task, dict) else ""
        if isinstance(cmd, str):
            # only what is written into the command counts, not an answer an {% if %} tests
            answers = sorted(interpolated_names(cmd, settings.get("_envops")) & questions)
            if answers:
                findings.append(
                    _finding(
                        rules.SHELL_INTERPOLATION,
                        copier_yml,
                        f"_tasks[{i}] pastes the answer(s) {', '.join(answers)} into a shell "
                        "command; an answer containing a quote or ';' runs as shell code. Write the "
                        "task as a list, one argument per item.",
                        subject=str(cmd),
                    )
                )
        text = " ".join(cmd) if isinstance(cmd, list) else str(cmd)
        if ONE_SHOT.match(text) and "_copier_operation" not in when:
            findings.append(
                _finding(
                    rules.ONE_SHOT_TASK,
                    copier_yml,
                    f"_tasks[{i}] ({text.split()[0]} {text.split()[1] if len(text.split()) > 1 else ''}) "
                    "also runs on every update, for the old and the new version. Add "
                    "`when: \"{{ _copier_operation == 'copy' }}\"`.",
                    subject=text,
                )
            )
    return findings


def _dead_hook(
    view: RepoView, script: str, copier_yml: str, in_template: str, questions: set[str]
) -> Finding:
    """A hook script no task or migration runs: a warning, or an error when its body
    validates the answers (the template's input validation silently never happens)."""
    found = None
    if script.endswith(".py"):
        with contextlib.suppress(FileSkipped):  # unread: judged as validating nothing
            found = validation(view.read_text(script), questions)
    if found is None:
        return _finding(
            rules.DEAD_HOOK,
            script,
            f"{script} is not run by any task or migration in {copier_yml}, so the checks in it "
            "never run. Add a task, or delete it.",
            subject=script,
        )
    line, context_files = found
    message = (
        f"{script} validates the answers (it fails on a bad one, line {line}), but no task or "
        f"migration in {copier_yml} runs it: the template's input validation never happens"
    )
    if context_files:
        message += (
            f"; and if a task ran it, it reads {', '.join(repr(f) for f in context_files)}, a "
            "file Copier never writes, so it would still skip the validation"
        )
    finding = _finding(
        rules.DEAD_HOOK,
        script,
        message + ".",
        line=line,
        fix='run it from _tasks with the answers: ["{{ _copier_python }}", '
        f'"{{{{ _copier_conf.src_path }}}}/{in_template}", "{{{{ _copier_answers|to_json }}}}"], '
        "and read sys.argv[1]",
        subject=script,
    )
    return dataclasses.replace(finding, level=Level.ERROR)


def _python_hook(
    view: RepoView, script: str, problems: list[str], questions: set[str]
) -> list[Finding]:
    try:
        source = view.read_text(script)
    except FileSkipped as exc:  # its rules are errors: an unread hook is not a passed one
        problems.append(f"hook {script} was not analysed: {exc}")
        return []
    return [
        _finding(p.rule, script, p.message, line=p.line, subject=p.subject)
        for p in analyse(source, questions)
    ]


def _rendered_into_project(view: RepoView, template: TemplateRoot, script: str) -> bool:
    """Whether a task's relative script path names a file Copier renders into the project
    (in the folder it renders from, not excluded): tasks run there, so the path works."""
    base = template.rendered_from
    path = posixpath.normpath(posixpath.join(base, script)) if base else posixpath.normpath(script)
    candidates = [path, *([path + template.suffix] if template.suffix else [])]
    return any(view.entry(c) is not None and not template.excluded(c) for c in candidates)


def _libraries(view: RepoView, scripts: list[str], referenced: set[str], prefix: str) -> set[str]:
    """Python modules in hook folders that hooks import rather than tasks run: package
    ``__init__.py`` files, modules in sub-folders of a hook folder (``hooks/lib/x.py``), and
    modules another hook imports by name. A task that runs one makes it a hook again."""
    python = [s for s in scripts if s.endswith(".py")]
    imported: set[str] = set()
    for script in python:
        try:
            tree = ast.parse(view.read_text(script))
        except (FileSkipped, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(p for a in node.names for p in a.name.split("."))
            elif isinstance(node, ast.ImportFrom):
                imported.update((node.module or "").split("."))
                imported.update(a.name for a in node.names)
    libraries = set()
    for script in python:
        inside = script[len(prefix) :]
        folder = next(h for h in HOOK_FOLDERS if inside.startswith(f"{h}/"))
        nested = "/" in inside[len(folder) + 1 :]
        name = posixpath.basename(script)
        if name == "__init__.py" or nested or name.removesuffix(".py") in imported:
            libraries.add(script)
    return libraries - referenced


def _pytest_copier(view: RepoView, notes: list[Note]) -> list[Finding]:
    """pytest-copier copies ``copier_template_paths`` (default: nothing listed, so the whole
    repository) into each test. Decided from the code: a conftest that uses pytest-copier
    needs a ``copier_template_paths`` fixture, in itself or a conftest pytest loads before
    it (one in a parent folder), that returns something other than an empty list."""
    conftests: dict[str, ast.Module | None] = {}
    for path in view.paths(symlinks=False):
        if posixpath.basename(path) != "conftest.py":
            continue
        try:
            conftests[path] = ast.parse(view.read_text(path))
        except FileSkipped as exc:  # its rule is a warning: a note, not "could not run"
            notes.append(Note(path=path, message=f"not searched for pytest-copier: {exc}"))
        except (SyntaxError, ValueError):
            conftests[path] = None  # pytest fails on it first; not this rule's to say
    findings = []
    for path, tree in sorted(conftests.items()):
        if tree is None or not _uses_pytest_copier(tree):
            continue
        chain = [c for c in conftests if _loaded_before(c, path)]
        verdicts = [v for c in chain if (t := conftests[c]) and (v := _paths_fixture(t))]
        if "lists" in verdicts:
            continue
        what = (
            "defines copier_template_paths to return an empty list"
            if "empty" in verdicts
            else "uses pytest-copier, but no conftest it sees defines a copier_template_paths fixture"
        )
        findings.append(
            _finding(
                rules.PYTEST_COPIER_PATHS,
                path,
                f"{what}, so every test copies the whole repository (node_modules included). "
                "Define copier_template_paths returning the template's files and folders.",
                subject="",
            )
        )
    return findings


def _uses_pytest_copier(tree: ast.Module) -> bool:
    """The plugin is loaded here, or its ``copier``/``copier_template`` fixtures are used or
    overridden."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value == "pytest_copier":
            return True
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module == "pytest_copier" or any(
                a.name.startswith("pytest_copier") for a in node.names
            ):
                return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            params = {a.arg for a in node.args.args}
            if node.name in ("copier_template", "copier") or {"copier_template"} & params:
                return True
    return False


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """A module's statements that run when it is imported: inside ``if``/``else``,
    ``try``/``except``/``else``/``finally`` and ``with`` blocks too, never in a function or
    class body."""
    for node in body:
        yield node
        if isinstance(node, ast.If | ast.For | ast.While):
            yield from _module_level(node.body + node.orelse)
        elif isinstance(node, ast.Try | ast.TryStar):
            handlers = [s for h in node.handlers for s in h.body]
            yield from _module_level(node.body + handlers + node.orelse + node.finalbody)
        elif isinstance(node, ast.With | ast.AsyncWith):
            yield from _module_level(node.body)


def _paths_fixture(tree: ast.Module) -> str | None:
    """How a conftest defines ``copier_template_paths``: "lists", "empty", or None. A
    definition under ``if PYTEST_COPIER_AVAILABLE:`` or in a ``try`` counts, and so does
    one assigned (``copier_template_paths = pytest.fixture(...)(paths)``)."""
    for node in _module_level(tree.body):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "copier_template_paths" for t in targets):
                return "lists"  # what the assigned fixture returns is not read: not empty
        if isinstance(node, ast.FunctionDef) and node.name == "copier_template_paths":
            returns = [n.value for n in ast.walk(node) if isinstance(n, ast.Return)]
            empty = returns and all(
                isinstance(r, ast.List | ast.Tuple) and not r.elts for r in returns
            )
            return "empty" if empty else "lists"  # anything else: prgate cannot say it is empty
    return None


def _loaded_before(conftest: str, user: str) -> bool:
    """Whether pytest loads ``conftest`` for tests beside ``user`` (same folder or a parent)."""
    folder = posixpath.dirname(conftest)
    return not folder or posixpath.dirname(user) == folder or user.startswith(folder + "/")


def run(view: RepoView, config: RepoConfig) -> CheckResult:
    roots, notes = find_template_roots(view, config)
    copier = [r for r in roots if r.kind == "copier"]
    findings: list[Finding] = []
    problems: list[str] = []
    settings = config.settings(NAME)
    assert isinstance(settings, HookValidationSettings)
    render = settings.render
    for template in copier:
        outer = _rendered_inside(template, copier) if render else None
        if outer is not None:  # its files are the outer template's output: rendered there
            notes.append(
                Note(
                    path=template.source,
                    message=f"not rendered on its own: it lies in the folder {outer.source} "
                    "renders, so it is rendered as part of that template",
                )
            )
        findings += _check_template(view, template, notes, render and outer is None, problems)
    findings += _pytest_copier(view, notes)
    if not copier:
        notes.append(Note(message="no Copier templates found (copier.yml/copier.yaml)"))
    error = "; ".join(problems) if problems else None
    return CheckResult(check=NAME, findings=findings, notes=notes, error=error)


SPEC = CheckSpec(
    name=NAME,
    rules=RULES,
    run=run,
    summary="Copier hooks, tasks and validators that never see the real answers",
)
