"""jest-collision alone: the seed scenario, configs and their sandbox, fixes, JS regexes."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import SEED, check, make_repo, write_files
from workers.checks.jest_collision.check import json_fix
from workers.checks.jest_collision.js_regex import JsRegexError, compile_js
from workers.engine.config import config_from
from workers.engine.findings import Level
from workers.engine.runner import Report

ONLY = ("jest-collision",)


def pkg(name: str | None = None, **extra: object) -> str:
    return json.dumps({**({"name": name} if name is not None else {}), **extra}, indent=2) + "\n"


def run(path: Path, **settings_: object) -> Report:
    config = config_from({"jest-collision": settings_}) if settings_ else None
    return check(path, config, only=ONLY)


def test_seed_one_finding_per_shared_name_with_the_fix(tmp_path: Path) -> None:
    seed = make_repo(tmp_path / "seed", {})
    shutil.rmtree(seed)
    shutil.copytree(SEED, seed)
    make_repo(seed, {})
    report = run(seed)
    [result] = report.results
    assert result.error is None
    by_path = {f.path: f for f in result.findings}
    assert set(by_path) == {
        "apps/copier-smoke-example/generators/api/package.json",
        "apps/copier-smoke-example/generators/web/package.json",
    }
    for gen in ("api", "web"):
        f = by_path[f"apps/copier-smoke-example/generators/{gen}/package.json"]
        assert f.rule == "jest-collision/haste-module" and f.level is Level.ERROR
        assert f.related == (f"templates/{{{{project_slug}}}}/generators/{gen}/package.json",)
        assert f'"Haste module naming collision: @acme/generator-{gen}"' in f.message
        assert "generated project" in f.message and "testPathIgnorePatterns" in f.message
        assert f.start_line == 2  # the "name" line, where a review comment lands
        assert (f.fix_path, f.fix_line) == ("package.json", 10)
        assert f.fix == (
            '  "jest": {\n    "modulePathIgnorePatterns": ["<rootDir>/apps/copier-smoke-example/"],'
        )
    assert report.exit_code == 1


def test_no_jest_no_prediction(repo) -> None:  # type: ignore[no-untyped-def]
    path = repo({"a/package.json": pkg("x"), "b/package.json": pkg("x")})
    [result] = run(path).results
    assert result.findings == [] and result.error is None
    assert "Jest is not used here" in result.notes[0].message


@pytest.mark.parametrize(
    ("name", "source"),
    [
        (
            "jest.config.ts",
            "import type { Config } from 'jest';\n"
            "interface Extra { x?: number }\n"
            "const ignored: string[] = ['<rootDir>/apps/smoke/'];\n"
            "const config: Config = {\n  modulePathIgnorePatterns: ignored as string[],\n}"
            " satisfies Config;\n"
            "export default config;\n",
        ),
        (
            "jest.config.ts",
            "import { join } from 'node:path';\n"
            "function dirs<T extends string>(...names: T[]): string[] {\n"
            "  return names.map((n): string => join('<rootDir>', n) + '/');\n}\n"
            "export default { modulePathIgnorePatterns: dirs('apps/smoke') };\n",
        ),
        (
            "jest.config.cjs",
            "const { readFileSync } = (() => ({ readFileSync: null }))();\n"
            "module.exports = () => ({ modulePathIgnorePatterns: ['<rootDir>/apps/smoke/'] });\n",
        ),
    ],
)
def test_js_and_ts_configs_are_evaluated(tmp_path: Path, name: str, source: str) -> None:
    write_files(
        tmp_path,
        {
            name: source,
            "apps/smoke/x/package.json": pkg("x"),
            "libs/x/package.json": pkg("x"),
            "libs/y1/package.json": pkg("y"),
            "libs/y2/package.json": pkg("y"),
        },
    )
    [result] = run(tmp_path).results
    assert result.error is None
    assert [(f.rule, f.paths) for f in result.findings] == [
        ("jest-collision/haste-module", ("libs/y2/package.json", "libs/y1/package.json"))
    ]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (
            "const fs = require('fs');\nmodule.exports = { roots: fs.readdirSync('.') };\n",
            "Cannot find module 'fs'",
        ),
        (
            "const cp = require('child_process');\ncp.execSync('touch /tmp/pwned');\n"
            "module.exports = {};\n",
            "Cannot find module 'child_process'",
        ),
        ("module.exports = { roots: [process.env.HOME] };\n", "reads environment variables (HOME)"),
        ("fetch('http://127.0.0.1:9/');\nmodule.exports = {};\n", "fetch is not defined"),
        ("while (true) {}\nmodule.exports = {};\n", "did not finish within"),
        ("const a = []; while (true) a.push(new Array(1e6).fill(1));\n", "could not be evaluated"),
        (
            "module.exports = { haste: { hasteImplModulePath: '<rootDir>/h.js' } };\n",
            "hasteImplModulePath",
        ),
        ("module.exports = { preset: 'some-private-preset' };\n", "node_modules"),
        ("module.exports = {\n", "syntax error"),
        ("module.exports = new Promise(() => {});\n", "never settles"),
        ("module.exports = async () => { throw new Error('boom'); };\n", "Error: boom"),
        (
            "const { getJestProjectsAsync } = require('@nx/jest');\n"
            "module.exports = async () => ({ projects: await getJestProjectsAsync() });\n",
            "@nx/jest",
        ),
    ],
)
@pytest.mark.parametrize("engine", ["quickjs", "v8"])
def test_configs_prgate_will_not_run_make_the_check_unpredictable(
    tmp_path: Path, source: str, reason: str, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each engine, the same guarantees: nothing reaches the host, time and memory are
    bounded, and whatever prgate will not run makes the check could-not-run."""
    monkeypatch.setenv("PRGATE_JS_ENGINE", engine)
    # the time limit only where it is the point: on a busy machine it would otherwise stop
    # the memory hog before the heap limit does
    monkeypatch.setenv("PRGATE_JS_TIMEOUT", "0.5" if "did not finish" in reason else "60")
    write_files(
        tmp_path, {"jest.config.js": source, "a/package.json": pkg("x"), "b/package.json": pkg("x")}
    )
    report = run(tmp_path)
    [result] = report.results
    assert result.error is not None and reason in result.error, result.error
    assert result.status == "could-not-run" and report.exit_code == 2  # never a pass
    assert result.error.endswith("sets `jest-collision: {enabled: false}` in .github/prgate.yml")
    [finding] = result.findings
    assert finding.rule == "jest-collision/unpredictable" and finding.level is Level.NOTE
    assert not Path("/tmp/pwned").exists()


