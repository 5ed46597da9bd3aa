"""Benchmark: ts-imports against real ``tsc --noEmit`` on a generated 2,000-file TS monorepo.

The tree: ``--packages`` workspace packages under ``packages/``, each with its own
``tsconfig.json`` (extending a shared base with a ``paths`` alias per package and
``moduleResolution: bundler``), ``.ts`` files importing siblings (with and without
``.js``), folders through ``index`` files, other packages through their alias, and
a ``.tsx`` component per package; a root ``tsconfig.json`` references every package.
Some imports are broken on purpose (a moved module, an alias to a file that is
not there) and some packages never enable JSX, so both have something to find.

Measured in the same run, each the median of ``--repeat`` rounds:

* the baseline: real TypeScript (npm ``typescript`` 5.9, installed into the test
  cache), ``tsc --noEmit -p`` on every package's config, as CI's type-check step;
* prgate, two ways: a worker's job (the engine in-process on the commit read
  from the object store, warmed up once as a long-lived worker is) and
  ``prgate check --only ts-imports`` as a user runs it (a new process);

and the ratio against the target (prgate at least 20x faster). Both must report
the same unresolved module names (TS2307 and kin, outside packages prgate leaves
to undeclared-dependency; a name a ``paths`` alias claims is no package) and TS17004
files, so neither wins by doing less.

    python3 dev.py bench ts_imports [--files 2000] [--packages 40] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.contamination import GIT_ENV  # noqa: E402

TSC_LINE = re.compile(
    r"^(?P<file>[^(\n]+)\((?P<line>\d+),\d+\): error TS(?P<code>\d+): (?P<text>.*)$"
)


def generate(dest: Path, files: int, packages: int) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "packages").mkdir(parents=True)
    names = [f"p{i:03d}" for i in range(packages)]
    base = {
        "compilerOptions": {
            "module": "esnext",
            "moduleResolution": "bundler",
            "target": "es2022",
            "strict": True,
            "noEmit": True,
            "skipLibCheck": True,
            "types": [],
            "baseUrl": ".",
            "paths": {f"@{n}/*": [f"packages/{n}/src/*"] for n in names},
        }
    }
    (dest / "tsconfig.base.json").write_text(json.dumps(base, indent=2))
    (dest / "tsconfig.json").write_text(
        json.dumps({"files": [], "references": [{"path": f"./packages/{n}"} for n in names]})
    )
    (dest / "package.json").write_text('{"name": "bench-ts", "private": true}\n')
    per = max((files - 3) // packages - 1, 4)
    for p, name in enumerate(names):
        src = dest / "packages" / name / "src"
        (src / "lib").mkdir(parents=True)
        options: dict[str, object] = {} if p % 7 == 3 else {"jsx": "react-jsx"}
        config = {
            "extends": "../../tsconfig.base.json",
            "compilerOptions": options,
            "include": ["src"],
        }
        (dest / "packages" / name / "tsconfig.json").write_text(json.dumps(config))
        other = names[(p + 1) % packages]
        (src / "lib" / "index.ts").write_text("export const lib = 1;\n")
        (src / "view.tsx").write_text(
            'import { lib } from "./lib";\nexport const View = () => <div>{lib}</div>;\n'
        )
        for i in range(per - 2):
            lines = [
                'import { lib } from "./lib";',
                f'import {{ v{max(i - 1, 0)} }} from "./m{max(i - 1, 0):03d}.js";',
                f'import {{ v0 as far }} from "@{other}/m000";',
            ]
            if i == 5 and p % 5 == 0:
                lines.append('import { gone } from "./moved/helper";')  # a moved module
            if i == 6 and p % 9 == 0:
                lines.append(f'import {{ nope }} from "@{other}/missing";')  # a broken alias
            lines.append(f"export const v{i} = lib + far + {i};")
            (src / f"m{i:03d}.ts").write_text("\n".join(lines) + "\n")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=dest, check=True, env=GIT_ENV)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True, env=GIT_ENV)
    subprocess.run(["git", "commit", "-q", "-m", "bench"], cwd=dest, check=True, env=GIT_ENV)


def tsc_verdicts(output: str, root: Path) -> set[tuple[str, str, int | None]]:
    from tests.checks.ts_imports.test_ts_imports_oracle import _alias_claims, _module_name
    from tests.support.ts_oracle import NO_JSX, UNRESOLVED
    from workers.checks.ts_imports.resolve import could_be_package, is_relative

    claims = _alias_claims(root)  # `@p001/missing`: the repository's alias, no package
    found: set[tuple[str, str, int | None]] = set()
    for line in output.splitlines():
        match = TSC_LINE.match(line.strip())
        if not match:
            continue
        path = (root / match["file"]).resolve().relative_to(root.resolve()).as_posix()
        code = int(match["code"])
        if code in UNRESOLVED:
            name = _module_name(match["text"])
            if (
                name is not None
                and not is_relative(name)
                and could_be_package(name)
                and not claims(name)
            ):
                continue
            found.add(("unresolved", path, int(match["line"])))
        elif code == NO_JSX:
            found.add(("jsx", path, None))
    return found


def prgate_verdicts(report: object) -> set[tuple[str, str, int | None]]:
    from workers.engine.findings import Level

    found: set[tuple[str, str, int | None]] = set()
    for finding in report.findings:  # type: ignore[attr-defined]
        if finding.level is not Level.ERROR:
            continue
        if finding.rule == "ts-imports/unresolved":
            found.add(("unresolved", finding.path, finding.start_line))
        elif finding.rule == "ts-imports/jsx-not-enabled":
            found.add(("jsx", finding.path, None))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--files", type=int, default=2_000)
    parser.add_argument("--packages", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / ".work" / "ts_imports")
    args = parser.parse_args()

    from tests.support.ts_oracle import typescript
    from workers.engine.config import RepoConfig
    from workers.engine.runner import check_repository
    from workers.engine.views import GitCommitView

    print(f"generating about {args.files} files in {args.work} ...", flush=True)
    generate(args.work, args.files, args.packages)
    names = subprocess.run(
        ["git", "ls-files"], cwd=args.work, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    sources = sum(1 for n in names if n.endswith((".ts", ".tsx")))
    print(f"tree: {len(names)} files, {sources} TypeScript sources, {args.packages} projects")

    tsc = str(typescript() / "bin" / "tsc")
    configs = sorted(str(p) for p in (args.work / "packages").glob("*/tsconfig.json"))

    def run_tsc() -> str:
        out = []
        for config in configs:
            proc = subprocess.run(
                ["node", tsc, "--noEmit", "--pretty", "false", "-p", config],
                cwd=args.work,
                capture_output=True,
                text=True,
            )
            out.append(proc.stdout)
        return "".join(out)

    config = RepoConfig()

    def run_worker() -> object:
        view = GitCommitView(args.work, "HEAD")
        try:
            return check_repository(view, config, only=["ts-imports"])
        finally:
            view.close()

    cli = [
        str(Path(sys.executable).parent / "prgate"),
        "check",
        ".",
        "--only",
        "ts-imports",
        "--format",
        "json",
    ]

    expected = tsc_verdicts(run_tsc(), args.work)
    got = prgate_verdicts(run_worker())  # also the warm-up
    print(f"verdicts: tsc {len(expected)}, prgate {len(got)}")
    if got != expected:
        print(
            "DIFFER: only tsc",
            sorted(expected - got, key=str)[:10],
            "only prgate",
            sorted(got - expected, key=str)[:10],
        )
        return 1
    timings: dict[str, list[float]] = {"tsc": [], "worker": [], "cli": []}
    for _ in range(args.repeat):
        start = time.perf_counter()
        run_tsc()
        timings["tsc"].append(time.perf_counter() - start)
        start = time.perf_counter()
        run_worker()
        timings["worker"].append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run(cli, cwd=args.work, capture_output=True, check=False)
        timings["cli"].append(time.perf_counter() - start)
    median = {k: statistics.median(v) for k, v in timings.items()}
    print(f"tsc --noEmit -p, {len(configs)} projects:       {median['tsc'] * 1000:9.0f} ms")
    for key, label in (
        ("worker", "prgate, a worker's job (in-process)"),
        ("cli", "prgate check --only ts-imports"),
    ):
        ratio = median["tsc"] / median[key]
        print(
            f"{label + ':':40} {median[key] * 1000:6.0f} ms  {ratio:6.1f}x faster "
            f"(target 20x: {'met' if ratio >= 20 else 'NOT met'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
