"""Issue 18: shapes seen on real public templates, each reduced to a small fixture.

Every test here is a false alarm at error level (or a miss) that prgate had on a
real repository; the fixture keeps the shape, not the repository.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check
from workers.checks.hook_ast import analyse

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
    assert [p.rule for p in analyse(source)] == []


def test_the_entry_points_own_return_on_missing_input_is() -> None:
    source = (
        "import sys\n\n\ndef main():\n    if len(sys.argv) < 2:\n        return\n"
        "    print(sys.argv[1])\n\n\nif __name__ == '__main__':\n    main()\n"
    )
    assert [(p.rule, p.line) for p in analyse(source)] == [("silent-skip", 5)]


def test_switches_in_the_environment_are_not_answers() -> None:
    source = (
        "import os, sys\n"
        "if os.environ.get('COPIER_SKIP_PROJECT_SETUP'):\n    sys.exit(0)\n"
        "os.environ.get('UV_NO_SYNC')\n"
        "name = os.environ['PROJECT_NAME']\n"
        "print(sys.argv)\n"
    )
    found = {(p.rule, p.line) for p in analyse(source, questions={"project_name"})}
    assert found == {("env-answers", 5)}