def test_the_sandbox_cannot_read_the_host(tmp_path: Path) -> None:
    """Only files inside the checkout can be required, and only those prgate read for it."""
    secret = tmp_path / "outside.js"
    secret.write_text("module.exports = { modulePathIgnorePatterns: ['leaked'] };\n")
    repo = tmp_path / "repo"
    write_files(
        repo,
        {
            "jest.config.js": f"module.exports = require({json.dumps(str(secret))});\n",
            "a/package.json": pkg("x"),
        },
    )
    [result] = run(repo).results
    assert result.error is not None and "Cannot find module" in result.error


def test_symlinked_config_and_package_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_files(outside, {"package.json": pkg("x"), "jest.config.json": "{}"})
    repo = tmp_path / "repo"
    write_files(
        repo,
        {"package.json": pkg("root", devDependencies={"jest": "29"}), "a/package.json": pkg("x")},
    )
    (repo / "b").mkdir()
    os.symlink(outside / "package.json", repo / "b" / "package.json")
    [result] = run(repo).results
    assert result.findings == [] and result.error is None  # Jest skips symlinks too
    os.symlink(outside / "jest.config.json", repo / "jest.config.json")
    [result] = run(repo).results
    assert result.error is not None and "symlink" in result.error


def test_invalid_package_json_gets_its_own_finding_and_others_still_count(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "jest.config.json": "{}",
            "bad/package.json": "{ not json",
            "null/package.json": "null",
            "a/package.json": pkg("x"),
            "b/package.json": pkg("x"),
        },
    )
    [result] = run(tmp_path).results
    rules = sorted((f.rule, f.path) for f in result.findings)
    assert rules == [
        ("jest-collision/haste-module", "b/package.json"),
        ("jest-collision/invalid-package-json", "bad/package.json"),
        ("jest-collision/invalid-package-json", "null/package.json"),
    ]
    null = next(f for f in result.findings if f.path == "null/package.json")
    assert "Cannot read properties of null" in null.message


