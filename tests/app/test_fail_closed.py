"""Fail closed: a file a check needs but cannot read makes that check "could not run".

A hostile pull request must not switch a check off by padding a file past the
read limit, putting a FIFO where a file was, or writing bytes that do not
decode: the check then exits 2 (neutral in the App) naming the file, unless it
can prove the file does not matter. Files that are only searched for content
(the secret scan) are skipped with a note.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rq.job import Job
from rq.serializers import JSONSerializer

from tests.conftest import check, children, needs_sandbox, run_cli
from tests.support.worker_harness import RUNS, Harness

Repo = Callable[..., Path]

LIMIT = 2 * 1024 * 1024  # PRGATE_MAX_FILE_BYTES' default
PADDING = "x" * (LIMIT + 1024)


def _pkg(name: str, **extra: object) -> str:
    return json.dumps({"name": name, **extra}, indent=2) + "\n"


COLLISION = {
    "packages/a/package.json": _pkg("@acme/same"),
    "packages/b/package.json": _pkg("@acme/same"),
}
GOOD_TEMPLATE = {
    "copier.yml": "_subdirectory: template\n_tasks:\n  - ['python', 'hooks/check.py']\n",
    "template/README.md.jinja": "hello\n",
}


def test_a_padded_root_package_json_is_not_a_pass(repo: Repo) -> None:
    root = _pkg("root", devDependencies={"jest": "^29.7.0"}, description=PADDING)
    path = repo({"package.json": root, **COLLISION})
    report = check(path, only=("jest-collision",))
    [result] = report.results
    assert report.exit_code == 2, result
    assert result.error is not None and "package.json" in result.error
    assert "over the" in result.error and "limit" in result.error
    assert not any("Jest is not used here" in n.message for n in result.notes)
    cli = run_cli("check", str(path), "--only", "jest-collision")
    assert cli.code == 2, cli.stdout + cli.stderr


def test_a_padded_run_from_package_json_is_not_a_pass(repo: Repo) -> None:
    from workers.engine.config import config_from

    app = _pkg("app", jest={"roots": ["<rootDir>"]}, description=PADDING)
    path = repo({"app/package.json": app, "app/x/package.json": _pkg("x")})
    config = config_from({"jest-collision": {"run-from": ["app"]}})
    [result] = check(path, config, only=("jest-collision",)).results
    assert result.error is not None and "app/package.json" in result.error


def test_a_padded_package_json_jest_never_reads_does_not_matter(repo: Repo) -> None:
    """node_modules is never crawled: its size cannot change Jest's answer."""
    root = _pkg("root", devDependencies={"jest": "^29.7.0"})
    files = {"package.json": root, "src/x/package.json": _pkg("x")}
    path = repo(files)
    big = path / "node_modules" / "big" / "package.json"
    big.parent.mkdir(parents=True)
    big.write_text(_pkg("big", description=PADDING))
    [result] = check(path, only=("jest-collision",)).results
    assert result.error is None, result.error


def test_a_padded_copier_yml_is_not_a_pass(repo: Repo) -> None:
    padded = "# " + PADDING + "\n" + GOOD_TEMPLATE["copier.yml"]
    # the task runs a script that is not there: an error Copier's settings would show
    path = repo({**GOOD_TEMPLATE, "copier.yml": padded})
    report = check(path, only=("hook-validation",))
    [result] = report.results
    assert report.exit_code == 2
    assert result.error is not None and "copier.yml" in result.error
    assert "over the" in result.error
    assert not any("defaults were assumed" in n.message for n in result.notes)


def test_a_padded_copier_yml_stops_contamination_judging_its_template(repo: Repo) -> None:
    padded = "# " + PADDING + "\n_subdirectory: template\n"
    path = repo({"copier.yml": padded, "template/x.txt": "x\n", "notes.orig": "y\n"})
    [result] = check(path, only=("contamination",)).results
    assert result.error is not None and "copier.yml" in result.error


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe_subdirectory: t\x00\x01\n", b"_tasks: [unclosed\n"],
    ids=["binary", "not-yaml"],
)
def test_an_undecodable_copier_yml_is_not_a_pass(repo: Repo, content: bytes) -> None:
    path = repo({"copier.yml": content, "template/x.txt": "x\n"})
    report = check(path, only=("hook-validation",))
    [result] = report.results
    assert report.exit_code == 2
    assert result.error is not None and "copier.yml" in result.error


