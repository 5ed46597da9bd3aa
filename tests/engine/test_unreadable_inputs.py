"""Fail closed: a file a check needs but cannot read makes that check "could not run".

A hostile pull request must not switch a check off by padding a file past the
read limit, putting a FIFO where a file was, or writing bytes that do not
decode: the check then exits 2 (neutral in the App) naming the file, unless it
can prove the file does not matter. Files that are only searched for content
(the secret scan) are skipped with a note. With what a user sees of it staying
true and quiet."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import check, run_cli

Repo = Callable[..., Path]

LIMIT = 2 * 1024 * 1024  # PRGATE_MAX_FILE_BYTES' default
PADDING = "x" * (LIMIT + 1024)


def _pkg(name: str, **extra: object) -> str:
    return json.dumps({"name": name, **extra}, indent=2) + "\n"


COLLISION = {
    "packages/a/package.json": _pkg("@acme/same"),
    "packages/b/package.json": _pkg("@acme/same"),
}
GOOD_TEMPLATE = {
    "copier.yml": "_subdirectory: template\n_tasks:\n  - ['python', 'hooks/check.py']\n",
    "template/README.md.jinja": "hello\n",
}


def test_a_padded_root_package_json_is_not_a_pass(repo: Repo) -> None:
    root = _pkg("root", devDependencies={"jest": "^29.7.0"}, description=PADDING)
    path = repo({"package.json": root, **COLLISION})
    report = check(path, only=("jest-collision",))
    [result] = report.results
    assert report.exit_code == 2, result
    assert result.error is not None and "package.json" in result.error
    assert "over the" in result.error and "limit" in result.error
    assert not any("Jest is not used here" in n.message for n in result.notes)
    cli = run_cli("check", str(path), "--only", "jest-collision")
    assert cli.code == 2, cli.stdout + cli.stderr


def test_a_padded_run_from_package_json_is_not_a_pass(repo: Repo) -> None:
    from workers.engine.config import config_from

    app = _pkg("app", jest={"roots": ["<rootDir>"]}, description=PADDING)
    path = repo({"app/package.json": app, "app/x/package.json": _pkg("x")})
    config = config_from({"jest-collision": {"run-from": ["app"]}})
    [result] = check(path, config, only=("jest-collision",)).results
    assert result.error is not None and "app/package.json" in result.error


def test_a_padded_package_json_jest_never_reads_does_not_matter(repo: Repo) -> None:
    """node_modules is never crawled: its size cannot change Jest's answer."""
    root = _pkg("root", devDependencies={"jest": "^29.7.0"})
    files = {"package.json": root, "src/x/package.json": _pkg("x")}
    path = repo(files)
    big = path / "node_modules" / "big" / "package.json"
    big.parent.mkdir(parents=True)
    big.write_text(_pkg("big", description=PADDING))
    [result] = check(path, only=("jest-collision",)).results
    assert result.error is None, result.error


def test_a_padded_copier_yml_is_not_a_pass(repo: Repo) -> None:
    padded = "# " + PADDING + "\n" + GOOD_TEMPLATE["copier.yml"]
    # the task runs a script that is not there: an error Copier's settings would show
    path = repo({**GOOD_TEMPLATE, "copier.yml": padded})
    report = check(path, only=("hook-validation",))
    [result] = report.results
    assert report.exit_code == 2
    assert result.error is not None and "copier.yml" in result.error
    assert "over the" in result.error
    assert not any("defaults were assumed" in n.message for n in result.notes)


def test_a_padded_copier_yml_stops_contamination_judging_its_template(repo: Repo) -> None:
    padded = "# " + PADDING + "\n_subdirectory: template\n"
    path = repo({"copier.yml": padded, "template/x.txt": "x\n", "notes.orig": "y\n"})
    [result] = check(path, only=("contamination",)).results
    assert result.error is not None and "copier.yml" in result.error


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe_subdirectory: t\x00\x01\n", b"_tasks: [unclosed\n"],
    ids=["binary", "not-yaml"],
)
def test_an_undecodable_copier_yml_is_not_a_pass(repo: Repo, content: bytes) -> None:
    path = repo({"copier.yml": content, "template/x.txt": "x\n"})
    report = check(path, only=("hook-validation",))
    [result] = report.results
    assert report.exit_code == 2
    assert result.error is not None and "copier.yml" in result.error


def test_a_fifo_in_place_of_copier_yml_is_not_a_pass(repo: Repo) -> None:
    path = repo(GOOD_TEMPLATE)
    (path / "copier.yml").unlink()
    os.mkfifo(path / "copier.yml")  # git still lists it: the index says a file is there
    report = check(path, only=("hook-validation",))
    [result] = report.results
    assert report.exit_code == 2
    assert result.error is not None and "copier.yml" in result.error
    assert "not a regular file" in result.error


def test_a_padded_hook_script_is_not_a_pass(repo: Repo) -> None:
    hook = "import sys\n# " + PADDING + "\nif len(sys.argv) < 2:\n    sys.exit(0)\n"
    files = {
        "copier.yml": "_subdirectory: template\n"
        "_tasks:\n  - ['python', '{{ _copier_conf.src_path }}/hooks/check.py', '{{ name }}']\n"
        "name: {type: str, default: x}\n",
        "template/README.md": "x\n",
        "hooks/check.py": hook,
    }
    path = repo(files)
    report = check(path, only=("hook-validation",))
    [result] = report.results
    assert report.exit_code == 2
    assert result.error is not None and "hooks/check.py" in result.error


