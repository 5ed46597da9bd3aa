"""Run checks over a repository view and post-process their findings.

Checks stay pure and config-light: they emit findings at their rules' default
levels. This module applies what the repository configured (levels, ``off``,
``paths-ignore``, ``allow``) and what ``--base`` says about pre-existing
findings, in one place, the same for every check.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from workers.engine.config import RepoConfig
from workers.engine.findings import CheckError, CheckResult, Finding, Level
from workers.engine.git import RepoError
from workers.engine.progress import phase
from workers.engine.registry import spec
from workers.engine.spec import CheckSpec
from workers.engine.views import FileSkipped, RepoView
from workers.shared.names import CHECK_NAMES


@dataclass
class Report:
    target: str
    results: list[CheckResult]
    base: str | None = None
    files: int = 0
    disabled: list[str] = dataclasses.field(default_factory=list)  # off in the config

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    @property
    def exit_code(self) -> int:
        """0 clean, 1 error-level findings, 2 a check could not run (docs/architecture.md)."""
        if any(r.error is not None for r in self.results):
            return 2
        return 1 if any(r.failed for r in self.results) else 0


def check_repository(
    view: RepoView,
    config: RepoConfig,
    only: Iterable[str] = (),
    base: str | None = None,
    changed: set[str] | None = None,
) -> Report:
    """Run the checks on ``view``. Findings on none of the ``changed`` paths (those changed
    since ``base``, or given: what a commit stages) are pre-existing notes, not failures."""
    # `--only a --only a` runs a once: each check's findings are reported once
    wanted = list(dict.fromkeys(only)) or [n for n in CHECK_NAMES if config.settings(n).enabled]
    if base is not None:
        changed = view.changed_since(base)
    results = []
    for name in wanted:
        phase(f"{name}: checking {view.description}")
        results.append(_run_one(spec(name), view, config, changed))
    label = base if base is not None else ("the staged files" if changed is not None else None)
    disabled = [] if only else [n for n in CHECK_NAMES if n not in wanted]
    return Report(
        target=view.description,
        base=label,
        files=view.count(),
        results=results,
        disabled=disabled,
    )


def _run_one(
    spec: CheckSpec, view: RepoView, config: RepoConfig, changed: set[str] | None
) -> CheckResult:
    try:
        raw = spec.run(view, config)
    except (CheckError, RepoError, FileSkipped) as exc:
        return CheckResult(check=spec.name, error=str(exc))
    except PermissionError as exc:  # a file or folder this user may not read: no verdict
        return CheckResult(check=spec.name, error=f"cannot read {exc.filename}: {exc.strerror}")
    except Exception as exc:  # a defect or a hostile input: this check could not run; the
        return CheckResult(check=spec.name, error=crash_reason(exc))  # others' verdicts stand
    findings = []
    for finding in raw.findings:
        level = config.level_for(finding.rule, finding.level)
        if level is None or all(config.ignored(p) for p in finding.paths):
            continue
        update: dict[str, Any] = {"level": level}
        reason = config.allowed(finding)
        if reason is None and config.accepted(finding):
            reason = f"accepted in the baseline ({config.baseline})"
        if reason is not None:
            update["suppressed"] = reason
        if changed is not None and not any(_touched(p, changed) for p in finding.paths):
            update["pre_existing"] = True
            update["level"] = Level.NOTE
        findings.append(dataclasses.replace(finding, **update))
    findings.sort(key=Finding.sort_key)
    return dataclasses.replace(raw, findings=findings)


def _touched(path: str, changed: set[str]) -> bool:
    if path.endswith("/"):
        return any(c.startswith(path) for c in changed)
    return path in changed


def crash_reason(exc: BaseException) -> str:
    """What a check's unexpected exception says: its type and where in prgate it was raised
    (the message is left out: it may quote file contents)."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        parts = frame.filename.replace("\\", "/").split("/workers/")
        if len(parts) > 1:
            where = f" at workers/{parts[-1]}:{frame.lineno}"
    return f"prgate failed: {type(exc).__name__}{where} (a defect in prgate; please report it)"