def test_a_fifo_in_place_of_copier_yml_is_not_a_pass(repo: Repo) -> None:
    path = repo(GOOD_TEMPLATE)
    (path / "copier.yml").unlink()
    os.mkfifo(path / "copier.yml")  # git still lists it: the index says a file is there
    report = check(path, only=("hook-validation",))
    [result] = report.results
    assert report.exit_code == 2
    assert result.error is not None and "copier.yml" in result.error
    assert "not a regular file" in result.error


def test_a_padded_hook_script_is_not_a_pass(repo: Repo) -> None:
    hook = "import sys\n# " + PADDING + "\nif len(sys.argv) < 2:\n    sys.exit(0)\n"
    files = {
        "copier.yml": "_subdirectory: template\n"
        "_tasks:\n  - ['python', '{{ _copier_conf.src_path }}/hooks/check.py', '{{ name }}']\n"
        "name: {type: str, default: x}\n",
        "template/README.md": "x\n",
        "hooks/check.py": hook,
    }
    path = repo(files)
    report = check(path, only=("hook-validation",))
    [result] = report.results
    assert report.exit_code == 2
    assert result.error is not None and "hooks/check.py" in result.error


def test_an_oversize_file_is_still_only_a_note_for_the_secret_scan(repo: Repo) -> None:
    path = repo({"big.txt": PADDING, "README.md": "x\n"})
    [result] = check(path, only=("contamination",)).results
    assert result.error is None
    assert any(n.path == "big.txt" and "not scanned" in n.message for n in result.notes)


def test_a_padded_root_package_json_beside_a_jest_config_is_not_a_pass(repo: Repo) -> None:
    """Jest never crawls it here, but Jest's version is read from it: unknown, so no prediction."""
    root = _pkg("root", devDependencies={"jest": "^29.7.0"}, description=PADDING)
    config = json.dumps({"roots": ["<rootDir>/packages"]})
    path = repo({"package.json": root, "jest.config.json": config, **COLLISION})
    report = check(path, only=("jest-collision",))
    [result] = report.results
    assert report.exit_code == 2
    assert result.error is not None and "package.json" in result.error


def test_a_padded_package_json_jest_ignores_does_not_matter(repo: Repo) -> None:
    root = _pkg(
        "root",
        devDependencies={"jest": "^29.7.0"},
        jest={"modulePathIgnorePatterns": ["<rootDir>/ignored/"]},
    )
    files = {"package.json": root, "ignored/big/package.json": _pkg("big", description=PADDING)}
    [result] = check(repo(files), only=("jest-collision",)).results
    assert result.error is None, result.error


# --- 7. Child processes get an environment from an allow-list, never the App's secrets -----

SECRET_ENV = {
    "WEBHOOK_SECRET": "webhook-secret-marker-7f3a",
    "PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nprivate-key-marker-7f3a\n-----END",
    "PRGATE_SOMETHING": "prgate-setting-marker-7f3a",
}