def test_an_oversize_file_is_still_only_a_note_for_the_secret_scan(repo: Repo) -> None:
    path = repo({"big.txt": PADDING, "README.md": "x\n"})
    [result] = check(path, only=("contamination",)).results
    assert result.error is None
    assert any(n.path == "big.txt" and "not scanned" in n.message for n in result.notes)


def test_a_padded_root_package_json_beside_a_jest_config_is_not_a_pass(repo: Repo) -> None:
    """Jest never crawls it here, but Jest's version is read from it: unknown, so no prediction."""
    root = _pkg("root", devDependencies={"jest": "^29.7.0"}, description=PADDING)
    config = json.dumps({"roots": ["<rootDir>/packages"]})
    path = repo({"package.json": root, "jest.config.json": config, **COLLISION})
    report = check(path, only=("jest-collision",))
    [result] = report.results
    assert report.exit_code == 2
    assert result.error is not None and "package.json" in result.error


def test_a_padded_package_json_jest_ignores_does_not_matter(repo: Repo) -> None:
    root = _pkg(
        "root",
        devDependencies={"jest": "^29.7.0"},
        jest={"modulePathIgnorePatterns": ["<rootDir>/ignored/"]},
    )
    files = {"package.json": root, "ignored/big/package.json": _pkg("big", description=PADDING)}
    [result] = check(repo(files), only=("jest-collision",)).results
    assert result.error is None, result.error


# --- 9. Smaller: what a user sees stays true and quiet ----------------------------------------


def test_a_jest_config_that_loops_ends_neutral_with_a_clean_stderr(repo: Repo) -> None:
    config = "export default async function () { await null; for (;;) {} }\n"
    root = _pkg("root", devDependencies={"jest": "^29.7.0"})
    path = repo({"package.json": root, "jest.config.mjs": config})
    cli = run_cli("check", str(path), "--only", "jest-collision", env={"PRGATE_JS_TIMEOUT": "1"})
    assert cli.code == 2
    assert "did not finish within 1 s" in cli.stdout
    assert "Traceback" not in cli.stderr and "Event loop is closed" not in cli.stderr, cli.stderr


def test_other_unraisable_exceptions_are_still_reported() -> None:
    import subprocess
    import sys

    code = (
        "from workers.checks.jest_collision.js_engine import _quiet_late_v8_reports\n"
        "_quiet_late_v8_reports()\n"
        "class Broken:\n"
        "    def __del__(self): raise RuntimeError('Event loop is closed')\n"
        "Broken()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Exception ignored" in proc.stderr and "Event loop is closed" in proc.stderr


def test_a_fifo_in_place_of_a_scanned_file_is_named_in_a_note(repo: Repo) -> None:
    path = repo({"notes.txt": "x\n", "README.md": "y\n"})
    (path / "notes.txt").unlink()
    os.mkfifo(path / "notes.txt")
    [result] = check(path, only=("contamination",)).results
    assert result.error is None
    assert any(n.path == "notes.txt" and "not a regular file" in n.message for n in result.notes)


def test_a_padded_package_json_is_not_a_pass_for_nx_generators(repo: Repo) -> None:
    """A package.json padded past the read limit may name a generator collection that Nx
    loads: nx-generators cannot say there are none, so it could not run (not skipped)."""
    plugin = _pkg("plug", generators="./generators.json", description=PADDING)
    path = repo({"tools/plug/package.json": plugin, "README.md": "x\n"})
    [result] = check(path, only=("nx-generators",)).results
    assert result.status == "could-not-run", result
    assert result.error is not None and "tools/plug/package.json" in result.error


def test_a_padded_collection_is_not_called_unloadable(repo: Repo) -> None:
    """Nx reads a 3 MB generators.json; prgate does not: no `unloadable` error, no pass."""
    entry = {"g": {"factory": "./g", "schema": "./s.json", "description": PADDING}}
    path = repo(
        {
            "tools/plug/package.json": _pkg("plug", generators="./generators.json"),
            "tools/plug/generators.json": json.dumps({"generators": entry}),
            "tools/plug/g.js": "module.exports = () => {};\n",
            "tools/plug/s.json": "{}",
        }
    )
    [result] = check(path, only=("nx-generators",)).results
    assert result.status == "could-not-run" and result.findings == [], result
    assert result.error is not None and "tools/plug/generators.json" in result.error


def test_a_padded_nx_json_is_no_verdict_for_nx_generators(repo: Repo) -> None:
    """nx.json's plugins decide whether a folder may be a project: unread, no error."""
    path = repo(
        {
            "nx.json": json.dumps({"plugins": [], "x": PADDING}),
            "tools/plug/package.json": _pkg("plug", generators="./generators.json"),
            "tools/plug/generators.json": json.dumps(
                {"generators": {"g": {"factory": "./g", "description": "Creates a library"}}}
            ),
            "tools/plug/g.js": "module.exports = (tree, o) => "
            "tree.write(`libs/${o.name}/a.ts`, '');\n",
        }
    )
    [result] = check(path, only=("nx-generators",)).results
    assert result.status == "could-not-run" and result.findings == [], result
    assert result.error is not None and "nx.json" in result.error
