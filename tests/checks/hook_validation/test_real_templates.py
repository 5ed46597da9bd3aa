"""Issue 18: hook-validation shapes seen on real public templates, each reduced to a small
fixture.

Every test here is a false alarm at error level (or a miss) that prgate had on a
real repository; the fixture keeps the shape, not the repository.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check
from workers.checks.hook_validation.hook_ast import analyse

Repo = Callable[..., Path]

COPIER = (
    "_subdirectory: template\n"
    "project_name: {type: str, default: demo}\n"
    "_tasks:\n"
    '  - ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/hooks/post_gen.py",'
    ' "{{ _copier_answers|to_json }}"]\n'
)
ENTRY = """\
import json
import sys

from lib.names import normalize_identifier

answers = json.loads(sys.argv[1])
if not normalize_identifier(answers["project_name"]):
    sys.exit("project_name is not a valid identifier")
"""
HELPER = """\
import re


def normalize_identifier(text):
    if not text:
        return ""
    return re.sub(r"\\W", "_", text)
"""


def _hook_findings(repo: Repo, files: dict[str, str]) -> set[tuple[str, str]]:
    report = check(repo(files), only=["hook-validation"])
    return {(f.rule.split("/", 1)[1], f.path) for f in report.findings}


def test_library_modules_of_hooks_are_not_hooks(repo: Repo) -> None:
    """hooks/__init__.py and hooks/lib/*.py: imported by the hook a task runs, never run."""
    files = {
        "copier.yml": COPIER,
        "template/README.md": "x\n",
        "hooks/__init__.py": "",
        "hooks/post_gen.py": ENTRY,
        "hooks/lib/__init__.py": "",
        "hooks/lib/names.py": HELPER,
    }
    assert _hook_findings(repo, files) == set()


def test_an_unreferenced_top_level_hook_is_still_dead(repo: Repo) -> None:
    files = {
        "copier.yml": COPIER,
        "template/README.md": "x\n",
        "hooks/post_gen.py": ENTRY.replace(
            "from lib.names import normalize_identifier\n", ""
        ).replace("normalize_identifier(", "str("),
        "hooks/pre_gen.py": "import sys\nprint(sys.argv)\n",
    }
    assert _hook_findings(repo, files) == {("dead-hook", "hooks/pre_gen.py")}


def test_a_helper_that_returns_empty_is_not_a_silent_skip() -> None:
    source = HELPER + "\nimport sys\n\nif __name__ == '__main__':\n    print(sys.argv)\n"
    assert [p.rule.name for p in analyse(source)] == []


def test_the_entry_points_own_return_on_missing_input_is() -> None:
    source = (
        "import sys\n\n\ndef main():\n    if len(sys.argv) < 2:\n        return\n"
        "    print(sys.argv[1])\n\n\nif __name__ == '__main__':\n    main()\n"
    )
    assert [(p.rule.name, p.line) for p in analyse(source)] == [("silent-skip", 5)]


def test_switches_in_the_environment_are_not_answers() -> None:
    source = (
        "import os, sys\n"
        "if os.environ.get('COPIER_SKIP_PROJECT_SETUP'):\n    sys.exit(0)\n"
        "os.environ.get('UV_NO_SYNC')\n"
        "name = os.environ['PROJECT_NAME']\n"
        "print(sys.argv)\n"
    )
    found = {(p.rule.name, p.line) for p in analyse(source, questions={"project_name"})}
    assert found == {("env-answers", 5)}


# --- case 6: path questions that never reach a path; suggested validators that hold -------


def test_a_question_only_tested_in_a_file_name_is_not_a_path_question(repo: Repo) -> None:
    files = {
        "copier.yml": "_subdirectory: t\n"
        "author_username: {type: str, default: someone}\n"
        "cli_name: {type: str, default: ''}\n",
        "t/{% if author_username == 'someone' %}sponsors.yml{% endif %}.jinja": "x\n",
        "t/{% if cli_name %}cli.py{% endif %}": "x\n",
    }
    assert _hook_findings(repo, files) == set()


def test_a_question_written_into_a_file_name_still_is(repo: Repo) -> None:
    files = {
        "copier.yml": "_subdirectory: t\nmodule_name: {type: str, default: my_pkg}\n",
        "t/{% if module_name %}{{ module_name }}{% endif %}/__init__.py": "",
    }
    assert _hook_findings(repo, files) == {("unvalidated-path-question", "copier.yml")}


def test_every_suggested_validator_accepts_the_default_and_rejects_the_unsafe(
    repo: Repo, tmp_path: Path
) -> None:
    """Applied to the template, the suggestion makes the finding go, and Copier itself
    renders the default and refuses each unsafe answer."""
    import copier
    import yaml

    from workers.checks.copier_questions import UNSAFE_ANSWERS, rejects

    for name, default in (
        ("module_name", "my_pkg"),
        ("project_slug", "my-service"),
        ("app_name", "My.App"),
    ):
        files = {
            "copier.yml": f"_subdirectory: t\n{name}: {{type: str, default: {default}}}\n",
            f"t/{{{{ {name} }}}}/x.txt": "x\n",
        }
        path = repo(files)
        [finding] = check(path, only=["hook-validation"]).findings
        assert finding.fix is not None
        validator = yaml.safe_load(finding.fix)["validator"]
        if name == "module_name":
            assert rejects(validator, name, "my-pkg"), "an import name cannot hold '-'"
        assert not rejects(validator, name, default)
        assert all(rejects(validator, name, bad) for bad in UNSAFE_ANSWERS)
        spec = {"type": "str", "default": default, "validator": validator}
        fixed = dict(files, **{"copier.yml": yaml.safe_dump({"_subdirectory": "t", name: spec})})
        fixed_path = repo(fixed)
        assert check(fixed_path, only=["hook-validation"]).findings == []
        copier.run_copy(str(fixed_path), tmp_path / name, defaults=True, quiet=True)
        assert (tmp_path / name / default / "x.txt").exists()


# --- case 7: pytest-copier decided from the code, not the text ------------------------------

USES_FIXTURES = """\
import pytest


@pytest.fixture
def copier_template(tmp_path, copier_template_paths):
    return tmp_path


@pytest.fixture
def copier_defaults():
    return {"project_name": "demo"}
"""


def test_pytest_copier_paths_used_but_never_defined(repo: Repo) -> None:
    """The seed blocker: a conftest names copier_template_paths as a parameter only."""
    files = {"copier.yml": "a: 1\n", "tests/conftest.py": USES_FIXTURES}
    assert _hook_findings(repo, files) == {("pytest-copier-paths", "tests/conftest.py")}


def test_pytest_copier_paths_defined_empty(repo: Repo) -> None:
    empty = USES_FIXTURES + "\n\n@pytest.fixture\ndef copier_template_paths():\n    return []\n"
    files = {"copier.yml": "a: 1\n", "tests/conftest.py": empty}
    [finding] = check(repo(files), only=["hook-validation"]).findings
    assert "return an empty list" in finding.message


def test_pytest_copier_paths_defined_in_a_parent_conftest(repo: Repo) -> None:
    parent = (
        "import pytest\n\n\n@pytest.fixture\ndef copier_template_paths():\n"
        "    return ['copier.yml', 'template']\n"
    )
    files = {
        "copier.yml": "a: 1\n",
        "tests/conftest.py": parent,
        "tests/e2e/conftest.py": USES_FIXTURES,
        "other/conftest.py": USES_FIXTURES,  # not below tests/: the fixture is not there
    }
    assert _hook_findings(repo, files) == {("pytest-copier-paths", "other/conftest.py")}


# --- found on real templates (pinned commits in the closing note of issue 18) --------------


def test_answers_only_tested_in_a_shell_task_are_not_pasted(repo: Repo) -> None:
    """copier-org/autopretty: bool answers inside {% if %} of a string task."""
    copier_yml = (
        "python: {type: bool, default: true}\nhooks: {type: bool, default: true}\n"
        "name: {type: str, default: x}\n_tasks:\n"
        '  - "{% if python and hooks %}poetry add --dev black{% endif %} || true"\n'
        '  - "echo {{ name }}"\n'
    )
    report = check(repo({"copier.yml": copier_yml}), only=["hook-validation"])
    [finding] = [f for f in report.findings if f.rule.endswith("shell-interpolation")]
    assert "_tasks[1]" in finding.message and "name" in finding.message


def test_a_relative_task_script_the_project_gets_is_fine(repo: Repo) -> None:
    """fastapi/full-stack-fastapi-template at 2c7e5150: no _subdirectory, so .copier/ is
    rendered into the project, where the task runs it."""
    files = {
        "copier.yml": '_tasks:\n  - ["{{ _copier_python }}", .copier/update_dotenv.py]\n'
        "_exclude: [copier.yaml, copier.yml, '~*', '*.py[co]', __pycache__, .git, .DS_Store,"
        " .svn]\n",
        ".copier/update_dotenv.py": "import sys\nprint(sys.argv)\n",
        "README.md": "x\n",
    }
    assert _hook_findings(repo, files) == set()
    excluded = dict(files, **{"copier.yml": files["copier.yml"].replace("]\n", ", .copier]\n")})
    assert ("relative-task-script", "copier.yml") in _hook_findings(repo, excluded)


def test_a_computed_path_question_blames_the_answer_it_is_computed_from(
    repo: Repo, tmp_path: Path
) -> None:
    """superlinear-ai/substrate: project_name_snake_case (when: false) is computed from
    project_name, whose validator only refuses blanks; the fix goes on project_name, keeps
    free text such as 'My Package', and Copier renders the fixed template."""
    import copier
    import yaml

    from workers.checks.copier_questions import UNSAFE_ANSWERS, rejects

    questions = {
        "_subdirectory": "t",
        "project_name": {
            "type": "str",
            "default": "My Package",
            "validator": "{% if not project_name.strip() %}Invalid{% endif %}",
        },
        "project_name_snake_case": {
            "when": False,
            "default": "{{ project_name | lower | replace(' ', '_') }}",
        },
    }
    files = {"copier.yml": yaml.safe_dump(questions), "t/{{ project_name_snake_case }}/x": "x\n"}
    [finding] = check(repo(files), only=["hook-validation"]).findings
    assert "question 'project_name'" in finding.message
    assert "through 'project_name_snake_case'" in finding.message
    assert finding.fix is not None
    validator = yaml.safe_load(finding.fix)["validator"]
    assert not rejects(validator, "project_name", "My Package")
    assert all(rejects(validator, "project_name", bad) for bad in UNSAFE_ANSWERS)
    questions["project_name"]["validator"] = validator  # type: ignore[index]
    fixed = repo({**files, "copier.yml": yaml.safe_dump(questions)})
    assert check(fixed, only=["hook-validation"]).findings == []
    copier.run_copy(str(fixed), tmp_path / "out", defaults=True, quiet=True)
    assert (tmp_path / "out" / "my_package" / "x").exists()