def _git_spy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``git`` first on PATH that records its environment, then runs the real git."""
    import shutil

    real = shutil.which("git")
    assert real is not None
    dumps = tmp_path / "git-envs"
    dumps.mkdir()
    spy = tmp_path / "spy-bin"
    spy.mkdir()
    (spy / "git").write_text(
        f'#!/bin/sh\nenv -0 > "$(mktemp -p {dumps})"\nexec {real} "$@"\n', encoding="utf-8"
    )
    (spy / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{spy}:{os.environ['PATH']}")
    for key, value in SECRET_ENV.items():
        monkeypatch.setenv(key, value)
    return dumps


def _envs(dumps: Path) -> list[dict[str, str]]:
    return _envs_in(list(dumps.iterdir()))


def _envs_in(files: list[Path]) -> list[dict[str, str]]:
    out = []
    for dump in files:
        pairs = (item.split("=", 1) for item in dump.read_text().split("\0") if "=" in item)
        out.append(dict(pairs))
    return out


def _no_secret_in(envs: list[dict[str, str]]) -> None:
    assert envs, "no git process was recorded"
    for env in envs:
        for key in SECRET_ENV:
            assert key not in env
            assert not any("marker-7f3a" in v for v in env.values()), env


def test_the_engines_git_never_sees_the_apps_secrets(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = repo({"copier.yml": "_subdirectory: t\n", "t/.env": "A=1\n"})
    dumps = _git_spy(tmp_path, monkeypatch)  # after the tests' own git made the repository
    check(path, only=())
    envs = _envs(dumps)
    _no_secret_in(envs)
    # what git needs still reaches it: the tests' isolated config, locale pinned
    assert all(e.get("GIT_CONFIG_GLOBAL") == os.devnull and e["LC_ALL"] == "C" for e in envs)


def test_the_workers_fetches_never_see_the_apps_secrets(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import SEED_REF, git, served_origin
    from workers.jobs.checkout import RepoCache

    origin = served_origin(tmp_path / "origin", {"README.md": "x\n"})
    sha = git(origin, "rev-parse", "HEAD").strip()
    dumps = _git_spy(tmp_path, monkeypatch)
    cache = RepoCache(tmp_path / "cache", 1, f"file://{origin}", "ghs_installation-token-7f3a")
    cache.fetch([SEED_REF])
    cache.fetch(["+refs/heads/main:refs/prgate/default"])
    assert cache.fetch_blobs(sha) == 1  # the one blob, fetched with the token
    from workers.engine.views import GitCommitView

    assert GitCommitView(cache.dir, sha).read_text("README.md") == "x\n"
    envs = _envs(dumps)
    _no_secret_in(envs)
    configs = list((tmp_path / "cache").rglob("config"))
    assert configs and not any("7f3a" in c.read_text() for c in configs)  # no token in .git/config


def test_the_embedded_redis_never_sees_the_apps_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """redis-server wipes its own /proc environ, so a shim records what it was given."""
    embedded = pytest.importorskip("bot.embedded_redis")
    try:
        real = embedded.redis_server_binary()
    except embedded.EmbeddedRedisError as exc:
        pytest.skip(f"no embedded Redis here: {exc}")
    dump = tmp_path / "redis-env"
    shim = tmp_path / "redis-server"
    shim.write_text(f'#!/bin/sh\nenv -0 > {dump}\nexec {real} "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    monkeypatch.setattr(embedded, "redis_server_binary", lambda: str(shim))
    for key, value in SECRET_ENV.items():
        monkeypatch.setenv(key, value)
    with embedded.EmbeddedRedis(tmp_path / "redis"):
        pass
    _no_secret_in(_envs_in([dump]))


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
        argv = [sys.executable, "-c", "import signal, sys\n"
                "def timeout(*_): raise TimeoutError('job timeout')\n"
                "signal.signal(signal.SIGUSR1, timeout)\n"
                "from workers.cli import main\n"
                f"sys.argv = {argv!r}\nmain()\n"]  # fmt: skip
    parent = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
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
    probe = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--",
             sys.executable, "-c", "import tarfile; tarfile.data_filter"]  # fmt: skip
    if subprocess.run(probe, capture_output=True, cwd="/").returncode != 0:
        pytest.skip(f"another user cannot run this Python ({sys.executable}: its standard "
                    "library is not readable to them)")  # fmt: skip
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
        argv = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                str(exe), "check", "--only", "hook-validation", "--format", "json",
                "--config", str(base / "prgate.yml"), str(tree)]  # fmt: skip
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


# --- 2. A GitHub stall never leaves a required check queued -------------------------------


def _settle(gh: Harness) -> None:
    """Run every job, then every retry RQ scheduled, as the scheduler would in time."""
    for _ in range(6):
        gh.work()
        queues = [gh.checks, *_announce(gh)]
        scheduled = [(q, i) for q in queues for i in q.scheduled_job_registry.get_job_ids()]
        retries = [(q, i) for q, i in scheduled if not i.startswith("sweep-")]
        if not retries:
            return
        for queue, jid in retries:
            queue.scheduled_job_registry.remove(jid)
            queue.enqueue_job(Job.fetch(jid, connection=gh.redis, serializer=JSONSerializer))


def _announce(gh: Harness) -> list[Any]:
    from rq import Queue

    from workers.shared.inbox import worker_queues
    from workers.shared.settings import load_settings

    name = worker_queues(load_settings())[0]
    return [Queue(name, connection=gh.redis, serializer=JSONSerializer)]


def _sweeps(gh: Harness) -> list[str]:
    [announce] = _announce(gh)
    return [i for i in announce.scheduled_job_registry.get_job_ids() if i.startswith("sweep-")]


def _run_sweeps(gh: Harness) -> None:
    [announce] = _announce(gh)
    for jid in _sweeps(gh):
        announce.scheduled_job_registry.remove(jid)
        announce.enqueue_job(Job.fetch(jid, connection=gh.redis, serializer=JSONSerializer))
    gh.work()


def test_a_create_that_times_out_but_happened_makes_no_second_set(gh: Harness) -> None:
    sha = gh.open_pr({"docs/a.md": "a\n"})
    # GitHub creates the runs; prgate's request times out before the answer comes
    gh.fake.fail("POST", r"/graphql$", 0, late=True)
    gh.deliver(sha)
    _settle(gh)
    for name in RUNS:
        runs = gh.fake.runs_named(name)
        assert len(runs) == 1, [r.history for r in runs]
        assert runs[0].conclusion == "SUCCESS", runs[0].history
    assert len(_sweeps(gh)) == 2  # for runs GitHub may make even later


def test_runs_github_makes_after_the_retry_end_with_the_same_verdict(gh: Harness) -> None:
    sha = gh.open_pr({"tpl/.env": "API_KEY=abc123\n"})
    stalled: list[dict[str, Any]] = []

    def hold_back(method: str, path: str, body: Any) -> None:
        """The first create: GitHub answers nothing now and carries it out later."""
        if body and "createCheckRun" in body.get("query", "") and not stalled:
            stalled.append(body["variables"])
            gh.fake.fail("POST", r"/graphql$", 504, body={"message": "timeout"})

    gh.fake.on_request = hold_back
    gh.deliver(sha)
    _settle(gh)
    gh.fake.on_request = None
    assert [len(gh.fake.runs_named(n)) for n in RUNS] == [1, 1, 1]
    # now GitHub carries out the stalled request: a second set appears, queued
    with gh.fake.lock:
        late = [gh.fake._create(v) for v in stalled[0].values()]
    assert [len(gh.fake.runs_named(n)) for n in RUNS] == [2, 2, 2]
    _run_sweeps(gh)
    for name in RUNS:
        first, copy = gh.fake.runs_named(name)
        assert copy.node_id in {r["id"] for r in late}
        assert copy.status == "COMPLETED", copy.history
        assert copy.conclusion == first.conclusion, (first.conclusion, copy.history)
        assert "copy GitHub made" in (copy.summary or "")
    assert gh.fake.runs_named("prgate/contamination")[1].conclusion == "FAILURE"


def test_a_partly_failed_create_keeps_what_github_made(gh: Harness) -> None:
    sha = gh.open_pr({"docs/a.md": "a\n"})
    gh.fake.fail("POST", r"/graphql$", 200, fail_aliases=("m1",))
    gh.deliver(sha)
    _settle(gh)
    for name in RUNS:
        runs = gh.fake.runs_named(name)
        assert len(runs) == 1, (name, [r.history for r in runs])
        assert runs[0].conclusion == "SUCCESS", runs[0].history


def test_a_partly_failed_update_is_not_sent_twice(gh: Harness) -> None:
    """Annotations are appended: an update GitHub applied must not be repeated by the retry."""
    sha = gh.open_pr({f"tpl/{i}.env": "A=1\n" for i in range(60)})  # 60 annotations: 2 requests
    gh.deliver(sha)
    seen: list[int] = []

    def fail_second_part(method: str, path: str, body: Any) -> None:
        query = (body or {}).get("query", "")
        if "updateCheckRun" in query and "COMPLETED" in json.dumps(body["variables"]):
            seen.append(1)
            if len(seen) == 1:  # the last request: the contamination run's part fails once
                aliases = [
                    f"m{k[1:]}"
                    for k, v in body["variables"].items()
                    if v["checkRunId"] == gh.fake.run("prgate/contamination").node_id
                ]
                gh.fake.fail("POST", r"/graphql$", 200, fail_aliases=tuple(aliases))

    gh.fake.on_request = fail_second_part
    _settle(gh)
    run = gh.fake.run("prgate/contamination")
    assert run.conclusion == "FAILURE", run.history
    assert len(seen) == 2  # the request that partly failed, then the retry's
    unique = {json.dumps(a, sort_keys=True) for a in run.annotations}
    assert len(run.annotations) == len(unique) >= 60  # each finding once, none twice
    assert gh.fake.run("prgate/jest-collision").history.count("COMPLETED:SUCCESS") == 1


# --- 6. Connections that never finish their request cannot lock deliveries out ------------


def test_idle_and_bodiless_connections_do_not_lock_out_deliveries(
    redis_url: str, tmp_path: Path
) -> None:
    import resource
    import socket
    import subprocess
    import sys
    import time

    import httpx

    from bot.signature import sign
    from tests.support.fake_github import free_port, wait_for

    port = free_port()
    secret = "hostile receiver test"
    env = {**os.environ, "WEBHOOK_SECRET": secret, "REDIS_URL": redis_url,
           "PRGATE_REQUEST_TIMEOUT": "2", "LOG_LEVEL": "warning"}  # fmt: skip

    def few_files() -> None:  # the receiver runs with 256 open files, as in the report
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    exe = Path(sys.executable).parent / "prgate"
    log = tmp_path / "serve.log"
    serve = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)], env=env, preexec_fn=few_files,
        stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/github/webhooks"
    attackers: list[socket.socket] = []
    try:
        if not wait_for(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), 30):
            pytest.fail(f"prgate serve did not start: {log.read_text()[-2000:]}")
        for i in range(300):  # no signature needed: the body is read before it can be checked
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            if i % 2:
                head = b"POST /api/github/webhooks HTTP/1.1\r\nHost: x\r\n"
                sock.sendall(head + b"Content-Length: 1000\r\n\r\n")
            attackers.append(sock)
        body = b'{"zen": "Keep it logically awesome.", "hook_id": 1}'
        answered = []
        started = time.monotonic()
        with httpx.Client(timeout=15) as client:
            for n in range(10):
                headers = {"X-GitHub-Event": "ping", "X-GitHub-Delivery": f"ping-{n}",
                           "X-Hub-Signature-256": sign(secret, body),
                           "Content-Type": "application/json"}  # fmt: skip
                try:
                    answered.append(client.post(url, content=body, headers=headers).status_code)
                except httpx.HTTPError as exc:
                    answered.append(type(exc).__name__)
        took = time.monotonic() - started
        assert answered == [200] * 10, answered
        assert took < 10, f"10 deliveries took {took:.1f} s under the attack"
        # every attacker's connection is closed by the receiver, the bodiless ones with a 408
        statuses = [_closed_with(sock, 6) for sock in attackers]
        assert all(s is not None for s in statuses), statuses.count(None)
        assert {s for i, s in enumerate(statuses) if i % 2} <= {"408", ""}
    finally:
        for sock in attackers:
            sock.close()
        serve.terminate()
        serve.wait(30)
    assert "Traceback" not in log.read_text()  # an attack is not an error of the receiver's


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _closed_with(sock: Any, seconds: float) -> str | None:
    """The status the server answered before closing ("" for none); None if still open."""
    import time

    deadline = time.monotonic() + seconds
    data = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            return None
        except OSError:
            return ""
        if not chunk:
            return data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else ""
        data += chunk
    return None


# --- 5. A killed worker's job is handled on prgate's clock, not an idle RQ worker's -------


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def test_a_killed_workers_job_is_handled_within_the_maintenance_interval(
    redis_url: str, redis_client: Any, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys
    import time

    from rq import Callback, Queue
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    from tests.support.fake_github import make_private_key, wait_for

    pem, _ = make_private_key()
    env = {**os.environ, "REDIS_URL": redis_url, "APP_ID": "1", "PRIVATE_KEY": pem,
           "PRGATE_MAINTENANCE_SECONDS": "3", "LOG_LEVEL": "warning"}  # fmt: skip
    exe = str(Path(sys.executable).parent / "prgate")
    checks = Queue("prgate-checks", connection=redis_client, serializer=JSONSerializer)
    started = StartedJobRegistry("prgate-checks", connection=redis_client,
                                 serializer=JSONSerializer)  # fmt: skip
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    doomed = subprocess.Popen([exe, "worker"], env=env, start_new_session=True, **quiet)
    survivor = None
    try:
        job = checks.enqueue("time.sleep", 600, job_id="abandoned", job_timeout=900,
                             on_failure=Callback("workers.jobs.on_quick_failure"))  # fmt: skip
        assert wait_for(lambda: started.get_job_ids() == ["abandoned"], 30)
        time.sleep(1)  # the work horse is forked by now, and has sent a heartbeat
        family = _descendants(doomed.pid)
        os.killpg(doomed.pid, signal.SIGKILL)  # the worker, its dispatcher and scheduler
        for pid in family:  # the work horse has a process group of its own
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        doomed.wait()
        assert wait_for(lambda: not any(Path(f"/proc/{p}/cmdline").exists()
                                        and Path(f"/proc/{p}/cmdline").read_bytes()
                                        for p in family), 5)  # fmt: skip
        # one idle worker is left; it has started and done its start-up cleaning
        survivor = subprocess.Popen([exe, "worker"], env=env, start_new_session=True, **quiet)
        time.sleep(6)
        # the dead horse's heartbeat lapses now (RQ gives it 90 s; this test does not wait)
        member = redis_client.zrange(started.key, 0, -1)[0]
        redis_client.zadd(started.key, {member: time.time() - 1})
        lapsed = time.monotonic()
        handled = wait_for(
            lambda: (
                job.id
                in FailedJobRegistry(
                    "prgate-checks", connection=redis_client, serializer=JSONSerializer
                ).get_job_ids()
            ),
            20,
        )
        took = time.monotonic() - lapsed
        assert handled, "the abandoned job was not handled"
        assert took < 3 + 3, f"handled {took:.1f} s after its heartbeat lapsed"
    finally:
        for proc in (doomed, survivor):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)


# --- 9. Smaller: what a user sees stays true and quiet ----------------------------------------


def test_a_jest_config_that_loops_ends_neutral_with_a_clean_stderr(repo: Repo) -> None:
    config = "export default async function () { await null; for (;;) {} }\n"
    root = _pkg("root", devDependencies={"jest": "^29.7.0"})
    path = repo({"package.json": root, "jest.config.mjs": config})
    cli = run_cli("check", str(path), "--only", "jest-collision", env={"PRGATE_JS_TIMEOUT": "1"})
    assert cli.code == 2
    assert "did not finish within 1 s" in cli.stdout
    assert "Traceback" not in cli.stderr and "Event loop is closed" not in cli.stderr, cli.stderr


def test_other_unraisable_exceptions_are_still_reported() -> None:
    import subprocess
    import sys

    code = (
        "from workers.checks.jest_collision.js_engine import _quiet_late_v8_reports\n"
        "_quiet_late_v8_reports()\n"
        "class Broken:\n"
        "    def __del__(self): raise RuntimeError('Event loop is closed')\n"
        "Broken()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Exception ignored" in proc.stderr and "Event loop is closed" in proc.stderr


@needs_sandbox
def test_a_task_that_kills_everything_is_reported_with_a_reason(repo: Repo) -> None:
    from workers.engine.config import parse_config

    files = {**RENDERABLE, "copier.yml": RENDERABLE["copier.yml"].replace(
        '["touch", "task-ran"]', '["sh", "-c", "kill -9 -1"]')}  # fmt: skip
    config = parse_config("hook-validation:\n  render: true\n")
    report = check(repo(files), config, only=("hook-validation",))
    [failed] = [f for f in report.findings if f.rule.endswith("render-failed")]
    assert "the render crashed: it was killed by SIGKILL" in failed.message, failed.message


def test_the_fake_github_is_never_more_lenient_than_githubs_schemas() -> None:
    """The judge of every request the stand-in accepts refuses what GitHub would."""
    from tests.support.github_schemas import Refused, check_graphql, check_rest

    deprecated = (
        'query($n: Int!) { repository(owner: "o", name: "r") { pullRequest(number: $n) {'
        " reviewThreads(first: 1) { nodes { comments(first: 1) { nodes { databaseId } } } } } } }"
    )
    with pytest.raises(Refused, match=r"deprecated.*fullDatabaseId"):
        check_graphql(deprecated, {"n": 1})
    with pytest.raises(Refused, match="Int"):
        check_graphql(deprecated.replace("databaseId", "fullDatabaseId"), {"n": "one"})
    check_graphql(deprecated.replace("databaseId", "fullDatabaseId"), {"n": 1})
    with pytest.raises(Refused, match="no operation"):
        check_rest("GET", "/repos/o/r/no-such-thing", {}, None)
    with pytest.raises(Refused, match="unknown query parameters"):
        check_rest("GET", "/repos/o/r/commits/abc/check-runs", {"app": "1"}, None)
    with pytest.raises(Refused, match="not one of"):
        check_rest("POST", "/repos/o/r/issues/comments/5/reactions", {}, {"content": "nope"})
    check_rest("POST", "/repos/o/r/issues/comments/5/reactions", {}, {"content": "+1"})


def test_a_fifo_in_place_of_a_scanned_file_is_named_in_a_note(repo: Repo) -> None:
    path = repo({"notes.txt": "x\n", "README.md": "y\n"})
    (path / "notes.txt").unlink()
    os.mkfifo(path / "notes.txt")
    [result] = check(path, only=("contamination",)).results
    assert result.error is None
    assert any(n.path == "notes.txt" and "not a regular file" in n.message for n in result.notes)
