"""hook-validation's render mode: prove the template's behaviour by rendering it.

* The defaults must render; what they render is scanned with the contamination
  rules and for leaked template machinery (copier.yml, hook folders,
  ``.copierignore``, unrendered Jinja in names). Findings name the template
  source file that produced the output when it can be told, else copier.yml.
* Every question rendered into a path is answered with each unsafe value; each
  render must fail. The answers that render, with the paths each produced, are the
  evidence ``check`` puts on the question's one finding (the static
  ``unvalidated-path-question``, confirmed, or else ``unsafe-answer-accepted``).

Renders run in a child process (``render``): inside the OS sandbox
(``workers.sandbox``) where one can start, with the template's tasks (defaults
render only: an unsafe answer must be refused before any task) and
``_jinja_extensions``; elsewhere with tasks skipped and extensions refused, and
a note says which.

Copier is given a copy of the template's folder as git would commit it (the
view's files, symlinks kept as links), made readable to the sandbox's user,
never the repository itself: Copier then clones nothing, so the repository's
object store (a worker's partial clone has files only its owner may read, and
packs larger than the sandbox's file-size limit), its submodules (which would
need the network) and the rest of the checkout stay out of the sandbox. A render that
fails without the submodules it leaves out is could-not-run, never the template's
``render-failed``: Copier clones them for its users.
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from workers import sandbox
from workers.checks.contamination import check as contamination
from workers.checks.copier_questions import (
    UNSAFE_ANSWERS,
    jinja_env,
    plain_defaults,
    synthesize_answers,
)
from workers.checks.hook_validation import rules
from workers.checks.hook_validation.render import GIT_ENV, RenderResult, render_template
from workers.checks.template_roots import HOOK_FOLDERS, TemplateRoot
from workers.engine.config import RepoConfig
from workers.engine.export import export
from workers.engine.findings import Finding, Note, RuleInfo
from workers.engine.progress import phase
from workers.engine.views import DirectoryView, RepoView
from workers.shared.environ import child_env

MACHINERY = ("copier.yml", "copier.yaml", ".copierignore")


class Make(Protocol):
    """How hook-validation makes a finding of one of its rules (``hook_validation._finding``)."""

    def __call__(self, rule: RuleInfo, path: str, message: str, *, subject: str) -> Finding: ...


# question -> the unsafe answers Copier rendered, each with the paths it produced
Accepted = dict[str, list[tuple[str, list[str]]]]


def render_findings(
    view: RepoView,
    template: TemplateRoot,
    path_questions: list[str],
    make: Make,
    problems: list[str],
) -> tuple[list[Finding], list[Note], Accepted]:
    copier_yml = template.source
    if importlib.util.find_spec("copier") is None:  # the checker alone: no Copier to run
        problems.append(
            f"{copier_yml} was not rendered: render mode runs Copier, which is not installed "
            "here (pip install 'prgate[render]')"
        )
        return [], [], {}
    with sandbox.scratch_dir("prgate-render-") as scratch:
        src = scratch / "template"
        submodules = export(view, template.path, src)
        notes = [
            Note(
                path=submodule,
                message="a submodule of the template: not rendered (its files come from "
                "another repository over the network)",
            )
            for submodule in submodules
        ]
        made_up = synthesize_answers(template.settings)
        if made_up:
            shown = ", ".join(f"{k}={v!r}" for k, v in sorted(made_up.items()))
            message = f"questions without a default were answered with samples: {shown}"
            notes.append(Note(path=copier_yml, message=message))
        phase(f"{copier_yml}: rendering the template with its defaults")
        out = scratch / "defaults"
        vcs_ref = as_repository(src)
        result = render_template(src, out, made_up, vcs_ref, scratch, readonly=[src])
        defaults = Defaults(view, template, result, out, submodules)
        findings = defaults.verdict(make, problems, notes)
        if defaults.stop:
            return findings, notes, {}
        baseline = _files(out) if result.ok else set()
        accepted = _unsafe_answers(
            src, scratch, (made_up, vcs_ref), path_questions, copier_yml, baseline
        )
    notes.append(_sandbox_note(copier_yml))
    return findings, notes, accepted


@dataclass
class Defaults:
    """The render with the defaults, the first one: whether it failed, or could not tell,
    and whether rendering the other answers is worth it (``stop`` says not)."""

    view: RepoView
    template: TemplateRoot
    result: RenderResult
    out: Path
    submodules: list[str]
    stop: bool = True

    def verdict(self, make: Make, problems: list[str], notes: list[Note]) -> list[Finding]:
        copier_yml, result = self.template.source, self.result
        if result.refused_unsafe:
            notes.append(
                Note(
                    path=copier_yml,
                    message="not rendered: the template uses _jinja_extensions, which run its "
                    f"own Python code; that needs the sandbox, and {sandbox.unavailable()}",
                )
            )
            return []
        if result.timed_out:  # a template that hangs would hang on every answer: stop here
            message = f"rendering the template: {result.error}"
            return [make(rules.RENDER_FAILED, copier_yml, message, subject="timeout")]
        missing = _missing_package(self.view, self.template.path, result.error or "")
        if missing is not None:  # prgate's environment lacks it: no verdict on the template
            problems.append(
                f"{copier_yml} was not rendered: its _jinja_extensions need the Python package "
                f"that provides {missing!r}, which prgate's render environment does not have"
            )
            return []
        if not result.ok and self.submodules:  # perhaps for want of what prgate left out
            problems.append(
                f"{copier_yml} could not be rendered without its git submodules "
                f"({', '.join(self.submodules)}), which prgate does not fetch and Copier clones "
                f"for its users; the render failed: {_last_line(result.error)}"
            )
            return []
        self.stop = False
        if not result.ok:
            message = f"rendering the template with its defaults failed: {result.error}"
            return [make(rules.RENDER_FAILED, copier_yml, message, subject="defaults")]
        return _scan_output(self.view, self.out, self.template, make)


def _unsafe_answers(
    src: Path,
    scratch: Path,
    given: tuple[dict[str, Any], str | None],
    path_questions: list[str],
    copier_yml: str,
    baseline: set[str],
) -> Accepted:
    """Each unsafe answer to each path question, rendered (tasks off): the ones Copier
    rendered (it should have refused them), with the paths each produced that the defaults
    do not (where the answer went). ``given``: the sample answers and the git ref."""
    accepted: Accepted = {}
    readonly = [src]
    made_up, vcs_ref = given
    total = len(path_questions) * len(UNSAFE_ANSWERS)
    for q, name in enumerate(path_questions):
        for i, answer in enumerate(UNSAFE_ANSWERS):
            done = q * len(UNSAFE_ANSWERS) + i + 1
            phase(f"{copier_yml}: rendering {name}={answer!r} ({done}/{total})")
            dest = scratch / f"bad-{name}-{i}"
            bad = render_template(
                src,
                dest,
                {**made_up, name: answer},
                vcs_ref,
                scratch,
                tasks=False,
                readonly=readonly,
            )
            if bad.ok:
                written = _files(dest)
                accepted.setdefault(name, []).append((answer, sorted(written - baseline)))
    return accepted


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def _last_line(error: str | None) -> str:
    """An error's last line: the exception Copier raised."""
    lines = (error or "no reason given").strip().splitlines()
    return lines[-1] if lines else "no reason given"


