"""Nx workspaces: what ``@nx/jest`` gives a Jest config, reproduced without node_modules.

The shapes are those Nx generates (a root ``jest.config.ts`` calling
``getJestProjectsAsync()``, a ``jest.preset.js`` spreading ``@nx/jest/preset``,
projects found through ``@nx/jest/plugin`` or a ``project.json`` target), as in
nrwl/nx-examples. ``test_nx_vs_real_nx.py`` compares the same workspaces with real
Nx and real Jest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import check, write_files
from workers.checks.jest_collision import nx_jest
from workers.checks.jest_collision.tree import Tree, Unpredictable
from workers.engine.config import config_from
from workers.engine.findings import CheckResult
from workers.engine.views import open_view

ROOT_CONFIG = (
    "const { getJestProjectsAsync } = require('@nx/jest');\n\n"
    "module.exports = async () => ({ projects: await getJestProjectsAsync() });\n"
)
PRESET = (
    "const nxPreset = require('@nx/jest/preset').default;\n"
    "module.exports = { ...nxPreset, testEnvironment: 'node' };\n"
)
PLUGIN = {"plugins": [{"plugin": "@nx/jest/plugin", "options": {"targetName": "test"}}]}


def project_config(depth: int, name: str) -> str:
    # The preset's extensions leave out json, so no package.json is in the haste map
    # unless a project adds it, as this one does.
    return (
        "export default {\n"
        f"  displayName: '{name}',\n"
        f"  preset: '{'../' * depth}jest.preset.js',\n"
        "  moduleFileExtensions: ['ts', 'js', 'json'],\n"
        "};\n"
    )


def pkg(name: str, **extra: object) -> str:
    return json.dumps({"name": name, **extra}, indent=2) + "\n"


def workspace(nx_version: str = "22.7.2", nx: dict[str, object] | None = None) -> dict[str, str]:
    """Two projects inferred by @nx/jest/plugin; libs/a holds a second copy of its package."""
    return {
        "package.json": pkg(
            "acme", devDependencies={"@nx/jest": nx_version, "jest": "30.0.0", "nx": nx_version}
        ),
        "nx.json": json.dumps(nx if nx is not None else PLUGIN),
        "jest.config.ts": ROOT_CONFIG,
        "jest.preset.js": PRESET,
        "libs/a/project.json": json.dumps({"name": "a"}),
        "libs/a/jest.config.ts": project_config(2, "a"),
        "libs/a/package.json": pkg("@acme/a"),
        "libs/a/src/fixtures/copy/package.json": pkg("@acme/a"),
        "libs/a/dist/package.json": pkg("@acme/a"),
        "apps/b/project.json": json.dumps({"name": "b"}),
        "apps/b/jest.config.ts": project_config(2, "b"),
        "apps/b/package.json": pkg("@acme/b"),
        "apps/b/src/__mocks__/fs.ts": "export {};\n",
        "apps/b/src/lib/__mocks__/fs.ts": "export {};\n",
        # no project file beside it: the plugin makes no project of it
        "tools/jest.config.ts": project_config(1, "tools"),
        "tools/package.json": pkg("@acme/a"),
    }


def run(tmp_path: Path, files: dict[str, str]) -> CheckResult:
    write_files(tmp_path / "ws", files)
    config = config_from({"jest-collision": {"jest-version": 30}})
    return check(tmp_path / "ws", config, only=("jest-collision",)).results[0]


def collisions(result: CheckResult) -> set[frozenset[str]]:
    return {frozenset(f.paths) for f in result.findings if f.rule == "jest-collision/haste-module"}


def mocks(result: CheckResult) -> set[frozenset[str]]:
    return {
        frozenset(f.paths) for f in result.findings if f.rule == "jest-collision/duplicate-mock"
    }


def test_a_collision_inside_an_nx_project_is_found(tmp_path: Path) -> None:
    """Before: "could not run" (Cannot find module '@nx/jest') on every Nx workspace."""
    result = run(tmp_path, workspace())
    assert result.error is None, result.error
    # @nx/jest 22.7.2's preset ignores <rootDir>/dist/; tools/ is not a project
    assert collisions(result) == {
        frozenset({"libs/a/package.json", "libs/a/src/fixtures/copy/package.json"})
    }
    assert mocks(result) == {
        frozenset({"apps/b/src/__mocks__/fs.ts", "apps/b/src/lib/__mocks__/fs.ts"})
    }
    notes = " ".join(n.message for n in result.notes)
    assert "getJestProjectsAsync() reproduced" in notes and "2 project(s)" in notes


def test_the_preset_follows_the_installed_version(tmp_path: Path) -> None:
    """@nx/jest before 22.7.2 has no modulePathIgnorePatterns: dist/ is in the haste map."""
    result = run(tmp_path, workspace("22.7.1"))
    assert result.error is None, result.error
    assert collisions(result) == {
        frozenset(
            {
                "libs/a/package.json",
                "libs/a/src/fixtures/copy/package.json",
                "libs/a/dist/package.json",
            }
        )
    }


def test_a_range_across_a_change_is_not_guessed(tmp_path: Path) -> None:
    result = run(tmp_path, workspace("^22.0.0"))
    assert result.error is not None and "22.7.2" in result.error
    assert not collisions(result)


def test_a_lockfile_decides_within_a_range(tmp_path: Path) -> None:
    files = workspace("^22.0.0")
    files["package-lock.json"] = json.dumps(
        {
            "lockfileVersion": 3,
            "packages": {"node_modules/@nx/jest": {"version": "22.7.5"}},
        }
    )
    result = run(tmp_path, files)
    assert result.error is None, result.error
    assert len(next(iter(collisions(result)))) == 2  # dist/ ignored, as in 22.7.5


@pytest.mark.parametrize(
    "lock, text",
    [
        ("yarn.lock", '"@nx/jest@^22.0.0":\n  version "22.7.5"\n  resolved "x"\n'),
        ("pnpm-lock.yaml", "packages:\n\n  '@nx/jest@22.7.5':\n    resolution: {x: y}\n"),
    ],
)
def test_other_lockfiles(tmp_path: Path, lock: str, text: str) -> None:
    files = workspace("^22.0.0")
    files[lock] = text
    write_files(tmp_path, files)
    found = nx_jest.installed(Tree(open_view(tmp_path)), "@nx/jest")
    assert found.exact and found.low == (22, 7, 5, 1) and found.source == lock


def test_an_unknown_plugin_makes_it_unpredictable(tmp_path: Path) -> None:
    nx = {"plugins": [*PLUGIN["plugins"], "./tools/my-plugin.ts"]}
    result = run(tmp_path, workspace(nx=nx))
    assert result.error is not None and "./tools/my-plugin.ts" in result.error
    assert not collisions(result)


def test_nx_own_plugins_do_not(tmp_path: Path) -> None:
    nx = {"plugins": [*PLUGIN["plugins"], "@nx/eslint/plugin", {"plugin": "@nx/js/typescript"}]}
    assert run(tmp_path, workspace(nx=nx)).error is None


def test_target_defaults_that_change_commands_are_not_guessed(tmp_path: Path) -> None:
    harmless = {**PLUGIN, "targetDefaults": {"@nx/jest:jest": {"cache": True, "inputs": ["x"]}}}
    assert run(tmp_path / "1", workspace(nx=harmless)).error is None
    changing = {**PLUGIN, "targetDefaults": {"test": {"executor": "@nx/jest:jest"}}}
    result = run(tmp_path / "2", workspace(nx=changing))
    assert result.error is not None and "targetDefaults" in result.error


def executor_defaults(nx_version: str, defaults: dict[str, object]) -> dict[str, str]:
    """Jest-executor targets that leave jestConfig to nx.json's targetDefaults (Bielik20's
    nx-plugins), one that sets its own, and one of the older executor's name."""
    files = workspace(nx_version, nx={"targetDefaults": defaults})
    files["libs/a/project.json"] = json.dumps(
        {"name": "a", "targets": {"test": {"executor": "@nx/jest:jest"}}}
    )
    files["apps/b/project.json"] = json.dumps(
        {
            "name": "b",
            "targets": {
                "test": {
                    "executor": "@nx/jest:jest",
                    "options": {"jestConfig": "apps/b/jest.config.ts", "passWithNoTests": True},
                },
                "legacy": {"executor": "@nrwl/jest:jest"},
            },
        }
    )
    return files


