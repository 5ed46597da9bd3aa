"""Render mode's sandbox: killing the parent takes the whole sandbox and its scratch files
with it, and a render reads a source the sandbox's user can read."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import check, needs_sandbox

Repo = Callable[..., Path]


# --- 3. Killing the parent takes the whole sandbox with it, and its scratch files ---------


def _with_marker(marker: str) -> list[int]:
    """PIDs whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(entry.name))
    return found


def _wait_for(condition: Callable[[], object], seconds: float) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


@needs_sandbox
@pytest.mark.parametrize("how", ["SIGKILL", "job-timeout"])
def test_killing_the_parent_kills_the_sandbox_and_removes_its_scratch(
    repo: Repo, tmp_path: Path, how: str
) -> None:
    import signal
    import subprocess
    import sys

    marker = f"sleep {4000 + os.getpid() % 1000 + (500 if how == 'SIGKILL' else 0)}"
    template = repo(
        {
            "copier.yml": "_subdirectory: t\n"
            f'_tasks:\n  - ["sh", "-c", "{marker} & {marker} & {marker}"]\n',
            "t/README.md": "x\n",
        }
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PRGATE_RENDER_TIMEOUT": "120"}
    exe = Path(sys.executable).parent / "prgate"
    argv = [str(exe), "check", "--render", "--only", "hook-validation", str(template)]
    if how == "job-timeout":  # RQ's death penalty: a signal handler raises inside the job
        argv = [
            sys.executable,
            "-c",
            "import signal, sys\n"
            "def timeout(*_): raise TimeoutError('job timeout')\n"
            "signal.signal(signal.SIGUSR1, timeout)\n"
            "from workers.cli import main\n"
            f"sys.argv = {argv!r}\nmain()\n",
        ]
    parent = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert _wait_for(lambda: len(_with_marker(marker)) >= 3, 60), "the task never started"
        assert any(scratch.iterdir()), "the render made no scratch folder"
    finally:
        parent.send_signal(signal.SIGKILL if how == "SIGKILL" else signal.SIGUSR1)
        parent.wait(30)
    assert _wait_for(lambda: not _with_marker(marker), 1.5), "sandbox processes outlived it"
    assert _wait_for(lambda: not any(scratch.iterdir()), 2), list(scratch.iterdir())


def test_killing_the_parent_kills_a_render_without_the_sandbox(repo: Repo, tmp_path: Path) -> None:
    """Without the OS sandbox the render is a plain child process: it dies with its parent."""
    import signal
    import subprocess
    import sys

    loop = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    template = repo({"copier.yml": "_subdirectory: t\n", "t/slow.txt.jinja": loop})
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PRGATE_SANDBOX": "off"}
    exe = Path(sys.executable).parent / "prgate"
    argv = [str(exe), "check", "--render", "--only", "hook-validation", str(template)]
    parent = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # the render's copy of the template is there
    marker = f"workers.checks.hook_validation.render_child {scratch}/"
    try:
        assert _wait_for(lambda: _with_marker(marker), 60), "the render never started"
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    assert _wait_for(lambda: not _with_marker(marker), 1.5), "the render outlived its parent"
    assert _wait_for(lambda: not any(scratch.iterdir()), 2), list(scratch.iterdir())


# --- 4. Render mode reads a source the sandbox's user can read ---------------------------


def _private_partial_clone(repo: Repo, tmp_path: Path, files: dict[str, str]) -> Path:
    """A worker's checkout: a worktree of a blob-less partial clone, whose ``.promisor``
    files git writes readable by their owner alone."""
    from tests.conftest import git

    origin = repo(files)
    git(origin, "config", "uploadpack.allowFilter", "true")
    cache = tmp_path / "cache.git"
    git(tmp_path, "clone", "-q", "--bare", "--filter=blob:none", origin.as_uri(), str(cache))
    sha = git(cache, "rev-parse", "HEAD").strip()
    tree = tmp_path / "checkout"
    git(cache, "worktree", "add", "-q", "--detach", str(tree), sha)
    promisors = list(cache.rglob("*.promisor"))
    assert promisors, "not a partial clone"
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in promisors), "as git writes them"
    return tree


RENDERABLE = {
    "copier.yml": "_subdirectory: t\nname: {type: str, default: demo}\n"
    '_tasks:\n  - ["touch", "task-ran"]\n',
    "t/README.md.jinja": "# {{ name }}\n",
}


@needs_sandbox
def test_render_reads_a_private_partial_clone_in_the_sandbox(repo: Repo, tmp_path: Path) -> None:
    from workers.engine.config import parse_config
    from workers.engine.runner import check_repository
    from workers.engine.views import CheckoutView

    tree = _private_partial_clone(repo, tmp_path, RENDERABLE)
    config = parse_config("hook-validation:\n  render: true\n")
    [result] = check_repository(CheckoutView(tree), config, only=["hook-validation"]).results
    assert result.error is None and result.findings == [], result
    assert any("rendered in the sandbox" in n.message for n in result.notes), result.notes


