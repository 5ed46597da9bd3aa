"""copier.yml read as Copier reads it: ``!include`` globs, documents merged, the options
Copier adds up; real Copier's loader is the oracle."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from copier._template import load_template_config

from tests.conftest import check, pairs, write_files
from workers.checks.copier_settings import SettingsUnreadable, copier_settings, key_places
from workers.engine.views import DirectoryView

Repo = Callable[..., Path]

# NLeSC/python-template's shape: settings and questions in included files
INCLUDING = {
    "copier.yml": "---\n!include copier/settings.yml\n---\n!include copier/questions/*.yml\n"
    "---\n_exclude: ['*.orig']\n",
    "copier/settings.yml": "_subdirectory: template\n_exclude: ['*.bak']\n"
    "_skip_if_exists: [LICENSE]\n",
    "copier/questions/a_essential.yml": "package_name:\n  type: str\n  help: name\n",
    "copier/questions/b_more.yml": "---\nversion:\n  type: str\n  default: 0.1.0\n"
    "---\n!include copier/nested.yml\n",  # from the template root, as Copier reads it
    "copier/nested.yml": "license:\n  type: str\n  default: MIT\n",
    "template/{{package_name}}/__init__.py.jinja": "\n",
}


def test_settings_equal_what_copier_loads(tmp_path: Path) -> None:
    write_files(tmp_path, INCLUDING)
    ours = copier_settings(DirectoryView(tmp_path), "copier.yml")
    assert ours == load_template_config(tmp_path / "copier.yml")
    assert ours["_subdirectory"] == "template" and ours["_exclude"] == ["*.bak", "*.orig"]
    assert {"package_name", "version", "license"} <= set(ours)


def test_a_question_in_an_included_file_is_judged_where_it_is(repo: Repo) -> None:
    """NLeSC/python-template@438edfd0: `_subdirectory` and every question live in included
    files; prgate read them as nothing, took the repository root for the render root, and
    missed that package_name (a folder name) has no validator."""
    path = repo({**INCLUDING, ".env": "A=1\n", "template/x.bak": "old\n", "template/y.orig": ""})
    report = check(path, only=())
    assert ("hook-validation/unvalidated-path-question", "copier/questions/a_essential.yml") in (
        pairs(report.findings)
    )
    [finding] = [f for f in report.findings if f.rule.endswith("unvalidated-path-question")]
    assert finding.start_line == 1
    # .env is outside the render root (a warning, not the error of a rendered file), and
    # _exclude's patterns add up across documents: x.bak and y.orig are never rendered
    levels = {f.path: f.level for f in report.findings if f.rule.startswith("contamination/")}
    assert levels == {".env": "warning"}
    assert key_places(DirectoryView(path), "copier.yml")["license"] == ("copier/nested.yml", 1)


@pytest.mark.parametrize(
    ("include", "why"),
    [
        ("/etc/passwd", "leaves the template's folder"),
        ("../outside.yml", "leaves the template's folder"),
        ("copier.yml", "includes itself"),
    ],
)
def test_an_include_copier_refuses_is_no_verdict(tmp_path: Path, include: str, why: str) -> None:
    write_files(tmp_path, {"t/copier.yml": f"---\n!include {include}\n", "outside.yml": "a: 1\n"})
    with pytest.raises(SettingsUnreadable, match=why):
        copier_settings(DirectoryView(tmp_path), "t/copier.yml")
    [result] = check(tmp_path, only=["contamination"]).results
    assert result.status == "could-not-run" and why in (result.error or "")