def as_repository(folder: Path) -> str | None:
    """Make the exported template a git repository of one commit and return the ref Copier
    renders from, as it does a template's own repository: ``_copier_answers._commit`` and
    ``_copier_conf.vcs_ref_hash`` exist then (DiamondLightSource/python-copier-template
    writes ``_commit`` into a link; a plain folder made that a render failure). None where
    git cannot make it: Copier renders the plain folder."""
    env = {**child_env(), **GIT_ENV}
    identity = ["-c", "user.name=prgate", "-c", "user.email=prgate@invalid"]
    steps = (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "--no-verify", "-m", "t"])
    try:
        for args in steps:
            subprocess.run(["git", *args], cwd=folder, env=env, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    for path in (folder / ".git").rglob("*"):  # the sandbox's user reads it (umask aside)
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    return "HEAD"


def _sandbox_note(copier_yml: str) -> Note:
    reason = sandbox.unavailable()
    if reason is None:
        message = (
            "rendered in the sandbox with the template's tasks: no network, the template "
            "read-only, writes only to a scratch tmpfs, limits on time, memory and processes"
        )
    else:
        message = f"rendered with tasks skipped: {reason}"
    return Note(path=copier_yml, message=message)


def _missing_package(view: RepoView, root: str, error: str) -> str | None:
    """The module an extension needs that is neither installed nor a file of the template
    (``extensions.py:Name`` is the template's own; a missing one of those is its defect)."""
    if "ExtensionNotFoundError" not in error:
        return None
    match = re.search(r"No module named '([^']+)'", error)
    if match is None:
        return None
    module = match.group(1)
    first = module.split(".")[0]
    base = f"{root}/" if root else ""
    own = view.entry(f"{base}{first}.py") is not None or view.has_folder(f"{base}{first}")
    return None if own else module


def _sources(view: RepoView, template: TemplateRoot) -> dict[str, str]:
    """Rendered base name -> template source path, as far as plain defaults tell."""
    settings = template.settings
    prefix = f"{template.rendered_from}/" if template.rendered_from else ""
    suffix = template.suffix
    answers = plain_defaults(settings)
    env = jinja_env(settings.get("_envops"))
    mapping: dict[str, str] = {}
    for entry in view.entries():
        if not entry.path.startswith(prefix):
            continue
        name = entry.path.rsplit("/", 1)[-1]
        if suffix and name.endswith(suffix):
            name = name[: -len(suffix)]
        if "{" in name:
            # an unknown name or filter keeps the raw name
            with contextlib.suppress(Exception):
                name = env.from_string(name).render(answers)
        mapping.setdefault(name, entry.path)
    return mapping


def _scan_output(view: RepoView, out: Path, template: TemplateRoot, make: Make) -> list[Finding]:
    copier_yml = template.source
    rendered = DirectoryView(out)
    sources = _sources(view, template)
    findings = []
    result = contamination.run(rendered, RepoConfig(template_roots=[""]))
    for f in result.findings:
        source = sources.get(f.path.rstrip("/").rsplit("/", 1)[-1], copier_yml)
        findings.append(
            make(
                rules.RENDERED_CONTAMINATION,
                source,
                f"rendering the defaults produces {f.path} ({f.rule}): {f.message.split('. ')[0]}.",
                subject=f"{f.rule}:{f.path}",
            )
        )
    # the template's own copier.yml, .copierignore and hook folders can reach the output only
    # when it renders from its root (no _subdirectory); under a _subdirectory, a hooks/ folder
    # or a copier.yml in the output is the project's own content (a nested template, say)
    own = template.rendered_from == template.path
    for entry in rendered.entries():
        name = entry.path.rsplit("/", 1)[-1]
        parts = entry.path.split("/")
        top = (len(parts) == 1 and name in MACHINERY) or (
            len(parts) > 1 and any(entry.path.startswith(f"{h}/") for h in HOOK_FOLDERS)
        )
        if (own and top) or "{{" in entry.path or "{%" in entry.path:
            findings.append(
                make(
                    rules.LEAKED_MACHINERY,
                    sources.get(name, copier_yml),
                    f"rendering the defaults produces {entry.path}: template machinery (copier.yml, "
                    "hooks, .copierignore or unrendered Jinja) ends up in every generated project.",
                    subject=entry.path,
                )
            )
    return findings