def test_multiple_configurations_is_a_config_error(tmp_path: Path) -> None:
    write_files(
        tmp_path, {"jest.config.js": "module.exports = {};", "jest.config.ts": "export default {};"}
    )
    [result] = run(tmp_path).results
    [finding] = result.findings
    assert (
        finding.rule == "jest-collision/config-error"
        and "Multiple configurations" in finding.message
    )


def test_run_from_a_package_folder(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "package.json": pkg("root"),
            "packages/web/jest.config.json": "{}",
            "packages/web/a/package.json": pkg("x"),
            "packages/web/b/package.json": pkg("x"),
            "other/package.json": pkg("x"),
        },
    )
    [result] = run(tmp_path, **{"run-from": ["packages/web"]}).results
    [finding] = result.findings
    assert finding.paths == ("packages/web/b/package.json", "packages/web/a/package.json")
    assert "<rootDir>/b/" in (finding.fix or "")


def test_jest_version_from_package_json_picks_the_default_extensions(tmp_path: Path) -> None:
    # Jest 30 crawls .mts files by default, Jest 29 does not.
    files = {"a/__mocks__/fs.mts": "", "b/__mocks__/fs.mts": ""}
    write_files(
        tmp_path / "v29", {"package.json": pkg("r", devDependencies={"jest": "^29.7.0"}), **files}
    )
    write_files(
        tmp_path / "v30", {"package.json": pkg("r", devDependencies={"jest": "~30.1.0"}), **files}
    )
    assert run(tmp_path / "v29").findings == []
    assert [f.rule for f in run(tmp_path / "v30").findings] == ["jest-collision/duplicate-mock"]


@pytest.mark.parametrize(
    ("text", "line", "replacement"),
    [
        (
            '{\n  "modulePathIgnorePatterns": ["<rootDir>/build/"],\n  "roots": ["<rootDir>"]\n}\n',
            2,
            '  "modulePathIgnorePatterns": ["<rootDir>/build/", "<rootDir>/x/"],',
        ),
        (
            '{\n  "modulePathIgnorePatterns": [\n    "<rootDir>/build/"\n  ]\n}\n',
            3,
            '    "<rootDir>/build/",\n    "<rootDir>/x/"',
        ),
        (
            '{\n  "modulePathIgnorePatterns": []\n}\n',
            2,
            '  "modulePathIgnorePatterns": ["<rootDir>/x/"]',
        ),
        (
            '{\n  "roots": ["<rootDir>"]\n}\n',
            1,
            '{\n  "modulePathIgnorePatterns": ["<rootDir>/x/"],',
        ),
    ],
)
def test_json_fix_edits_one_line_and_keeps_the_file_valid(
    text: str, line: int, replacement: str
) -> None:
    assert json_fix(text, ["<rootDir>/x/"], in_package=False) == (line, replacement)


def test_json_fix_refuses_what_it_cannot_edit_safely() -> None:
    assert (
        json_fix('{"roots": ["<rootDir>"]}', ["<rootDir>/x/"], in_package=False) is None
    )  # one line
    assert (
        json_fix("{}\n", ["<rootDir>/x/"], in_package=False) is None
    )  # no member to put a comma before


# --- JavaScript regex semantics -------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/templates$", "/r/templates", True),
        ("/templates$", "/r/templates/a/package.json", False),
        ("^/r/gen", "/r/gen1/package.json", True),
        (r"\d", "/r/٣", False),  # \d is ASCII in JavaScript
        (r"\s", "/r/a\u00a0b", True),  # \s is Unicode whitespace in JavaScript
        (r"\A", "/r/A", True),  # an identity escape, not Python's anchor
        ("[^]x", "/r/x", True),
        ("(?<dir>apps)/\\k<dir>", "/r/apps/apps", True),
    ],
)
def test_js_regex_semantics(pattern: str, path: str, matches: bool) -> None:
    assert bool(compile_js(pattern).search(path)) is matches


@pytest.mark.parametrize("pattern", ["(?P<x>a)", "(?i)a", "[a", "a\\"])
def test_js_regex_rejects_what_javascript_rejects(pattern: str) -> None:
    with pytest.raises(JsRegexError, match="Invalid regular expression"):
        compile_js(pattern)


