"""hook-validation static rules on fixture templates, and real Copier proving what they claim."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import copier
import pytest

from tests.conftest import check, needs_sandbox
from workers import sandbox
from workers.checks.hook_validation.hook_ast import analyse
from workers.engine.findings import CheckResult, Level

Repo = Callable[..., Path]

# The seed's broken hook: waits for a copier_answers.json Copier never writes, exits 0 without it.
BROKEN_HOOK = """\
import json
import sys
from pathlib import Path

answers_path = Path("copier_answers.json")
if not answers_path.exists():
    sys.exit(0)
answers = json.loads(answers_path.read_text())
if "/" in answers["project_slug"]:
    print("error: project_slug must not contain /", file=sys.stderr)
    sys.exit(1)
"""
BROKEN_COPIER = """\
_subdirectory: template
project_slug:
  type: str
  default: demo
_tasks:
  - "{{ _copier_python }} {{ _copier_conf.src_path }}/hooks/pre_gen.py"
"""
# Correctly wired: the task passes the answers as an argument and the hook fails loudly.
GOOD_HOOK = """\
import json
import sys

answers = json.loads(sys.argv[1])
slug = answers["project_slug"]
if "/" in slug or slug.startswith(".") or not slug:
    print(f"error: invalid project_slug {slug!r}", file=sys.stderr)
    sys.exit(1)
"""
GOOD_COPIER = """\
_subdirectory: template
project_slug:
  type: str
  default: demo
  validator: '{% if not (project_slug | regex_search("^[a-z][a-z0-9-]*\\\\Z")) %}lowercase letters, digits and - only{% endif %}'
_tasks:
  - ["{{ _copier_python }}", "{{ _copier_conf.src_path / 'hooks' / 'validate.py' }}", "{{ _copier_answers|to_json }}"]
