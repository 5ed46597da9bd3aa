"""The configuration reference: generated from the code's models, and the README holds it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_cli
from workers import reference
from workers.engine.config import parse_config
from workers.engine.registry import all_rules
from workers.shared.logs import FIELDS
from workers.shared.names import CHECK_NAMES
from workers.shared.settings import ENV_NAMES, Settings, SettingsError, load_settings, setting

ROOT = Path(__file__).resolve().parents[2]
Repo = Callable[..., Path]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_reference_is_what_the_code_generates() -> None:
    assert reference.render(README) == README, "README is out of date: run python3 dev.py docs"


def test_check_mode_fails_on_a_stale_readme(tmp_path: Path) -> None:
    stale = tmp_path / "README.md"
    stale.write_text(README.replace("| `PRGATE_JS_TIMEOUT` |", "| `PRGATE_JS_TIMEOUT_OLD` |"))
    assert reference.main(["--check", str(stale)]) == 1
    assert reference.main([str(stale)]) == 0  # rewrites it
    assert stale.read_text() == README
    assert reference.main(["--check", str(stale)]) == 0


def test_a_readme_without_the_markers_is_an_error() -> None:
    with pytest.raises(ValueError, match="generated:settings"):
        reference.render("# no markers\n")


def test_every_setting_and_config_key_is_in_the_readme() -> None:
    for name in ENV_NAMES.values():
        assert f"| `{name}` |" in README
    for key in ("jest-collision.run-from", "hook-validation.render", "allow[].reason"):
        assert f"| `{key}` |" in README
    for rule in all_rules():
        check, _, name = rule.id.partition("/")
        assert f"| `{check}` | `{name}` | {rule.level} |" in README


def test_every_log_field_is_documented() -> None:
    logs = README.split("Logs are JSON lines on stderr, one object per event", 1)[1]
    logs = logs.split("\n\n", 1)[0]
    for name in ("time", "level", "logger", "message", "error", *FIELDS):
        assert f"`{name}`" in logs, name


def test_every_variable_the_code_reads_is_a_documented_setting() -> None:
    """A ``PRGATE_*`` name in bot/ or workers/ that is not a Settings field would be read
    behind the model's back and be missing from the generated reference."""
    names: set[str] = set()
    for folder in ("bot", "workers"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(re.findall(r"\bPRGATE_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    assert names and names <= set(ENV_NAMES.values())


def test_hand_written_rule_tables_agree_with_the_code() -> None:
    levels = {rule.id: str(rule.level) for rule in all_rules()}
    rows = re.findall(r"^\| `([a-z-]+/[a-z-]+)` \| (error|warning|note) \|", README, re.M)
    assert len(rows) >= 20
    for rule_id, level in rows:
        assert levels.get(rule_id) == level, rule_id


def test_the_readme_example_config_is_valid() -> None:
    section = README.split("## Configuration: `.github/prgate.yml`", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = parse_config(example, known_rules=[r.id for r in all_rules()])
    assert config.settings("jest-collision").run_from == [".", "packages/web"]
    assert config.allow[0].rule == "contamination/env-file"


def test_settings_name_the_variable_on_a_bad_value() -> None:
    with pytest.raises(SettingsError, match="PRGATE_MAX_BODY_BYTES: Input should be greater"):
        load_settings({"PRGATE_MAX_BODY_BYTES": "0"})
    with pytest.raises(SettingsError, match="LOG_LEVEL"):
        load_settings({"LOG_LEVEL": "verbose"})
    settings = load_settings({"PRGATE_DATA_DIR": "/srv/prgate", "PRGATE_JS_TIMEOUT": "0.5"})
    assert settings.data_dir == "/srv/prgate" and settings.js_timeout == 0.5
    assert Settings().render_timeout == 60


def test_one_setting_is_read_without_the_rest() -> None:
    env = {"APP_ID": "not a number", "PRGATE_RENDER_TIMEOUT": "5"}
    assert setting("render_timeout", env) == 5.0  # a bad APP_ID does not matter here
    assert setting("max_file_bytes", env) == Settings().max_file_bytes
    with pytest.raises(SettingsError, match=r"PRGATE_JS_TIMEOUT: .*got '0'"):
        setting("js_timeout", {"PRGATE_JS_TIMEOUT": "0"})
    assert setting("sandbox", {"PRGATE_SANDBOX": "off"}) == "off"  # no constraints, a Literal
    with pytest.raises(SettingsError, match="PRGATE_SANDBOX"):
        setting("sandbox", {"PRGATE_SANDBOX": "maybe"})


def test_prgate_check_reports_a_bad_setting(repo: Repo) -> None:
    path = repo({"copier.yml": "a: 1\n", "t/main.py": "print(1)\n"})
    result = run_cli("check", str(path), env={"PRGATE_MAX_FILE_BYTES": "lots"})
    assert result.code == 2 and "PRGATE_MAX_FILE_BYTES" in result.stderr + result.stdout


def test_a_check_s_spec_carries_the_rules_its_rules_module_declares() -> None:
    """Config validation reads rules.py without loading the check; the check runs with its
    SPEC: one list of rules, both ways."""
    from workers.engine.registry import rule_ids, rules_of, spec

    for name in CHECK_NAMES:
        assert spec(name).rules == rules_of(name), name
        assert all(r.id.startswith(f"{name}/") for r in rules_of(name)), name
    assert rule_ids() == [rule.id for rule in all_rules()]


def _check_in_a_child(path: Path, then: str) -> list[str]:
    """The lines a fresh interpreter prints running `prgate check --only jest-collision PATH`
    and then ``then`` (code that reads ``sys.modules``)."""
    code = (
        "import sys\n"
        "from workers.cli import main\n"
        "try:\n"
        f"    main(['check', '--only', 'jest-collision', {str(path)!r}])\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code)\n"
        f"{then}\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def test_a_check_is_imported_only_when_it_runs(tmp_path: Path) -> None:
    loaded = _check_in_a_child(
        tmp_path, "print(sorted(m for m in sys.modules if m.startswith('workers.checks.')))"
    )[-1]
    assert "workers.checks.jest_collision.check" in loaded
    assert "workers.checks.contamination.check" not in loaded
    assert "workers.checks.hook_validation.check" not in loaded


def test_a_run_with_no_config_file_leaves_pydantic_and_yaml_unloaded(repo: Repo) -> None:
    """Start-up is part of every `prgate check` and pre-commit run: the configuration models
    are plain dataclasses, and pydantic (which validates a file) loads only for a file."""
    path = repo({"package.json": '{"name": "one"}\n'})
    out = _check_in_a_child(
        path, "print(sorted(m for m in ('pydantic', 'yaml', 'click') if m in sys.modules))"
    )
    assert out[-2:] == ["exit 0", "['click']"]


SAMPLE_RULES = """
from workers.engine.findings import Level, rule

NAME = "sample-check"
THING = rule(NAME, "thing", Level.ERROR, "A thing file", "Things do not belong here.")
RULES = (THING,)
"""
SAMPLE_CHECK = """
from workers.checks.sample_check.rules import NAME, RULES, THING
from workers.engine.findings import CheckResult
from workers.engine.spec import CheckSpec


def run(view, config):
    found = [THING.finding(p, "a thing") for p in view.paths() if p.endswith(".thing")]
    return CheckResult(check=NAME, findings=found)


SPEC = CheckSpec(name=NAME, rules=RULES, run=run, summary="things")
"""
SAMPLE_RUN = """
import json, sys
import workers.shared.names as names
names.CHECK_NAMES = (*names.CHECK_NAMES, "sample-check")
import workers.checks
workers.checks.__path__.append(sys.argv[1])
from workers.engine.config import config_schema, parse_config
from workers.engine.formats.sarif import render_sarif
from workers.engine.registry import all_rules, rule_ids
from workers.engine.views import open_view
from workers.engine.runner import check_repository

from pathlib import Path
repo = Path(sys.argv[2])
report = check_repository(open_view(repo), parse_config("", known_rules=rule_ids()))
off = parse_config("sample-check:\\n  rules:\\n    thing: off\\n", known_rules=rule_ids())
quiet = check_repository(open_view(repo), off, only=("sample-check",))
sarif = render_sarif(report, all_rules())
print(json.dumps({
    "ran": [r.check for r in report.results],
    "found": [f.rule for f in report.findings if f.check == "sample-check"],
    "off": [f.rule for f in quiet.findings],
    "sarif": [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]],
    "schema": sorted(config_schema()["properties"]),
}))
"""


def test_a_new_check_needs_only_its_name_and_package(tmp_path: Path) -> None:
    """docs/architecture.md, "How to add a check", steps 1 and 2 alone: a throwaway check
    named in CHECK_NAMES with a rules.py and a check.py runs, its rule is valid in the
    configuration and in SARIF, and its section is in the schema. Nothing else lists it."""
    import json
    import subprocess
    import sys

    package = tmp_path / "checks" / "sample_check"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "rules.py").write_text(SAMPLE_RULES)
    (package / "check.py").write_text(SAMPLE_CHECK)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.thing").write_text("x\n")
    done = subprocess.run(
        [sys.executable, "-c", SAMPLE_RUN, str(tmp_path / "checks"), str(repo)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout)
    assert seen["ran"][-1] == "sample-check" and seen["found"] == ["sample-check/thing"]
    assert seen["off"] == []
    assert "sample-check/thing" in seen["sarif"]
    assert "sample-check" in seen["schema"]


def test_the_engine_settings_validate_as_the_app_s_settings_declare_them() -> None:
    """engine_env validates the checker's variables itself (it no longer imports the App's
    settings module, which imports it): the types must be the ones Settings declares."""
    from workers.shared.engine_env import ENGINE_SETTINGS
    from workers.shared.settings import Settings

    for name, spec in ENGINE_SETTINGS.items():
        kind = spec.kind if spec.kind is not None else type(spec.default)
        assert Settings.model_fields[name].annotation == kind, name