JEST_DEFAULTS = {
    "@nx/jest:jest": {
        "cache": True,
        "inputs": ["default"],
        "options": {"passWithNoTests": True, "jestConfig": "{projectRoot}/jest.config.ts"},
        "configurations": {"ci": {"ci": True, "codeCoverage": True}},
    },
    "test": {"cache": True},
}


def test_a_jest_config_from_target_defaults_fills_the_executors_targets(tmp_path: Path) -> None:
    """Before: could not run ("targetDefaults['@nx/jest:jest'] sets what a target runs")."""
    result = run(tmp_path, executor_defaults("20.0.3", JEST_DEFAULTS))
    assert result.error is None, result.error
    assert collisions(result) == {
        frozenset(
            {
                "libs/a/package.json",
                "libs/a/src/fixtures/copy/package.json",
                "libs/a/dist/package.json",
            }
        )
    }
    write_files(tmp_path / "t", executor_defaults("20.0.3", JEST_DEFAULTS))
    projects = nx_jest.jest_projects(Tree(open_view(tmp_path / "t")), dedupe=True)
    assert sorted(projects) == [
        "<rootDir>/apps/b/jest.config.ts",
        "<rootDir>/libs/a/jest.config.ts",
    ]


def test_workspace_json_is_ignored_as_nx_16_ignores_it(tmp_path: Path) -> None:
    """Real Nx 16.0.0, 16.7.4 and 17.3.2 warn 'workspace.json is ignored' and list the
    project.json files, whether workspace.json lists them or holds a project inline.
    Before: could not run (nx-aws-cdk-v2)."""
    files = explicit("16.7.4")
    files["jest.config.ts"] = (
        "const { getJestProjects } = require('@nx/jest');\n\n"
        "module.exports = { projects: getJestProjects() };\n"
    )
    inline = {"root": "libs/c", "targets": {"test": {"executor": "@nx/jest:jest"}}}
    files["workspace.json"] = json.dumps({"version": 2, "projects": {"b": "apps/b", "c": inline}})
    result = run(tmp_path, files)
    assert result.error is None, result.error
    assert any("workspace.json is ignored" in n.message for n in result.notes)
    write_files(tmp_path / "t", files)
    tree = Tree(open_view(tmp_path / "t"))
    assert nx_jest.jest_projects(tree, dedupe=False, inferred=False) == [
        "<rootDir>/libs/a/jest.config.ts"
    ]


