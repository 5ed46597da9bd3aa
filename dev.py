#!/usr/bin/env python3
"""Bootstrap and run prgate from a fresh clone, with nothing but Python 3.11+ and git.

    python3 dev.py run [PRGATE ARGS...]   # run prgate (default: `prgate serve`, the App)
    python3 dev.py test [PYTEST ARGS...]  # ruff, mypy and the whole pytest suite
    python3 dev.py bench NAME             # run bench/NAME.py
    python3 dev.py docs                   # regenerate the README's configuration reference

Each command first makes sure its virtual environment exists and holds exactly
what `pyproject.toml` and `constraints.txt` ask for; it reinstalls only when one
of them changed. `run` of a checker command (`check`, `config`, `baseline`,
`pre-commit`) uses `.venv-check/`, which holds the checker alone (and Copier, once
`--render` asks for it); everything else uses `.venv/`, which holds the App, the
tests and the benches. Standard library only: this file runs before anything is
installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PRGATE_VENV", ROOT / ".venv"))
CHECK_VENV = Path(os.environ.get("PRGATE_CHECK_VENV", ROOT / ".venv-check"))
EXTRAS = "app,dev,bench,v8"  # one environment for the App, the tests and the benches
CHECKER = ("check", "config", "baseline", "pre-commit")  # commands that need no App
DEFAULT_RUN_ARGS = ["serve"]


def _python(env: Path) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin") / "python"


def _fingerprint(extras: str) -> str:
    digest = hashlib.sha256(extras.encode())
    for name in ("pyproject.toml", "constraints.txt"):
        path = ROOT / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_env(extras: str, env: Path = VENV) -> Path:
    """Create or update the virtual environment ``env`` with prgate[extras]; its python."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs before the venv exists
        sys.exit(f"prgate needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    stamp = env / ".prgate-installed"
    wanted = _fingerprint(extras)
    python = _python(env)
    # an environment that has the render extra serves a plain check too
    enough = {wanted, _fingerprint("render")} if extras == "" else {wanted}
    if stamp.exists() and stamp.read_text() in enough and python.exists():
        return python
    if not python.exists():
        print(f"dev.py: creating {env}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(env)
    what = f"prgate[{extras}]" if extras else "prgate"
    print(f"dev.py: installing {what} into {env}", file=sys.stderr)
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    cmd = [*pip, "install", "-e", f"{ROOT}[{extras}]" if extras else str(ROOT)]
    if (ROOT / "constraints.txt").exists():
        cmd += ["-c", str(ROOT / "constraints.txt")]
    subprocess.run(cmd, check=True)
    stamp.write_text(wanted)
    return python


def _run(cmd: list[str]) -> int:
    return subprocess.run(cmd, cwd=ROOT).returncode


def cmd_test(args: list[str]) -> int:
    py = str(ensure_env(EXTRAS))
    steps = [
        [py, "-m", "ruff", "check", "."],
        [py, "-m", "ruff", "format", "--check", "."],
        [py, "-m", "mypy"],
        [str(Path(py).parent / "lint-imports"), "--no-cache"],  # the layering contracts
    ]
    for step in steps:
        print("dev.py: $", " ".join(step[1:]), file=sys.stderr, flush=True)
        if _run(step) != 0:
            return 1
    workers = "2" if os.environ.get("CI") else "auto"
    return _run([py, "-m", "pytest", "-n", workers, *args])


def cmd_run(args: list[str]) -> int:
    args = args or DEFAULT_RUN_ARGS
    if args[0] in CHECKER:
        # the checker alone; Copier only when a render is asked for on the command line
        # (a repository's `render: true` without it makes hook-validation could-not-run,
        # naming the extra)
        py = ensure_env("render" if "--render" in args else "", CHECK_VENV)
    else:
        py = ensure_env(EXTRAS)
    prgate = py.parent / "prgate"
    return subprocess.run([str(prgate), *args]).returncode


def cmd_bench(args: list[str]) -> int:
    if not args:
        print("usage: python3 dev.py bench NAME [ARGS...]", file=sys.stderr)
        return 2
    py = str(ensure_env(EXTRAS))
    return _run([py, str(ROOT / "bench" / f"{args[0]}.py"), *args[1:]])


def cmd_docs(args: list[str]) -> int:
    py = str(ensure_env(EXTRAS))
    return _run([py, "-m", "workers.reference", *args])


def main(argv: list[str]) -> int:
    commands = {"test": cmd_test, "run": cmd_run, "bench": cmd_bench, "docs": cmd_docs}
    if not argv or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
