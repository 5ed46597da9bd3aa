"""Issue 18: Jest configurations seen on real public repositories, each reduced to a small
fixture and judged by real Jest.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check

Repo = Callable[..., Path]

# --- case 11: a Jest root that exists, empty, outside git -----------------------------------


def test_an_empty_existing_root_outside_git_is_no_config_error(tmp_path: Path) -> None:
    import json

    folder = tmp_path / "plain"
    (folder / "packages" / "empty").mkdir(parents=True)
    (folder / "packages" / "a").mkdir()
    (folder / "packages" / "a" / "package.json").write_text('{"name": "a"}\n')
    config = {"roots": ["<rootDir>/packages/a", "<rootDir>/packages/empty"]}
    (folder / "package.json").write_text(
        json.dumps({"name": "root", "devDependencies": {"jest": "^29"}, "jest": config})
    )
    [result] = check(folder, only=["jest-collision"]).results
    assert result.error is None and result.findings == [], result
    from tests.support.jest_oracle import run_jest

    assert run_jest(29, folder).exit_code == 0  # real Jest agrees: no error
    config["roots"].append("<rootDir>/packages/missing")
    (folder / "package.json").write_text(
        json.dumps({"name": "root", "devDependencies": {"jest": "^29"}, "jest": config})
    )
    [result] = check(folder, only=["jest-collision"]).results
    assert [f.rule for f in result.findings] == ["jest-collision/config-error"]
    assert run_jest(29, folder).exit_code != 0  # and real Jest fails on a missing root


# --- case 10: a Jest config that computes the path it requires -----------------------------


def test_a_config_that_computes_its_require_path(repo: Repo) -> None:
    """``require(path.join(path.resolve(__dirname, '..', '..'), 'jest.config.json'))`` loads
    the repository's file, and the prediction matches real Jest."""
    import json

    from tests.support.jest_oracle import prgate_reports, run_jest

    shared = {"modulePathIgnorePatterns": ["<rootDir>/ignored/"]}
    config = (
        "const path = require('path');\n"
        "const top = path.resolve(__dirname, '..', '..');\n"
        "const base = require(path.join(top, 'jest.config.json'));\n"
        "module.exports = { ...base, rootDir: path.resolve(__dirname, '..', '..') };\n"
    )
    files = {
        "package.json": json.dumps({"name": "root", "devDependencies": {"jest": "^29.7.0"}}),
        "jest.config.json": json.dumps(shared),
        "tools/jest/jest.config.js": config,
        "a/package.json": json.dumps({"name": "same"}),
        "b/package.json": json.dumps({"name": "same"}),
        "c/__mocks__/m.js": "",
        "d/__mocks__/m.js": "",
        "ignored/package.json": json.dumps({"name": "same"}),
    }
    path = repo(files)
    from workers.engine.config import config_from

    settings = config_from({"jest-collision": {"run-from": ["tools/jest"]}})
    [result] = check(path, settings, only=["jest-collision"]).results
    assert result.error is None, result.error
    jest = run_jest(29, path, cwd="tools/jest")
    assert prgate_reports(result.findings) == jest.reports
    assert len(jest.reports) == 2  # one haste-module collision and one duplicate mock


def test_a_computed_require_never_reaches_outside_the_repository(repo: Repo) -> None:
    import json

    config = "const p = ['/etc', 'hostname'].join('/');\nmodule.exports = require(p);\n"
    files = {
        "package.json": json.dumps({"name": "root", "devDependencies": {"jest": "^29.7.0"}}),
        "jest.config.js": config,
    }
    [result] = check(repo(files), only=["jest-collision"]).results
    assert result.error is not None and "Cannot find module '/etc/hostname'" in result.error