def named_defaults(nx_version: str, plugins: list[object] | None = None) -> dict[str, str]:
    """``e2e`` given the Jest executor by name (nxext/nx-extensions, create-nx-plugin): a
    target with the executor takes the executor's key instead; one without takes it; one
    with another executor keeps its own."""
    e2e = {"executor": "@nx/jest:jest", "options": {"jestConfig": "{projectRoot}/jest.config.ts"}}
    defaults = {"@nx/jest:jest": {"options": {"passWithNoTests": True}}, "e2e": e2e}
    nx: dict[str, object] = {"targetDefaults": defaults}
    if plugins is not None:
        nx["plugins"] = plugins
    files = workspace(nx_version, nx=nx)
    targets = {
        "libs/a": {"e2e": {"executor": "@nx/jest:jest"}},  # the executor's key: no jestConfig
        "apps/b": {"e2e": {"options": {"runInBand": True}}},  # takes the named default
        "tools": {"e2e": {"executor": "@nx/js:node"}},  # another executor: left as it is
    }
    for root, body in targets.items():
        files[f"{root}/project.json"] = json.dumps({"name": root, "targets": body})
    return files


def test_a_jest_executor_given_to_a_target_name_is_applied(tmp_path: Path) -> None:
    """Before: could not run on nxext/nx-extensions ("targetDefaults['e2e'] sets what a
    target runs")."""
    write_files(tmp_path, named_defaults("23.0.1"))
    projects = nx_jest.jest_projects(Tree(open_view(tmp_path)), dedupe=True)
    assert projects == ["<rootDir>/apps/b/jest.config.ts"]


