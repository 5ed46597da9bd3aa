"""Benchmark: hostile ts-imports inputs cost what benign ones of the same size cost.

Each case is a repository a pull request could make, measured against a benign twin of
the same size in the same run (``prgate check --only ts-imports``, a new process, the
median of ``--repeat`` rounds), and printed as a ratio:

* ``extends diamond``: each of N configs extends the next twice (2**N applications
  without a cache) against a chain of N configs extending the next once;
* ``wildcards``: an ``include`` component with 40 ``*`` (``*a*a*a…``) over long names,
  against an ``include`` of ``src/**/*.ts``;
* ``paths x imports``: K ``paths`` keys and K files each importing through one of them,
  against K files importing relative paths.

The issue that asked for this measured 16 s at 21 diamond levels, over 40 s for the
wildcards and 70 s for 4,000 x 4,000 on the code before; target: every ratio under 5x.

    python3 dev.py bench hostile [--levels 24] [--keys 4000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.contamination import GIT_ENV  # noqa: E402

Files = dict[str, str]


def diamond(levels: int, twice: bool) -> Files:
    files = {
        f"cfg/d{i}.json": json.dumps({"extends": [f"./d{i + 1}.json"] * (2 if twice else 1)})
        for i in range(levels)
    }
    files[f"cfg/d{levels}.json"] = json.dumps({"compilerOptions": {"strict": True}})
    files["tsconfig.json"] = json.dumps({"extends": "./cfg/d0.json", "include": ["src"]})
    files["src/a.ts"] = 'import { b } from "./b";\nexport const a = b;\n'
    files["src/b.ts"] = "export const b = 1;\n"
    return files


def wildcards(stars: int, hostile: bool) -> Files:
    pattern = "src/" + "*a" * stars + "*b.ts" if hostile else "src/**/*.ts"
    files = {"tsconfig.json": json.dumps({"include": [pattern]})}
    for i in range(200):
        files[f"src/{'a' * 60}{i}.ts"] = "export const x = 1;\n"
    return files


def paths_by_imports(keys: int, hostile: bool) -> Files:
    options: dict[str, object] = {"baseUrl": "."}
    if hostile:
        options["paths"] = {f"@k{i}/*": [f"lib/k{i}/*"] for i in range(keys)}
    files = {"tsconfig.json": json.dumps({"compilerOptions": options, "include": ["src"]})}
    for i in range(keys):
        spec = f"@k{i}/m" if hostile else f"../lib/k{i}/m"
        files[f"src/f{i}.ts"] = f'import {{ m }} from "{spec}";\nexport const v{i} = m;\n'
        files[f"lib/k{i}/m.ts"] = "export const m = 1;\n"
    return files


def _write(dest: Path, files: Files) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    for rel, text in files.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=dest, env=GIT_ENV, check=True)
    return dest


def _time(repo: Path, repeat: int) -> tuple[float, int]:
    prgate = Path(sys.executable).parent / "prgate"
    times, code = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(
            [str(prgate), "check", str(repo), "--only", "ts-imports", "--format", "json"],
            capture_output=True,
            env=GIT_ENV,
            timeout=600,
            check=False,
        )
        times.append(time.perf_counter() - start)
        code = proc.returncode
    return statistics.median(times) * 1000, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=24)
    parser.add_argument("--stars", type=int, default=40)
    parser.add_argument("--keys", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/prgate-bench-hostile"))
    args = parser.parse_args()
    cases = {
        f"extends diamond, {args.levels} levels": (
            diamond(args.levels, True),
            diamond(args.levels, False),
        ),
        f"wildcards, {args.stars} stars": (wildcards(args.stars, True), wildcards(0, False)),
        f"paths x imports, {args.keys} x {args.keys}": (
            paths_by_imports(args.keys, True),
            paths_by_imports(args.keys, False),
        ),
    }
    worst = 0.0
    print(f"{'case':<34} {'benign ms':>10} {'hostile ms':>11} {'ratio':>6}  exit codes")
    for n, (name, (hostile, benign)) in enumerate(cases.items()):
        base_ms, base_code = _time(_write(args.work / f"{n}-benign", benign), args.repeat)
        bad_ms, bad_code = _time(_write(args.work / f"{n}-hostile", hostile), args.repeat)
        ratio = bad_ms / base_ms
        worst = max(worst, ratio)
        print(f"{name:<34} {base_ms:>10.0f} {bad_ms:>11.0f} {ratio:>5.2f}x  {base_code}/{bad_code}")
    print(f"worst ratio {worst:.2f}x (target: under 5x)")
    return 0 if worst < 5 else 1


if __name__ == "__main__":
    sys.exit(main())
