"""prgate's reproduction of ``@nx/jest`` against real Nx and real Jest.

Real ``@nx/jest`` and ``nx`` (23.2.1, the newest release ``nx_jest`` was read
from) and Jest 30 are installed from npm into the test cache. For each workspace
``getJestProjectsAsync()`` runs in node, with Nx's project graph, and must return
what ``nx_jest.jest_projects`` returns; on the workspace built to collide, Jest
``--listTests`` must report what prgate reports.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.checks.jest_collision.test_nx_jest import (
    JEST_DEFAULTS,
    PLUGIN,
    executor_defaults,
    explicit,
    named_defaults,
    pkg,
    project_config,
    workspace,
)
from tests.conftest import check, write_files
from tests.support.jest_oracle import prgate_reports, run_jest
from tests.support.npm_cache import npm_install
from workers.checks.jest_collision import nx_jest
from workers.checks.jest_collision.tree import Tree
from workers.engine.config import config_from
from workers.engine.views import open_view

NX = "23.2.1"
PACKAGES = f"@nx/jest@{NX} nx@{NX} jest@30.3.0 ts-jest@29.4.6 ts-node@10.9.2 typescript@5.8.3"
ENV = {"NX_DAEMON": "false", "NX_NO_CLOUD": "true", "NX_SKIP_NX_CACHE": "true"}
SCRIPT = """
const { getJestProjectsAsync } = require('@nx/jest');
getJestProjectsAsync().then(
  (p) => process.stdout.write(JSON.stringify(p)),
  (e) => { console.error(e); process.exit(3); });
"""


@pytest.fixture(scope="module")
def nx_home() -> Path:
    home = npm_install("nx23", PACKAGES, "@nx/jest/package.json", "to compare with real Nx")
    (home / "get-jest-projects.js").write_text(SCRIPT)
    return home


def real_projects(home: Path, ws: Path) -> list[str]:
    """What real getJestProjectsAsync() returns in ``ws`` (given node_modules beside it)."""
    link = ws / "node_modules"
    if not link.exists():
        link.symlink_to(home / "node_modules")
    proc = subprocess.run(
        ["node", str(home / "get-jest-projects.js")],
        cwd=ws,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "CI")} | ENV,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return list(json.loads(proc.stdout))


def package_workspace() -> dict[str, str]:
    """npm workspaces: a package found by the plugin, one by its package.json nx target,
    one left out by the plugin's exclude, and commands with --config."""
    return {
        "package.json": pkg(
            "acme",
            workspaces=["packages/*"],
            devDependencies={"@nx/jest": NX, "nx": NX, "jest": "30.3.0"},
        ),
        "nx.json": json.dumps(
            {"plugins": [{"plugin": "@nx/jest/plugin", "exclude": ["packages/skip/**"]}]}
        ),
        "jest.config.ts": "export default {};\n",
        "packages/p/package.json": pkg("p"),
        "packages/p/jest.config.js": "module.exports = {};\n",
        "packages/q/package.json": pkg(
            "q",
            nx={
                "targets": {
                    "unit": {
                        "executor": "@nx/jest:jest",
                        "options": {"jestConfig": "{projectRoot}/jest.unit.config.js"},
                        "configurations": {"ci": {"jestConfig": "packages/q/jest.ci.config.js"}},
                    },
                    "e2e": {
                        "executor": "nx:run-commands",
                        "options": {
                            "commands": [
                                "echo start",
                                {"command": "npx jest --config e2e/jest.config.js"},
                            ]
                        },
                    },
                }
            },
        ),
        "packages/q/jest.unit.config.js": "module.exports = {};\n",
        "packages/q/jest.ci.config.js": "module.exports = {};\n",
        "packages/q/e2e/jest.config.js": "module.exports = {};\n",
        "packages/skip/package.json": pkg("skip"),
        "packages/skip/jest.config.js": "module.exports = {};\n",
        "other/package.json": pkg("not-a-workspace"),
        "other/jest.config.js": "module.exports = {};\n",
    }


WORKSPACES = {
    "plugin": lambda: workspace(NX),
    "executor-and-command": lambda: explicit(NX),
    "package-workspaces": package_workspace,
    # Nx 18.3.5 and 20.0.3 return the same (checked by hand: not installed by the suite)
    "executor-target-defaults": lambda: executor_defaults(NX, JEST_DEFAULTS),
    "named-target-defaults": lambda: named_defaults(NX, [{"plugin": "@nx/jest/plugin"}]),
    "nested-project-json": lambda: {
        **workspace(NX, nx={**PLUGIN, "targetDefaults": {"test": {"cache": True}}}),
        "libs/a/sub/project.json": json.dumps({"name": "sub"}),
        "libs/a/sub/jest.config.ts": project_config(3, "sub"),
    },
}


@pytest.mark.parametrize("name", sorted(WORKSPACES))
def test_get_jest_projects_as_nx_returns_it(tmp_path: Path, nx_home: Path, name: str) -> None:
    ws = tmp_path / "ws"
    write_files(ws, WORKSPACES[name]())
    mine = nx_jest.jest_projects(Tree(open_view(ws)), dedupe=True)
    assert mine, "each workspace is built to have projects"
    assert sorted(real_projects(nx_home, ws)) == sorted(mine)


def test_collisions_in_an_nx_workspace_as_jest_reports_them(tmp_path: Path, nx_home: Path) -> None:
    ws = tmp_path / "ws"
    write_files(ws, workspace(NX))
    config = config_from({"jest-collision": {"jest-version": 30}})
    result = check(ws, config, only=("jest-collision",)).results[0]
    assert result.error is None, result.error
    mine = prgate_reports(result.findings)
    (ws / "node_modules").symlink_to(nx_home / "node_modules")
    jest = run_jest(
        30,
        ws,
        project_dirs=("libs/a", "apps/b"),
        jest=nx_home / "node_modules" / "jest" / "bin" / "jest.js",
        env=ENV,
    )
    assert jest.exit_code == 0, jest.output
    assert mine == jest.reports, jest.output
    assert len(jest.reports) == 2, jest.output  # a package name and a mock, dist/ left out
