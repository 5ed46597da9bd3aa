"""`prgate baseline`: adopting prgate on a repository with old findings without blocking every
commit, and never letting a change accept its own findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.conftest import SEED, Tokens, git, make_repo, run_cli


def seeded(tmp_path: Path) -> Path:
    dest = tmp_path / "seed"
    shutil.copytree(SEED, dest)
    return make_repo(dest, {})


def test_old_findings_are_accepted_and_new_ones_still_fail(tmp_path: Path) -> None:
    repo = seeded(tmp_path)
    assert run_cli("check", str(repo)).code == 1
    written = run_cli("baseline", str(repo))
    assert written.code == 0, written.stderr
    doc = json.loads((repo / ".github" / "prgate-baseline.json").read_text())
    assert doc["version"] == 1 and len(doc["findings"]) == 8
    accepted = run_cli("check", str(repo), "--format", "json")
    assert accepted.code == 0, accepted.stdout
    assert all(f["suppressed"] for f in accepted.json()["findings"] if f["level"] != "note")
    (repo / "src").mkdir()
    (repo / "src" / "k.py").write_text(f"K = '{Tokens.aws()}'\n")
    new = run_cli("check", str(repo), "--format", "json")
    assert new.code == 1
    failing = [f for f in new.json()["findings"] if f["level"] == "error" and not f["suppressed"]]
    assert [(f["rule"], f["path"]) for f in failing] == [("contamination/secret", "src/k.py")]


def test_a_change_cannot_accept_its_own_findings(tmp_path: Path) -> None:
    """With --base (as on the App) the baseline is read from the base, like the config."""
    repo = seeded(tmp_path)
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "src").mkdir()
    (repo / "src" / "k.py").write_text(f"K = '{Tokens.aws()}'\n")  # new on the branch
    run_cli("baseline", str(repo))  # ... and accepted by the same branch
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "add a key and accept it")
    assert run_cli("check", str(repo)).code == 0  # the work tree's own baseline
    gated = run_cli("check", str(repo), "--base", "main")  # main's baseline has none
    assert gated.code == 1 and "src/k.py" in gated.stdout


def test_a_broken_baseline_is_named_and_the_config_can_point_elsewhere(tmp_path: Path) -> None:
    repo = seeded(tmp_path)
    (repo / ".github").mkdir(exist_ok=True)
    (repo / ".github" / "prgate-baseline.json").write_text('{"findings": []}')
    broken = run_cli("check", str(repo))
    assert broken.code == 2 and "prgate-baseline.json: not a prgate baseline" in broken.stderr
    (repo / ".github" / "prgate-baseline.json").unlink()
    (repo / ".github" / "prgate.yml").write_text("baseline: accepted.json\n")
    assert run_cli("baseline", str(repo)).code == 0
    assert (repo / "accepted.json").exists()
    assert run_cli("check", str(repo)).code == 0


def test_the_app_reads_the_baseline_from_the_base_branch(tmp_path: Path) -> None:
    """The worker's config comes from the base commit, and so does its baseline: a pull
    request that adds fingerprints to the baseline accepts nothing on its own run."""
    from workers.jobs.check import _base_config
    from workers.jobs.checkout import RepoCache

    origin = seeded(tmp_path)
    assert run_cli("baseline", str(origin)).code == 0
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "baseline on main")
    base = git(origin, "rev-parse", "HEAD").strip()
    cache = RepoCache(tmp_path / "cache", 1, f"file://{origin}", "ghs_token")
    cache.fetch(["+refs/heads/main:refs/prgate/default"])
    config = _base_config(cache, base, "main")
    accepted = json.loads((origin / ".github" / "prgate-baseline.json").read_text())
    assert accepted["findings"]
    from workers.engine.findings import Finding, Level

    some = accepted["findings"][0]
    probe = [f for f in _findings_of(origin) if f.fingerprint == some["fingerprint"]]
    assert probe and config.accepted(probe[0])
    assert not config.accepted(
        Finding(rule="contamination/secret", level=Level.ERROR, path="new.py", message="x")
    )


def _findings_of(path: Path) -> list[Any]:
    from workers.engine.config import RepoConfig
    from workers.engine.runner import check_repository
    from workers.engine.views import open_view

    return check_repository(open_view(path), RepoConfig()).findings