def test_a_named_default_a_plugin_could_infer_is_not_guessed(tmp_path: Path) -> None:
    plugins: list[object] = [{"plugin": "@nx/jest/plugin"}, "@nx/eslint/plugin"]
    write_files(tmp_path / "ok", named_defaults("23.0.1", plugins))
    assert nx_jest.jest_projects(Tree(open_view(tmp_path / "ok")), dedupe=True)
    for plugin in (
        "@nx/cypress/plugin",
        {"plugin": "@nx/jest/plugin", "options": {"targetName": "e2e"}},
    ):
        write_files(tmp_path / "no", named_defaults("23.0.1", [plugin]))
        with pytest.raises(Unpredictable, match=r"targetDefaults\['e2e'\].*may infer"):
            nx_jest.jest_projects(Tree(open_view(tmp_path / "no")), dedupe=True)


def test_the_sync_api_with_a_jest_config_from_target_defaults_is_not_guessed(
    tmp_path: Path,
) -> None:
    """Real getJestProjects() applies it only from a cached project graph: without one,
    Nx 16.7.4 and 20.0.3 leave it out, 17.3.2 and 18.3.5 return '{projectRoot}' as is."""
    files = executor_defaults("20.0.3", JEST_DEFAULTS)
    files["jest.config.ts"] = (
        "const { getJestProjects } = require('@nx/jest');\n\n"
        "module.exports = { projects: getJestProjects() };\n"
    )
    result = run(tmp_path, files)
    assert result.error is not None, "predicted"
    assert "getJestProjects() sees only when Nx has a project graph cached" in result.error


def test_the_sync_api_and_a_workspace_packages_jest_target_is_not_guessed(
    tmp_path: Path,
) -> None:
    """Real getJestProjects() left a package.json nx target out in Nx 16.7.4 and 17.3.2,
    listed it in 18.3.5, and in 20.0.3 only from a cached project graph."""
    files = workspace("20.0.3", nx={})
    files["package.json"] = pkg(
        "acme",
        workspaces=["libs/*"],
        devDependencies={"@nx/jest": "20.0.3", "jest": "30.0.0", "nx": "20.0.3"},
    )
    files["libs/a/package.json"] = pkg(
        "@acme/a",
        nx={"targets": {"test": {"executor": "@nx/jest:jest", "options": {"jestConfig": "x"}}}},
    )
    files["jest.config.ts"] = (
        "const { getJestProjects } = require('@nx/jest');\n\n"
        "module.exports = { projects: getJestProjects() };\n"
    )
    result = run(tmp_path, files)
    assert result.error is not None, "predicted"
    assert "libs/a/package.json: target 'test' runs Jest" in result.error


@pytest.mark.parametrize(
    "why, defaults, version",
    [
        ("older Nx", JEST_DEFAULTS, "17.3.2"),
        (
            "a configuration's jestConfig",
            {"@nx/jest:jest": {"configurations": {"ci": {"jestConfig": "x"}}}},
            "20.0.3",
        ),
        (
            "an executor",
            {"@nx/jest:jest": {"executor": "nx:run-commands", "options": {"jestConfig": "x"}}},
            "20.0.3",
        ),
        ("a name's jestConfig", {"test": {"options": {"jestConfig": "x"}}}, "20.0.3"),
        ("Nx 23's list form", {"@nx/jest:jest": [{"options": {"jestConfig": "x"}}]}, "23.2.1"),
    ],
)
def test_other_target_defaults_are_not_guessed(
    tmp_path: Path, why: str, defaults: dict[str, object], version: str
) -> None:
    result = run(tmp_path, executor_defaults(version, defaults))
    assert result.error is not None and "targetDefaults" in result.error, why
    assert not collisions(result)


