"""The README's commands and snippets as a new user runs them, from a copy of this prgate.

The copy is a fresh git repository of the files this work tree would commit, so the
commands see what a clone sees; its environments and pre-commit's cache live in the
test's temporary folder, and packages come from the package index as they do for a user.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import GIT_ENV, ROOT, make_repo

README = (ROOT / "README.md").read_text()


def _block_after(marker: str, lang: str) -> str:
    """The first fenced ``lang`` block after ``marker`` in the README."""
    rest = README[README.index(marker) :]
    found = re.search(rf"```{lang}\n(.*?)```", rest, re.S)
    assert found, f"no {lang} block after {marker!r}"
    return found.group(1)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This work tree's committable files as a one-commit repository (a user's clone)."""
    dest = tmp_path_factory.mktemp("clone") / "prgate"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        rel = os.fsdecode(raw)
        source = ROOT / rel
        if source.is_file() and not source.is_symlink():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "clone"]):
        subprocess.run(["git", *args], cwd=dest, check=True, env=env)
    return dest


def test_dev_run_check_needs_only_the_checker(clone: Path, tmp_path: Path) -> None:
    """The quick start's first command built the App's and the tests' 548 MB environment to
    run the checker; it now builds the checker's own, without the App or the test tools."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PRGATE_VENV")}
    env["PRGATE_CHECK_VENV"] = str(tmp_path / "venv-check")
    command = _block_after("## Quick start", "sh").splitlines()[0].split("#")[0].split()
    assert command == ["python3", "dev.py", "run", "check", "examples/seed-template-repo"]
    done = subprocess.run(
        [sys.executable, *command[1:]],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 1, done.stderr[-3000:]  # the sample's findings
    assert done.stdout.splitlines()[-1].startswith("prgate: 4 errors, 4 warnings")
    python = tmp_path / "venv-check" / "bin" / "python"
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True
    ).stdout.lower()
    names = {line.split("==")[0] for line in listed.splitlines()}
    assert "prgate" in names and not names & {"fastapi", "rq", "githubkit", "mypy", "pytest"}
    assert not (clone / ".venv").exists()  # the full environment was not built


def test_the_readme_pre_commit_snippet_runs_from_a_clone(clone: Path, tmp_path: Path) -> None:
    """The snippet as written, `repo` pointed at a clone as the README says: pre-commit
    installs prgate from it and the hook blocks a staged .env in a template."""
    snippet = yaml.safe_load(_block_after("**pre-commit**", "yaml"))
    [entry] = snippet
    assert set(entry) == {"repo", "rev", "hooks"} and entry["hooks"] == [{"id": "prgate"}]
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout.strip()
    entry.update(repo=str(clone), rev=head)
    template = "templates/{{project_slug}}"
    repo = make_repo(
        tmp_path / "repo",
        {
            ".pre-commit-config.yaml": yaml.safe_dump({"repos": [entry]}),
            "copier.yml": "_subdirectory: templates\nproject_slug:\n  type: str\n",
            f"{template}/README.md": "# x\n",
        },
    )
    (repo / template / ".env").write_text("A=1\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "VIRTUAL_ENV"))}
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    blocked = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "prgate"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert f"{template}/.env" in blocked.stdout and "contamination/env-file" in blocked.stdout


def test_the_readme_action_snippet_names_this_action_and_its_inputs() -> None:
    """The workflow as written: valid YAML, `uses:` the action at this repository's root
    (`./` from the same repository, as the README says), every input its comment shows
    exists, and the permissions the upload needs are granted."""
    workflow = yaml.safe_load(_block_after("is a composite action", "yaml"))
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = workflow["jobs"]["prgate"]["steps"]
    [ours] = [s for s in steps if s["uses"].startswith("prgate/prgate@")]
    assert (ROOT / "action.yml").is_file()  # what `owner/name@ref` (or `./`) runs
    checkout = next(s for s in steps if s["uses"].startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # --base needs the base branch's history
    assert workflow["permissions"]["security-events"] == "write"  # the SARIF upload
    shown = re.search(r"# with: \{(.*)\}", _block_after("is a composite action", "yaml"))
    assert shown and ours.get("with") is None
    keys = {part.split(":")[0].strip() for part in shown.group(1).split(",")}
    assert keys and keys <= set(action["inputs"]), keys - set(action["inputs"])
    sentence = "a workflow in the same repository as prgate can use `./` instead"
    assert sentence in " ".join(README.split())
