"""`.github/prgate.yml`: validation with line numbers, levels, ignores, allow, and --base."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import check, git, pairs, run_cli
from workers.engine.config import ConfigError, parse_config
from workers.engine.findings import Level
from workers.engine.registry import all_rules

Repo = Callable[..., Path]
KNOWN = [r.id for r in all_rules()]
BASE = {"copier.yml": "_subdirectory: t\n", "t/old.env": "A=1\n"}


def test_empty_and_defaults() -> None:
    config = parse_config("", known_rules=KNOWN)
    assert config.settings("contamination").enabled and config.allow == []
    assert parse_config("# only a comment\n", known_rules=KNOWN) == config


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "contamination:\n  enabeld: false\n",
            ".github/prgate.yml:2: contamination.enabeld: unknown key",
        ),
        (
            "paths-ignore: fixtures\n",
            ".github/prgate.yml:1: paths-ignore: Input should be a valid list",
        ),
        (
            "contamination:\n  rules:\n    env-file: loud\n",
            ".github/prgate.yml:3: contamination.rules.env-file",
        ),
        (
            "contamination:\n  rules:\n    env-files: off\n",
            ":3: contamination.rules.env-files: unknown rule",
        ),
        (
            "allow:\n  - path: x\n    rule: env-file\n    reason: r\n",
            ":3: allow.0.rule: unknown rule id",
        ),
        (
            "allow:\n  - path: x\n    rule: contamination/env-file\n",
            ":2: allow.0.reason: Field required",
        ),
        (
            "secrets: true\n",
            ":1: secrets: unknown key; allowed here: contamination, jest-collision",
        ),
        ("contamination: [\n", "not valid YAML"),
        ("- a\n- b\n", ":1: the file must be a mapping"),
    ],
)
def test_errors_name_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, known_rules=KNOWN)
    assert expected in str(info.value)


def test_rule_levels_and_off(repo: Repo) -> None:
    path = repo({**BASE, "t/.DS_Store": "x", "t/a.bak": "x"})
    config = parse_config(
        "contamination:\n  rules:\n    os-junk: error\n    backup-file: off\n", known_rules=KNOWN
    )
    levels = {f.rule: f.level for f in check(path, config).findings}
    assert levels == {"contamination/env-file": Level.ERROR, "contamination/os-junk": Level.ERROR}


def test_check_disabled(repo: Repo) -> None:
    config = parse_config(
        "contamination:\n  enabled: false\njest-collision:\n  enabled: false\n"
        "hook-validation:\n  enabled: false\nts-imports:\n  enabled: false\n"
        "nx-generators:\n  enabled: false\n",
        known_rules=KNOWN,
    )
    report = check(repo(BASE), config, only=())
    assert report.results == [] and report.exit_code == 0


def test_paths_ignore(repo: Repo) -> None:
    path = repo({**BASE, "t/fixtures/.env": "A=1", "t/fixtures/deep/x.bak": "x"})
    config = parse_config("paths-ignore:\n  - 'fixtures/'\n", known_rules=KNOWN)
    assert pairs(check(path, config).findings) == {("contamination/env-file", "t/old.env")}


def test_allow_suppresses_with_reason(repo: Repo) -> None:
    path = repo({**BASE})
    config = parse_config(
        "allow:\n  - path: t/old.env\n    rule: contamination/env-file\n    reason: demo only\n",
        known_rules=KNOWN,
    )
    report = check(path, config)
    assert [f.suppressed for f in report.findings] == ["demo only"]
    assert report.exit_code == 0
    other_rule = parse_config(
        "allow:\n  - path: t/old.env\n    rule: contamination/secret\n    reason: x\n",
        known_rules=KNOWN,
    )
    assert check(path, other_rule).exit_code == 1


def _branch_with_change(repo: Repo) -> Path:
    path = repo(BASE)
    git(path, "checkout", "-q", "-b", "feature")
    (path / "t" / "new.env").write_text("B=2\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "add new.env")
    return path


def test_base_marks_unchanged_findings_pre_existing(repo: Repo) -> None:
    path = _branch_with_change(repo)
    report = check(path, base="main")
    by_path = {f.path: f for f in report.findings}
    assert by_path["t/old.env"].pre_existing and by_path["t/old.env"].level is Level.NOTE
    assert not by_path["t/new.env"].pre_existing and by_path["t/new.env"].level is Level.ERROR
    assert report.exit_code == 1


def test_base_uses_merge_base_and_uncommitted_changes(repo: Repo) -> None:
    path = repo(BASE)
    git(path, "checkout", "-q", "-b", "feature")
    git(path, "checkout", "-q", "main")
    (path / "t" / "main-only.env").write_text("C=3\n")  # main moves on after the branch point
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "main moves")
    git(path, "checkout", "-q", "feature")
    assert check(path, base="main").exit_code == 0  # nothing changed on the branch itself
    (path / "t" / "wip.bak").write_text("uncommitted work counts as changed\n")
    report = check(path, base="main")
    assert [f.path for f in report.findings if not f.pre_existing] == ["t/wip.bak"]


def test_base_only_pre_existing_passes_via_cli(repo: Repo) -> None:
    path = repo(BASE)
    git(path, "checkout", "-q", "-b", "feature")
    (path / "README.md").write_text("docs only\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "docs")
    result = run_cli("check", str(path), "--base", "main")
    assert result.code == 0, result.stdout + result.stderr
    assert "pre-existing, not listed" in result.stdout and "1 pre-existing" in result.stdout
    listed = run_cli("check", str(path), "--base", "main", "--show-pre-existing")
    assert "(pre-existing)" in listed.stdout


def test_base_config_comes_from_base_not_from_the_change(repo: Repo) -> None:
    path = repo(BASE)
    git(path, "checkout", "-q", "-b", "feature")
    (path / ".github").mkdir()
    (path / ".github" / "prgate.yml").write_text(
        "contamination:\n  enabled: false\njest-collision:\n  enabled: false\n"
        "hook-validation:\n  enabled: false\nts-imports:\n  enabled: false\n"
        "nx-generators:\n  enabled: false\n"
    )
    (path / "t" / "sneaky.env").write_text("X=1\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "switch the gate off and add an env file")
    with_base = run_cli("check", str(path), "--base", "main")
    assert with_base.code == 1 and "t/sneaky.env" in with_base.stdout
    assert "takes effect after merge" in with_base.stderr
    local = run_cli("check", str(path))  # locally, the work tree's config applies
    assert local.code == 0 and "no checks ran" in local.stdout


def test_unknown_base_is_a_clear_error(repo: Repo) -> None:
    result = run_cli("check", str(repo(BASE)), "--base", "no-such-branch")
    assert result.code == 2 and "--base no-such-branch: no such commit or branch" in result.stderr


def test_base_outside_git_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("x")
    result = run_cli("check", str(tmp_path), "--base", "main")
    assert result.code == 2 and "needs a git repository" in result.stderr


# --- config tooling: prgate config schema / validate ---------------------------------------

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "prgate.schema.json"


def test_the_checked_in_schema_is_the_models_schema() -> None:
    """Editors read docs/prgate.schema.json; `prgate config schema` regenerates it."""
    result = run_cli("config", "schema")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(SCHEMA_FILE.read_text())


def test_the_schema_judges_as_the_parser_does() -> None:
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    good = {
        "paths-ignore": ["docs/**"],
        "jest-collision": {"run-from": [".", "apps/web"], "jest-version": 29},
        "hook-validation": {"render": True, "rules": {"dead-hook": "off"}},
        "allow": [{"path": "fixtures/**", "rule": "contamination/secret", "reason": "test keys"}],
    }
    assert list(validator.iter_errors(good)) == []
    parse_config(json.dumps(good), known_rules=KNOWN)  # YAML is a superset of JSON
    for bad in (
        {"jest-collision": {"run-from": "."}},
        {"jest-collision": {"jest-version": 28}},
        {"contamination": {"enabled": "yes please"}},
        {"unknown-key": 1},
        {"allow": [{"path": "x", "rule": "contamination/secret"}]},
    ):
        assert list(validator.iter_errors(bad)), bad
        with pytest.raises(ConfigError):
            parse_config(json.dumps(bad), known_rules=KNOWN)


def test_config_validate_names_the_line_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "prgate.yml"
    bad.write_text("jest-collision:\n  run-from: ['.', 3]\n")
    result = run_cli("config", "validate", str(bad))
    assert result.code == 2
    assert f"{bad}:2: jest-collision.run-from.1" in result.stderr
    good = tmp_path / "good.yml"
    good.write_text("paths-ignore: ['docs/**']\n")
    result = run_cli("config", "validate", str(good))
    assert result.code == 0 and "valid" in result.stdout
    missing = run_cli("config", "validate", str(tmp_path / "nope.yml"))
    assert missing.code == 2 and "nope.yml" in missing.stderr


def test_validate_reports_every_problem_of_the_file_at_once(tmp_path: Path) -> None:
    """An unknown key hid a misspelt rule until it was fixed: a second round."""
    path = tmp_path / "prgate.yml"
    path.write_text(
        "jest-colision:\n  enabled: true\ncontamination:\n  rules:\n    env-fil: off\n"
        "  enabeld: true\n"
    )
    result = run_cli("config", "validate", str(path))
    assert result.code == 2
    lines = result.stderr.removeprefix("prgate: error: ").splitlines()
    assert [line.split(": ", 2)[:2] for line in lines] == [
        [f"{path}:1", "jest-colision"],
        [f"{path}:5", "contamination.rules.env-fil"],
        [f"{path}:6", "contamination.enabeld"],
    ]
    assert "(did you mean `jest-collision`?)" in lines[0]
    assert "(did you mean `env-file`?)" in lines[1]
    assert "(did you mean `enabled`?)" in lines[2]


def test_a_yaml_error_names_line_and_column_in_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "prgate.yml"
    path.write_text("contamination:\n  rules: [a\n")
    result = run_cli("config", "validate", str(path))
    assert result.code == 2
    assert result.stderr.strip() == (
        f"prgate: error: {path}:3:1: not valid YAML: expected ',' or ']', but got the end of "
        "the file (while parsing a flow sequence)"
    )


def test_a_rule_that_only_explains_could_not_run_cannot_be_configured(tmp_path: Path) -> None:
    """`jest-collision: {rules: {unpredictable: off}}` validated and changed nothing: the
    check still could not run. It is refused, with the setting that does turn it off."""
    path = tmp_path / "prgate.yml"
    path.write_text(
        "jest-collision:\n  rules:\n    unpredictable: off\n"
        "allow:\n  - rule: jest-collision/unpredictable\n    path: a\n    reason: b\n"
    )
    result = run_cli("config", "validate", str(path))
    assert result.code == 2
    lines = result.stderr.removeprefix("prgate: error: ").splitlines()
    assert [line.split(": ", 2)[:2] for line in lines] == [
        [f"{path}:3", "jest-collision.rules.unpredictable"],
        [f"{path}:5", "allow.0.rule"],
    ]
    assert all("`jest-collision: {enabled: false}`" in line for line in lines)
