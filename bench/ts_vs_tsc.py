"""Benchmark: ts-imports against real ``tsc`` on real TypeScript repositories.

For each ``kind = "typescript"`` repository of ``bench/real_world.toml`` (and any given
with ``--repo owner/name@commit``), cloned from a local mirror at its commit, with its
workspace packages linked into ``node_modules`` as a package manager links them and
nothing else installed: real TypeScript (``tests/support/ts_oracle.py``, 5.9) judges every
``tsconfig.json`` prgate judges, and prgate's ts-imports runs on the same tree.

Compared per file and line: tsc's "Cannot find module" errors (TS2307 and kin) on names
no outside package could supply (relative names, aliases, names no package can have,
workspace packages, and package-like names no package.json in the repository declares),
its missing ``/// <reference path>`` (TS6053/TS6231) and TS17004 (JSX not enabled, per
file). Per repository it prints tsc's errors, those prgate reports as errors, as warnings
(hedged: something prgate cannot see might change them), those on a workspace package or
a gitignored file it takes as built first ("built": tsc here runs before any build), those
an editor-wide config finds in other projects' files, which prgate counts in a note
("summ"), those it misses, and prgate's errors tsc does not give (false alarms).

    python3 dev.py bench ts_vs_tsc --mirrors /work/.mirror [--only NAME] [--repo O/N@SHA]
"""

from __future__ import annotations

import argparse
import json
import posixpath
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.real_world import _clone  # noqa: E402
from tests.support.ts_oracle import MISSING_REFERENCE, NO_JSX, UNRESOLVED, judge  # noqa: E402
from workers.checks.ts_imports.check import (  # noqa: E402
    NODE_BUILTINS,
    _ambient_match,
    _types_name,
    discover,
)
from workers.checks.ts_imports.host import DEPENDENCY_FIELDS, RepoHost  # noqa: E402
from workers.checks.ts_imports.known_types import DECLARED  # noqa: E402
from workers.checks.ts_imports.resolve import could_be_package, is_relative  # noqa: E402
from workers.engine.config import RepoConfig  # noqa: E402
from workers.engine.findings import Level  # noqa: E402
from workers.engine.runner import check_repository  # noqa: E402
from workers.engine.views import open_view  # noqa: E402

Key = tuple[str, str, int | None]  # (kind, file, line)


