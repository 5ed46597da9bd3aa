"""Benchmark: jest-collision against real Jest on a generated 20k-file monorepo.

The tree has 2,000 ``package.json``: packages with unique names, a Copier
template's generators and a committed smoke example of that template whose
generators repeat the template's names (the collisions), plus duplicate
manual mocks. Prints, from one run on one tree:

* the baseline: real Jest, ``jest --listTests --no-cache --no-watchman``
  (builds the haste map from scratch and prints its collisions), installed
  from npm into the test cache;
* prgate, three ways:
  - a worker's job: the engine in-process on the commit read from the object
    store, as the worker reads it (``GitCommitView``: no worktree) — what
    gates a pull request;
  - the engine in-process on the work tree, as ``prgate check`` reads it
    (tracked plus untracked-not-ignored: git walks every folder);
  - ``prgate check --only jest-collision`` as a user runs it (a new process,
    interpreter start-up and imports included);
* two floors measured on the same tree, so the ratios can be read: the
  interpreter starting with nothing imported, and ``git ls-files --others``
  (the folder walk any work-tree listing pays, Jest's crawl included);

and the ratio against the target (prgate at least 20x faster). All must
report the same (kind, name, files), so none wins by doing less. The run goes
in ``--repeat`` rounds, each running every contender once, so a slow stretch
of the machine slows them all; each timing is the median of its rounds, and
the ratio to the target is also given round by round. The in-process runs are
warmed up once first, as a long-lived worker is.

    python3 dev.py bench jest_collision [--files 20000] [--packages 2000] [--repeat 5] [--jest 30]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.contamination import GIT_ENV, timed  # noqa: E402

COLLIDING = 20  # generator packages in the template, each repeated by the smoke example
MOCK_PAIRS = 5


def generate(dest: Path, files: int, packages: int, jest: int) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    root_pkg = {
        "name": "bench-monorepo",
        "private": True,
        "devDependencies": {"jest": f"^{jest}.0.0"},
        "jest": {"testPathIgnorePatterns": ["/node_modules/", "<rootDir>/apps/"]},
    }
    (dest / "package.json").write_text(json.dumps(root_pkg, indent=2) + "\n")
    (dest / "copier.yml").write_text("_subdirectory: templates\nproject_slug: {type: str}\n")
    written = 2
    template = dest / "templates" / "{{project_slug}}" / "generators"
    smoke = dest / "apps" / "copier-smoke-example"
    smoke.mkdir(parents=True)
    (smoke / ".copier-answers.yml").write_text("_src_path: ../..\nproject_slug: smoke\n")
    written += 1
    folders = [template / f"g{i:02d}" for i in range(COLLIDING)]
    folders += [smoke / "generators" / f"g{i:02d}" for i in range(COLLIDING)]
    folders += [dest / "packages" / f"pkg{i:04d}" for i in range(packages - 2 * COLLIDING - 1)]
    per_folder = max((files - written) // len(folders), 1)
    for n, folder in enumerate(folders):
        name = f"@bench/gen-{n % COLLIDING:02d}" if n < 2 * COLLIDING else f"@bench/{folder.name}"
        (folder / "src" / "lib").mkdir(parents=True)
        (folder / "__tests__").mkdir()
        (folder / "package.json").write_text(json.dumps({"name": name, "version": "1.0.0"}) + "\n")
        written += 1
        for i in range(per_folder - 1):
            if i == 0:
                path = folder / "__tests__" / "index.test.js"
            elif n < 2 * MOCK_PAIRS and i == 1:
                (folder / "__mocks__").mkdir()
                path = folder / "__mocks__" / f"mocked-{n % MOCK_PAIRS}.js"
            else:
                path = folder / "src" / ("lib" if i % 2 else "") / f"m{i:02d}.ts"
            path.write_text(f"export const v{i} = {n * 100 + i};\n")
            written += 1
    for i in range(files - written):  # top up to the exact file count
        (dest / "docs").mkdir(exist_ok=True)
        (dest / "docs" / f"page{i:04d}.md").write_text("docs\n")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=dest, check=True, env=GIT_ENV)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True, env=GIT_ENV)
    subprocess.run(["git", "commit", "-q", "-m", "bench"], cwd=dest, check=True, env=GIT_ENV)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--packages", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jest", type=int, choices=(29, 30), default=30)
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / ".work" / "jest_collision")
    args = parser.parse_args()

    from bench.machine import StealMeter
    from tests.support.jest_oracle import jest_bin, prgate_reports, run_jest
    from workers.engine.config import RepoConfig
    from workers.engine.runner import check_repository
    from workers.engine.views import GitCommitView, RepoView, open_view

    print(f"generating {args.files} files in {args.work} ...", flush=True)
    generate(args.work, args.files, args.packages, args.jest)
    listed = subprocess.run(["git", "ls-files"], cwd=args.work, capture_output=True, check=True)
    names = listed.stdout.decode().splitlines()
    n_pkg = sum(1 for n in names if n.endswith("package.json"))
    print(f"tree: {len(names)} files, {n_pkg} package.json")

    binary = jest_bin(args.jest)
    jest = run_jest(args.jest, args.work)
    steal = StealMeter()
    config = RepoConfig()
    prgate = [str(Path(sys.executable).parent / "prgate"), "check", ".", "--only", "jest-collision"]
    commands = {
        "jest": ["node", str(binary), "--listTests", "--no-cache", "--no-watchman"],
        "cli": [*prgate, "--format", "json"],
        "start": [sys.executable, "-c", "pass"],
        "walk": ["git", "ls-files", "-z", "--others", "--exclude-standard"],
    }
    views: dict[str, Callable[[], RepoView]] = {
        "worker": lambda: GitCommitView(args.work, "HEAD"),
        "tree": lambda: open_view(args.work),
    }
    # warm, as a worker is
    reports = {
        name: check_repository(make(), config, only=["jest-collision"])
        for name, make in views.items()
    }
    times: dict[str, list[float]] = {name: [] for name in [*commands, *views]}
    doc: dict[str, Any] = {}
    for _ in range(args.repeat):  # rounds: every contender once per round, so a slow
        for name, cmd in commands.items():  # stretch of the machine hits all of them
            took, proc = timed(cmd, args.work, 1)
            times[name].append(took)
            if name == "cli":
                doc = json.loads(proc.stdout)
        for name, make in views.items():
            start = time.perf_counter()
            reports[name] = check_repository(make(), config, only=["jest-collision"])
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}
    jest_time, worker_time = median["jest"], median["worker"]
    ratios = sorted(j / w for j, w in zip(times["jest"], times["worker"], strict=True))
    report, by_worker = reports["tree"], reports["worker"]

    ours = prgate_reports(report.findings)
    assert report.results[0].error is None, report.results[0].error
    assert ours == jest.reports, f"prgate and Jest disagree:\n{ours ^ jest.reports}"
    assert prgate_reports(by_worker.findings) == ours, "the worker's view disagrees"
    assert len(doc["findings"]) == len(report.findings)
    kinds = {k: sum(1 for r in ours if r[0] == k) for k in ("haste-module", "duplicate-mock")}

    print()
    print(
        f"both report {kinds['haste-module']} haste collisions and "
        f"{kinds['duplicate-mock']} duplicate mocks: identical"
    )
    rows = [
        ("worker job: engine on the commit", worker_time),
        ("engine in-process, work tree", median["tree"]),
        ("prgate check (new process)", median["cli"]),
    ]
    print(f"{args.repeat} rounds; each timing is the median of its rounds")
    print(f"baseline jest {args.jest} --listTests --no-cache        {jest_time * 1000:8.1f} ms")
    for label, took in rows:
        print(f"prgate   {label:39s}{took * 1000:8.1f} ms   jest / prgate {jest_time / took:5.1f}x")
    print(f"floors   python -c pass                        {median['start'] * 1000:8.1f} ms")
    print(f"         git ls-files --others (folder walk)   {median['walk'] * 1000:8.1f} ms")
    print(
        f"per round, jest / worker job: lowest {ratios[0]:.1f}x, "
        f"median {statistics.median(ratios):.1f}x, highest {ratios[-1]:.1f}x"
    )
    verdict = "met" if jest_time / worker_time >= 20 else "NOT met"
    print(f"target   jest / worker job >= 20x: {verdict}")
    print(steal.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