_ATOMS = [
    "a",
    "b",
    "/",
    ".",
    "\\.",
    "\\d",
    "\\w",
    "\\s",
    "\\S",
    "\\b",
    "[ab/]",
    "[^a]",
    "x*",
    "(a|b)",
    "^",
    "$",
    "\\/",
    "-",
    "_",
    "[\\s]",
]


@settings(max_examples=150, deadline=None)
@given(
    pattern=st.lists(st.sampled_from(_ATOMS), min_size=1, max_size=6).map("".join),
    path=st.text(alphabet="ab/._-x1 \u00a0\t٣", max_size=12),
)
def test_js_regex_agrees_with_v8(pattern: str, path: str) -> None:
    """The translated pattern matches exactly where V8's RegExp matches."""
    expected = _v8().eval(f"new RegExp({json.dumps(pattern)}).test({json.dumps(path)})")
    assert bool(compile_js(pattern).search(path)) is expected, (pattern, path)


_V8: list[object] = []


def _v8():  # type: ignore[no-untyped-def]
    from py_mini_racer import MiniRacer

    if not _V8:
        _V8.append(MiniRacer())
    return _V8[0]


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "a"}',
        ' \t\r\n{"name": "a"}\n\n',
        '{"name": "a"} {"name": "b"}',  # extra data
        '{"name": "a"},',
        "\ufeff{}",  # a BOM: JSON.parse refuses it
        '\f{"name": "a"}',  # form feed is not JSON whitespace
        '{"name": "a"}\u00a0',
        "",
        "   ",
        "NaN",
        '{"name": NaN}',
        "null",
        '"just a string"',
        '[{"name": "x"}]',
        '{"name": 1e400}',
        '{"name": "\\ud800"}',
        '{"name": "a"',
        "{\n  \"name\": 'single'\n}",
    ],
)
def test_package_json_is_parsed_exactly_as_json_decodes_it(text: str) -> None:
    """The fast scan is JSONDecoder.decode: the same value, or json's own message and position."""
    from workers.checks.jest_collision.haste_map import _JSON, _parse

    def outcome(parse: Callable[[str], object]) -> object:
        try:
            return ("value", parse(text))
        except json.JSONDecodeError as exc:
            if not text.strip():
                return ("invalid", "Unexpected end of JSON input")
            return ("invalid", f"{exc.msg} (line {exc.lineno} column {exc.colno})")
        except ValueError as exc:
            return ("invalid", str(exc))

    assert outcome(_parse) == outcome(_JSON.decode)


_CRAWL_ATOMS = [*_ATOMS, "(?=/)", "(?!/)", "a$", "b(?!/)", "a/", "/a"]
_FOLDERS = ["a", "b", "ab", "a1", "_x", "-", "a b", "node_modules"]


@settings(max_examples=300, deadline=None)
@given(
    pattern=st.lists(st.sampled_from(_CRAWL_ATOMS), min_size=1, max_size=5).map("".join),
    folders=st.lists(st.sampled_from(_FOLDERS), min_size=1, max_size=3),
    name=st.sampled_from(["package.json", "a.json", "__mocks__/m.js"]),
)
@example(pattern="a$", folders=["a"], name="package.json")  # the folder ends in "a", no file
@example(pattern="a(?!/)", folders=["a"], name="b.json")  # only the folder's end is not "/"
def test_the_crawl_tests_folders_only_where_they_can_differ(
    pattern: str, folders: list[str], name: str
) -> None:
    """Skipping the folder tests never changes which files Jest's crawl reaches."""
    from workers.checks.jest_collision.haste_map import HasteProject, _crawled, _folders_can_differ

    try:
        ignore = compile_js(pattern)
    except JsRegexError:
        return
    exts = frozenset({"json", "js"})
    project = HasteProject(root_dir="/r", roots=("/r",), extensions=exts, ignore=ignore)
    path = "/r/" + "/".join([*folders, name])
    walked = _crawled(project, path, "/r", {}, folders=True)
    assert _crawled(project, path, "/r", {}, _folders_can_differ(ignore)) is walked, path


ESM_CREATE_REQUIRE = (
    "import {createRequire} from 'node:module';\n"
    "const require = createRequire(import.meta.url);\n"
    "const shared = require('./jest.shared.cjs');\n"
    "export default { ...shared, testEnvironment: 'node' };\n"
)


