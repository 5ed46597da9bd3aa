"""Issue 18: contamination shapes seen on real public templates, each reduced to a small
fixture.

Every test here is a false alarm at error level (or a miss) that prgate had on a
real repository; the fixture keeps the shape, not the repository.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check

Repo = Callable[..., Path]

# --- case 8: committed symlinks that dangle or leave the template ---------------------------


def _with_links(repo: Repo, links: dict[str, str]) -> Path:
    import os

    from tests.conftest import git

    path = repo(
        {
            "copier.yml": "_subdirectory: template\n",
            "template/README.md": "x\n",
            "template/docs/guide.md": "g\n",
            "shared/notes.md": "n\n",
        },
        commit=False,
    )
    for link, target in links.items():
        (path / link).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path / link)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "links")
    return path


def test_symlinks_that_dangle_or_leave_the_template(repo: Repo, tmp_path: Path) -> None:
    import copier
    import pytest

    from workers.engine.config import RepoConfig
    from workers.engine.runner import check_repository
    from workers.engine.views import GitCommitView

    path = _with_links(
        repo,
        {
            "template/.claude/skills/x": "../../../.venv/lib/skills/x",  # untracked: dangles
            "template/abs": "/etc/hostname",
            "template/guide.md": "docs/guide.md",  # fine: inside
            "template/docs/latest": ".",  # fine: a folder
            "tools/notes": "../shared/notes.md",  # outside the rendered folder, and fine
        },
    )
    work_tree = check(path, only=["contamination"])  # prgate check
    commit = check_repository(GitCommitView(path, "HEAD"), RepoConfig(), only=["contamination"])
    for report in (work_tree, commit):
        found = {f.path: f for f in report.findings if f.rule == "contamination/symlink"}
        assert set(found) == {"template/.claude/skills/x", "template/abs"}, found
        assert all(f.level == "error" for f in found.values())
        assert "dangles" in found["template/.claude/skills/x"].message
    with pytest.raises(Exception):  # noqa: B017 - Copier's own failure on the dangling link
        copier.run_copy(str(path), tmp_path / "out", defaults=True, quiet=True, vcs_ref="HEAD")


# --- case 2: placeholders and published defaults in example env files are not secrets ------

SUPABASE_ANON = (  # the demo anon key every local Supabase stack ships with (public)
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9."
    "CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0"
)


def test_example_env_files_hold_placeholders_and_defaults(repo: Repo) -> None:
    from tests.conftest import Tokens

    example = (
        "DB_PASSWORD=replace-with-strong-password\n"
        "POSTGRES_PASSWORD=postgres\n"
        "ZO_ROOT_USER_PASSWORD=admin\n"
        "JWT_SECRET=super-secret-jwt-token-with-at-least-32-characters-long\n"
        f"ANON_KEY={SUPABASE_ANON}\n"
        "SESSION_SECRET=correct-horse-battery-staple\n"
        "API_KEY=9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c\n"  # shaped like a real one: a warning
        f"GH_TOKEN={Tokens.github()}\n"  # a real token format: an error anywhere
    )
    files = {
        "copier.yml": "_subdirectory: t\n",
        "t/.env.example": example,
        "t/docker/app.env.sample": "POSTGRES_PASSWORD=postgres\n",
    }
    report = check(repo(files))
    secrets = {(f.start_line, f.level) for f in report.findings if f.rule.endswith("/secret")}
    assert secrets == {(7, "warning"), (8, "error")}, report.findings


def test_a_real_env_file_still_reports_real_looking_values(repo: Repo) -> None:
    files = {
        "copier.yml": "_subdirectory: t\n",
        "t/.env": "POSTGRES_PASSWORD=postgres\nAPI_KEY=9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c\n"
        "DB_PASSWORD=s3cr3tP@ss!\n",
    }
    report = check(repo(files))
    secrets = {(f.start_line, f.level) for f in report.findings if f.rule.endswith("/secret")}
    assert secrets == {(2, "error"), (3, "error")}


# --- found on real templates (pinned commits in the closing note of issue 18) --------------


def test_a_preserved_link_to_a_rendered_file_is_whole(repo: Repo) -> None:
    """pawamoy/copier-uv: project/scripts/make -> make.py beside make.py.jinja."""
    import os

    from tests.conftest import git

    for preserve, expected in ((True, set()), (False, {"project/scripts/make"})):
        path = repo(
            {
                "copier.yml": "_subdirectory: project\n"
                f"_preserve_symlinks: {str(preserve).lower()}\n",
                "project/scripts/make.py.jinja": "print('make')\n",
            },
            commit=False,
        )
        os.symlink("make.py", path / "project/scripts/make")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "x")
        found = {f.path for f in check(path).findings if f.rule == "contamination/symlink"}
        assert found == expected, preserve  # without it Copier follows the link: it dangles


def test_a_docs_folder_named_like_build_output_is_not_build_output(repo: Repo) -> None:
    """serious-scaffold/ss-python: template/docs/reports/coverage/index.md is a page."""
    files = {
        "copier.yml": "_subdirectory: template\n",
        "template/docs/reports/coverage/index.md": "# Coverage\n",
        "template/web/coverage/lcov.info": "TN:\n",
        "pdm.dev.lock": "x\n",
    }
    findings = {(f.rule, f.path) for f in check(repo(files)).findings}
    assert findings == {("contamination/build-artifact", "template/web/coverage/")}


# --- case 13: env files a template ships on purpose ----------------------------------------


def test_env_files_a_template_ships_on_purpose(repo: Repo) -> None:
    files = {
        "copier.yml": "_subdirectory: t\npostgres_password: {type: str, secret: true}\n",
        "t/.gitignore": ".env\n*.env\n",
        "t/db.env.jinja": "POSTGRES_PASSWORD={{ postgres_password }}\n",  # rendered answers
        "t/.env": "# fill in from .env.example\n",  # a comments-only stub
        "t/api/.env": "DEBUG=1\nAPI_TOKEN=sk_dev_4f3a9b2c7d1e\n",  # ignored, but literal values
        "t/web/.gitignore": "!.env\n",  # un-ignored below: every project commits it
        "t/web/.env": "VITE_API_URL=http://localhost:8000\n",
    }
    from tests.conftest import git

    path = repo(files, commit=False)
    git(path, "add", "-f", "-A")  # the template's .gitignore would keep them out of its own repo
    git(path, "commit", "-q", "-m", "x")
    found = {f.path: f for f in check(path).findings if f.rule == "contamination/env-file"}
    assert set(found) == {"t/api/.env", "t/web/.env"}
    assert "carries literal values (API_TOKEN)" in found["t/api/.env"].message
    assert "every generated project will commit it" in found["t/web/.env"].message
    assert {f.level for f in found.values()} == {"error"}