@needs_sandbox
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run prgate as another user")
def test_render_as_an_unprivileged_user() -> None:
    """The same checkout, owned by and checked as an ordinary user (a user namespace)."""
    import shutil
    import subprocess
    import sys
    import tempfile

    from tests.conftest import make_repo

    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("util-linux setpriv is not installed")
    probe = [
        setpriv,
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
        sys.executable,
        "-c",
        "import tarfile; tarfile.data_filter",
    ]
    if subprocess.run(probe, capture_output=True, cwd="/").returncode != 0:
        pytest.skip(
            f"another user cannot run this Python ({sys.executable}: its standard "
            "library is not readable to them)"
        )
    base = Path(tempfile.mkdtemp(prefix="prgate-test-user-", dir="/tmp"))
    try:
        base.chmod(0o755)  # pytest's own temp folders are root's alone
        counter = iter(range(10))
        tree = _private_partial_clone(
            lambda files: make_repo(base / f"repo{next(counter)}", files), base, RENDERABLE
        )
        scratch = base / "tmp"
        scratch.mkdir()
        (base / "prgate.yml").write_text("hook-validation:\n  render: true\n")
        for path in [base, *base.rglob("*")]:
            os.lchown(path, 65534, 65534)
        exe = Path(sys.executable).parent / "prgate"
        argv = [
            setpriv,
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            str(exe),
            "check",
            "--only",
            "hook-validation",
            "--format",
            "json",
            "--config",
            str(base / "prgate.yml"),
            str(tree),
        ]
        env = {**os.environ, "HOME": str(scratch), "TMPDIR": str(scratch)}
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert doc["findings"] == [], doc
    notes = doc["checks"]["hook-validation"]["notes"]
    assert any("rendered in the sandbox" in n["message"] for n in notes), notes


@needs_sandbox
def test_render_of_a_template_with_a_submodule_notes_it(repo: Repo, tmp_path: Path) -> None:
    """Copier would clone the submodule, which needs the network: it is left out, with a note."""
    from tests.conftest import git
    from workers.engine.config import parse_config

    other = repo({"lib.txt": "x\n"})
    sha = git(other, "rev-parse", "HEAD").strip()
    path = repo(
        {**RENDERABLE, ".gitmodules": f'[submodule "t/lib"]\n\tpath = t/lib\n\turl = {other}\n'},
        commit=False,
    )
    git(path, "add", "-A")
    git(path, "update-index", "--add", "--cacheinfo", f"160000,{sha},t/lib")
    git(path, "commit", "-q", "-m", "with a submodule")
    config = parse_config("hook-validation:\n  render: true\n")
    [result] = check(path, config, only=("hook-validation",)).results
    assert result.error is None and result.findings == [], result
    assert any(n.path == "t/lib" and "submodule" in n.message for n in result.notes), result


@needs_sandbox
def test_a_render_that_needs_a_submodule_prgate_left_out_is_could_not_run(
    repo: Repo, tmp_path: Path
) -> None:
    """Seen on a real template: part of it is a git submodule its Jinja includes. Copier
    clones it for its users; prgate does not, so the failed render is prgate's could-not-run,
    never render-failed on the template."""
    from tests.conftest import git
    from workers.engine.config import parse_config

    other = repo({"part.txt": "from the submodule\n"})
    sha = git(other, "rev-parse", "HEAD").strip()
    files = {
        "copier.yml": "_subdirectory: t\nname: {type: str, default: demo}\n",
        "t/README.md.jinja": "# {{ name }}\n{% include 'lib/part.txt' %}\n",
        ".gitmodules": f'[submodule "t/lib"]\n\tpath = t/lib\n\turl = {other}\n',
    }
    path = repo(files, commit=False)
    git(path, "add", "-A")
    git(path, "update-index", "--add", "--cacheinfo", f"160000,{sha},t/lib")
    git(path, "commit", "-q", "-m", "with a submodule")
    config = parse_config("hook-validation:\n  render: true\n")
    report = check(path, config, only=("hook-validation",))
    [result] = report.results
    assert not any(f.rule.endswith("render-failed") for f in result.findings), result.findings
    assert result.error is not None and "git submodules (t/lib)" in result.error
    assert "TemplateNotFound" in result.error or "part.txt" in result.error, result.error
    assert report.exit_code == 2


@needs_sandbox
def test_a_task_that_kills_everything_is_reported_with_a_reason(repo: Repo) -> None:
    from workers.engine.config import parse_config

    files = {
        **RENDERABLE,
        "copier.yml": RENDERABLE["copier.yml"].replace(
            '["touch", "task-ran"]', '["sh", "-c", "kill -9 -1"]'
        ),
    }
    config = parse_config("hook-validation:\n  render: true\n")
    report = check(repo(files), config, only=("hook-validation",))
    [failed] = [f for f in report.findings if f.rule.endswith("render-failed")]
    assert "the render crashed: it was killed by SIGKILL" in failed.message, failed.message
