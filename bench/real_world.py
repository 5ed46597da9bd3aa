"""Benchmark: prgate's verdicts on real public repositories, against findings judged by hand.

Replays ``bench/real_world.toml``: each repository is cloned from a local mirror
at its pinned commit and checked as ``prgate check`` checks a work tree (every
check, default configuration). Per repository and in total it prints the true
alarms found and missed (by rule and file), the error-level findings one by one (one
defect should be one finding), the error-level false alarms, the warnings (and those
not listed as judged), the checks that could not run, and the time.

    python3 dev.py bench real_world --mirrors /work/.mirror [--only NAME] [--render]

A mirror is a bare repository at ``MIRRORS/owner+name/repo``. A repository
whose mirror is missing is listed as skipped, never as passed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workers.engine.config import RepoConfig, config_from  # noqa: E402
from workers.engine.runner import check_repository  # noqa: E402
from workers.engine.views import open_view  # noqa: E402


def _clone(mirror: Path, commit: str, dest: Path) -> None:
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(mirror), str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "checkout", "-q", commit], check=True)


@dataclass
class Row:
    findings: int  # error-level findings, counted one by one (one defect should be one)
    found: int
    missed: list[tuple[str, ...]]
    false: list[tuple[str, ...]]
    warnings: int
    unjudged: list[tuple[str, ...]]
    could_not_run: list[str]
    seconds: float


def _judge(repo: dict[str, Any], dest: Path, render: bool) -> Row:
    config = config_from({"hook-validation": {"render": True}}) if render else None
    started = time.perf_counter()
    report = check_repository(open_view(dest), config or RepoConfig())
    seconds = time.perf_counter() - started
    expected = {tuple(e) for e in repo.get("errors", [])}
    if render:  # what rendering adds, judged by running Copier on the same answers
        expected |= {tuple(e) for e in repo.get("render-errors", [])}
    accepted = {tuple(w) for w in repo.get("warnings", [])}
    errors = {(f.rule, f.path) for f in report.findings if f.level == "error"}
    warnings = {(f.rule, f.path) for f in report.findings if f.level == "warning"}
    return Row(
        findings=sum(f.level == "error" for f in report.findings),
        found=len(errors & expected),
        missed=sorted(expected - errors),
        false=sorted(errors - expected),
        warnings=len(warnings),
        # ("rule", "*"): every warning of that rule, judged together (the manifest says how)
        unjudged=sorted(w for w in warnings - accepted if (w[0], "*") not in accepted),
        could_not_run=[
            f"{r.check}: {r.error}"
            + (" (expected)" if r.check in repo.get("could-not-run", []) else " (UNEXPECTED)")
            for r in report.results
            if r.error is not None
        ]
        + [  # a check the manifest says cannot run, which now does: its findings need judging
            f"{r.check}: runs now; the manifest says could-not-run (UNEXPECTED)"
            for r in report.results
            if r.error is None and r.check in repo.get("could-not-run", [])
        ],
        seconds=seconds,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, default=ROOT / "bench" / "real_world.toml")
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--render", action="store_true", help="hook-validation renders too")
    args = parser.parse_args(argv)
    repos = tomllib.loads(args.manifest.read_text())["repo"]
    rows: list[tuple[str, Row | None]] = []
    with tempfile.TemporaryDirectory(prefix="prgate-real-world-") as tmp:
        for repo in repos:
            name = repo["name"]
            if args.only and name not in args.only:
                continue
            mirror = args.mirrors / name.replace("/", "+") / "repo"
            if not mirror.exists():
                rows.append((name, None))
                continue
            dest = Path(tmp) / f"{name.replace('/', '+')}@{repo['commit'][:12]}"
            _clone(mirror, repo["commit"], dest)
            shown = (
                name
                if sum(r["name"] == name for r in repos) == 1
                else f"{name}@{repo['commit'][:7]}"
            )
            rows.append((shown, _judge(repo, dest, args.render)))
    columns = ("errors", "found", "missed", "false", "warn", "n/run", "s")
    head = f"{'repository':44} " + " ".join(f"{c:>6}" for c in columns)
    print(head)
    print("-" * len(head))
    total = Row(0, 0, [], [], 0, [], [], 0.0)
    details = []
    for name, row in rows:
        if row is None:
            print(f"{name:44} skipped: no mirror")
            continue
        cells = (
            row.findings,
            row.found,
            len(row.missed),
            len(row.false),
            row.warnings,
            len(row.could_not_run),
            f"{row.seconds:.2f}",
        )
        print(f"{name:44} " + " ".join(f"{c:>6}" for c in cells))
        total.findings += row.findings
        total.found += row.found
        total.missed += row.missed
        total.false += row.false
        total.warnings += row.warnings
        total.could_not_run += row.could_not_run
        total.seconds += row.seconds
        for kind, items in (
            ("missed", row.missed),
            ("false alarm", row.false),
            ("unjudged warning", row.unjudged),
        ):
            details += [f"  {name}: {kind}: {item}" for item in items]
        details += [f"  {name}: could not run: {c}" for c in row.could_not_run]
    print("-" * len(head))
    cells = (
        total.findings,
        total.found,
        len(total.missed),
        len(total.false),
        total.warnings,
        len(total.could_not_run),
        f"{total.seconds:.2f}",
    )
    print(f"{'total':44} " + " ".join(f"{c:>6}" for c in cells))
    if details:
        print("\n".join(["", *details]))
    unexpected = [c for c in total.could_not_run if c.endswith("(UNEXPECTED)")]
    return 1 if total.missed or total.false or unexpected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
