"""What a check reports: findings, notes, and rule metadata.

A finding's path is repo-relative POSIX; a finding about a directory has a path
ending in ``/``. The fingerprint is stable across runs and line shifts: it is
built from the rule, the paths involved and a check-chosen ``key`` (never from
a secret's value).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

# Plain dataclasses, not pydantic models: every `prgate check` and pre-commit run builds
# these, and nothing here is validated from outside input (start-up time, issue 19).


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


LEVEL_ORDER = {Level.ERROR: 0, Level.WARNING: 1, Level.NOTE: 2}


def rule(
    check: str,
    name: str,
    level: Level,
    summary: str,
    help_text: str,
    *,
    fixed: str | None = None,
    doc: str = "",
) -> RuleInfo:
    """The rule ``<check>/<name>``: what every check's ``rules.py`` declares its rules with.
    ``doc`` is its line in the README's table for the check (generated from here)."""
    return RuleInfo(
        id=f"{check}/{name}", level=level, summary=summary, help=help_text, fixed=fixed, doc=doc
    )


@dataclass(frozen=True)
class RuleInfo:
    """A rule: its id, default level, one-line summary and the longer text docs and SARIF
    show. Each check declares its rules in its own ``rules.py`` with ``rule()``."""

    id: str  # "<check>/<rule>"
    level: Level
    summary: str
    help: str
    # set when a repository may not change the rule's level or allow it, and why (its
    # finding explains a could-not-run verdict that no level would change)
    fixed: str | None = None
    doc: str = ""  # the README's line for it (Markdown); the summary when empty

    @property
    def name(self) -> str:
        """The rule's name within its check (``env-file``), as .github/prgate.yml uses it."""
        return self.id.split("/", 1)[1]

    def finding(
        self,
        path: str,
        message: str,
        *,
        fix: str | None = None,
        line: int | None = None,
        key: str = "",
        related: tuple[str, ...] = (),
        fix_at: tuple[str, int] | None = None,
    ) -> Finding:
        """A finding of this rule at its default level (the runner applies the config's)."""
        return Finding(
            rule=self.id,
            level=self.level,
            path=path,
            message=message,
            fix=fix,
            start_line=line,
            end_line=line,
            key=key,
            related=related,
            fix_path=fix_at[0] if fix_at else None,
            fix_line=fix_at[1] if fix_at else None,
        )


@dataclass(frozen=True)
class Finding:
    rule: str
    level: Level
    path: str
    message: str
    start_line: int | None = None
    end_line: int | None = None
    fix: str | None = None
    # When set, ``fix`` is the exact replacement of line ``fix_line`` of ``fix_path``
    # (a review comment can carry it as a suggestion, SARIF as a ``fixes`` entry);
    # otherwise ``fix`` is prose.
    fix_path: str | None = None
    fix_line: int | None = None
    related: tuple[str, ...] = ()
    key: str = field(default="", repr=False)  # left out of as_dict(): it may quote a subject
    pre_existing: bool = False
    suppressed: str | None = None  # the reason from an ``allow`` entry

    @property
    def check(self) -> str:
        return self.rule.split("/", 1)[0]

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.path, *self.related)

    @cached_property
    def fingerprint(self) -> str:
        parts = [self.rule, self.path, *sorted(self.related), self.key]
        return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:32]

    @property
    def fails(self) -> bool:
        return self.level == Level.ERROR and self.suppressed is None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.start_line or 0, LEVEL_ORDER[self.level], self.rule)

    def as_dict(self) -> dict[str, Any]:
        """The finding as JSON reports carry it: every field but ``key``, then the fingerprint."""
        doc = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "key"}
        doc["level"] = str(self.level)
        doc["related"] = list(self.related)
        doc["fingerprint"] = self.fingerprint
        return doc


@dataclass(frozen=True)
class Note:
    """Something the run wants a reader to know that is not a defect (a skipped file)."""

    message: str
    path: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class CheckError(Exception):
    """The check could not run; the run exits 2 / on GitHub blocks as could-not-run, with
    this message."""


class TooDeep(CheckError):
    """A file nests deeper than prgate reads (JSON, or a chain of configs): the tool it
    predicts may read it, so the check could not run rather than judge it invalid."""

    def __init__(self, path: str, what: str = "nests its JSON too deeply") -> None:
        super().__init__(
            f"{path} {what} for prgate to read; the real tool may read it, so prgate "
            "cannot tell what it would do"
        )
        self.path = path


@dataclass
class CheckResult:
    check: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    error: str | None = None  # set when the check could not run
    skipped: str | None = None  # set when there is nothing here for it (no tsconfig at all)

    @property
    def failed(self) -> bool:
        return any(f.fails for f in self.findings)

    @property
    def status(self) -> str:
        if self.error is not None:
            return "could-not-run"
        if self.skipped is not None:
            return "skipped"
        return "failure" if self.failed else "success"
