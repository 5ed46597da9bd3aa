"""Benchmark: how long ``prgate check`` takes to start, against the interpreter's floor.

    python3 dev.py bench startup [--rounds N] [--against REV] [--monorepo DIR --jest JEST_JS]

In interleaved rounds, on a one-file repository: ``python -c pass`` (the floor,
the same interpreter) and ``prgate check --only jest-collision`` as a user runs
it (the console script). Prints the medians, prgate's time above the floor, and
the ten slowest imports of that command (``python -X importtime``, cumulative). Then
``prgate check`` with every check against every check but nx-generators, on the same
repository (which has no Nx generator), and the ratio: what that check costs there.

With ``--against REV`` it also times ``prgate check`` (every check) from this work tree
against the same command from the commit REV (its files exported beside, run by the same
interpreter and packages), in interleaved rounds, and prints the ratio: a start-up regression
since REV shows as a ratio above 1.

With ``--monorepo DIR --jest JEST_JS`` it also times, in interleaved rounds,
real Jest (``node JEST_JS --listTests --no-cache --no-watchman`` in DIR, which
builds the haste map cold) against ``prgate check --only jest-collision DIR``,
and prints the ratio. DIR must be a checkout whose Jest config loads (its
node_modules installed or linked).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from workers.shared.names import CHECK_NAMES

PYTHON = Path(sys.executable)
PRGATE = PYTHON.parent / "prgate"
JEST_ARGS = ("--listTests", "--no-cache", "--no-watchman")
# As a user runs it: an installed package has its bytecode, so nothing is compiled per run
# (an editable checkout writes it on the warm-up run). PYTHONDONTWRITEBYTECODE, set on some
# machines, would make every round compile prgate's sources afresh.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(cmd: Sequence[str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # 1: findings; anything else did not run
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return elapsed


def _rounds(commands: dict[str, tuple[Sequence[str], Path | None]], n: int) -> dict[str, float]:
    """Median seconds per command, the commands taking turns (one warm-up each first)."""
    for cmd, cwd in commands.values():
        _time(cmd, cwd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(n):
        for name, (cmd, cwd) in commands.items():
            times[name].append(_time(cmd, cwd))
    return {name: statistics.median(ts) for name, ts in times.items()}


def _one_file_repo(root: Path) -> Path:
    repo = root / "one"
    repo.mkdir()
    (repo / "package.json").write_text('{"name": "one", "devDependencies": {"jest": "30"}}\n')
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.org",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.org",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env)
    return repo


def _slowest_imports(repo: Path, count: int = 10) -> list[tuple[int, str]]:
    proc = subprocess.run(
        [
            str(PYTHON),
            "-X",
            "importtime",
            "-m",
            "workers.cli",
            "check",
            "--only",
            "jest-collision",
            str(repo),
        ],
        capture_output=True,
        text=True,
        env=ENV,
    )
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    top_level = [(us, name) for us, name in rows if not name.startswith("   ")]
    return sorted(top_level, reverse=True)[:count]


def _against(rev: str, repo: Path, tmp: Path, rounds: int) -> None:
    """``prgate check`` from this tree against the same from ``rev``, as ``python -m``."""
    here = Path(__file__).resolve().parent.parent
    base = tmp / "base"
    base.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(here), "archive", rev, "bot", "workers"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
    command = [str(PYTHON), "-m", "workers.cli", "check", str(repo)]
    medians = _rounds(
        {
            f"prgate check at {rev}": (["env", f"PYTHONPATH={base}", *command], None),
            "prgate check, this tree": (["env", f"PYTHONPATH={here}", *command], None),
        },
        rounds,
    )
    before, now = medians.values()
    print(f"\nevery check, this tree against {rev}, medians")
    for name, seconds in medians.items():
        print(f"  {name:40} {seconds * 1000:7.1f} ms")
    print(f"  this tree / {rev}:{' ' * max(1, 27 - len(rev))}{now / before:7.3f}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--against", metavar="REV", help="a commit to compare start-up with")
    parser.add_argument("--monorepo", type=Path)
    parser.add_argument("--jest", type=Path, help="jest/bin/jest.js of the Jest to compare")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="prgate-startup-") as tmp:
        repo = _one_file_repo(Path(tmp))
        medians = _rounds(
            {
                "python -c pass": ([str(PYTHON), "-c", "pass"], None),
                "prgate check --only jest-collision": (
                    [str(PRGATE), "check", "--only", "jest-collision", str(repo)],
                    None,
                ),
            },
            args.rounds,
        )
        floor, prgate = medians.values()
        print(f"one-file repository, {args.rounds} interleaved rounds, medians")
        for name, seconds in medians.items():
            print(f"  {name:40} {seconds * 1000:7.1f} ms")
        print(f"  prgate above the interpreter floor:      {(prgate - floor) * 1000:7.1f} ms")
        # what nx-generators costs a repository without Nx generators: every check, against
        # every check but it, in the same interleaved rounds
        others = [a for c in CHECK_NAMES if c != "nx-generators" for a in ("--only", c)]
        pair = _rounds(
            {
                "prgate check, all but nx-generators": (
                    [str(PRGATE), "check", *others, str(repo)],
                    None,
                ),
                "prgate check, every check": ([str(PRGATE), "check", str(repo)], None),
            },
            args.rounds,
        )
        without, with_nx = pair.values()
        print("\nno Nx generators in the repository, medians")
        for name, seconds in pair.items():
            print(f"  {name:40} {seconds * 1000:7.1f} ms")
        print(f"  every check / all but nx-generators:     {with_nx / without:7.3f}")
        if args.against:
            _against(args.against, repo, Path(tmp), args.rounds)
        print("\nslowest top-level imports (cumulative, python -X importtime)")
        for us, name in _slowest_imports(repo):
            print(f"  {us / 1000:7.1f} ms  {name.strip()}")
    if args.monorepo is not None:
        if args.jest is None:
            parser.error("--monorepo needs --jest")
        env_free = ["env", "-u", "NODE_OPTIONS", "-u", "CI"]
        medians = _rounds(
            {
                "real Jest --listTests --no-cache": (
                    [*env_free, "node", str(args.jest), *JEST_ARGS],
                    args.monorepo,
                ),
                "prgate check --only jest-collision": (
                    [str(PRGATE), "check", "--only", "jest-collision", str(args.monorepo)],
                    None,
                ),
            },
            max(3, args.rounds // 3),
        )
        jest, prgate = medians.values()
        files = subprocess.run(
            ["git", "-C", str(args.monorepo), "ls-files"], capture_output=True, text=True
        ).stdout.count("\n")
        print(f"\n{args.monorepo} ({files} files), medians")
        for name, seconds in medians.items():
            print(f"  {name:40} {seconds * 1000:7.1f} ms")
        print(f"  prgate is {jest / prgate:.1f}x faster than real Jest")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
