"""Benchmark: the contamination check on a generated 50k-file monorepo.

Prints, from one run on one tree:

* the floor: ``git ls-files`` (listing the index, reading no content);
* prgate: ``prgate check --only contamination`` as a user runs it (a new
  process each time, interpreter start-up included), and the engine alone
  (in-process ``check_repository``, what a worker pays per job);
* the peer: ``detect-secrets scan`` on the same tree.

and the ratios against the targets (prgate within 3x of the floor, at least
10x faster than the peer). Each prgate and floor timing is the median of
``--repeat`` runs; the peer runs once (it takes minutes). Both tools must find
the secrets planted in the tree, so neither wins by doing nothing.

    python3 dev.py bench contamination [--files 50000] [--repeat 5] [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import string
import subprocess
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@prgate.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@prgate.invalid",
}
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "theta",
    "kappa",
    "lambda",
    "sigma",
    "omega",
]


def _token(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _github_token(rng: random.Random, alnum: str) -> str:
    """A token in GitHub's format: 30 random characters, then their CRC32 in base62."""
    body = _token(rng, alnum, 30)
    number, digits = zlib.crc32(body.encode()), ""
    for _ in range(6):
        number, digit = divmod(number, 62)
        digits = (string.digits + string.ascii_uppercase + string.ascii_lowercase)[digit] + digits
    return "gh" + "p_" + body + digits


def generate(dest: Path, files: int, seed: int = 7) -> dict[str, int]:
    """A JS/TS monorepo with Copier templates; returns the planted secrets' count by kind."""
    rng = random.Random(seed)
    alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    per_package = 100
    packages = files // per_package
    planted = {"github": 0, "aws": 0}
    written = 0
    for p in range(packages):
        kind = "templates" if p % 10 == 0 else "packages"
        base = dest / kind / f"pkg{p:04d}"
        if kind == "templates":
            (base).mkdir(parents=True)
            (base / "copier.yml").write_text("_subdirectory: template\nname:\n  type: str\n")
            base = base / "template" / "{{name}}"
        for i in range(per_package - (1 if kind == "templates" else 0)):
            sub = base / "src" / WORDS[i % len(WORDS)]
            sub.mkdir(parents=True, exist_ok=True)
            lines = [
                f"export const {WORDS[(i + j) % len(WORDS)]}{j} = {rng.randint(0, 10**6)};"
                for j in range(rng.randint(5, 60))
            ]
            if i == 0 and p % 50 == 3:
                lines.append(f"const token = '{_github_token(rng, alnum)}';")
                planted["github"] += 1
            if i == 1 and p % 50 == 7:
                lines.append(f"const key = '{'AK' + 'IA' + _token(rng, alnum.upper()[26:], 16)}';")
                planted["aws"] += 1
            (sub / f"file{i:03d}.ts").write_text("\n".join(lines) + "\n")
            written += 1
    (dest / "templates" / "pkg0000" / "template" / "{{name}}" / ".env").write_text("A=1\n")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=dest, check=True, env=GIT_ENV)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True, env=GIT_ENV)
    subprocess.run(
        ["git", "-c", "gc.auto=0", "commit", "-q", "-m", "bench"], cwd=dest, check=True, env=GIT_ENV
    )
    subprocess.run(["git", "gc", "-q"], cwd=dest, check=True, env=GIT_ENV)
    return planted


def timed(
    cmd: list[str], cwd: Path, repeat: int
) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    times = []
    proc = None
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, env=GIT_ENV)
        times.append(time.perf_counter() - start)
    assert proc is not None
    return statistics.median(times), proc


def in_process(tree: Path, repeat: int, rev: str | None = None) -> float:
    from workers.engine.config import RepoConfig
    from workers.engine.runner import check_repository
    from workers.engine.views import open_view

    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        check_repository(open_view(tree, rev=rev), RepoConfig(), only=["contamination"])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-peer", action="store_true", help="skip detect-secrets (minutes)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / ".work" / "contamination")
    args = parser.parse_args()

    print(f"generating {args.files} files in {args.work} ...", flush=True)
    planted = generate(args.work, args.files)
    listed = subprocess.run(["git", "ls-files"], cwd=args.work, capture_output=True, check=True)
    n_files = len(listed.stdout.splitlines())
    print(f"tree: {n_files} files, planted secrets: {planted}")

    from bench.machine import StealMeter

    steal = StealMeter()
    bindir = Path(sys.executable).parent
    floor, _ = timed(["git", "ls-files"], args.work, args.repeat)
    floor_co, _ = timed(["git", "ls-files", "-co", "--exclude-standard"], args.work, args.repeat)
    cmd = [str(bindir / "prgate"), "check", ".", "--only", "contamination", "--format", "json"]
    prgate, proc = timed(cmd, args.work, args.repeat)
    doc = json.loads(proc.stdout)
    found = [f for f in doc["findings"] if f["rule"] == "contamination/secret"]
    expected = sum(planted.values())
    assert len(found) == expected, f"prgate found {len(found)} secrets, planted {expected}"
    engine = in_process(args.work, args.repeat)
    engine_commit = in_process(args.work, args.repeat, rev="HEAD")
    from workers.checks.contamination.secrets import NEEDLES

    needles = [arg for n in NEEDLES for arg in ("-e", n)]
    content, _ = timed(["git", "grep", "-I", "-F", "-n", *needles], args.work, args.repeat)

    print()
    print(f"floor   git ls-files                      {floor * 1000:9.1f} ms")
    print(f"        git ls-files -co --exclude-std    {floor_co * 1000:9.1f} ms")
    print(f"prgate  prgate check (new process)        {prgate * 1000:9.1f} ms")
    print(f"        engine in-process, work tree      {engine * 1000:9.1f} ms")
    print(f"        engine in-process, commit (HEAD)  {engine_commit * 1000:9.1f} ms")
    print(f"content git grep of prgate's needles      {content * 1000:9.1f} ms  (C, no parsing)")
    print(f"ratio   prgate / git ls-files             {prgate / floor:9.2f}x  (target <= 3x)")
    print(f"        engine / git ls-files             {engine / floor:9.2f}x")
    print(f"        prgate / git ls-files -co         {prgate / floor_co:9.2f}x")
    print(f"        engine / git grep (content floor) {engine / content:9.2f}x")
    print(steal.report())

    if not args.no_peer:
        peer_bin = bindir / "detect-secrets"
        start = time.perf_counter()
        peer = subprocess.run(
            [str(peer_bin), "scan"], cwd=args.work, capture_output=True, env=GIT_ENV
        )
        peer_time = time.perf_counter() - start
        results = json.loads(peer.stdout)["results"]
        peer_found = sum(
            1
            for items in results.values()
            for r in items
            if r["type"] in ("GitHub Token", "AWS Access Key")
        )
        print(
            f"peer    detect-secrets scan               {peer_time * 1000:9.1f} ms"
            f"  (found {peer_found} of the {expected} planted token secrets)"
        )
        print(
            f"ratio   detect-secrets / prgate           {peer_time / prgate:9.1f}x  (target >= 10x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