"""


def rules(repo: Repo, files: dict[str, str]) -> set[tuple[str, str]]:
    report = check(repo(files), only=["hook-validation"])
    return {(f.rule.split("/", 1)[1], f.path) for f in report.findings}


def broken_template() -> dict[str, str]:
    return {
        "copier.yml": BROKEN_COPIER,
        "hooks/pre_gen.py": BROKEN_HOOK,
        "template/{{project_slug}}/README.md.jinja": "# {{ project_slug }}\n",
    }


def good_template() -> dict[str, str]:
    return {
        "copier.yml": GOOD_COPIER,
        "hooks/validate.py": GOOD_HOOK,
        "template/{{project_slug}}/README.md.jinja": "# {{ project_slug }}\n",
    }


def test_seed_broken_hook_is_caught(repo: Repo) -> None:
    found = rules(repo, broken_template())
    assert ("context-file", "hooks/pre_gen.py") in found
    assert ("silent-skip", "hooks/pre_gen.py") in found
    report = check(repo(broken_template()), only=["hook-validation"])
    silent = next(f for f in report.findings if f.rule.endswith("silent-skip"))
    assert silent.start_line == 6 and "answers_path.exists()" in silent.message


def test_correctly_wired_template_has_no_findings(repo: Repo) -> None:
    assert rules(repo, good_template()) == set()


def test_real_copier_agrees(repo: Repo, tmp_path: Path) -> None:
    """What the rules claim, shown with Copier 9 itself: the broken hook lets a bad slug through."""
    broken = repo(broken_template())
    out = tmp_path / "out-broken"
    copier.run_copy(
        str(broken),
        out,
        data={"project_slug": "a/b"},
        defaults=True,
        unsafe=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    assert (out / "a" / "b" / "README.md").exists()  # nested, never validated
    good = repo(good_template())
    with pytest.raises(Exception, match="lowercase letters"):
        copier.run_copy(
            str(good),
            tmp_path / "out-good",
            data={"project_slug": "a/b"},
            defaults=True,
            unsafe=True,
            vcs_ref="HEAD",
            quiet=True,
        )
    done = tmp_path / "out-ok"
    copier.run_copy(
        str(good),
        done,
        data={"project_slug": "ok-slug"},
        defaults=True,
        unsafe=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    assert (done / "ok-slug" / "README.md").read_text() == "# ok-slug\n"


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        (
            '"{{ _copier_python }} {{ _copier_conf.src_path }}/hooks/gone.py"',
            {("missing-task-script", "copier.yml")},
        ),
        ('"python hooks/validate.py"', {("relative-task-script", "copier.yml")}),
        (
            '["{{ _copier_python }}", "{{ _copier_conf.src_path }}/hooks/validate.py", "{{ _copier_answers|to_json }}"]',
            set(),
        ),
        (
            '{command: "{{ _copier_python }} {{ _copier_conf.src_path }}/hooks/validate.py {{ _copier_answers|to_json|quote }}", when: "{{ _copier_operation == \'copy\' }}"}',
            set(),
        ),
    ],
)
def test_task_script_paths(repo: Repo, task: str, expected: set[tuple[str, str]]) -> None:
    files = {
        "copier.yml": f"_subdirectory: template\n_tasks:\n  - {task}\n",
        "hooks/validate.py": GOOD_HOOK,
        "template/x.txt": "x",
    }
    found = rules(repo, files)
    assert found - {("dead-hook", "hooks/validate.py")} == expected


def test_a_shell_one_liner_is_read_word_by_word(repo: Repo) -> None:
    """``sh -c "echo … && python hooks/x.py"``: the script is hooks/x.py, and so is the fix."""
    files = {
        "copier.yml": "_subdirectory: template\n_tasks:\n"
        '  - ["sh", "-c", "echo checking && python hooks/validate.py"]\n',
        "hooks/validate.py": GOOD_HOOK,
        "template/x.txt": "x",
    }
    report = check(repo(files), only=["hook-validation"])
    [finding] = [f for f in report.findings if f.rule.endswith("relative-task-script")]
    assert "'hooks/validate.py'" in finding.message
    assert finding.fix == "{{ _copier_conf.src_path }}/hooks/validate.py"


def test_untracked_task_script(repo: Repo) -> None:
    path = repo(
        {
            "copier.yml": "_subdirectory: t\n_tasks:\n  - ['python', '{{ _copier_conf.src_path }}/hooks/v.py', '{{ _copier_answers|to_json }}']\n",
            "t/x.txt": "x",
        }
    )
    (path / "hooks").mkdir()
    (path / "hooks" / "v.py").write_text(GOOD_HOOK)  # on disk, never committed
    report = check(path, only=["hook-validation"])
    assert [(f.rule, f.path) for f in report.findings] == [
        ("hook-validation/missing-task-script", "hooks/v.py")
    ]
    assert "not committed" in report.findings[0].message


def test_migrations_are_read_too(repo: Repo) -> None:
    files = {
        "copier.yml": (
            "_subdirectory: t\n_migrations:\n"
            "  - version: v2.0.0\n    command: '{{ _copier_python }} {{ _copier_conf.src_path }}/hooks/m.py'\n"
            "  - version: v1.0.0\n    before: ['python {{ _copier_conf.src_path }}/hooks/legacy.py']\n"
        ),
        "hooks/m.py": GOOD_HOOK,
        "t/x": "x",
    }
    assert rules(repo, files) == {("missing-task-script", "copier.yml")}  # legacy.py is missing


def test_dead_hook_and_hooks_rendered(repo: Repo) -> None:
    files = {"copier.yml": "a: 1\n", "hooks/post_gen.py": GOOD_HOOK, "src/x.txt": "x"}
    assert rules(repo, files) == {
        ("dead-hook", "hooks/post_gen.py"),
        ("hooks-rendered", "hooks/"),
    }
    excluded = {
        **files,
        "copier.yml": "_exclude: [hooks, copier.yml, copier.yaml, '~*', '*.py[co]', __pycache__, .git, .DS_Store, .svn]\n",
    }
    assert rules(repo, excluded) == {("dead-hook", "hooks/post_gen.py")}


def test_copierignore_and_exclude_dropping_defaults(repo: Repo) -> None:
    files = {"copier.yml": "_exclude: ['*.bak']\n", ".copierignore": "*.bak\n", "src/x": "x"}
    found = rules(repo, files)
    assert found == {("copierignore", ".copierignore"), ("exclude-drops-defaults", "copier.yml")}
    report = check(repo(files), only=["hook-validation"])
    dropped = next(f for f in report.findings if f.rule.endswith("exclude-drops-defaults"))
    assert "copier.yml, .git" in dropped.message or "copier.yaml, copier.yml" in dropped.message
    assert "copier.yaml, copier.yml, ~*, *.py[co], __pycache__, .git" in dropped.message
    with_sub = {"copier.yml": "_subdirectory: t\n_exclude: ['*.bak']\n", "t/x": "x"}
    assert rules(repo, with_sub) == set()  # with a _subdirectory Copier's default list is empty


def test_exclude_drops_defaults_names_only_what_is_really_lost(repo: Repo) -> None:
    """`/copier.yml`, `/.git` and `/**.pyc` cover those at the root (Copier's matching): they
    are not named; what the patterns miss is, and where."""
    files = {"copier.yml": "_exclude: [/copier.yml, /.git, '/**.pyc', '*.bak']\n", "src/x": "x"}
    report = check(repo(files), only=["hook-validation"])
    (dropped,) = [f for f in report.findings if f.rule.endswith("exclude-drops-defaults")]
    lost = dropped.message.partition("do not cover ")[2].partition(": those")[0]
    assert lost == "copier.yaml, ~*, *.py[co] (in subfolders), __pycache__, .DS_Store, .svn"
    every = "[copier.yml, copier.yaml, '~*', '*.pyc', __pycache__, .git, .DS_Store, .svn]"
    assert rules(repo, {"copier.yml": f"_exclude: {every}\n", "src/x": "x"}) == set()


def test_the_default_exclusions_each_have_their_paths() -> None:
    from workers.checks.hook_validation.check import _DEFAULT_EXCLUDED
    from workers.checks.template_roots import DEFAULT_EXCLUDE

    assert tuple(_DEFAULT_EXCLUDED) == DEFAULT_EXCLUDE


@pytest.mark.parametrize(
    "definition",
    [
        # VibesPro 0ed622a: the fix of seed blocker B2
        "PYTEST_COPIER_AVAILABLE = True\nif PYTEST_COPIER_AVAILABLE:\n"
        "    @pytest.fixture\n    def copier_template_paths():\n        return ['copier.yml']\n",
        "try:\n    import pytest_copier\nexcept ImportError:\n    pass\nelse:\n"
        "    @pytest.fixture\n    def copier_template_paths():\n        return ['copier.yml']\n",
        "def _paths():\n    return ['copier.yml', 'template']\n\n"
        "copier_template_paths = pytest.fixture(name='copier_template_paths')(_paths)\n",
    ],
)
def test_a_paths_fixture_in_a_block_or_assigned_counts(repo: Repo, definition: str) -> None:
    conftest = "import pytest\npytest_plugins = ['pytest_copier']\n" + definition
    assert rules(repo, {"copier.yml": "a: 1\n", "tests/conftest.py": conftest}) == set()


def test_a_paths_fixture_inside_a_function_does_not_count(repo: Repo) -> None:
    conftest = (
        "import pytest\npytest_plugins = ['pytest_copier']\n\ndef setup():\n"
        "    @pytest.fixture\n    def copier_template_paths():\n        return ['copier.yml']\n"
    )
    assert rules(repo, {"copier.yml": "a: 1\n", "tests/conftest.py": conftest}) == {
        ("pytest-copier-paths", "tests/conftest.py")
    }


def test_pytest_copier_without_template_paths(repo: Repo) -> None:
    bad = {"copier.yml": "a: 1\n", "tests/conftest.py": "pytest_plugins = ['pytest_copier']\n"}
    assert rules(repo, bad) == {("pytest-copier-paths", "tests/conftest.py")}
    good = {
        "copier.yml": "a: 1\n",
        "tests/conftest.py": (
            "import pytest\npytest_plugins = ['pytest_copier']\n\n@pytest.fixture\n"
            "def copier_template_paths():\n    return ['copier.yml', 'template']\n"
        ),
    }
    assert rules(repo, good) == set()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "import os, sys\nslug = os.environ['PROJECT_SLUG']\nprint(sys.argv)\n",
            {("env-answers", 2)},
        ),
        ("import os, sys\nif os.environ.get('STAGE') == 'task':\n    print(sys.argv[1])\n", set()),
        (
            "import sys\nslug = sys.argv[1]\nif '/' in slug:\n    print('error: bad slug', file=sys.stderr)\n    sys.exit(0)\n",
            {("error-exit-zero", 5)},
        ),
        (
            "import sys\nslug = sys.argv[1]\nif '/' in slug:\n    print('error: bad slug', file=sys.stderr)\n    sys.exit(1)\n",
            set(),
        ),
        ("print('validating')\n", {("no-input", 1)}),
        (
            "import sys\ndef main():\n    data = sys.argv[1:]\n    if not data:\n        return\nmain()\n",
            {("silent-skip", 4)},
        ),
        ("import sys\nif len(sys.argv) < 2:\n    sys.exit('usage: validate.py ANSWERS')\n", set()),
        ("def broken(:\n", {("unparsable-hook", 1)}),
        (
            "import json, sys\nctx = json.load(open('build/template_context.json'))\nprint(sys.argv)\n",
            {("context-file", 2)},
        ),
    ],
)
def test_hook_ast_rules(source: str, expected: set[tuple[str, int]]) -> None:
    found = analyse(source, questions={"project_slug"})
    assert {(p.rule.name, p.line) for p in found} == expected


def test_no_copier_template_is_a_note_not_a_pass_of_something(repo: Repo) -> None:
    report = check(repo({"README.md": "x"}), only=["hook-validation"])
    assert report.findings == [] and report.results[0].status == "success"
    assert "no Copier templates found" in report.results[0].notes[0].message


DOLLAR = "'{% if not (slug | regex_search(\"^[a-z][a-z0-9-]*$\")) %}bad slug{% endif %}'"
ZED = "'{% if not (slug | regex_search(\"^[a-z][a-z0-9-]*\\\\Z\")) %}bad slug{% endif %}'"


def question_template(spec: str, extra: str = "") -> dict[str, str]:
    return {
        "copier.yml": f"_subdirectory: t\n{extra}slug:\n{spec}",
        "t/{{ slug }}/README.md.jinja": "# {{ slug }}\n",
    }


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("  type: str\n", "has no validator"),
        (f"  type: str\n  validator: {DOLLAR}\n", "accepts 'abc\\n' (a `$`-anchored regex"),
        (
            "  type: str\n  validator: \"{% if '/' in slug %}no slashes{% endif %}\"\n",
            "accepts '', 'abc\\n', '~x', '.', 'a\\\\b'. Add",
        ),  # partial; no regex, so no `$` hint
        (f"  type: str\n  when: false\n  validator: {ZED}\n", "has `when: false`"),
        (f"  type: str\n  secret: true\n  validator: {ZED}\n", "is `secret`"),
    ],
)
def test_path_question_validators(repo: Repo, spec: str, problem: str) -> None:
    report = check(repo(question_template(spec)), only=["hook-validation"])
    (finding,) = [f for f in report.findings if f.rule.endswith("unvalidated-path-question")]
    assert finding.path == "copier.yml" and finding.start_line == 2
    assert problem in finding.message and "'{{ slug }}'" in finding.message
    assert finding.fix is not None and "\\\\Z" in finding.fix


@pytest.mark.parametrize(
    "spec",
    [
        f"  type: str\n  validator: {ZED}\n",
        "  type: int\n  default: 3\n",
        "  type: str\n  choices: [web, worker, cli]\n",
    ],
)
def test_path_question_validators_that_hold(repo: Repo, spec: str) -> None:
    assert rules(repo, question_template(spec)) == set()


def test_unsafe_choices_still_need_a_validator(repo: Repo) -> None:
    spec = "  type: str\n  choices: [web, ../escape]\n"
    assert ("unvalidated-path-question", "copier.yml") in rules(repo, question_template(spec))


def test_questions_in_subdirectory_answers_file_and_working_directory(repo: Repo) -> None:
    files = {
        "copier.yml": (
            "_subdirectory: '{{ variant }}'\n_answers_file: '.answers/{{ team }}.yml'\n"
            "_tasks:\n  - command: [make, setup]\n    working_directory: '{{ pkg }}'\n"
            "variant:\n  type: str\nteam:\n  type: str\npkg:\n  type: str\n"
        ),
        "web/x.txt": "x",
    }
    report = check(repo(files), only=["hook-validation"])
    named = sorted(f.message.split("'")[1] for f in report.findings)
    assert named == ["pkg", "team", "variant"]


def test_real_copier_lets_a_dollar_anchored_newline_through(repo: Repo, tmp_path: Path) -> None:
    dollar = repo(question_template(f"  type: str\n  validator: {DOLLAR}\n"))
    copier.run_copy(
        str(dollar),
        tmp_path / "a",
        data={"slug": "abc\n"},
        defaults=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    assert (tmp_path / "a" / "abc\n" / "README.md").exists()  # what the finding says happens
    zed = repo(question_template(f"  type: str\n  validator: {ZED}\n"))
    with pytest.raises(ValueError, match="bad slug"):
        copier.run_copy(
            str(zed),
            tmp_path / "b",
            data={"slug": "abc\n"},
            defaults=True,
            vcs_ref="HEAD",
            quiet=True,
        )


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ('"echo {{ project_name }} > NAME"', {"shell-interpolation"}),
        ('["sh", "-c", "echo $0", "{{ project_name }}"]', set()),
        ('"git init"', {"one-shot-task"}),
        ('{command: "git init", when: "{{ _copier_operation == \'copy\' }}"}', set()),
        ('["rm", "-rf", "tmp"]', {"one-shot-task"}),
        ('"echo {{ _copier_conf.dst_path }}"', set()),  # Copier's own values, not answers
    ],
)
def test_task_shapes(repo: Repo, task: str, expected: set[str]) -> None:
    files = {
        "copier.yml": f"_subdirectory: t\nproject_name:\n  type: str\n_tasks:\n  - {task}\n",
        "t/x": "x",
    }
    assert {rule for rule, _ in rules(repo, files)} == expected


def test_the_suggested_validator_fixes_it(repo: Repo, tmp_path: Path) -> None:
    """Paste the finding's fix into copier.yml: prgate is satisfied and Copier rejects 'a/b'."""
    (finding,) = check(repo(question_template("  type: str\n")), only=["hook-validation"]).findings
    assert finding.fix is not None
    fixed = repo(question_template(f"  type: str\n  {finding.fix}\n"))
    assert check(fixed, only=["hook-validation"]).findings == []
    with pytest.raises(ValueError, match="use lowercase letters"):
        copier.run_copy(
            str(fixed),
            tmp_path / "out",
            data={"slug": "a/b"},
            defaults=True,
            vcs_ref="HEAD",
            quiet=True,
        )
    copier.run_copy(
        str(fixed),
        tmp_path / "ok",
        data={"slug": "good-slug"},
        defaults=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    assert (tmp_path / "ok" / "good-slug" / "README.md").exists()


# --- render mode ---------------------------------------------------------------------------


def render_rules(path: Path) -> list[tuple[str, str, str]]:
    from workers.engine.config import parse_config

    config = parse_config("hook-validation:\n  render: true\n")
    report = check(path, config, only=["hook-validation"])
    return sorted(
        (f.rule.split("/", 1)[1], f.path, f.message)
        for f in report.findings
        if f.rule.split("/", 1)[1]
        in (
            "unsafe-answer-accepted",
            "rendered-contamination",
            "leaked-machinery",
            "render-failed",
            "unvalidated-path-question",
        )
    )


def test_render_confirms_the_static_finding_with_what_each_answer_produced(repo: Repo) -> None:
    """One defect, one finding (pawamoy/copier-pdm had 8 for one question): the static
    finding, with the answers Copier rendered and the paths each produced as evidence."""
    loose = render_rules(repo(question_template("  type: str\n  default: demo\n")))
    assert [rule for rule, _, _ in loose] == ["unvalidated-path-question"]
    evidence = loose[0][2].partition("Render mode confirms it: ")[2]
    assert "'a/b' produced a/b/README.md" in evidence  # where the answer went
    assert ".copier-answers.yml" not in evidence  # not the first files alphabetically
    assert "'../x'" not in evidence and "'/abs'" not in evidence  # Copier refuses escapes
    tight = render_rules(
        repo(question_template(f"  type: str\n  default: demo\n  validator: {ZED}\n"))
    )
    assert tight == []


def test_render_tries_unsafe_answers_on_the_question_a_user_answers(repo: Repo) -> None:
    """superlinear-ai/substrate: a never-asked `slug` (when: false) computed from `name`.
    Before: render blamed `slug` and asked for its validator, which Copier never applies to a
    question it does not ask; the answer a user types is `name`, as the static rule says."""
    files = {
        "copier.yml": "_subdirectory: t\nname:\n  type: str\n  default: Demo\n"
        'slug:\n  type: str\n  when: false\n  default: "{{ name | lower }}"\n',
        "t/{{ slug }}/README.md.jinja": "# {{ slug }}\n",
    }
    found = render_rules(repo(files))
    assert [rule for rule, _, _ in found] == ["unvalidated-path-question"], found
    assert found[0][2].startswith("question 'name'") and "'a/b' produced" in found[0][2]


def test_render_finds_an_env_file_that_only_appears_after_rendering(repo: Repo) -> None:
    files = {
        "copier.yml": "_subdirectory: t\nuse_env:\n  type: bool\n  default: true\n",
        "t/{% if use_env %}.env{% endif %}": "APP_ENV=dev\n",
        "t/README.md": "x\n",
    }
    path = repo(files)
    assert check(path).findings == []  # the source itself looks clean to contamination
    found = render_rules(path)
    assert [(rule, where) for rule, where, _ in found] == [
        ("rendered-contamination", "t/{% if use_env %}.env{% endif %}")
    ]
    assert "produces .env (contamination/env-file)" in found[0][2]


def test_render_reports_leaked_machinery(repo: Repo) -> None:
    files = {
        "copier.yml": "name:\n  type: str\n  default: x\n",
        ".copierignore": "*.bak\n",
        "src/a.txt": "a",
    }
    from workers.engine.config import parse_config

    config = parse_config("hook-validation:\n  render: true\n")
    report = check(repo(files), config, only=["hook-validation"])
    # one defect, one finding: the static copierignore, with render mode's proof, as an error
    [found] = [f for f in report.findings if f.path == ".copierignore"]
    assert found.rule.endswith("/copierignore") and found.level is Level.ERROR
    assert (
        "Render mode confirms it: rendering the defaults produces .copierignore." in found.message
    )


def test_a_hooks_folder_of_the_project_itself_is_no_leak(repo: Repo) -> None:
    """Under a _subdirectory, a hooks/ folder or a copier.yml in the output is the project's
    own content (VibesPro ships sub-templates so): not the template's machinery."""
    files = {
        "copier.yml": "_subdirectory: t\nname:\n  type: str\n  default: x\n",
        "t/tools/sub/hooks/post_gen.py": "print('sub-template hook')\n",
        "t/tools/sub/copier.yml": "_templates_suffix: .j2\n",
        "t/README.md": "x\n",
    }
    assert render_rules(repo(files)) == []


def test_a_template_inside_another_s_rendered_folder_is_rendered_with_it(repo: Repo) -> None:
    """VibesPro 51fa84d: a sub-template whose Jinja reads the outer template's answers fails
    alone ('project_slug' is undefined), which no user ever does."""
    files = {
        "copier.yml": "project_slug:\n  type: str\n  default: demo\n  validator: "
        "\"{% if not project_slug.isalnum() %}bad{% endif %}\"\n_exclude: ['*.bak', '~*', "
        "'*.pyc', __pycache__, .git, .DS_Store, .svn, copier.yaml, /copier.yml]\n",
        "templates/sub/copier.yml": "x:\n  type: str\n  default: y\n",
        "templates/sub/README.md.jinja": "{{ project_slug }}\n",
    }
    from workers.engine.config import parse_config

    config = parse_config("hook-validation:\n  render: true\n")
    report = check(repo(files), config, only=["hook-validation"])
    assert not any(f.rule.endswith("render-failed") for f in report.findings), report.findings
    notes = report.results[0].notes
    assert any(
        n.path == "templates/sub/copier.yml" and "not rendered on its own" in n.message
        for n in notes
    )


def test_render_stops_a_template_that_hangs(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRGATE_RENDER_TIMEOUT", "3")
    files = {
        "copier.yml": "_subdirectory: t\n",
        "t/big.txt.jinja": "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
    }
    started = time.monotonic()
    found = render_rules(repo(files))
    assert time.monotonic() - started < 30
    assert [(rule, m.split(": ", 1)[1]) for rule, _, m in found] == [
        ("render-failed", "the render did not finish in 3 s and was stopped")
    ]


@pytest.fixture
def no_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine where the OS sandbox cannot run (PRGATE_SANDBOX=off: the same code path)."""
    monkeypatch.setenv("PRGATE_SANDBOX", "off")
    sandbox.unavailable.cache_clear()
    yield
    sandbox.unavailable.cache_clear()


def render_report(path: Path) -> CheckResult:
    from workers.engine.config import parse_config

    config = parse_config("hook-validation:\n  render: true\n")
    return check(path, config, only=["hook-validation"]).results[0]


EXTENSION = {
    "copier.yml": "_jinja_extensions: [evil.Ext]\nname:\n  type: str\n  default: x\n",
    "a.txt": "a",
}


def test_without_a_sandbox_extensions_are_refused_and_tasks_skipped(
    repo: Repo, no_sandbox: None
) -> None:
    result = render_report(repo(EXTENSION))
    assert any(
        "uses _jinja_extensions" in n.message and "PRGATE_SANDBOX=off" in n.message
        for n in result.notes
    )
    assert not any(
        f.rule.endswith(("render-failed", "unsafe-answer-accepted")) for f in result.findings
    )
    touched = repo(
        {
            **TASK_TEMPLATE,
            "copier.yml": TASK_TEMPLATE["copier.yml"].format(task='["touch", "task-ran"]'),
        }
    )
    result = render_report(touched)
    assert [n.message for n in result.notes if "rendered" in n.message] == [
        "rendered with tasks skipped: the sandbox is switched off (PRGATE_SANDBOX=off)"
    ]


TASK_TEMPLATE = {
    "copier.yml": "_subdirectory: t\nname:\n  type: str\n  default: x\n  validator: "
    "\"{{% if not (name | regex_search('^[a-z]+\\\\Z')) %}}bad{{% endif %}}\"\n"
    "_tasks:\n  - {task}\n",
    "t/README.md.jinja": "# {{ name }}\n",
}


def task_template(repo: Repo, task: str) -> Path:
    return repo({**TASK_TEMPLATE, "copier.yml": TASK_TEMPLATE["copier.yml"].format(task=task)})


@needs_sandbox
def test_in_the_sandbox_tasks_run_and_the_run_says_so(repo: Repo) -> None:
    result = render_report(task_template(repo, '["touch", "task-ran"]'))
    assert result.findings == []
    assert any(
        n.message.startswith("rendered in the sandbox with the template's tasks")
        for n in result.notes
    )


@needs_sandbox
def test_in_the_sandbox_an_extension_prgate_lacks_is_no_verdict_on_the_template(
    repo: Repo,
) -> None:
    """A package prgate's render environment does not have is prgate's limit: the check
    could not run (neutral), with the module named; the static findings still come."""
    result = render_report(repo(EXTENSION))
    assert not [f for f in result.findings if f.rule.endswith("render-failed")]
    assert result.error is not None and "'evil'" in result.error


@needs_sandbox
def test_in_the_sandbox_a_missing_extension_file_of_the_template_fails_the_render(
    repo: Repo,
) -> None:
    """``extensions.py:Name`` names the template's own file: missing, it is the template's."""
    files = {
        **EXTENSION,
        "copier.yml": EXTENSION["copier.yml"].replace("evil.Ext", "evil.py:Ext"),
        "evil/README.md": "a folder, not the module\n",
    }
    result = render_report(repo(files))
    failed = [f.message for f in result.findings if f.rule.endswith("render-failed")]
    assert failed and result.error is None


@needs_sandbox
def test_the_widely_used_extension_packages_render(repo: Repo) -> None:
    files = {
        "copier.yml": "_jinja_extensions:\n  - copier_template_extensions.TemplateExtensionLoader\n"
        "  - jinja2_time.TimeExtension\nname: {type: str}\n",
        "{{ name }}.txt.jinja": "{% now 'utc', '%Y' %}\n",
    }
    result = render_report(repo(files))
    assert result.error is None
    assert not [f for f in result.findings if f.rule.endswith("render-failed")], result
    assert any("answered with samples: name='example'" in n.message for n in result.notes)


@needs_sandbox
def test_a_task_that_tries_the_network_is_contained_and_reported(repo: Repo) -> None:
    task = (
        '["{{ _copier_python }}", "-c", "import socket; '
        "socket.create_connection(('1.1.1.1', 443), timeout=5)\"]"
    )
    found = render_rules(task_template(repo, task))
    assert [rule for rule, _, _ in found] == ["render-failed"]
    assert "Network is unreachable" in found[0][2], found[0][2]


@needs_sandbox
def test_a_task_that_reads_home_sees_only_the_sandbox(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "worker-home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY OF THE WORKER\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PRIVATE_KEY", "the App's key")
    # The task looks in $HOME, at the worker's real home by absolute path, and in its env.
    script = (
        f"cat $HOME/.ssh/id_ed25519 || cat {home}/.ssh/id_ed25519 || true; "
        "env | grep -c PRIVATE_KEY; cat /proc/1/environ | tr '\\\\0' '\\\\n' | "
        "grep -c PRIVATE_KEY; exit 3"
    )
    found = render_rules(task_template(repo, f'["sh", "-c", "{script}"]'))
    assert [rule for rule, _, _ in found] == ["render-failed"]
    message = found[0][2]
    assert "No such file or directory" in message and "PRIVATE KEY OF THE WORKER" not in message


@needs_sandbox
def test_a_task_that_sleeps_forever_is_stopped_and_leaves_nothing_running(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRGATE_RENDER_TIMEOUT", "4")
    marker = f"sleep {os.getpid() % 1000 + 3000}"
    started = time.monotonic()
    found = render_rules(task_template(repo, f'["sh", "-c", "{marker} & {marker}"]'))
    assert time.monotonic() - started < 30
    assert found == [
        (
            "render-failed",
            "copier.yml",
            "rendering the template: the render did not finish in 4 s and was stopped",
        )
    ]
    alive = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    assert alive.stdout == "", "a process the task started outlived the sandbox"


def test_render_failure_of_the_defaults(repo: Repo) -> None:
    files = {
        "copier.yml": f"_subdirectory: t\nslug:\n  type: str\n  default: Not Valid\n  validator: {ZED}\n",
        "t/{{ slug }}/x.txt": "x",
    }
    found = render_rules(repo(files))
    assert any(rule == "render-failed" and "bad slug" in m for rule, _, m in found)


def test_render_gives_the_template_its_commit_as_its_repository_would(repo: Repo) -> None:
    """DiamondLightSource/python-copier-template@a0cac989 links its docs with
    `{{ _copier_answers._commit }}`, which Copier sets only for a template in git; prgate
    rendered a plain copy and reported render-failed ('dict object' has no attribute
    '_commit'), an error-level false alarm."""
    files = {
        "copier.yml": "_subdirectory: t\nname:\n  type: str\n  default: demo\n",
        "t/README.md.jinja": "docs: {{ _copier_answers._commit.split('-')[0] }}\n"
        "ref: {{ _copier_conf.vcs_ref_hash[:7] }}\n",
    }
    found = render_rules(repo(files))
    assert not [f for f in found if f[0] == "render-failed"], found


def test_a_refused_unsafe_answer_writes_nothing(repo: Repo, tmp_path: Path) -> None:
    from workers.checks.hook_validation.render import render_template

    src = task_template(repo, '["touch", "task-ran"]')
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    for answer in ("../x", "a/b", "/abs"):
        dest = scratch / "out" / "project"
        result = render_template(
            src, dest, {"name": answer}, "HEAD", scratch, tasks=False, readonly=[src, src / ".git"]
        )
        assert not result.ok and "bad" in (result.error or ""), result
        assert not [p for p in scratch.rglob("*") if p.is_file() and p.suffix != ".gitconfig"]
        assert not (tmp_path / "x").exists() and not Path("/abs").exists()


def test_fingerprints_follow_the_subject_not_the_wording(repo: Repo) -> None:
    """An open review comment is matched by fingerprint: a finding whose message changes
    (the question is now used in a second place) keeps it; another question does not."""
    one = question_template("  type: str\n")
    two = {**one, "t/docs/{{ slug }}.md.jinja": "x\n"}
    (first,) = check(repo(one), only=["hook-validation"]).findings
    (second,) = check(repo(two), only=["hook-validation"]).findings
    assert first.message != second.message
    assert first.fingerprint == second.fingerprint
    other = {
        "copier.yml": "_subdirectory: t\nname:\n  type: str\n",
        "t/{{ name }}/README.md.jinja": "# x\n",
    }
    (third,) = check(repo(other), only=["hook-validation"]).findings
    assert third.fingerprint != first.fingerprint


def test_render_says_what_it_is_doing_on_stderr(repo: Repo) -> None:
    """--render takes seconds per render: a person waiting sees each phase, one line each
    when stderr is not a terminal; stdout stays the report."""
    from tests.conftest import run_cli

    path = repo(question_template("  type: str\n  default: demo\n"))
    result = run_cli("check", "--render", "--only", "hook-validation", str(path))
    lines = result.stderr.splitlines()
    assert "prgate: hook-validation: checking" in lines[0]
    assert "prgate: copier.yml: rendering the template with its defaults" in lines
    assert any(
        re.fullmatch(r"prgate: copier.yml: rendering slug='a/b' \(\d+/\d+\)", x) for x in lines
    )
    assert "\x1b[" not in result.stderr  # not a terminal: no line rewriting
    assert "rendering" not in result.stdout


def test_render_mode_without_copier_could_not_run(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checker alone (no prgate[render]) has no Copier: render mode says so and the
    check could not run, never a pass."""
    import importlib.util

    from workers.checks.hook_validation import hook_render
    from workers.engine.config import parse_config

    real = importlib.util.find_spec
    monkeypatch.setattr(
        hook_render.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "copier" else real(name, *a),
    )
    config = parse_config("hook-validation:\n  render: true\n")
    report = check(
        repo(question_template("  type: str\n  default: demo\n")), config, only=["hook-validation"]
    )
    [result] = report.results
    assert result.error is not None and "pip install 'prgate[render]'" in result.error
    assert report.exit_code == 2


# VibesPro 8946046 (seed blocker B5): hooks/pre_gen.py validates the answers, reads a context
# file Copier never writes, and no task runs it
B5_HOOK = """\
import json
import sys
from pathlib import Path


def validate_project_config(context):
    project_slug = context.get("project_slug", "")
    if not project_slug or not project_slug.replace("-", "").isalnum():
        print("Invalid project_slug. Must be kebab-case alphanumeric.")
        sys.exit(1)


def main():
    context_path = Path.cwd() / "copier_answers.json"
    if context_path.exists():
        context = json.loads(context_path.read_text())
    else:
        context = {}
    if not context:
        print("No copier context available; skipping pre-generation validation.")
        return
    validate_project_config(context)


if __name__ == "__main__":
    main()
"""


def test_a_dead_hook_that_validates_is_an_error_saying_both_facts(repo: Repo) -> None:
    files = {
        "copier.yml": "_subdirectory: t\nproject_slug:\n  type: str\n  default: demo\n",
        "hooks/pre_gen.py": B5_HOOK,
        "t/README.md": "x\n",
    }
    report = check(repo(files), only=["hook-validation"])
    (dead,) = [f for f in report.findings if f.rule.endswith("dead-hook")]
    assert dead.level is Level.ERROR and dead.start_line == 10  # exits 1 on a bad slug
    assert "no task or migration in copier.yml runs it" in dead.message
    assert "reads 'copier_answers.json', a file Copier never writes" in dead.message
    assert dead.fix is not None and "{{ _copier_conf.src_path }}/hooks/pre_gen.py" in dead.fix
    assert report.exit_code == 1


def test_a_dead_hook_that_validates_nothing_stays_a_warning(repo: Repo) -> None:
    files = {
        "copier.yml": "_subdirectory: t\nname:\n  type: str\n",
        "hooks/post_gen.py": "print('Project generated. Next: read the README.')\n",
        "t/README.md": "x\n",
    }
    report = check(repo(files), only=["hook-validation"])
    (dead,) = [f for f in report.findings if f.rule.endswith("dead-hook")]
    assert dead.level is Level.WARNING


def test_a_dead_hook_whose_failures_are_setup_steps_stays_a_warning(repo: Repo) -> None:
    """VibesPro's post_gen.py exits or prints "not found" about files, never about an answer."""
    hook = (
        "import subprocess, sys\nfrom pathlib import Path\n\nschema = Path('schema.json')\n"
        "if not schema.exists():\n    print('Schema file not found, creating a dummy file.')\n"
        "result = subprocess.run(['npm', 'install'])\nif result.returncode != 0:\n"
        "    print('npm install failed')\n    sys.exit(1)\n"
    )
    files = {
        "copier.yml": "_subdirectory: t\nproject_slug:\n  type: str\n  default: demo\n",
        "hooks/post_gen.py": hook,
        "t/README.md": "x\n",
    }
    report = check(repo(files), only=["hook-validation"])
    (dead,) = [f for f in report.findings if f.rule.endswith("dead-hook")]
    assert dead.level is Level.WARNING


def test_the_render_confirmed_finding_points_at_the_question_s_line(repo: Repo) -> None:
    """In SARIF a render finding pointed at copier.yml line 1; it is the question's line."""
    from workers.engine.config import parse_config

    config = parse_config("hook-validation:\n  render: true\n")
    files = question_template("  type: str\n  default: demo\n", extra="other: 1\n")
    report = check(repo(files), config, only=["hook-validation"])
    [found] = [f for f in report.findings if f.level is Level.ERROR]
    assert found.path == "copier.yml" and found.start_line == 3  # `slug:`
    assert "Render mode confirms it" in found.message