def _manifests(dest: Path) -> list[tuple[Path, dict]]:
    listed = subprocess.run(
        ["git", "-C", str(dest), "ls-files", "*package.json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found = []
    for rel in listed:
        if "node_modules" in rel.split("/") or posixpath.basename(rel) != "package.json":
            continue
        try:
            data = json.loads((dest / rel).read_text())
        except (ValueError, OSError):
            continue
        if isinstance(data, dict):
            found.append((dest / rel, data))
    return found


def _link_workspace(dest: Path, manifests: list[tuple[Path, dict]]) -> set[str]:
    names = set()
    for path, data in manifests:
        name = data.get("name")
        if not isinstance(name, str) or not re.match(r"^(@[\w.-]+/)?[\w.-]+$", name):
            continue
        names.add(name)
        link = dest / "node_modules" / name
        if not link.exists() and path.parent != dest:
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path.parent)
    return names


def _ignored(dest: Path, importer: str, name: str) -> bool:
    """Whether an import names a gitignored path (a build step's output): a relative one, or
    a `~/`/`@/` alias onto the project's src/ (the common spelling), with or without an
    extension."""
    if is_relative(name):
        target = posixpath.normpath(posixpath.join(posixpath.dirname(importer), name))
    elif name.startswith(("~/", "@/")) and "/src/" in f"/{importer}":
        target = importer[: f"/{importer}".index("/src/")] + "src/" + name[2:]
    else:
        return False
    candidates = [target + ext for ext in ("", ".ts", ".tsx", ".d.ts", ".js")]
    done = subprocess.run(
        ["git", "-C", str(dest), "check-ignore", "--no-index", *candidates],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0  # 0: one of them is ignored


def _package(name: str) -> str:
    return "/".join(name.split("/")[: 2 if name.startswith("@") else 1])


def _compare(dest: Path) -> dict[str, list[Key]]:
    manifests = _manifests(dest)
    workspace = _link_workspace(dest, manifests)
    declared = {
        dep
        for _, data in manifests
        for field in DEPENDENCY_FIELDS
        if isinstance(deps := data.get(field), dict)
        for dep in deps
    }
    report = check_repository(open_view(dest), RepoConfig(), only=["ts-imports"])
    result = report.results[0]
    # the projects prgate judges, judged by tsc too (a base prgate cannot read leaves a
    # project's files unknown: prgate notes it, and tsc without node_modules fails it)
    projects = discover(RepoHost(open_view(dest)), [], [], [])
    configs = [dest / path for path, p in projects.items() if p.specs_known]
    # what a declared vite, next or astro declares (known_types) needs that package installed
    installed = [
        pattern
        for package, _, patterns in DECLARED.values()
        if package in declared
        for pattern in patterns
    ]

    def outside(name: str) -> bool:
        if name.startswith("node:") or name in NODE_BUILTINS:
            return True
        if any(_ambient_match(pattern, name) for pattern in installed):
            return True
        if is_relative(name) or not could_be_package(name):
            return False
        package = _package(name)
        if package in workspace:
            return False
        return package in declared or _types_name(package) in declared

    # configs prgate summarises (editor-wide: they name no files): their findings in other
    # projects' files are counted in a note, not listed
    editor_wide = {
        str(dest / n.path)
        for n in result.notes
        if n.path and "as an editor-wide config does" in n.message
    }
    expected: set[Key] = set()
    built: set[Key] = set()  # a workspace package's: may need the package built first
    summarised: set[Key] = set()
    for d in judge(configs):
        if d.file is None or not d.file.is_relative_to(dest):
            continue
        rel = d.file.relative_to(dest).as_posix()
        if "node_modules" in rel.split("/") or rel.endswith(".json"):
            continue  # a config's own errors: its `extends` names a package not installed
        if d.code in MISSING_REFERENCE:
            expected.add(("unresolved", rel, d.line))
        elif d.code in UNRESOLVED:
            found = re.search(r"module '([^']+)'", d.text)
            if found and not outside(found[1]):
                expected.add(("unresolved", rel, d.line))
                if _package(found[1]) in workspace or _ignored(dest, rel, found[1]):
                    built.add(("unresolved", rel, d.line))
                if str(d.config) in editor_wide:
                    summarised.add(("unresolved", rel, d.line))
        elif d.code == NO_JSX:
            expected.add(("jsx", rel, None))
            if str(d.config) in editor_wide:
                summarised.add(("jsx", rel, None))
    got: dict[Key, Level] = {}
    for f in result.findings:
        kind = {"ts-imports/unresolved": "unresolved", "ts-imports/jsx-not-enabled": "jsx"}.get(
            f.rule, "undeclared"
        )
        key = (kind, f.path, f.start_line if kind != "jsx" else None)
        if kind == "undeclared":  # a package's question: reported, at its own level
            key = ("unresolved", f.path, f.start_line)
        if key not in got or f.level is Level.ERROR:
            got[key] = f.level
    errors = {k for k, level in got.items() if level is Level.ERROR}
    return {
        "tsc": sorted(expected, key=str),
        "error": sorted(expected & errors, key=str),
        "warning": sorted((expected & set(got)) - errors, key=str),
        "missed": sorted(expected - set(got) - built - summarised, key=str),
        "built": sorted((expected - set(got)) & built, key=str),
        "summarised": sorted((expected - set(got) - built) & summarised, key=str),
        "false": sorted(errors - expected, key=str),
        "projects": [str(len(configs))],  # type: ignore[list-item]
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, default=ROOT / "bench" / "real_world.toml")
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--repo", action="append", default=[], help="owner/name@commit")
    args = parser.parse_args(argv)
    repos = [
        (r["name"], r["commit"])
        for r in tomllib.loads(args.manifest.read_text())["repo"]
        if r.get("kind") == "typescript"
    ] + [tuple(r.split("@", 1)) for r in args.repo]
    repos = list(dict.fromkeys(repos))  # a repository given twice is compared once
    head = f"{'repository':40} {'projects':>8} {'tsc':>5} {'error':>5} {'warn':>5} " + (
        f"{'built':>5} {'summ':>5} {'missed':>6} {'false':>5}"
    )
    print(head)
    print("-" * len(head))
    details: list[str] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="prgate-ts-vs-tsc-") as tmp:
        for name, commit in repos:
            if args.only and name not in args.only:
                continue
            shown = f"{name}@{commit[:7]}"
            mirror = args.mirrors / name.replace("/", "+") / "repo"
            if not mirror.exists():
                print(f"{shown:40} skipped: no mirror")
                continue
            dest = Path(tmp) / shown.replace("/", "+")
            _clone(mirror, commit, dest)
            row = _compare(dest)
            cells = [row["projects"][0]] + [
                str(len(row[k]))
                for k in ("tsc", "error", "warning", "built", "summarised", "missed", "false")
            ]
            widths = (8, 5, 5, 5, 5, 5, 6, 5)
            print(
                f"{shown:40} " + " ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True))
            )
            for kind in ("missed", "false"):
                details += [f"  {shown}: {kind}: {item}" for item in row[kind]]
            failed = failed or bool(row["missed"] or row["false"])
    if details:
        print("\n".join(["", *details]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