def test_an_esm_config_with_its_own_require(tmp_path: Path) -> None:
    """jestjs/jest's jest.config.mjs declares `const require = createRequire(import.meta.url)`.
    Before: the sandbox refused it ("Identifier 'require' has already been declared")."""
    write_files(
        tmp_path,
        {
            "jest.config.mjs": ESM_CREATE_REQUIRE,
            "jest.shared.cjs": "module.exports = { modulePathIgnorePatterns: ['/build/'] };\n",
            "a/package.json": pkg("x"),
            "b/package.json": pkg("x"),
            "build/package.json": pkg("x"),
        },
    )
    [result] = run(tmp_path).results
    assert result.error is None, result.error
    [finding] = [f for f in result.findings if f.rule == "jest-collision/haste-module"]
    assert set(finding.paths) == {"a/package.json", "b/package.json"}


def test_a_package_path_where_it_decides_the_haste_map_is_not_guessed(tmp_path: Path) -> None:
    source = (
        "const path = require('path');\n"
        "module.exports = { roots: [path.dirname(require.resolve('some-pkg'))] };\n"
    )
    write_files(tmp_path, {"jest.config.js": source, "a/package.json": pkg("x")})
    [result] = run(tmp_path).results
    assert result.error is not None and "Cannot resolve module 'some-pkg'" in result.error


@pytest.mark.parametrize("major, reported", [(30, True), (29, False)])
def test_jest_config_defaults_follow_the_jest_version(
    tmp_path: Path, major: int, reported: bool
) -> None:
    """apollographql/apollo-server spreads `defaults.moduleFileExtensions` from jest-config.
    Before: "Cannot find module 'jest-config'", could not run. Jest 30's defaults hold .mts,
    29's do not, so two .mts mocks collide under 30 only."""
    write_files(
        tmp_path,
        {
            "jest.config.mjs": (
                "import { defaults } from 'jest-config';\n"
                "const exts = [...defaults.moduleFileExtensions, 'x'];\n"
                "export default { moduleFileExtensions: exts };\n"
            ),
            "a/__mocks__/m.mts": "export {};\n",
            "b/__mocks__/m.mts": "export {};\n",
        },
    )
    [result] = run(tmp_path, **{"jest-version": major}).results
    assert result.error is None, result.error
    mocks = [f for f in result.findings if f.rule == "jest-collision/duplicate-mock"]
    assert bool(mocks) is reported


def test_other_jest_config_exports_are_not_invented(tmp_path: Path) -> None:
    source = "const { readConfig } = require('jest-config');\nmodule.exports = readConfig();\n"
    write_files(tmp_path, {"jest.config.js": source, "a/package.json": pkg("x")})
    [result] = run(tmp_path).results
    # V8 says "readConfig is not a function", QuickJS "not a function"
    assert result.error is not None and "not a function" in result.error


def test_an_esm_config_computing_file_urls(tmp_path: Path) -> None:
    """remix-run/react-router's shared config: `fileURLToPath(new URL('./x.js',
    import.meta.url))`. Before: "URL is not defined", could not run."""
    shared = (
        "import { fileURLToPath } from 'node:url';\n"
        "const here = fileURLToPath(new URL('.', import.meta.url));\n"
        "export default {\n"
        "  setupFiles: [fileURLToPath(new URL('./setup.js', import.meta.url))],\n"
        "  modulePathIgnorePatterns: [here + 'fixtures/'],\n"
        "};\n"
    )
    write_files(
        tmp_path,
        {
            "jest.config.mjs": "import s from './jest/shared.mjs';\nexport default { ...s };\n",
            "jest/shared.mjs": shared,
            "jest/setup.js": "",
            "jest/fixtures/package.json": pkg("x"),
            "a/package.json": pkg("x"),
            "b/package.json": pkg("x"),
        },
    )
    [result] = run(tmp_path).results
    assert result.error is None, result.error
    [finding] = [f for f in result.findings if f.rule == "jest-collision/haste-module"]
    assert set(finding.paths) == {"a/package.json", "b/package.json"}


