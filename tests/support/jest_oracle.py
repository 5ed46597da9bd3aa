"""Real Jest 29 and 30, installed from npm into a cache, run the way CI would run them.

``jest --listTests --no-cache --no-watchman`` builds the haste map (and prints
its collisions on stderr) without running a test. The outcome is parsed into
the same shape as prgate's findings so tests can compare the two sets.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.npm_cache import npm_install
from workers.engine.findings import Finding

VERSIONS = {29: "29.7.0", 30: "30"}

BLOCK = re.compile(
    r"jest-haste-map: (Haste module naming collision|duplicate manual mock found): (.+)\n"
    r"  The following files share their name[^\n]*\n((?:    \* .+\n)+)"
)
CANNOT_PARSE = re.compile(r"Cannot parse (/\S+) as JSON")


def jest_bin(major: int) -> Path:
    """Jest's CLI, installed once per machine."""
    home = npm_install(
        f"jest{major}", f"jest@{VERSIONS[major]}", "jest/bin/jest.js", "to compare with real Jest"
    )
    return home / "node_modules" / "jest" / "bin" / "jest.js"


@dataclass
class JestRun:
    exit_code: int
    output: str  # stdout and stderr
    # (kind, name, files relative to the workspace); kind is "haste-module" or "duplicate-mock"
    reports: set[tuple[str, str, frozenset[str]]] = field(default_factory=set)
    invalid: set[str] = field(default_factory=set)


def run_jest(
    major: int,
    workspace: Path,
    cwd: str = ".",
    project_dirs: tuple[str, ...] = (".",),
    jest: Path | None = None,
    env: dict[str, str] | None = None,
) -> JestRun:
    """``jest``: another installation's CLI (e.g. beside @nx/jest); ``env``: added variables."""
    proc = subprocess.run(
        ["node", str(jest or jest_bin(major)), "--listTests", "--no-cache", "--no-watchman"],
        cwd=workspace / cwd,
        capture_output=True,  # bytes: text mode would turn a \r in a printed path into \n
        timeout=300,
        env={k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "CI")} | (env or {}),
    )
    # Jest 29 prints haste-map warnings on stdout with --listTests, Jest 30 on stderr.
    output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    outcome = JestRun(proc.returncode, output)
    by_name: dict[tuple[str, str], set[str]] = {}
    for kind, name, block in BLOCK.findall(output):
        rule = "haste-module" if kind.startswith("Haste") else "duplicate-mock"
        files = {
            _locate(workspace, line.split("<rootDir>/", 1)[1], project_dirs)
            for line in block.split("\n")  # a path may hold \r: lines end at \n only
            if line
        }
        if rule == "duplicate-mock":  # one message per extra copy: the union is every copy
            by_name.setdefault((rule, name), set()).update(files)
        else:
            outcome.reports.add((rule, name, frozenset(files)))
    outcome.reports |= {(rule, name, frozenset(files)) for (rule, name), files in by_name.items()}
    real = workspace.resolve().as_posix()
    for path in CANNOT_PARSE.findall(output):
        outcome.invalid.add(path.removeprefix(real + "/"))
    return outcome


def _locate(workspace: Path, rel: str, project_dirs: tuple[str, ...]) -> str:
    for d in project_dirs:
        if (workspace / d / rel).exists():
            return os.path.normpath(os.path.join(d, rel))
    raise AssertionError(f"Jest printed {rel}, which is in none of {project_dirs}")


NAME = re.compile(r'"(?:Haste module naming collision|duplicate manual mock found): (.+?)"')


def prgate_reports(findings: list[Finding]) -> set[tuple[str, str, frozenset[str]]]:
    out = set()
    for f in findings:
        rule = f.rule.split("/", 1)[1]
        if rule in ("haste-module", "duplicate-mock"):
            m = NAME.search(f.message)
            assert m, f.message
            out.add((rule, m.group(1), frozenset(f.paths)))
    return out
