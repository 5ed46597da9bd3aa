"""The contamination rules, each with positive and negative cases, on real git repositories."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SEED, check, git, make_repo, pairs
from workers.engine.config import parse_config
from workers.engine.findings import Level

COPIER = {"copier.yml": "project_slug:\n  type: str\n"}
T = "templates/{{project_slug}}"
COPIER_SUB = {"copier.yml": "_subdirectory: templates\nproject_slug:\n  type: str\n"}

Repo = Callable[..., Path]


def name_findings(repo: Repo, files: dict[str, str | bytes]) -> set[tuple[str, str]]:
    report = check(repo({**COPIER_SUB, **files}))
    return pairs([f for f in report.findings if f.rule != "contamination/secret"])


# --- the seed scenario -------------------------------------------------------------------


def test_seed_scenario_exact_findings(tmp_path: Path) -> None:
    dest = tmp_path / "seed"
    shutil.copytree(SEED, dest)
    make_repo(dest, {})
    report = check(dest)
    assert pairs(report.findings) == {
        ("contamination/env-file", "templates/{{project_slug}}/.env"),
        ("contamination/env-file", "ops/openobserve/.env.local"),
        ("contamination/env-file", ".env.local.bak"),
        ("contamination/local-state", ".token_seed.lock"),
        ("contamination/local-state", "buildx/"),
    }
    # only what Copier renders into every project is an error; the rest is in the template
    # repository, outside its _subdirectory: a warning
    levels = {f.path: f.level for f in report.findings}
    assert levels.pop("templates/{{project_slug}}/.env") is Level.ERROR
    assert set(levels.values()) == {Level.WARNING}
    assert report.exit_code == 1


def test_seed_in_place_same_as_fresh_repo() -> None:
    """The sample shipped in this repo (checked as a sub-folder of our own work tree)."""
    report = check(SEED)
    assert len(report.findings) == 5
    assert {f.path for f in report.findings} >= {".env.local.bak", "buildx/"}


# --- env-file ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        ".env",
        ".env.local",
        ".env.production",
        "prod.env",
        ".env.local.bak",
        ".env.jinja",
        ".env.development.local",
    ],
)
def test_env_file_positive(repo: Repo, name: str) -> None:
    assert name_findings(repo, {f"{T}/{name}": "A=1\n"}) == {
        ("contamination/env-file", f"{T}/{name}")
    }


@pytest.mark.parametrize(
    "name",
    [
        ".env.example",
        ".env.sample",
        ".env.template",
        ".env.dist",
        ".env.local.example",
        "example.env",
        ".env.example.jinja",
        "env.md",
        "environment.ts",
        ".envrc",
        "dotenv.py",
    ],
)
def test_env_file_negative(repo: Repo, name: str) -> None:
    assert name_findings(repo, {f"{T}/{name}": "A=1\n"}) == set()


def test_env_file_outside_template_roots_is_not_flagged(repo: Repo) -> None:
    report = check(repo({"app/.env": "A=1\n", "README.md": "x\n"}))
    assert report.findings == []
    assert any("no template roots" in n.message for n in report.results[0].notes)


# --- backup-file ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["main.py.bak", "a.orig", "a.rej", "notes.txt~", ".a.swp", ".a.swo", ".#main.py"]
)
def test_backup_file_positive(repo: Repo, name: str) -> None:
    assert name_findings(repo, {f"{T}/{name}": "x\n"}) == {
        ("contamination/backup-file", f"{T}/{name}")
    }


@pytest.mark.parametrize("name", ["bake.py", "original.txt", "swap.md", "rejected.ts", "a.bak.md"])
def test_backup_file_negative(repo: Repo, name: str) -> None:
    assert name_findings(repo, {f"{T}/{name}": "x\n"}) == set()


# --- local-state ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [".token_seed.lock", "run/app.pid", "terraform.tfstate", "infra/terraform.tfstate.backup"],
)
def test_local_state_files(repo: Repo, path: str) -> None:
    assert name_findings(repo, {f"{T}/{path}": "x\n"}) == {
        ("contamination/local-state", f"{T}/{path}")
    }


@pytest.mark.parametrize(
    "name",
    [
        "yarn.lock",
        "Cargo.lock",
        "uv.lock",
        "poetry.lock",
        "Gemfile.lock",
        "composer.lock",
        "flake.lock",
        "Pipfile.lock",
        "pnpm-lock.yaml",
        "package-lock.json",
        "lockfile.py",
    ],
)
def test_package_lockfiles_are_fine(repo: Repo, name: str) -> None:
    assert name_findings(repo, {f"{T}/{name}": "x\n"}) == set()


def test_local_state_folders(repo: Repo) -> None:
    found = name_findings(
        repo,
        {
            f"{T}/infra/.terraform/providers/x": "x",
            f"{T}/infra/.terraform/modules/y": "y",
            "buildx/instances/default": "{}",
            "buildx/activity/default": "{}",
            "docs/buildx/README.md": "how we use buildx\n",  # a folder called buildx, no state
        },
    )
    assert found == {
        ("contamination/local-state", f"{T}/infra/.terraform/"),
        ("contamination/local-state", "buildx/"),
    }


# --- build-artifact ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "flagged"),
    [
        ("node_modules/left-pad/index.js", "node_modules/"),
        ("dist/app.js", "dist/"),
        ("target/debug/app", "target/"),
        ("src/__pycache__/a.cpython-311.pyc", "src/__pycache__/"),
        ("src/a.pyc", "src/a.pyc"),
        (".pytest_cache/v/cache/nodeids", ".pytest_cache/"),
        (".mypy_cache/3.11/x.json", ".mypy_cache/"),
        (".ruff_cache/0.1/x", ".ruff_cache/"),
        (".tox/py311/log", ".tox/"),
        (".venv/bin/python", ".venv/"),
        (".nx/cache/x", ".nx/"),
        (".turbo/cookies/x", ".turbo/"),
        (".next/build-manifest.json", ".next/"),
        ("coverage/lcov.info", "coverage/"),
        ("src/my_pkg.egg-info/PKG-INFO", "src/my_pkg.egg-info/"),
    ],
)
def test_build_artifact_positive(repo: Repo, path: str, flagged: str) -> None:
    assert name_findings(repo, {f"{T}/{path}": "x\n"}) == {
        ("contamination/build-artifact", f"{T}/{flagged}")
    }


@pytest.mark.parametrize(
    "path", ["distribution/a.txt", "targets.md", "src/coverage.ts", "dist", "docs/node_modules.md"]
)
def test_build_artifact_negative(repo: Repo, path: str) -> None:
    assert name_findings(repo, {f"{T}/{path}": "x\n"}) == set()


def test_one_finding_per_topmost_folder(repo: Repo) -> None:
    found = name_findings(
        repo,
        {
            f"{T}/node_modules/a/index.js": "x",
            f"{T}/node_modules/a/node_modules/b/index.js": "x",
            f"{T}/node_modules/a/.env": "A=1",  # inside the folder: covered by it
            f"{T}/node_modules/.bin/tool": "x",
        },
    )
    assert found == {("contamination/build-artifact", f"{T}/node_modules/")}


# --- os-junk -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [".DS_Store", "Thumbs.db", "desktop.ini", "THUMBS.DB"])
def test_os_junk_is_a_warning(repo: Repo, name: str) -> None:
    report = check(repo({**COPIER_SUB, f"{T}/{name}": "x"}))
    assert pairs(report.findings) == {("contamination/os-junk", f"{T}/{name}")}
    assert report.findings[0].level is Level.WARNING
    assert report.exit_code == 0  # warnings do not fail


# --- template roots ------------------------------------------------------------------------


def test_copier_exclude_is_honoured(repo: Repo) -> None:
    files = {
        "copier.yml": "_subdirectory: templates\n_exclude:\n  - .env\n  - '*.bak'\n",
        f"{T}/.env": "A=1",
        f"{T}/x.bak": "x",
        f"{T}/y.orig": "x",
    }
    assert pairs(check(repo(files)).findings) == {("contamination/backup-file", f"{T}/y.orig")}


def test_copier_default_exclude_applies_only_without_subdirectory(repo: Repo) -> None:
    # Copier skips .DS_Store by default when the template has no _subdirectory ...
    assert check(repo({**COPIER, "src/.DS_Store": "x"})).findings == []
    # ... and renders it when a _subdirectory is set and _exclude is not.
    found = pairs(check(repo({**COPIER_SUB, f"{T}/.DS_Store": "x"})).findings)
    assert found == {("contamination/os-junk", f"{T}/.DS_Store")}


def test_custom_templates_suffix(repo: Repo) -> None:
    files = {
        "copier.yaml": "_templates_suffix: .tmpl\n",
        "proj/.env.tmpl": "A=1",
        "proj/.env.jinja": "A",
    }
    found = pairs(check(repo(files)).findings)
    # .env.tmpl renders as .env; .env.jinja stays .env.jinja with this suffix (an env file too)
    assert found == {
        ("contamination/env-file", "proj/.env.tmpl"),
        ("contamination/env-file", "proj/.env.jinja"),
    }
    env = next(f for f in check(repo(files)).findings if f.path == "proj/.env.tmpl")
    assert "rendered as .env" in env.message


def test_copier_yml_with_include_tags_and_bad_yaml(repo: Repo) -> None:
    ok = repo({"copier.yml": "!include shared.yml\n---\n_subdirectory: t\n", "t/.env": "A=1"})
    assert pairs(check(ok).findings) == {("contamination/env-file", "t/.env")}
    broken = repo({"copier.yml": "_subdirectory: [unclosed\n", "t/.env": "A=1"})
    report = check(broken)
    # Copier cannot load it either: where the template renders from, and what it
    # excludes, is unknown, so the check could not judge it (exit 2), never a guess
    assert report.findings == [] and report.exit_code == 2
    assert "copier.yml is not valid YAML" in (report.results[0].error or "")


def test_nx_generator_files(repo: Repo) -> None:
    base = "libs/plugin/src/generators/app"
    files = {
        f"{base}/schema.json": "{}",
        f"{base}/generator.ts": "export default 1;\n",
        f"{base}/files/__dot__env__tmpl__": "A=1",
        f"{base}/files/src/index.ts__tmpl__": "x",
        f"{base}/files/.env.example__tmpl__": "A=",
        "apps/web/.env": "A=1",  # not a template
    }
    found = pairs(check(repo(files)).findings)
    assert found == {("contamination/env-file", f"{base}/files/__dot__env__tmpl__")}


def test_cookiecutter_folders(repo: Repo) -> None:
    files = {
        "cookiecutter.json": '{"project_slug": "x"}',
        "{{cookiecutter.project_slug}}/.env": "A=1",
        "{{cookiecutter.project_slug}}/src/app.py": "x",
        "hooks/post_gen_project.py": "x",
        "tests/.env": "A=1",  # outside the rendered folder
    }
    assert pairs(check(repo(files)).findings) == {
        ("contamination/env-file", "{{cookiecutter.project_slug}}/.env")
    }


def test_configured_template_roots(repo: Repo) -> None:
    path = repo({"blueprints/svc/.env": "A=1", "other/.env": "A=1"})
    config = parse_config("template-roots: [blueprints/svc]\n")
    assert pairs(check(path, config).findings) == {
        ("contamination/env-file", "blueprints/svc/.env")
    }


def test_jinja_in_folder_names(repo: Repo) -> None:
    files = {
        **COPIER_SUB,
        "templates/{{project_slug}}/{% if use_docker %}docker{% endif %}/.env": "A=1",
        "templates/{{project_slug}}/{{module_name}}/__init__.py.jinja": "",
        "templates/{{project_slug}}/{{module_name}}/.env.example.jinja": "A=",
    }
    assert pairs(check(repo(files)).findings) == {
        (
            "contamination/env-file",
            "templates/{{project_slug}}/{% if use_docker %}docker{% endif %}/.env",
        )
    }


def test_ignored_and_untracked_files_follow_git(repo: Repo) -> None:
    path = repo({**COPIER_SUB, ".gitignore": "*.bak\n"})
    (path / "templates").mkdir()
    (path / "templates" / "x.bak").write_text("ignored by .gitignore")
    (path / "templates" / "y.orig").write_text("untracked but not ignored: would be committed")
    assert pairs(check(path).findings) == {("contamination/backup-file", "templates/y.orig")}


def test_messages_say_how_to_fix(repo: Repo) -> None:
    report = check(repo({**COPIER_SUB, f"{T}/.env": "A=1", "ops/.env": "B=2"}))
    by_path = {f.path: f for f in report.findings}
    inside = by_path[f"{T}/.env"]
    assert "_exclude" in inside.message and "copier.yml" in inside.message
    assert ".env.example" in inside.message
    assert inside.fix == "git rm --cached 'templates/{{project_slug}}/.env'"
    outside = by_path["ops/.env"]
    assert ".gitignore" in outside.message and "_exclude" not in outside.message


def test_fingerprints_are_stable_and_distinct(repo: Repo) -> None:
    files = {**COPIER_SUB, f"{T}/.env": "A=1", f"{T}/a.bak": "x"}
    first = {f.fingerprint for f in check(repo(files)).findings}
    second = {f.fingerprint for f in check(repo(files)).findings}
    assert first == second and len(first) == 2


def test_untracked_deleted_and_conflicted_paths(repo: Repo) -> None:
    path = repo({**COPIER_SUB, f"{T}/gone.bak": "x", f"{T}/kept.bak": "x"})
    (path / T / "gone.bak").unlink()  # deleted in the work tree: git would not commit it
    assert pairs(check(path).findings) == {("contamination/backup-file", f"{T}/kept.bak")}


def test_submodules_are_not_descended(repo: Repo, tmp_path: Path) -> None:
    inner = make_repo(tmp_path / "inner", {".env": "A=1"})
    outer = repo({**COPIER_SUB})
    git(
        outer,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(inner),
        "templates/sub",
    )
    assert check(outer).findings == []


def test_the_fix_for_an_untracked_file_is_gitignore_not_git_rm(repo: Repo) -> None:
    """`git rm --cached` fails on a file git does not track: an .env that is only about to be
    committed (untracked, not ignored) is fixed by .gitignore."""
    path = repo({**COPIER_SUB, f"{T}/README.md": "# x\n"})
    (path / T / ".env").write_text("A=1\n")
    (path / T / "node_modules").mkdir()
    (path / T / "node_modules" / "x.js").write_text("x\n")
    by_path = {f.path: f for f in check(path).findings}
    env = by_path[f"{T}/.env"]
    assert env.fix == "add '.env' to .gitignore" and "git rm" not in env.message
    folder = by_path[f"{T}/node_modules/"]
    assert "git rm" not in (folder.fix or "") and "about to be committed" in folder.message
