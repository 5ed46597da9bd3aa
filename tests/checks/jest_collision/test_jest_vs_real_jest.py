"""prgate's jest-collision prediction against real Jest 29 and 30 on the same workspaces.

Each workspace is built on disk, Jest runs ``--listTests --no-cache
--no-watchman`` in it, prgate checks it, and the sets of (kind, name, files)
must be equal. ``expect`` is how many reports the workspace is built to
produce, so a scenario cannot pass by both sides reporting nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import check, write_files
from tests.support.jest_oracle import prgate_reports, run_jest
from workers.engine.config import config_from


def pkg(name: object = None, **extra: object) -> str:
    data = {} if name is None else {"name": name}
    return json.dumps({**data, **extra}, indent=2) + "\n"


def conf(**options: object) -> str:
    return json.dumps(options, indent=2) + "\n"


@dataclass
class Scenario:
    id: str
    files: dict[str, str | bytes]
    expect: int  # haste-module + duplicate-mock reports the workspace is built to produce
    project_dirs: tuple[str, ...] = (".",)
    invalid: set[str] = field(default_factory=set)
    config_error: bool = False


SCENARIOS = [
    Scenario(
        # JavaScript's `.` stops at \r and `{,2}` is no quantifier there: in Python's `re`
        # each pattern would ignore the first package of a pair (`$` before a final \n is
        # tested in test_jest_collision: Jest's report of such a path is not parseable)
        "js-regex-semantics-on-odd-names",
        {
            "jest.config.json": conf(modulePathIgnorePatterns=["/gen.x/", "/a{,2}/"]),
            "gen\rx/p/package.json": pkg("dup1"),
            "src/p1/package.json": pkg("dup1"),
            "aa/r/package.json": pkg("dup3"),
            "src/r1/package.json": pkg("dup3"),
            "a{,2}/s/package.json": pkg("dup4"),
            "src/s1/package.json": pkg("dup4"),
        },
        expect=2,
    ),
    Scenario(
        "inside-and-outside-modulePathIgnorePatterns",
        {
            "package.json": pkg(
                "root", jest={"modulePathIgnorePatterns": ["<rootDir>/apps/smoke/"]}
            ),
            "templates/t/gen/a/package.json": pkg("@acme/gen-a"),
            "apps/smoke/gen/a/package.json": pkg("@acme/gen-a"),
            "packages/b1/package.json": pkg("@acme/b"),
            "packages/b2/package.json": pkg("@acme/b"),
            "packages/b1/index.test.js": "test('x', () => {});\n",
        },
        expect=1,
    ),
    Scenario(
        "anchored-regex-and-folder-pattern",
        {
            "jest.config.json": conf(modulePathIgnorePatterns=["^<rootDir>/gen", "/templates$"]),
            "gen1/x/package.json": pkg("x"),
            "src/x/package.json": pkg("x"),
            "templates/y/package.json": pkg("y"),
            "lib/y/package.json": pkg("y"),
            "templates2/z/package.json": pkg("z"),
            "lib/z/package.json": pkg("z"),
        },
        expect=1,
    ),
    Scenario(
        "folder-pattern-with-native-find",
        {
            "jest.config.json": conf(
                modulePathIgnorePatterns=["/templates$"], haste={"forceNodeFilesystemAPI": False}
            ),
            "templates/y/package.json": pkg("y"),
            "lib/y/package.json": pkg("y"),
        },
        expect=1,
    ),
    Scenario(
        "roots",
        {
            "jest.config.json": conf(roots=["<rootDir>/src", "<rootDir>/lib"]),
            "src/a/package.json": pkg("a"),
            "lib/a/package.json": pkg("a"),
            "other/b/package.json": pkg("b"),
            "src/b/package.json": pkg("b"),
        },
        expect=1,
    ),
    Scenario(
        "projects-do-not-inherit-ignores",
        {
            "jest.config.json": conf(
                projects=["<rootDir>/packages/*"],
                modulePathIgnorePatterns=["<rootDir>/packages/p1/gen/"],
            ),
            "packages/p1/jest.config.json": conf(),
            "packages/p1/gen/a/package.json": pkg("a"),
            "packages/p1/src/a/package.json": pkg("a"),
            "packages/p2/jest.config.json": conf(modulePathIgnorePatterns=["<rootDir>/vendor/"]),
            "packages/p2/vendor/c/package.json": pkg("c"),
            "packages/p2/src/c/package.json": pkg("c"),
        },
        expect=1,
        project_dirs=("packages/p1", "packages/p2"),
    ),
    Scenario(
        "testPathIgnorePatterns-does-not-hide-a-collision",
        {
            "jest.config.json": conf(
                testPathIgnorePatterns=["<rootDir>/apps/"],
                watchPathIgnorePatterns=["<rootDir>/apps/"],
            ),
            "apps/x/package.json": pkg("x"),
            "libs/x/package.json": pkg("x"),
        },
        expect=1,
    ),
    Scenario(
        "node_modules-and-nameless-packages",
        {
            "package.json": pkg("root", devDependencies={"jest": "^30.0.0"}),
            "node_modules/a/package.json": pkg("a"),
            "libs/a/package.json": pkg("a"),
            "libs/n1/package.json": pkg(),
            "libs/n2/package.json": pkg(),
            "libs/e1/package.json": pkg(""),
            "libs/e2/package.json": pkg(""),
            "libs/arr/package.json": "[]\n",
            "libs/q1/package.json": pkg("q"),
            "libs/q2/package.json": pkg("q"),
        },
        expect=1,
    ),
    Scenario(
        "duplicate-mocks",
        {
            "jest.config.json": conf(),
            "a/__mocks__/fs.js": "module.exports = {};\n",
            "b/__mocks__/fs.js": "module.exports = {};\n",
            "c/__mocks__/fs.ts": "export {};\n",
            "a/__mocks__/lodash/get.js": "module.exports = {};\n",
            "a/__mocks__/notes.txt": "not crawled\n",
            "b/__mocks__/notes.txt": "not crawled\n",
        },
        expect=1,
    ),
    Scenario(
        "invalid-json",
        {"jest.config.json": conf(), "libs/bad/package.json": '{ "name": "bad", }\n'},
        expect=0,
        invalid={"libs/bad/package.json"},
    ),
    Scenario(
        "byte-order-mark",
        {"jest.config.json": conf(), "libs/bom/package.json": b'\xef\xbb\xbf{"name": "bom"}\n'},
        expect=0,
        invalid={"libs/bom/package.json"},
    ),
    Scenario(
        "empty-package-json",
        {"jest.config.json": conf(), "libs/empty/package.json": ""},
        expect=0,
        invalid={"libs/empty/package.json"},
    ),
    Scenario(
        "package-json-jest-key-and-config-file",
        {"package.json": pkg("root", jest={}), "jest.config.json": conf()},
        expect=0,
        config_error=True,
    ),
    Scenario(
        "missing-root",
        {"jest.config.json": conf(roots=["<rootDir>/nope"]), "src/a.js": ""},
        expect=0,
        config_error=True,
    ),
    Scenario(
        "js-config-literal",
        {
            "jest.config.js": "/** @type {import('jest').Config} */\nmodule.exports = {\n"
            "  modulePathIgnorePatterns: ['<rootDir>/apps/smoke/'],\n};\n",
            "apps/smoke/gen/package.json": pkg("gen"),
            "templates/gen/package.json": pkg("gen"),
            "libs/k1/package.json": pkg("k"),
            "libs/k2/package.json": pkg("k"),
        },
        expect=1,
    ),
    Scenario(
        "js-config-computed",
        {
            "jest.base.js": "module.exports = { roots: ['<rootDir>'] };\n",
            "jest.config.js": "const path = require('path');\n"
            "const base = require('./jest.base');\n"
            "const ignored = ['apps/smoke', 'dist'].map((d) => path.join(__dirname, d) + '/');\n"
            "module.exports = { ...base, modulePathIgnorePatterns: ignored };\n",
            "apps/smoke/gen/package.json": pkg("gen"),
            "templates/gen/package.json": pkg("gen"),
            "dist/k/package.json": pkg("k"),
            "libs/k/package.json": pkg("k"),
            "libs/m1/package.json": pkg("m"),
            "libs/m2/package.json": pkg("m"),
        },
        expect=1,
    ),
    Scenario(
        # jestjs/jest's own config, cut down: options that read node_modules and the
        # environment are left out of prgate's evaluation, and the haste map is the same
        "options-from-node-modules-and-the-environment",
        {
            "jest.config.mjs": "import {createRequire} from 'node:module';\n"
            "const require = createRequire(import.meta.url);\n"
            "const quiet = process.env.PRGATE_ORACLE_QUIET;\n"
            "export default {\n"
            "  modulePathIgnorePatterns: ['<rootDir>/apps/smoke/'],\n"
            "  snapshotSerializers: [require.resolve('serializer-x')],\n"
            "  testEnvironmentOptions: { globalsCleanup: process.env.GLOBALS_CLEANUP ?? 'on' },\n"
            "  testPathIgnorePatterns: ['/node_modules/', ...(quiet ? ['/q/'] : []),\n"
            "    Number.parseInt(process.versions.node, 10) >= 20 ? '/a/' : '/b/'],\n"
            "};\n",
            "node_modules/serializer-x/package.json": pkg("serializer-x"),
            "node_modules/serializer-x/index.js": "module.exports = { test: () => false, "
            "serialize: () => '' };\n",
            "apps/smoke/gen/package.json": pkg("gen"),
            "templates/gen/package.json": pkg("gen"),
            "libs/k1/package.json": pkg("k"),
            "libs/k2/package.json": pkg("k"),
        },
        expect=1,
    ),
    Scenario(
        "mjs-config-async-function",
        {
            "jest.config.mjs": "export default async () => ({\n"
            "  modulePathIgnorePatterns: [`<rootDir>/apps/${'smoke'}/`],\n});\n",
            "apps/smoke/gen/package.json": pkg("gen"),
            "templates/gen/package.json": pkg("gen"),
            "libs/k1/package.json": pkg("k"),
            "libs/k2/package.json": pkg("k"),
        },
        expect=1,
    ),
]


@pytest.mark.parametrize("major", [29, 30])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_prgate_reports_what_jest_reports(tmp_path: Path, scenario: Scenario, major: int) -> None:
    workspace = tmp_path / "ws"
    write_files(workspace, scenario.files)
    jest = run_jest(major, workspace, project_dirs=scenario.project_dirs)

    config = config_from({"jest-collision": {"jest-version": major}})
    result = check(workspace, config, only=("jest-collision",)).results[0]
    assert result.error is None, result.error
    rules = [f.rule for f in result.findings]

    assert prgate_reports(result.findings) == jest.reports, jest.output
    assert len(jest.reports) == scenario.expect, jest.output
    invalid = {f.path for f in result.findings if f.rule == "jest-collision/invalid-package-json"}
    assert invalid == jest.invalid == scenario.invalid, jest.output
    assert ("jest-collision/config-error" in rules) == scenario.config_error
    # Jest exits 1 on exactly the problems prgate reports as fatal (collisions only warn).
    assert (jest.exit_code != 0) == bool(scenario.invalid or scenario.config_error), jest.output


@pytest.mark.parametrize("major", [29, 30])
def test_three_copies_jest_names_two_prgate_names_all(tmp_path: Path, major: int) -> None:
    """Jest's message lists the first two copies it met; the third is dropped silently.

    prgate lists every copy, so one fix removes them all.
    """
    workspace = tmp_path / "ws"
    write_files(
        workspace,
        {
            "jest.config.json": conf(),
            "a/package.json": pkg("same"),
            "b/package.json": pkg("same"),
            "c/package.json": pkg("same"),
        },
    )
    jest = run_jest(major, workspace)
    config = config_from({"jest-collision": {"jest-version": major}})
    ours = prgate_reports(check(workspace, config, only=("jest-collision",)).findings)
    assert len(jest.reports) == 1
    [(kind, name, jest_files)] = jest.reports
    [(our_kind, our_name, our_files)] = ours
    assert (kind, name) == (our_kind, our_name) == ("haste-module", "same")
    assert len(jest_files) == 2 and jest_files < our_files
    assert our_files == {"a/package.json", "b/package.json", "c/package.json"}


@pytest.mark.parametrize("major", [29, 30])
def test_the_suggested_fix_makes_jest_quiet(tmp_path: Path, major: int) -> None:
    """Apply prgate's suggested line to the config and run Jest again: the collision is gone."""
    workspace = tmp_path / "ws"
    write_files(
        workspace,
        {
            "jest.config.json": conf(rootDir=".", modulePathIgnorePatterns=["<rootDir>/build/"]),
            "templates/{{project_slug}}/generators/api/package.json": pkg("@acme/gen-api"),
            "apps/copier-smoke-example/.copier-answers.yml": "_src_path: ../../templates\n",
            "apps/copier-smoke-example/generators/api/package.json": pkg("@acme/gen-api"),
        },
    )
    assert run_jest(major, workspace).reports
    config = config_from({"jest-collision": {"jest-version": major}})
    [finding] = check(workspace, config, only=("jest-collision",)).findings
    assert finding.fix_path == "jest.config.json" and finding.fix_line is not None
    assert finding.fix is not None and "<rootDir>/apps/copier-smoke-example/" in finding.fix
    lines = (workspace / "jest.config.json").read_text().splitlines()
    lines[finding.fix_line - 1] = finding.fix
    (workspace / "jest.config.json").write_text("\n".join(lines) + "\n")

    after = run_jest(major, workspace)
    assert after.reports == set() and after.exit_code == 0, after.output
    assert check(workspace, config, only=("jest-collision",)).findings == []
