"""The `prgate check` command as a user runs it: formats, exit codes, SARIF against its schema."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import SEED, Tokens, make_repo, run_cli
from workers.engine.findings import CheckResult, Finding, Level
from workers.engine.formats.sarif import render_sarif
from workers.engine.registry import all_rules
from workers.engine.runner import Report

Repo = Callable[..., Path]
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "sarif-2.1.0-rtm.5.json").read_text()
)


def _format_checker() -> jsonschema.FormatChecker:
    """The schema's formats, checked: jsonschema knows ``uri`` through rfc3986-validator but
    not ``uri-reference``, which every artifactLocation.uri is."""
    from rfc3986_validator import validate_rfc3986

    checker = jsonschema.FormatChecker()
    checker.checks("uri-reference")(lambda s: validate_rfc3986(s, rule="URI_reference"))
    checker.checks("uri")(lambda s: validate_rfc3986(s, rule="URI"))
    return checker


def validate_sarif(doc: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(SCHEMA, format_checker=_format_checker()).validate(doc)
    for run in doc["runs"]:
        for result in run["results"]:
            for loc in result["locations"]:
                physical = loc["physicalLocation"]
                if not physical["artifactLocation"]["uri"].endswith("/"):
                    # code scanning places an alert by its start line
                    assert physical["region"]["startLine"] >= 1, result


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    dest = tmp_path / "seed"
    shutil.copytree(SEED, dest)
    return make_repo(dest, {})


def test_text_format_groups_by_file_with_summary(seed: Path) -> None:
    result = run_cli("check", str(seed))
    assert result.code == 1
    lines = result.stdout.splitlines()
    # five contaminations (one in the folder Copier renders, four elsewhere in the
    # repository: warnings), two package names shared by the committed smoke example and
    # its template, and project_slug is rendered into a path with no validator
    assert lines[-1] == (
        "prgate: 4 errors, 4 warnings, 0 notes in 21 files "
        "(contamination: failure, jest-collision: failure, hook-validation: failure, "
        "ts-imports: skipped (there is no tsconfig*.json in the repository), "
        "nx-generators: skipped (there are no Nx generators in the repository))"
    )
    headers = [line for line in lines if line and not line.startswith((" ", "note "))][:-1]
    assert headers == sorted(headers) and "buildx/" in headers
    assert "\x1b[" not in result.stdout  # no colour codes in CI logs


def test_json_format(seed: Path) -> None:
    result = run_cli("check", str(seed), "--format", "json")
    doc = result.json()
    assert result.code == doc["exit_code"] == 1
    assert doc["checks"]["contamination"]["status"] == "failure"
    assert {(f["rule"], f["path"]) for f in doc["findings"]} >= {
        ("contamination/local-state", "buildx/")
    }
    assert all(len(f["fingerprint"]) == 32 for f in doc["findings"])


def test_sarif_format_is_valid_and_follows_the_contract(seed: Path) -> None:
    (seed / "src").mkdir()
    (seed / "src" / "k.py").write_text(f"K = '{Tokens.aws()}'\n")
    result = run_cli("check", str(seed), "--format", "sarif")
    assert result.code == 1
    doc = json.loads(result.stdout)  # nothing but the document on stdout
    validate_sarif(doc)
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "prgate"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "contamination/secret" in rule_ids and "contamination/env-file" in rule_ids
    uris = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for r in run["results"]
    }
    # a directory: placed on a file in it (code scanning cannot place an alert on a folder),
    # named in the message and in relatedLocations
    buildx = next(r for r in run["results"] if r["message"]["text"].startswith("buildx/: "))
    physical = buildx["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"].startswith("buildx/")
    assert not physical["artifactLocation"]["uri"].endswith("/")
    assert physical["region"]["startLine"] == 1
    related = buildx["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert related == "buildx/"
    # percent-encoded: '{{' is not allowed in a URI reference
    assert ("contamination/env-file", "templates/%7B%7Bproject_slug%7D%7D/.env") in uris
    collision = next(r for r in run["results"] if r["ruleId"] == "jest-collision/haste-module")
    assert [
        loc["physicalLocation"]["artifactLocation"]["uri"] for loc in collision["relatedLocations"]
    ]
    [change] = collision["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "package.json"
    assert (
        "<rootDir>/apps/copier-smoke-example/"
        in change["replacements"][0]["insertedContent"]["text"]
    )
    secret = next(r for r in run["results"] if r["ruleId"] == "contamination/secret")
    assert secret["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    secret_rule = run["tool"]["driver"]["rules"][secret["ruleIndex"]]
    assert "security" in secret_rule["properties"]["tags"]
    assert 7.0 <= float(secret_rule["properties"]["security-severity"]) < 9.0
    assert run["tool"]["driver"]["informationUri"].startswith("https://")
    assert all(r["level"] in ("error", "warning", "note") for r in run["results"])
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in run["results"])


def test_sarif_names_every_file_of_a_multi_file_finding() -> None:
    finding = Finding(
        rule="contamination/env-file",
        level=Level.ERROR,
        path="apps/a/package.json",
        related=("apps/b/package.json", "apps/c/package.json"),
        message="collision",
    )
    report = Report(target="t", results=[CheckResult(check="contamination", findings=[finding])])
    doc = render_sarif(report, all_rules())
    validate_sarif(doc)
    result = doc["runs"][0]["results"][0]
    named = [result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]] + [
        loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["relatedLocations"]
    ]
    assert named == ["apps/a/package.json", "apps/b/package.json", "apps/c/package.json"]


def test_sarif_with_base_and_allow(tmp_path: Path) -> None:
    from tests.conftest import git

    path = make_repo(
        tmp_path / "r",
        {
            "copier.yml": "_subdirectory: t\n",
            "t/old.env": "A=1\n",
            ".github/prgate.yml": (
                "allow:\n  - path: t/ok.bak\n    rule: contamination/backup-file\n"
                "    reason: fixture for a test\n"
            ),
        },
    )
    git(path, "checkout", "-q", "-b", "feature")
    (path / "t" / "ok.bak").write_text("x\n")
    (path / "t" / "new.env").write_text("x\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "change")
    new_only = run_cli("check", str(path), "--base", "main", "--format", "sarif")
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(new_only.stdout)["runs"][0]["results"]
    }
    assert "t/new.env" in uris and "t/old.env" not in uris  # new results only, by default
    result = run_cli(
        "check", str(path), "--base", "main", "--format", "sarif", "--show-pre-existing"
    )
    doc = json.loads(result.stdout)
    validate_sarif(doc)
    by_uri = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r
        for r in doc["runs"][0]["results"]
    }
    assert by_uri["t/old.env"]["baselineState"] == "unchanged"
    assert by_uri["t/old.env"]["level"] == "note"
    assert by_uri["t/new.env"]["baselineState"] == "new"
    assert by_uri["t/ok.bak"]["suppressions"][0]["justification"] == "fixture for a test"
    assert result.code == 1  # t/new.env


def test_exit_code_zero_on_clean_repo(repo: Repo) -> None:
    result = run_cli("check", str(repo({"copier.yml": "a: 1\n", "t/main.py": "print(1)\n"})))
    assert result.code == 0 and "0 errors" in result.stdout


def test_exit_code_two_when_a_check_could_not_run(repo: Repo) -> None:
    impl = '{"jest": {"haste": {"hasteImplModulePath": "<rootDir>/haste.js"}}}'
    result = run_cli("check", str(repo({"package.json": impl})), "--only", "jest-collision")
    assert result.code == 2
    assert "could not run" in result.stdout and "hasteImplModulePath" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "secrets"], "Invalid value for '--only'"),
        (["--format", "xml"], "Invalid value for '--format'"),
        (["--config", "/nonexistent/prgate.yml"], "No such file or directory"),
    ],
)
def test_usage_errors_exit_two(repo: Repo, args: list[str], message: str) -> None:
    result = run_cli("check", str(repo({"a": "b"})), *args)
    assert result.code == 2 and message in result.stderr
    assert result.stdout == ""


def test_missing_path_exits_two(tmp_path: Path) -> None:
    result = run_cli("check", str(tmp_path / "missing"))
    assert result.code == 2 and "does not exist" in result.stderr


def test_invalid_repo_config_exits_two_with_line(repo: Repo) -> None:
    path = repo({".github/prgate.yml": "contamination:\n  enable: no\n"})
    result = run_cli("check", str(path))
    assert result.code == 2
    assert ".github/prgate.yml:2: contamination.enable: unknown key" in result.stderr


def test_config_option(repo: Repo, tmp_path: Path) -> None:
    path = repo({"copier.yml": "a: 1\n", "t/Thumbs.db": "x", "t/.env": "A=1"})
    cfg = tmp_path / "cfg.yml"
    cfg.write_text("contamination:\n  rules:\n    env-file: warning\n")
    result = run_cli("check", str(path), "--config", str(cfg))
    assert result.code == 0 and "2 warnings" in result.stdout


def test_check_defaults_to_current_directory(repo: Repo) -> None:
    path = repo({"copier.yml": "a: 1\n", "t/x.orig": "x"})
    result = run_cli("check", cwd=path)
    assert result.code == 1 and "t/x.orig" in result.stdout


def test_only_contamination(repo: Repo) -> None:
    result = run_cli("check", str(repo({"copier.yml": "a: 1\n"})), "--only", "contamination")
    assert result.code == 0 and "contamination: success" in result.stdout


def test_repo_in_unreadable_state_is_exit_two(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "r", {"a": "b"})
    (path / ".git" / "index").write_bytes(b"garbage")  # a corrupt index
    result = run_cli("check", str(path))
    assert result.code == 2 and "prgate: error: git ls-files failed" in result.stderr


def test_config_that_is_a_symlink_is_refused(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yml"
    outside.write_text("contamination:\n  enabled: false\n")
    path = repo({"copier.yml": "a: 1\n", "t/.env": "A=1\n"})
    (path / ".github").mkdir()
    (path / ".github" / "prgate.yml").symlink_to(outside)
    result = run_cli("check", str(path))
    assert result.code == 2 and ".github/prgate.yml" in result.stderr
    assert "symlink" in result.stderr


def test_sarif_of_a_subfolder_uses_repository_root_uris(tmp_path: Path) -> None:
    """Code scanning resolves URIs against the repository root: `prgate check sub` must not
    write them relative to sub/, or the alerts land on files that do not exist."""
    files = {"sub/a/k.py": f"K = '{Tokens.aws()}'\n", "README.md": "x\n"}
    path = make_repo(tmp_path / "r", files)
    result = run_cli("check", "sub", "--format", "sarif", cwd=path)
    doc = json.loads(result.stdout)
    validate_sarif(doc)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in doc["runs"][0]["results"]
    }
    assert uris == {"sub/a/k.py"}


def test_an_unreadable_folder_is_could_not_run_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder prgate may not read (another user's, mode 000) crashed with a traceback and
    exit 1, which means "findings". It is exit 2, naming what could not be read. (Root reads
    any folder, so the refusal is the kernel's answer, made here by os.scandir.)"""
    import os as real_os

    from click.testing import CliRunner

    from workers import cli
    from workers.engine.views import nofollow as repo_module

    (tmp_path / "t" / "closed").mkdir(parents=True)
    (tmp_path / "t" / "a.txt").write_text("x\n")
    closed = str(tmp_path / "t" / "closed")
    scandir = real_os.scandir

    def refusing(path: Any = ".") -> Any:
        if str(path) == closed:
            raise PermissionError(13, "Permission denied", closed)
        return scandir(path)

    monkeypatch.setattr(repo_module.os, "scandir", refusing)
    result = CliRunner().invoke(cli.main, ["check", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert f"could not run: cannot read {closed}: Permission denied" in result.output
    assert "Traceback" not in result.output


def test_an_unreadable_file_is_could_not_run_not_a_silent_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file prgate may not read could hold a secret: the secret scan cannot pass it."""
    from workers.engine.config import RepoConfig
    from workers.engine.runner import check_repository
    from workers.engine.views import DirectoryView

    (tmp_path / "a.txt").write_text("x\n")
    (tmp_path / "b.txt").write_text("SECRET\n")
    view = DirectoryView(tmp_path)
    read = view._read_unchecked

    def refusing(entry: Any) -> Any:
        if entry.path == "b.txt":
            from workers.engine.views import FileSkipped

            skipped = FileSkipped("b.txt could not be opened: Permission denied")
            skipped.__cause__ = PermissionError(13, "Permission denied", str(tmp_path / "b.txt"))
            raise skipped
        return read(entry)

    monkeypatch.setattr(view, "_read_unchecked", refusing)
    report = check_repository(view, RepoConfig(), only=["contamination"])
    assert report.exit_code == 2
    assert report.results[0].error == f"cannot read {tmp_path / 'b.txt'}: Permission denied"


@pytest.mark.parametrize(("sig", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_an_interrupted_check_exits_as_shells_expect(tmp_path: Path, sig: str, code: int) -> None:
    """Ctrl-C printed click's "Aborted!" and exited 1, which means "findings"."""
    import os
    import signal
    import subprocess
    import sys

    files = {
        "copier.yml": "_subdirectory: t\n",
        "t/big.txt.jinja": "{% for i in range(99999) %}{% for j in range(99999) %}"
        "{% endfor %}{% endfor %}",
    }
    path = make_repo(tmp_path / "r", files)
    exe = Path(sys.executable).parent / "prgate"
    proc = subprocess.Popen(
        [str(exe), "check", str(path), "--render", "--only", "hook-validation"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PRGATE_RENDER_TIMEOUT": "600"},
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # the event: the render has started
        if "rendering the template" in line:
            break
    proc.send_signal(getattr(signal, sig))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, out[-2000:] + err
    assert err.strip().splitlines()[-1] == f"prgate: interrupted ({sig})"
    assert "Traceback" not in err and "Aborted" not in err
    assert out == ""  # no report from an interrupted run


def test_a_check_named_twice_runs_once(seed: Path) -> None:
    once = run_cli("check", str(seed), "--only", "contamination", "--format", "json").json()
    twice = run_cli(
        "check",
        str(seed),
        "--only",
        "contamination",
        "--only",
        "contamination",
        "--format",
        "json",
    ).json()
    assert len(twice["findings"]) == len(once["findings"]) > 0


def test_render_with_only_other_checks_says_it_renders_nothing(seed: Path) -> None:
    result = run_cli("check", str(seed), "--render", "--only", "contamination")
    assert "--render renders Copier templates for hook-validation, which --only leaves out" in (
        result.stderr
    )


def test_a_check_started_in_a_subfolder_judges_the_repository(seed: Path) -> None:
    """`cd templates && prgate check` said "no template roots found", exit 0, while the
    template's committed .env is an error: the repository is judged as the App judges it."""
    result = run_cli("check", cwd=seed / "templates")
    assert result.code == 1, result.stdout + result.stderr
    assert "templates/{{project_slug}}/.env" in result.stdout
    assert "judging all of it" in result.stderr
    assert "4 warnings and notes outside templates/ not listed" in result.stdout


def test_ts_imports_is_judged_from_a_project_s_src_folder(tmp_path: Path) -> None:
    path = make_repo(
        tmp_path / "r",
        {
            "tsconfig.json": '{"compilerOptions": {"module": "esnext", '
            '"moduleResolution": "bundler"}, "include": ["src"]}',
            "src/a.ts": 'import { v } from "./nope";\n',
        },
    )
    result = run_cli("check", "--only", "ts-imports", cwd=path / "src")
    assert result.code == 1 and "src/a.ts" in result.stdout, result.stdout


def test_base_counts_pre_existing_findings_per_rule(tmp_path: Path) -> None:
    """shadcn-ui: `--base HEAD~1` on a 6-file change printed 13,596 pre-existing notes."""
    from tests.conftest import git

    path = make_repo(
        tmp_path / "r", {"copier.yml": "_subdirectory: t\n", "t/a.env": "A=1\n", "t/b.env": "B=1\n"}
    )
    git(path, "checkout", "-q", "-b", "feature")
    (path / "t" / "c.env").write_text("C=1\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "change")
    result = run_cli("check", str(path), "--base", "main")
    assert "t/a.env" not in result.stdout and "t/c.env" in result.stdout
    assert (
        "pre-existing, not listed (--show-pre-existing lists them): 2 contamination/env-file"
        in result.stdout
    )
    assert (
        result.stdout.rstrip().splitlines()[-1].startswith("prgate: 1 error, 0 warnings, 2 notes")
    )
    listed = run_cli("check", str(path), "--base", "main", "--show-pre-existing")
    assert "t/a.env" in listed.stdout


CONCISE = re.compile(
    r"^(?P<path>[^\n]+?):(?P<line>\d+):1: (?P<level>error|warning|note) (?P<rule>\S+) "
)


def test_concise_is_one_finding_per_line_an_editor_can_jump_to(seed: Path) -> None:
    full = json.loads(run_cli("check", str(seed), "--format", "json").stdout)["findings"]
    result = run_cli("check", str(seed), "--format", "concise")
    assert result.code == 1
    found = [m for line in result.stdout.splitlines() if (m := CONCISE.match(line))]
    assert sorted((m["path"], int(m["line"]), m["level"], m["rule"]) for m in found) == sorted(
        (f["path"], f["start_line"] or 1, f["level"], f["rule"]) for f in full
    )
    assert result.stdout.splitlines()[-1].startswith("prgate: 4 errors, 4 warnings")


def test_quiet_lists_errors_only_and_keeps_the_verdict(seed: Path) -> None:
    for fmt in ("text", "concise", "github"):
        result = run_cli("check", str(seed), "--format", fmt, "--quiet")
        assert result.code == 1
        assert "warning" not in result.stdout.replace("4 warnings", ""), result.stdout
        assert "note [" not in result.stdout
        assert result.stdout.splitlines()[-1].startswith("prgate: 4 errors, 4 warnings")
    doc = json.loads(run_cli("check", str(seed), "--format", "json", "-q").stdout)
    assert {f["level"] for f in doc["findings"]} == {"error"} and len(doc["findings"]) == 4
    sarif = json.loads(run_cli("check", str(seed), "--format", "sarif", "-q").stdout)
    assert {r["level"] for r in sarif["runs"][0]["results"]} == {"error"}


def test_exit_zero_passes_findings_but_never_a_check_that_could_not_run(
    seed: Path, repo: Repo
) -> None:
    assert run_cli("check", str(seed), "--exit-zero").code == 0
    impl = '{"jest": {"haste": {"hasteImplModulePath": "<rootDir>/haste.js"}}}'
    path = repo({"package.json": impl})
    result = run_cli("check", str(path), "--exit-zero", "--only", "jest-collision")
    assert result.code == 2, result.stdout + result.stderr


def test_statistics_count_findings_per_rule(seed: Path) -> None:
    result = run_cli("check", str(seed), "--format", "concise", "--statistics")
    rows = [line.split() for line in result.stdout.splitlines() if re.match(r"^ +\d+  ", line)]
    full = json.loads(run_cli("check", str(seed), "--format", "json").stdout)["findings"]
    expected: dict[tuple[str, str], int] = {}
    for f in full:
        expected[(f["rule"], f["level"])] = expected.get((f["rule"], f["level"]), 0) + 1
    assert {(rule, level): int(n) for n, rule, level in rows} == expected
    refused = run_cli("check", str(seed), "--format", "json", "--statistics")
    assert refused.code == 2 and "--statistics is for" in refused.stderr


def test_output_file_holds_the_whole_report_and_stdout_nothing(seed: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    result = run_cli("check", str(seed), "--format", "sarif", "--output-file", str(out))
    assert result.code == 1 and result.stdout == ""
    validate_sarif(json.loads(out.read_text()))
    missing = tmp_path / "no-such-folder" / "r.txt"
    failed = run_cli("check", str(seed), "-o", str(missing))
    assert failed.code == 2 and "--output-file" in failed.stderr and "No such file" in failed.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.sarif", "seed"]  # no leftovers


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """What ``prgate`` prints with a terminal as its standard output (a pseudo-terminal)."""
    import os
    import pty
    import subprocess
    import sys

    exe = str(Path(sys.executable).parent / "prgate")
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [exe, *args], stdout=child, stderr=subprocess.DEVNULL, env={**os.environ, **env}
    )
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed its end (EIO on Linux)
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_on_a_terminal_only_and_never_with_no_color(seed: Path) -> None:
    import os

    plain_env = {k: "" for k in ("NO_COLOR",) if k in os.environ}
    coloured = _on_a_terminal(["check", str(seed)], plain_env)
    assert "\x1b[31m\x1b[1merror" in coloured or "\x1b[1m\x1b[31merror" in coloured, coloured
    assert "\x1b[" not in _on_a_terminal(["check", str(seed)], {"NO_COLOR": "1"})
    assert "\x1b[" not in run_cli("check", str(seed)).stdout  # piped


def test_the_summary_says_why_a_check_did_not_run(repo: Repo) -> None:
    path = repo(
        {"copier.yml": "a: 1\n", ".github/prgate.yml": "jest-collision:\n  enabled: false\n"}
    )
    last = run_cli("check", str(path)).stdout.splitlines()[-1]
    assert "ts-imports: skipped (there is no tsconfig*.json in the repository)" in last
    assert "jest-collision: off in the config (enabled: false)" in last


def test_a_folder_with_its_own_config_is_judged_as_a_repository(tmp_path: Path) -> None:
    """The quick start checks examples/seed-template-repo inside prgate's own clone: judged
    as part of prgate's repository, its Jest collisions were not predicted (Jest runs from
    the sample's root). The nearest .github/prgate.yml marks the root, as ruff's nearest
    pyproject.toml does."""
    pair = {"a/package.json": '{"name": "x"}\n', "b/package.json": '{"name": "x"}\n'}
    files: dict[str, str | bytes] = {f"sample/{k}": v for k, v in pair.items()}
    files["sample/package.json"] = '{"name": "s", "devDependencies": {"jest": "^30"}}\n'
    files["sample/.github/prgate.yml"] = "contamination:\n  enabled: true\n"
    files["sample/t/.env"] = "A=1\n"
    files["sample/copier.yml"] = "_subdirectory: t\n"
    path = make_repo(tmp_path / "r", files)
    result = run_cli("check", "sample", cwd=path)
    assert "jest-collision/haste-module" in result.stdout, result.stdout
    assert "t/.env" in result.stdout.splitlines()
    inner = run_cli("check", "--format", "sarif", cwd=path / "sample" / "t")
    assert "the folder with its own .github/prgate.yml" in inner.stderr
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(inner.stdout)["runs"][0]["results"]
    }
    assert "sample/t/.env" in uris  # code scanning's URIs stay the git root's


def test_the_quick_start_shows_what_the_sample_s_readme_promises() -> None:
    from tests.conftest import ROOT

    result = run_cli("check", "examples/seed-template-repo", cwd=ROOT)
    assert result.code == 1
    assert result.stdout.splitlines()[-1].startswith("prgate: 4 errors, 4 warnings"), result.stdout
