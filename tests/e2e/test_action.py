"""The GitHub Action (action.yml): its shell steps run as a runner runs them, on a local
pull request, with a prgate installed the way the action installs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import GIT_ENV, Tokens, make_repo
from tests.engine.test_cli_formats import validate_sarif

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = {step.get("name") or step["uses"]: step for step in ACTION["runs"]["steps"]}


def _expand(text: str, inputs: dict[str, str], outputs: dict[str, str]) -> str:
    """GitHub's ${{ }} expressions, for the few forms the action uses."""

    def value(m: re.Match[str]) -> str:
        expr = m.group(1).strip()
        if expr.startswith("inputs."):
            return inputs[expr.removeprefix("inputs.")]
        if expr.startswith("steps.check.outputs."):
            return outputs.get(expr.removeprefix("steps.check.outputs."), "")
        raise AssertionError(f"an expression this test does not model: {expr}")

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def _run_step(
    name: str, cwd: Path, env: dict[str, str], inputs: dict[str, str], outputs: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    step = STEPS[name]
    assert step["shell"] == "bash"
    step_env = {k: _expand(str(v), inputs, outputs) for k, v in step.get("env", {}).items()}
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=cwd,
        env={**env, **step_env},
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def runner_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A runner's environment: `python` is a fresh interpreter the install step fills."""
    home = tmp_path_factory.mktemp("runner")
    venv = home / "python"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {
        **os.environ,
        **GIT_ENV,
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        "GITHUB_ACTION_PATH": str(ROOT),
        "RUNNER_TEMP": str(home),
    }
    env.pop("VIRTUAL_ENV", None)
    installed = _run_step("Install prgate", home, env, _inputs(), {})
    assert installed.returncode == 0, installed.stderr[-3000:]
    assert (venv / "bin" / "prgate").exists()
    return env


def _inputs(**given: str) -> dict[str, str]:
    return {
        name: given.get(name, str(spec.get("default", "")))
        for name, spec in ACTION["inputs"].items()
    }


def _pull_request(
    tmp_path: Path, files: dict[str, str], base: dict[str, str] | None = None
) -> Path:
    """A clone whose origin/main is the base (with ``base``) and whose HEAD adds ``files``."""
    origin = make_repo(tmp_path / "origin", {"README.md": "# x\n", **(base or {})})
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    subprocess.run(["git", "checkout", "-q", "-b", "feature"], cwd=clone, check=True)
    for rel, text in files.items():
        (clone / rel).parent.mkdir(parents=True, exist_ok=True)
        (clone / rel).write_text(text)
    subprocess.run(["git", "add", "-A"], cwd=clone, check=True)
    subprocess.run(
        ["git", "commit", "-qm", "change", "--allow-empty"],
        cwd=clone,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return clone


def _check(clone: Path, env: dict[str, str], **inputs: str) -> dict[str, str]:
    out = clone.parent / "github-output"
    out.write_text("")
    env = {**env, "GITHUB_OUTPUT": str(out), "GITHUB_BASE_REF": "main"}
    done = _run_step("Check", clone, env, _inputs(**inputs), {})
    assert done.returncode == 0, done.stderr  # the check step never fails: upload comes next
    return dict(line.split("=", 1) for line in out.read_text().splitlines())


def _verdict(outputs: dict[str, str], env: dict[str, str], cwd: Path) -> int:
    return _run_step("Verdict", cwd, env, _inputs(), outputs).returncode


def test_a_finding_in_the_pull_request_fails_the_job_after_the_sarif_is_written(
    tmp_path: Path, runner_env: dict[str, str]
) -> None:
    clone = _pull_request(tmp_path, {"src/k.py": f"K = '{Tokens.aws()}'\n"})
    outputs = _check(clone, runner_env)
    assert outputs["exit-code"] == "1"
    doc: Any = json.loads(Path(outputs["sarif-file"]).read_text())
    validate_sarif(doc)
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == ["contamination/secret"]
    upload = STEPS["Upload SARIF"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "always()" in upload["if"]  # uploaded even though the verdict fails
    assert _verdict(outputs, runner_env, clone) == 1


def test_a_clean_pull_request_passes_and_pre_existing_findings_do_not_fail_it(
    tmp_path: Path, runner_env: dict[str, str]
) -> None:
    old_key = {"src/old.py": f"K = '{Tokens.aws()}'\n"}  # on the base already
    clone = _pull_request(tmp_path, {"docs/page.md": "# docs\n"}, base=old_key)
    outputs = _check(clone, runner_env)
    assert outputs["exit-code"] == "0" and _verdict(outputs, runner_env, clone) == 0


def test_the_action_installs_the_checker_without_the_app(runner_env: dict[str, str]) -> None:
    """The Action installs prgate with render mode but without the App's packages
    (prgate[app]): the App's commands say what is missing instead of failing on an import."""
    python = Path(runner_env["PATH"].split(":", 1)[0]) / "python"
    probe = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('fastapi') is None)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "True"
    serve = subprocess.run(
        [str(python.parent / "prgate"), "serve"], capture_output=True, text=True, env=runner_env
    )
    assert serve.returncode == 2 and "pip install 'prgate[app]'" in serve.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the checkout to another user")
def test_a_checkout_owned_by_another_user_is_judged_as_git_sees_it(
    tmp_path: Path, runner_env: dict[str, str]
) -> None:
    """A container job: the workspace belongs to another user, so git refuses it. Judged as a
    plain folder, a gitignored .env became a "committed" error. The action trusts its
    workspace; prgate alone exits 2 naming git's refusal and the fix."""
    clone = _pull_request(tmp_path, {".gitignore": "t/.env\n", "docs/a.md": "a\n"})
    (clone / "t").mkdir()
    (clone / "t" / ".env").write_text("API_KEY=abc\n")  # ignored: not in the repository
    subprocess.run(["chown", "-R", "65534:65534", str(clone)], check=True)
    home = tmp_path / "home"
    home.mkdir()
    env = {**runner_env, "HOME": str(home)}
    env.pop("GIT_CONFIG_GLOBAL", None)
    alone = subprocess.run(
        ["prgate", "check", "."], cwd=clone, env=env, capture_output=True, text=True, timeout=300
    )
    assert alone.returncode == 2, alone.stdout + alone.stderr
    assert "dubious ownership" in alone.stderr and "safe.directory" in alone.stderr
    assert "committed" not in alone.stdout
    outputs = _check(clone, {**env, "GITHUB_WORKSPACE": str(clone)})
    assert outputs["exit-code"] == "0", outputs