def explicit(nx_version: str) -> dict[str, str]:
    """No plugin: a project.json Jest-executor target and a run-commands target, one project."""
    files = workspace(nx_version, nx={})
    files["libs/a/project.json"] = json.dumps(
        {
            "name": "a",
            "targets": {
                "test": {
                    "executor": "@nx/jest:jest",
                    "options": {"jestConfig": "{projectRoot}/jest.config.ts"},
                },
                "test-ci": {"command": "npx jest --ci"},
            },
        }
    )
    return files


def test_executor_targets_and_commands(tmp_path: Path) -> None:
    files = explicit("20.0.0")
    write_files(tmp_path, files)
    tree = Tree(open_view(tmp_path))
    # 20.0 dropped the folder that the config file beside it already names
    assert nx_jest.jest_projects(tree, dedupe=True) == ["<rootDir>/libs/a/jest.config.ts"]
    # the older getJestProjects() reads the Jest executor only
    assert nx_jest.jest_projects(tree, dedupe=False, inferred=False) == [
        "<rootDir>/libs/a/jest.config.ts"
    ]
    result = run(tmp_path / "r", files)
    assert result.error is None, result.error
    assert len(collisions(result)) == 1


def test_before_20_both_entries_reach_jest(tmp_path: Path) -> None:
    """19.x returns the folder and its config file: Jest refuses two projects with one config."""
    result = run(tmp_path, explicit("19.8.0"))
    errors = [f for f in result.findings if f.rule == "jest-collision/config-error"]
    assert errors and "Two projects resolved to the same config path" in errors[0].message


@pytest.mark.parametrize(
    "command, expected",
    [
        ("jest", ["<rootDir>/libs/a"]),
        ("npx jest --config jest.ci.ts && echo done", ["<rootDir>/libs/a/jest.ci.ts"]),
        ("echo x&jest --config=../b/jest.config.js", ["<rootDir>/libs/b/jest.config.js"]),
        ("vitest run", []),
        ("node_modules/.bin/jest", []),  # Nx's pattern wants the word jest
        ("jest-runner x", []),
    ],
)
def test_run_commands_as_nx_reads_them(command: str, expected: list[str]) -> None:
    out: dict[str, None] = {}
    nx_jest._from_command(command, "libs/a", out, "t", "project.json")
    assert list(out) == expected


@pytest.mark.parametrize(
    "pattern, path, matches",
    [
        ("packages/*/package.json", "packages/a/package.json", True),
        ("packages/*/package.json", "packages/a/b/package.json", False),
        ("packages/*/package.json", "packages/.a/package.json", False),
        ("packages/**/package.json", "packages/a/b/package.json", True),
        ("packages/**/package.json", "packages/package.json", True),
        ("{apps,libs}/*/package.json", "libs/x/package.json", True),
        ("**/jest.config.ts", "jest.config.ts", True),
    ],
)
def test_minimatch_patterns(pattern: str, path: str, matches: bool) -> None:
    assert bool(nx_jest._glob_regex(pattern, "t").fullmatch(path)) is matches


def test_unsupported_versions_and_globs_are_named(tmp_path: Path) -> None:
    result = run(tmp_path, workspace("15.9.0"))
    assert result.error is not None and "older than the versions prgate has read" in result.error
    with pytest.raises(Unpredictable, match="does not read the glob"):
        nx_jest._glob_regex("packages/+(a|b)", "t")


def test_newer_than_known_is_assumed_and_said(tmp_path: Path) -> None:
    result = run(tmp_path, workspace("^23.0.0"))
    assert result.error is None, result.error
    assert any("assumed to behave like" in n.message for n in result.notes)