def test_a_url_that_is_not_a_file_is_not_guessed(tmp_path: Path) -> None:
    source = "module.exports = { roots: [new URL('https://example.org/x').pathname] };\n"
    write_files(tmp_path, {"jest.config.js": source, "a/package.json": pkg("x")})
    [result] = run(tmp_path).results
    assert result.error is not None and "file: URLs only" in result.error


# jestjs/jest's and babel/babel's configs, cut down: options that read node_modules or the
# environment and that no haste option depends on
LEFT_OUT = {
    "esm-require-resolve-and-env": (
        "import {createRequire} from 'node:module';\n"
        "const require = createRequire(import.meta.url);\n"
        "export default {\n"
        "  modulePathIgnorePatterns: ['<rootDir>/gen/'],\n"
        "  projects: ['<rootDir>'],\n"
        "  snapshotSerializers: [require.resolve('jest-serializer-ansi-escapes')],\n"
        "  testEnvironmentOptions: { globalsCleanup: process.env.GLOBALS_CLEANUP ?? 'on' },\n"
        "  testPathIgnorePatterns: ['/e2e/',\n"
        "    Number.parseInt(process.versions.node, 10) >= 20 ? '/a/' : '/b/'],\n"
        "  transform: { '\\\\.[jt]sx?$': require.resolve('babel-jest') },\n"
        "};\n",
        "snapshotSerializers, testEnvironmentOptions, testPathIgnorePatterns, transform",
    ),
    "constant-read-only-by-a-left-out-option": (
        "const isPublishBundle = process.env.IS_PUBLISH;\n"
        "const config = {\n"
        "  runner: 'jest-light-runner',\n"
        "  modulePathIgnorePatterns: ['<rootDir>/gen/'],\n"
        "  testPathIgnorePatterns: ['/node_modules/',\n"
        "    ...(isPublishBundle ? ['\\\\.skip-bundled\\\\.js$'] : []),\n"
        "    ...(process.env.BABEL_COVERAGE === 'true' ? ['<rootDir>/x/'] : [])],\n"
        "};\n"
        "export default config;\n",
        "testPathIgnorePatterns, the constant isPublishBundle",
    ),
}


@pytest.mark.parametrize("name", sorted(LEFT_OUT))
def test_options_the_haste_map_never_reads_do_not_stop_the_check(tmp_path: Path, name: str) -> None:
    """A value from node_modules or the environment that only feeds options the haste map
    never reads is left out of the evaluation, and the prediction stands (issue 33)."""
    source, left_out = LEFT_OUT[name]
    write_files(
        tmp_path,
        {
            "jest.config.mjs": source,
            "gen/k/package.json": pkg("k"),
            "libs/k/package.json": pkg("k"),
            "libs/m1/package.json": pkg("m"),
            "libs/m2/package.json": pkg("m"),
        },
    )
    [result] = run(tmp_path).results
    assert result.error is None, result.error
    assert [(f.rule, f.paths) for f in result.findings] == [
        ("jest-collision/haste-module", ("libs/m2/package.json", "libs/m1/package.json"))
    ]
    assert any(f"jest.config.mjs: {left_out} read what prgate" in n.message for n in result.notes)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        # the unknowable value reaches a haste option
        ("module.exports = { modulePathIgnorePatterns: [require.resolve('x')] };\n", "'x'"),
        ("const gen = process.env.GEN;\nmodule.exports = { roots: [gen], a: [gen] };\n", "GEN"),
        # ... through a constant another statement reads too
        (
            "const gen = process.env.GEN;\nconst dirs = [gen];\n"
            "module.exports = { a: gen, roots: dirs };\n",
            "GEN",
        ),
        # ... through module.exports, read back after the export
        (
            "module.exports = { a: { x: process.env.GEN } };\n"
            "module.exports.roots = module.exports.a.x ? ['<rootDir>/a'] : ['<rootDir>/b'];\n",
            "GEN",
        ),
        # ... through the exported object, read by name before it is exported
        (
            "const c = { a: process.env.GEN };\nc.roots = [c.a];\nmodule.exports = c;\n",
            "GEN",
        ),
        # the config's own code runs on it: it may do anything
        (
            "const seen = [];\nconst keep = (v) => { seen.push(v); return v; };\n"
            "module.exports = { a: keep(process.env.GEN), roots: seen };\n",
            "GEN",
        ),
        # a built-in changed, which the left-out value's evaluation would have run
        (
            "const spread = Array.prototype[Symbol.iterator];\nlet hit = false;\n"
            "Array.prototype[Symbol.iterator] = function () { hit = true; "
            "return spread.call(this); };\n"
            "module.exports = { a: [...[process.env.GEN]], get roots() { return [] } };\n",
            "changes the built-in Array.prototype",
        ),
    ],
)
def test_an_unknowable_value_a_haste_option_may_depend_on_still_stops_it(
    tmp_path: Path, source: str, reason: str
) -> None:
    write_files(
        tmp_path, {"jest.config.js": source, "a/package.json": pkg("x"), "b/package.json": pkg("x")}
    )
    [result] = run(tmp_path).results
    assert result.error is not None and reason in result.error, result.error
    assert result.status == "could-not-run"


