"""Benchmark: QuickJS against V8 for evaluating Jest configs, on the real-world corpus.

    python3 dev.py bench js_engines --mirrors /work/.mirror [--rounds N]

Each repository of ``bench/real_world.toml`` is cloned from its mirror at its pinned
commit, and the jest-collision check runs on it with ``PRGATE_JS_ENGINE=quickjs`` and
``=v8`` in turns. Prints, per repository, whether the two gave the same result (findings,
notes, the reason a check could not run), and the median time of each; then the size each
engine's package takes installed. The engines are chosen by these figures
(``workers/checks/jest_collision/js_engine.py``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.real_world import _clone  # noqa: E402
from workers.engine.config import RepoConfig  # noqa: E402
from workers.engine.runner import check_repository  # noqa: E402
from workers.engine.views import open_view  # noqa: E402

ENGINES = ("quickjs", "v8")
PACKAGES = {"quickjs": "quickjs", "v8": "py_mini_racer"}


def _run(dest: Path, engine: str) -> tuple[object, float]:
    os.environ["PRGATE_JS_ENGINE"] = engine
    started = time.perf_counter()
    report = check_repository(open_view(dest), RepoConfig(), only=["jest-collision"])
    seconds = time.perf_counter() - started
    [result] = report.results
    verdict = (
        sorted((f.rule, f.path, f.fingerprint) for f in result.findings),
        result.error,
    )
    return verdict, seconds


def _size(module: str) -> float:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return float("nan")
    folder = Path(spec.origin).parent
    files = [p for p in folder.rglob("*") if p.is_file()]
    if folder.name == "site-packages":  # a single-file module: count just it
        files = [Path(spec.origin)]
    extra = list(folder.parent.glob(f"_{module}*.so")) if module == "quickjs" else []
    return sum(p.stat().st_size for p in [*files, *extra]) / 2**20


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--manifest", type=Path, default=ROOT / "bench" / "real_world.toml")
    args = parser.parse_args(argv)
    repos = tomllib.loads(args.manifest.read_text())["repo"]
    print(f"{'repository':44} {'same':>5} {'quickjs s':>10} {'v8 s':>8}")
    differ = 0
    with tempfile.TemporaryDirectory(prefix="prgate-js-engines-") as tmp:
        for repo in repos:
            mirror = args.mirrors / repo["name"].replace("/", "+") / "repo"
            if not mirror.exists():
                print(f"{repo['name']:44} skipped: no mirror")
                continue
            dest = Path(tmp) / repo["name"].replace("/", "+")
            _clone(mirror, repo["commit"], dest)
            verdicts: dict[str, object] = {}
            times: dict[str, list[float]] = {e: [] for e in ENGINES}
            for _ in range(args.rounds):
                for engine in ENGINES:
                    verdict, seconds = _run(dest, engine)
                    verdicts.setdefault(engine, verdict)
                    times[engine].append(seconds)
            same = verdicts["quickjs"] == verdicts["v8"]
            differ += not same
            cells = [statistics.median(times[e]) for e in ENGINES]
            same_text = "yes" if same else "NO"
            print(f"{repo['name']:44} {same_text:>5} {cells[0]:10.3f} {cells[1]:8.3f}")
    print("\ninstalled size (MiB):", ", ".join(f"{e} {_size(PACKAGES[e]):.1f}" for e in ENGINES))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