REACT_NATIVE_MODULE = """const { transform } = require('@react-native/jest-preset');

module.exports = {
  projects: [
    { preset: '@react-native/jest-preset', testEnvironment: 'node' },
    { haste: { defaultPlatform: 'web' }, testEnvironment: 'node', transform },
    { ...require('@react-native/jest-preset'), testEnvironment: 'node', rootDir: 'a' },
  ],
};
"""


def test_the_react_native_preset_required_as_a_module(tmp_path: Path) -> None:
    """react-navigation's shape: a project takes the preset's transform. Before: could not
    run ('Cannot find module'), then "`projects` is computed by a function" for the
    transform, which decides nothing in the haste map. Real Jest 30.4 (with the preset
    0.85.3) reports the same collision and duplicate mock, once per project at the root."""
    files = {
        "jest.config.js": REACT_NATIVE_MODULE,
        "a/package.json": pkg("x"),
        "b/package.json": pkg("x"),
        "__mocks__/m.js": "",
        "lib/__mocks__/m.js": "",
    }
    write_files(tmp_path, files)
    [result] = run(tmp_path).results
    assert result.error is None, result.error
    assert sorted((f.rule, f.paths) for f in result.findings) == [
        ("jest-collision/duplicate-mock", ("__mocks__/m.js", "lib/__mocks__/m.js")),
        ("jest-collision/haste-module", ("b/package.json", "a/package.json")),
    ]


def test_a_haste_option_of_an_inline_project_computed_by_a_function_stops_it(
    tmp_path: Path,
) -> None:
    source = (
        "const { transform } = require('@react-native/jest-preset');\n"
        "module.exports = { projects: [{ testEnvironment: 'node' }, { roots: transform }] };\n"
    )
    write_files(tmp_path, {"jest.config.js": source, "a/package.json": pkg("x")})
    [result] = run(tmp_path).results
    assert result.error is not None and "`projects[1].roots` is computed" in result.error


def test_preset_functions_and_presets_prgate_knows(tmp_path: Path) -> None:
    """jest-preset-angular's createCjsPreset sets moduleFileExtensions whatever its options
    (a .tsx mock is then not in the haste map); @react-native/jest-preset changes nothing
    the haste map reads."""
    write_files(
        tmp_path,
        {
            "angular/jest.config.js": "const {createCjsPreset} = "
            "require('jest-preset-angular/presets');\n"
            "module.exports = { ...createCjsPreset({ tsconfig: 'x' }), setupFiles: [] };\n",
            "angular/__mocks__/m.ts": "",
            "angular/lib/__mocks__/m.tsx": "",
            "angular/__mocks__/n.ts": "",
            "angular/lib/__mocks__/n.js": "",
            "native/jest.config.js": "module.exports = { preset: '@react-native/jest-preset' };\n",
            "native/a/package.json": pkg("x"),
            "native/b/package.json": pkg("x"),
        },
    )
    [angular] = run(tmp_path, **{"run-from": ["angular"]}).results
    assert angular.error is None, angular.error
    assert [(f.rule, f.paths) for f in angular.findings] == [
        ("jest-collision/duplicate-mock", ("angular/__mocks__/n.ts", "angular/lib/__mocks__/n.js"))
    ]
    [native] = run(tmp_path, **{"run-from": ["native"]}).results
    assert native.error is None, native.error
    assert [f.rule for f in native.findings] == ["jest-collision/haste-module"]
