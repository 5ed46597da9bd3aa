"""nx-generators against real Nx: a generated plugin's generators, run with Nx 23.

Each generator below makes (or fails to make) a project in one of the ways the check
reads. The plugin is a workspace package (``tools/plug``, linked into node_modules as a
package manager links it); prgate judges the workspace as committed, then every
generator runs through Nx's own ``generate`` (the function behind ``nx g``: the
collection, the factory, the schema and the tree as Nx resolves them), and ``nx graph``
says which folders are projects and with what targets. prgate's ``no-project``,
``no-targets`` and ``unloadable`` must be exactly what Nx shows.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.checks.jest_collision.test_nx_vs_real_nx import ENV, nx_home  # noqa: F401 - the fixture
from tests.conftest import check, write_files

SCHEMA = json.dumps(
    {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
)
PROJECT = json.dumps({"name": "<%= name %>", "targets": {"build": {"command": "echo b"}}})
NO_TARGETS = json.dumps({"name": "<%= name %>", "targets": {}})
DEVKIT = "const { generateFiles, joinPathFragments, addProjectConfiguration, names, updateJson } = require('@nx/devkit');\nconst path = require('path');\n"  # noqa: E501


def files_to(dest: str, subs: str = "{ ...options, tmpl: '' }") -> str:
    return (
        DEVKIT + "module.exports = async function (tree, options) {\n"
        f"  generateFiles(tree, path.join(__dirname, 'files'), {dest}, {subs});\n}};\n"
    )


def body(code: str) -> str:
    return DEVKIT + f"module.exports = async function (tree, options) {{\n{code}\n}};\n"


@dataclass
class Gen:
    id: str
    description: str
    index: str
    files: dict[str, str] = field(default_factory=dict)  # beside index.js
    entry: dict[str, object] = field(default_factory=dict)  # overrides of the collection entry
    expect: set[str] = field(default_factory=set)  # rules prgate and Nx must agree on
    unfollowed: bool = False  # prgate judges it no further (a note), whatever Nx does


LIB = "`libs/${options.name}`"
GENS = [
    Gen(
        "files-only",
        "Creates a library",
        files_to(LIB),
        {"files/src/index.ts__tmpl__": "export const x = 1;\n"},
        expect={"no-project"},
    ),
    Gen(
        "project-json-tmpl",
        "Creates a library",
        files_to(LIB),
        {"files/project.json__tmpl__": PROJECT, "files/src/index.ts__tmpl__": ""},
    ),
    Gen(
        "project-json-plain",
        "Creates a library",
        files_to(LIB),
        {"files/project.json": PROJECT, "files/src/index.ts": ""},
    ),
    Gen(
        "project-json-template-suffix",
        "Creates a library",
        files_to(LIB),
        {"files/project.json.template": PROJECT, "files/src/index.ts.template": ""},
    ),
    Gen(
        "tmpl-not-substituted",
        "Creates a library",
        files_to(LIB, "{ name: options.name }"),
        {"files/project.json__tmpl__": PROJECT, "files/src/index.ts": ""},
        expect={"no-project"},
    ),
    Gen(
        "empty-targets",
        "Creates a library with build and test targets",
        files_to(LIB),
        {"files/project.json__tmpl__": NO_TARGETS, "files/src/index.ts": ""},
        expect={"no-targets"},
    ),
    Gen(
        "no-targets-key",
        "Creates a library you can build",
        files_to(LIB),
        {"files/project.json__tmpl__": json.dumps({"name": "<%= name %>"})},
        expect={"no-targets"},
    ),
    Gen(
        "no-targets-not-named",
        "Creates a library",
        files_to(LIB),
        {"files/project.json__tmpl__": json.dumps({"name": "<%= name %>"})},
    ),
    Gen(
        "add-project",
        "Creates a library",
        body(
            "  addProjectConfiguration(tree, options.name, { root: `libs/${options.name}`, "
            "targets: { build: { command: 'echo b' } } });\n"
            "  tree.write(`libs/${options.name}/src/index.ts`, '');"
        ),
    ),
    Gen(
        "add-project-empty-targets",
        "Adds a project to lint",
        body(
            "  addProjectConfiguration(tree, options.name, { root: `libs/${options.name}`, "
            "targets: {} });\n  tree.write(`libs/${options.name}/src/index.ts`, '');"
        ),
        expect={"no-targets"},
    ),
    Gen(
        "add-project-no-targets-key",
        "Adds a project to test",
        body("  addProjectConfiguration(tree, options.name, { root: `libs/${options.name}` });"),
        expect={"no-targets"},
    ),
    Gen(
        "add-project-other-root",
        "Creates a library",
        body(
            "  addProjectConfiguration(tree, options.name, { root: `apps/${options.name}`, "
            "targets: { build: { command: 'echo b' } } });\n"
            "  tree.write(`libs/${options.name}/src/index.ts`, '');"
        ),
        expect={"no-project"},
    ),
    Gen(
        "tree-write-project-json",
        "Creates a library",
        body(
            "  tree.write(`libs/${options.name}/project.json`, "
            "JSON.stringify({ name: options.name, "
            "targets: { build: { command: 'echo b' } } }));\n"
            "  tree.write(`libs/${options.name}/src/index.ts`, '');"
        ),
    ),
    Gen(
        "tree-write-source-only",
        "Scaffolds code",
        body("  tree.write(`libs/${options.name}/src/index.ts`, 'export {};');"),
        expect={"no-project"},
    ),
    Gen(
        "a-file-named-after-the-option",
        "Writes a document (file-only)",
        body("  tree.write(`docs/${options.name}.md`, '# doc');"),
    ),
    Gen(
        "package-json-in-workspace",
        "Creates a package",
        body(
            "  tree.write(`packages/${options.name}/package.json`, JSON.stringify({ name: "
            "options.name, scripts: { build: 'echo b' } }));\n"
            "  tree.write(`packages/${options.name}/index.js`, '');"
        ),
    ),
    Gen(
        "package-json-outside-workspace",
        "Creates a package",
        body(
            "  tree.write(`libs/${options.name}/package.json`, JSON.stringify({ name: "
            "options.name, scripts: { build: 'echo b' } }));\n"
            "  tree.write(`libs/${options.name}/index.js`, '');"
        ),
        expect={"no-project"},
    ),
    Gen(
        "helper-writes-files",
        "Creates a service",
        "const { writeFiles } = require('./lib/write');\n"
        "module.exports = async function (tree, options) { writeFiles(tree, options); };\n",
        {
            "lib/write.js": DEVKIT + "exports.writeFiles = (tree, o) => generateFiles(tree, "
            "path.join(__dirname, '..', 'files'), `apps/${o.name}`, { ...o, tmpl: '' });\n",
            "files/src/main.ts__tmpl__": "console.log(1);\n",
        },
        expect={"no-project"},
    ),
    Gen(
        "helper-adds-project",
        "Creates a service",
        "const { addIt } = require('./lib/add');\n"
        "module.exports = async function (tree, options) {\n  await addIt(tree, options);\n"
        "  tree.write(`apps/${options.name}/src/main.ts`, '');\n};\n",
        {
            "lib/add.js": DEVKIT + "async function addIt(tree, options) {\n"
            "  addProjectConfiguration(tree, options.name, { root: `apps/${options.name}`, "
            "targets: { serve: { command: 'node x' } } });\n}\nmodule.exports = { addIt };\n"
        },
    ),
    Gen(
        "normalized-options",
        "Creates a library",
        DEVKIT + "function normalize(tree, options) {\n"
        "  return { ...options, projectRoot: joinPathFragments('libs', options.name) };\n}\n"
        "module.exports = async function (tree, options) {\n  const o = normalize(tree, options);\n"
        "  generateFiles(tree, joinPathFragments(__dirname, 'files'), o.projectRoot, "
        "{ ...o, tmpl: '' });\n};\n",
        {"files/project.json__tmpl__": PROJECT, "files/src/index.ts__tmpl__": ""},
    ),
    Gen(
        "normalized-options-no-project",
        "Creates a library",
        DEVKIT + "function normalize(tree, options) {\n"
        "  return { ...options, projectRoot: joinPathFragments('libs', options.name) };\n}\n"
        "module.exports = async function (tree, options) {\n  const o = normalize(tree, options);\n"
        "  generateFiles(tree, joinPathFragments(__dirname, 'files'), o.projectRoot, "
        "{ ...o, tmpl: '' });\n};\n",
        {"files/src/index.ts__tmpl__": ""},
        expect={"no-project"},
    ),
    Gen(
        "calls-a-local-generator",
        "Creates a library",
        "const addProject = require('../add-project/index');\n"
        "module.exports = async function (tree, options) {\n  await addProject(tree, options);\n"
        "  tree.write(`libs/${options.name}/README.md`, '# x');\n};\n",
    ),
    Gen(
        "names-helper",
        "Creates a library",
        files_to("`libs/${names(options.name).fileName}`"),
        {"files/src/index.ts__tmpl__": ""},
        expect={"no-project"},
    ),
    Gen(
        "fixed-destination",
        "Adds shared tooling",
        files_to("'tools/shared'"),
        {"files/config.json__tmpl__": "{}"},
    ),
    Gen(
        "update-json-only",
        "Adds a script",
        body("  updateJson(tree, 'package.json', (json) => ({ ...json, private: true }));"),
    ),
    Gen(
        "dynamic-import",  # a literal specifier: the module, as if imported statically
        "Creates a library",
        body("  const impl = await import('./impl.js');\n  await impl.default(tree, options);"),
        {"impl.js": body("  tree.write(`libs/${options.name}/src/index.ts`, '');")},
        expect={"no-project"},
    ),
    Gen(
        "dynamic-import-computed",
        "Creates a library",
        body(
            "  const which = options.name.length > 100 ? 'other' : 'impl';\n"
            "  const impl = await import(`./${which}.js`);\n  await impl.default(tree, options);"
        ),
        {"impl.js": body("  tree.write(`libs/${options.name}/src/index.ts`, '');")},
        unfollowed=True,
    ),
    Gen(
        "template-folder-chosen-by-an-option",
        "Creates a library",
        files_to(LIB).replace(
            "path.join(__dirname, 'files')",
            "path.join(__dirname, options.name === 'x' ? 'a' : 'files')",
        ),
        {"files/src/index.ts": ""},
        expect={"no-project"},
    ),
    Gen(
        "computed-template-folder",
        "Creates a library",
        files_to(LIB)
        .replace("path.join(__dirname, 'files')", "folderOf(__dirname)")
        .replace(
            "module.exports", "const folderOf = (d) => path.join(d, 'files');\nmodule.exports"
        ),
        {"files/src/index.ts": ""},
        unfollowed=True,
    ),
    Gen(
        "fs-write",
        "Creates a library",
        "const fs = require('fs');\nmodule.exports = async function (tree, options) {\n"
        "  fs.writeFileSync('out.txt', '');\n  tree.write(`libs/${options.name}/a.ts`, '');\n};\n",
        unfollowed=True,
    ),
    Gen(
        "hash-export",
        "Creates a library",
        DEVKIT + "exports.gen = async function (tree, options) {\n"
        "  generateFiles(tree, path.join(__dirname, 'files'), `libs/${options.name}`, "
        "{ ...options, tmpl: '' });\n};\n",
        {"files/src/index.ts__tmpl__": ""},
        entry={"factory": "./hash-export/index#gen"},
        expect={"no-project"},
    ),
    Gen(
        "implementation-key",
        "Creates a library",
        files_to(LIB),
        {"files/project.json__tmpl__": PROJECT},
        entry={"factory": None, "implementation": "./implementation-key/index"},
    ),
    Gen(
        "missing-factory",
        "Creates a library",
        files_to(LIB),
        entry={"factory": "./missing-factory/nope"},
        expect={"unloadable"},
    ),
    Gen(
        "missing-schema",
        "Creates a library",
        files_to(LIB),
        {"files/project.json__tmpl__": PROJECT},
        entry={"schema": "./missing-schema/nope.json"},
        expect={"unloadable"},
    ),
    Gen(
        "invalid-schema",
        "Creates a library",
        files_to(LIB),
        {"files/project.json__tmpl__": PROJECT, "schema.json": "{ not json"},
        expect={"unloadable"},
    ),
    Gen(
        "arrow-default-export",
        "Creates a library",
        DEVKIT + "exports.default = async (tree, options) => {\n"
        "  tree.write(`libs/${options.name}/src/index.ts`, '');\n};\n",
        expect={"no-project"},
    ),
    Gen(
        "name-folder-in-template",
        "Creates a library",
        files_to("'libs'"),
        {"files/__name__/project.json__tmpl__": PROJECT, "files/__name__/src/index.ts__tmpl__": ""},
    ),
    Gen(
        "name-folder-without-project",
        "Creates a library",
        files_to("'libs'"),
        {"files/__name__/src/index.ts__tmpl__": ""},
        expect={"no-project"},
    ),
    Gen(
        "runnable-app-without-claim",
        "Scaffolds something",
        body("  tree.write(`apps/${options.name}/src/main.ts`, 'console.log(1);');"),
        expect={"no-project"},
    ),
    Gen(
        "plausibly-file-only",
        "Adds notes",
        body("  tree.write(`notes/${options.name}/todo.md`, '- [ ] x');"),
        expect={"no-project"},
    ),
    Gen(
        "project-in-a-subfolder-only",
        "Creates a library",
        body(
            "  tree.write(`libs/${options.name}/inner/project.json`, JSON.stringify({ name: "
            "options.name, targets: { build: { command: 'echo' } } }));\n"
            "  tree.write(`libs/${options.name}/src/index.ts`, '');"
        ),
        expect={"no-project"},
    ),
    Gen(
        "second-root-without-project",
        "Creates an application and its e2e project",
        body(
            "  addProjectConfiguration(tree, options.name, { root: `apps/${options.name}`, "
            "targets: { serve: { command: 'echo' } } });\n"
            "  tree.write(`apps/${options.name}/src/main.ts`, '');\n"
            "  tree.write(`apps/${options.name}-e2e/src/app.spec.ts`, '');"
        ),
        expect={"no-project"},
    ),
    Gen(
        "write-json",
        "Creates a library",
        DEVKIT.replace("updateJson", "updateJson, writeJson")
        + "module.exports = async function (tree, options) {\n"
        "  writeJson(tree, `libs/${options.name}/project.json`, { name: options.name, "
        "targets: { test: { command: 'echo t' } } });\n"
        "  tree.write(`libs/${options.name}/src/index.ts`, '');\n};\n",
    ),
    Gen(
        "destructured-options",
        "Creates a library",
        DEVKIT + "module.exports = async function (tree, { name }) {\n"
        "  tree.write(`libs/${name}/src/index.ts`, '');\n};\n",
        expect={"no-project"},
    ),
    Gen(
        "callback-writes",
        "Creates a library",
        body("  ['a.ts', 'b.ts'].forEach((f) => tree.write(`libs/${options.name}/src/${f}`, ''));"),
        expect={"no-project"},
    ),
    Gen(
        "joined-destination",
        "Creates a library",
        files_to("joinPathFragments('libs', options.name)"),
        {"files/project.json__tmpl__": PROJECT, "files/src/index.ts__tmpl__": ""},
    ),
    # tinesoft/nxrocks: project generators call helpers of the workspace's own packages,
    # declared by path (file:../common); Nx runs that very code
    Gen(
        "helper-package-makes-project",
        "Creates a library",
        "const { makeLib } = require('@acme/helpers');\n"
        "module.exports = async function (tree, options) {\n  makeLib(tree, options.name);\n};\n",
    ),
    Gen(
        "helper-package-writes-only",
        "Creates a library",
        "const { writeOnly } = require('@acme/helpers');\n"
        "module.exports = async function (tree, options) {\n  writeOnly(tree, options.name);\n};\n",
        expect={"no-project"},
    ),
    Gen(
        "shorthand-root",
        "Creates a library",
        body(
            "  const root = `libs/${options.name}`;\n"
            "  addProjectConfiguration(tree, options.name, { root, "
            "targets: { build: { command: 'echo b' } } });\n"
            "  tree.write(`${root}/src/index.ts`, '');"
        ),
    ),
    Gen(
        "nx-json-utils-writes-only",
        "Creates a library",
        "const { writeJson } = require('nx/src/generators/utils/json');\n"
        "module.exports = async function (tree, options) {\n"
        "  writeJson(tree, `libs/${options.name}/src/config.json`, { a: 1 });\n};\n",
        expect={"no-project"},
    ),
    Gen(
        "string-concat-destination",
        "Creates a library",
        files_to("'libs/' + options.name"),
        {"files/src/index.ts__tmpl__": ""},
        expect={"no-project"},
    ),
]


HELPERS = (
    "const { addProjectConfiguration } = require('@nx/devkit');\n"
    "function makeLib(tree, name) {\n"
    "  addProjectConfiguration(tree, name, { root: `libs/${name}`, "
    "targets: { build: { command: 'echo b' } } });\n"
    "  tree.write(`libs/${name}/src/index.ts`, '');\n}\n"
    "function writeOnly(tree, name) {\n  tree.write(`./libs/${name}/src/index.ts`, '');\n}\n"
    "exports.makeLib = makeLib;\nexports.writeOnly = writeOnly;\n"
)


def plugin_files() -> dict[str, str]:
    entries: dict[str, object] = {}
    out: dict[str, str] = {
        "package.json": json.dumps(
            {"name": "ws", "private": True, "workspaces": ["tools/*", "packages/*"]}
        ),
        "nx.json": "{}\n",
        "tools/plug/package.json": json.dumps(
            {
                "name": "plug",
                "version": "0.0.1",
                "generators": "./generators.json",
                "dependencies": {"@acme/helpers": "file:../../packages/helpers"},
            }
        ),
        "packages/helpers/package.json": json.dumps(
            {"name": "@acme/helpers", "version": "0.0.1", "main": "./index.js"}
        ),
        "packages/helpers/index.js": HELPERS,
    }
    for gen in GENS:
        entry: dict[str, object] = {
            "factory": f"./{gen.id}/index",
            "schema": f"./{gen.id}/schema.json",
            "description": gen.description,
        }
        entry.update(gen.entry)
        entries[gen.id] = {k: v for k, v in entry.items() if v is not None}
        out[f"tools/plug/{gen.id}/index.js"] = gen.index
        out[f"tools/plug/{gen.id}/schema.json"] = SCHEMA
        for rel, content in gen.files.items():
            out[f"tools/plug/{gen.id}/{rel}"] = content
    out["tools/plug/generators.json"] = json.dumps({"generators": entries}, indent=2)
    return out


def names() -> dict[str, str]:
    """The --name each generator is run with: a token no other path contains."""
    return {gen.id: f"n{i:02d}q" for i, gen in enumerate(GENS)}


RUN = """
const { generate } = require('nx/src/command-line/generate/generate');
(async () => {
  const out = {};
  for (const [gen, name] of JSON.parse(process.argv[2])) {
    try {
      out[gen] = await generate({ generator: `plug:${gen}`, name, interactive: false,
        quiet: true, skipProjectGraph: true, _: [], __overrides_unparsed__: [`--name=${name}`] });
    } catch (e) { out[gen] = 1; }
  }
  process.stdout.write('\\n@@' + JSON.stringify(out));
})();
"""


def real_nx(home: Path, ws: Path) -> dict[str, set[str]]:
    """What Nx shows, per generator: unloadable (generate failed), no-project (a folder it
    wrote is not a project), no-targets (its project has none of the targets it names)."""
    (ws / "node_modules").mkdir()
    for entry in (home / "node_modules").iterdir():
        (ws / "node_modules" / entry.name).symlink_to(entry)
    (ws / "node_modules" / "plug").symlink_to(ws / "tools" / "plug")
    (ws / "node_modules" / "@acme").mkdir()  # as npm links the file: dependency
    (ws / "node_modules" / "@acme" / "helpers").symlink_to(ws / "packages" / "helpers")
    env = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "CI")} | ENV
    before = {p.relative_to(ws).as_posix() for p in ws.rglob("*") if "node_modules" not in p.parts}
    (ws / "run.js").write_text(RUN)
    given = names()
    proc = subprocess.run(
        ["node", "run.js", json.dumps(list(given.items()))],
        cwd=ws,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert "@@" in proc.stdout, proc.stderr[-3000:]
    codes = json.loads(proc.stdout.rsplit("@@", 1)[1])
    graph_file = ws / "graph.json"
    done = subprocess.run(
        ["node", str(home / "node_modules/nx/dist/bin/nx.js"), "graph", f"--file={graph_file}"],
        cwd=ws,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    nodes = json.loads(graph_file.read_text())["graph"]["nodes"].values()
    projects = {
        n["data"]["root"]: set(n["data"].get("targets") or {}) - {"nx-release-publish"}
        for n in nodes
    }
    created = [
        p.relative_to(ws).as_posix()
        for p in ws.rglob("*")
        if p.is_file() and "node_modules" not in p.parts
    ]
    created = [c for c in created if c not in before and c not in ("run.js", "graph.json")]
    shown: dict[str, set[str]] = {}
    for gen in GENS:
        rules = shown.setdefault(gen.id, set())
        if codes[gen.id] != 0:
            rules.add("unloadable")
            continue
        token = given[gen.id]
        roots = set()
        for path in created:
            parts = path.split("/")[:-1]  # folders only
            for i, part in enumerate(parts):
                if token in part:
                    roots.add("/".join(parts[: i + 1]))
                    break
        if any(root not in projects for root in roots):
            rules.add("no-project")
        named = [t for t in ("build", "test", "lint", "serve") if t in gen.description.lower()]
        made = [projects[r] for r in roots if r in projects]
        if named and made and all(not targets for targets in made):
            rules.add("no-targets")
    return shown


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("nx-generators") / "ws"
    write_files(ws, plugin_files())
    return ws


def prgate_verdicts(ws: Path) -> tuple[dict[str, set[str]], dict[str, str]]:
    [result] = check(ws, only=("nx-generators",)).results
    assert result.error is None, result.error
    verdicts: dict[str, set[str]] = {gen.id: set() for gen in GENS}
    for f in result.findings:
        rule = f.rule.split("/", 1)[1]
        if rule == "schema-mismatch":
            continue
        gen = f.message.split("'", 2)[1]
        verdicts[gen].add(rule)
    notes = {n.message.split("'", 2)[1]: n.message for n in result.notes if "'" in n.message}
    return verdicts, notes


def test_there_are_enough_generators_and_each_way_is_covered() -> None:
    assert len(GENS) >= 40
    assert len({g.id for g in GENS}) == len(GENS)
    for rule in ("no-project", "no-targets", "unloadable"):
        assert sum(rule in g.expect for g in GENS) >= 3, rule
    assert sum(not g.expect and not g.unfollowed for g in GENS) >= 10


def test_prgate_finds_what_it_was_built_to_find(workspace: Path) -> None:
    verdicts, notes = prgate_verdicts(workspace)
    wrong = {}
    for gen in GENS:
        if gen.unfollowed:
            if verdicts[gen.id] or "not judged further" not in notes.get(gen.id, ""):
                wrong[gen.id] = (verdicts[gen.id], notes.get(gen.id))
        elif verdicts[gen.id] != gen.expect:
            wrong[gen.id] = (verdicts[gen.id], gen.expect)
    assert not wrong, wrong


def test_prgate_agrees_with_real_nx(nx_home: Path, workspace: Path, tmp_path: Path) -> None:  # noqa: F811
    verdicts, _ = prgate_verdicts(workspace)
    copy = tmp_path / "ws"
    write_files(copy, plugin_files())
    shown = real_nx(nx_home, copy)
    judged = {g.id for g in GENS if not g.unfollowed}
    disagree = {g: (verdicts[g], shown[g]) for g in sorted(judged) if verdicts[g] != shown[g]}
    assert not disagree, disagree


def _one(
    tmp_path: Path,
    description: str,
    index: str,
    files: dict[str, str] | None = None,
    schema: str = SCHEMA,
) -> tuple[list, list]:  # type: ignore[type-arg]
    ws = tmp_path / "ws"
    entry = {"factory": "./g/index", "schema": "./g/schema.json", "description": description}
    write_files(
        ws,
        {
            "tools/plug/package.json": json.dumps(
                {"name": "plug", "generators": "./generators.json"}
            ),
            "tools/plug/generators.json": json.dumps({"generators": {"g": entry}}),
            "tools/plug/g/index.ts": index,
            "tools/plug/g/schema.json": schema,
            **{f"tools/plug/g/{k}": v for k, v in (files or {}).items()},
        },
    )
    [result] = check(ws, only=("nx-generators",)).results
    return result.findings, result.notes


@pytest.mark.parametrize(
    ("description", "path", "level"),
    [
        ("Creates a microservice", "libs/${options.name}/README.md", "error"),  # a claim
        ("Adds notes", "apps/${options.name}/src/index.ts", "error"),  # runnable, in apps/
        ("Adds notes", "notes/${options.name}/todo.md", "warning"),  # may be file-only
        ("Adds a service's files (file-only)", "libs/${options.name}/a.md", "warning"),
    ],
)
def test_no_project_is_an_error_only_when_the_generator_claims_a_project(
    tmp_path: Path, description: str, path: str, level: str
) -> None:
    index = (
        "import { Tree } from '@nx/devkit';\n"
        "export default async function (tree: Tree, options: { name: string }) {\n"
        f"  tree.write(`{path}`, '');\n}}\n"
    )
    [finding], _ = _one(tmp_path, description, index)
    assert finding.rule == "nx-generators/no-project" and finding.level.value == level
    assert finding.path == "tools/plug/g/index.ts"
    assert "<name>/" in finding.message and "project.json" in (finding.fix or "")


def test_schema_mismatch_names_undeclared_and_unread_options(tmp_path: Path) -> None:
    schema = json.dumps({"properties": {"name": {}, "tags": {}}, "required": ["name", "tags"]})
    index = (
        "import { Tree, addProjectConfiguration } from '@nx/devkit';\n"
        "export default async function (tree: Tree, options: any) {\n"
        "  const { directory } = options;\n"
        "  addProjectConfiguration(tree, options.name, { root: `${directory}/${options.name}`,"
        " targets: { build: {} } });\n}\n"
    )
    findings, _ = _one(tmp_path, "Creates a library", index, schema=schema)
    messages = sorted(f.message for f in findings if f.rule == "nx-generators/schema-mismatch")
    assert [f.level.value for f in findings] == ["warning", "warning"]
    assert "does not declare: directory" in messages[0]
    assert "requires tags, which the factory never reads" in messages[1]


def test_a_tree_handed_to_code_prgate_cannot_read_is_not_judged(tmp_path: Path) -> None:
    index = (
        "import { scaffold } from 'some-scaffolder';\n"
        "export default async function (tree, options) {\n"
        "  tree.write(`libs/${options.name}/src/a.ts`, '');\n  await scaffold(tree, options);\n}\n"
    )
    findings, notes = _one(tmp_path, "Creates a library", index)
    assert not [f for f in findings if f.rule != "nx-generators/schema-mismatch"]
    assert any("hands the tree to scaffold from 'some-scaffolder'" in n.message for n in notes)


def test_nx_project_generators_count_as_making_the_project(tmp_path: Path) -> None:
    index = (
        "import { libraryGenerator } from '@nx/js';\n"
        "export default async function (tree, options) {\n"
        "  await libraryGenerator(tree, { directory: `libs/${options.name}` });\n"
        "  tree.write(`libs/${options.name}/src/extra.ts`, '');\n}\n"
    )
    findings, notes = _one(tmp_path, "Creates a library", index)
    assert findings == [] and notes == []


def test_a_repository_without_generators_skips_the_check(tmp_path: Path) -> None:
    write_files(tmp_path / "r", {"package.json": '{"name": "x"}', "src/a.ts": ""})
    [result] = check(tmp_path / "r", only=("nx-generators",)).results
    assert result.status == "skipped" and "no Nx generators" in (result.skipped or "")


def test_a_plugin_that_infers_projects_from_other_files_makes_it_a_warning(
    tmp_path: Path,
) -> None:
    """@nxlv/python makes a project of a folder with a pyproject.toml: prgate does not
    model it, so a folder without project.json may still be a project."""
    index = (
        "export default async (tree, options) => tree.write(`apps/${options.name}/src/a.py`, '');\n"
    )
    write_files(tmp_path / "ws", {"nx.json": json.dumps({"plugins": ["@nxlv/python"]})})
    [finding], _ = _one(tmp_path, "Creates a service", index)
    assert finding.rule == "nx-generators/no-project" and finding.level.value == "warning"
    assert "@nxlv/python may infer one" in finding.message


def test_vibespro_s_service_generator_shape(tmp_path: Path) -> None:
    """GodSpeedAI/VibesPro's generators/service (main, 4c7b0a4), cut down: the factory is
    wrapped by the repository's own withIdempotency, normalizes an untyped schema, picks
    its template folder by the language option and adds folders with tree.write; nothing
    makes apps/<name> a project."""
    index = (
        "import { Tree, generateFiles, names } from '@nx/devkit';\n"
        "import * as path from 'path';\n"
        "import { withIdempotency } from '../utils/idempotency';\n"
        "function normalizeOptions(schema: unknown) {\n"
        "  const s = schema && typeof schema === 'object' ? (schema as any) : {};\n"
        "  const rawName = typeof s.name === 'string' ? s.name : 'untitled';\n"
        "  return { name: names(rawName).fileName, language: s.language };\n}\n"
        "async function addStructure(tree: Tree, projectRoot: string) {\n"
        "  [`${projectRoot}/domain`, `${projectRoot}/ports`].forEach((dir) => {\n"
        "    tree.write(`${dir}/.gitkeep`, '');\n  });\n}\n"
        "export default withIdempotency(async function (tree: Tree, schema: unknown) {\n"
        "  const options = normalizeOptions(schema);\n"
        "  const language = options.language ?? 'python';\n"
        "  const serviceRoot = `apps/${options.name}`;\n"
        "  generateFiles(tree, path.join(__dirname, 'files', language), serviceRoot, "
        "{ ...options, serviceName: options.name });\n"
        "  await addStructure(tree, serviceRoot);\n});\n"
    )
    files = {
        "files/python/src/main.py.template": "print(1)\n",
        "files/typescript/src/main.ts.template": "console.log(1);\n",
    }
    write_files(
        tmp_path / "ws",
        {
            "tools/plug/utils/idempotency.ts": "export const withIdempotency = (f: any) => f;\n",
        },
    )
    findings, _ = _one(tmp_path, "A generator for creating a new service.", index, files)
    [finding] = [f for f in findings if f.rule == "nx-generators/no-project"]
    assert finding.level.value == "error" and "under apps/<name>/" in finding.message
    assert 'creates: "A generator for creating a new service."' in finding.message


def _built_plugin(tmp_path: Path, configs: dict[str, str]) -> Path:
    """gperdomor/nx-tools' shape (Nx's TypeScript workspaces): the collection names
    ``./dist/...``, which git ignores and ``tsc -p tsconfig.lib.json`` writes from src/."""
    ws = tmp_path / "ws"
    entry = {
        "factory": "./dist/g/index",
        "schema": "./dist/g/schema.json",
        "description": "Creates a library",
    }
    write_files(
        ws,
        {
            ".gitignore": "node_modules\ndist\n",
            "tools/plug/package.json": json.dumps(
                {"name": "plug", "main": "./dist/index.js", "generators": "./generators.json"}
            ),
            "tools/plug/generators.json": json.dumps({"generators": {"g": entry}}),
            "tools/plug/src/g/index.ts": (
                "export default async function (tree: any, options: { name: string }) {\n"
                "  tree.write(`libs/${options.name}/README.md`, '');\n}\n"
            ),
            "tools/plug/src/g/schema.json": SCHEMA,
            **configs,
        },
    )
    return ws


def test_a_plugin_built_into_its_own_dist_is_judged_from_its_source(tmp_path: Path) -> None:
    lib = {"compilerOptions": {"rootDir": "src", "outDir": "dist", "types": []}}
    ws = _built_plugin(
        tmp_path,
        {
            "tsconfig.base.json": json.dumps({"compilerOptions": {"module": "commonjs"}}),
            "tools/plug/tsconfig.lib.json": json.dumps(
                {"extends": "../../tsconfig.base.json", **lib, "include": ["src/**/*.ts"]}
            ),
        },
    )
    [result] = check(ws, only=("nx-generators",)).results
    [finding] = [f for f in result.findings if f.rule == "nx-generators/no-project"]
    assert finding.level.value == "error" and finding.path == "tools/plug/src/g/index.ts"
    assert result.notes == []
    # the file judged is the one real TypeScript compiles to the factory the collection names
    from tests.support.ts_oracle import typescript

    tsc = typescript() / "bin" / "tsc"
    subprocess.run(["node", str(tsc), "-p", "tools/plug/tsconfig.lib.json"], cwd=ws, check=True)
    assert (ws / "tools/plug/dist/g/index.js").is_file()


@pytest.mark.parametrize(
    "configs",
    [
        {},  # no config says where dist/ comes from
        {  # two configs that write dist/ from different folders
            "tools/plug/tsconfig.lib.json": json.dumps(
                {"compilerOptions": {"rootDir": "src", "outDir": "dist"}}
            ),
            "tools/plug/tsconfig.esm.json": json.dumps(
                {"compilerOptions": {"rootDir": "lib", "outDir": "dist"}}
            ),
        },
        {  # rootDir from a base prgate cannot read (node_modules)
            "tools/plug/tsconfig.lib.json": json.dumps(
                {"extends": "@tsconfig/node20/tsconfig.json", "compilerOptions": {"outDir": "dist"}}
            ),
        },
    ],
)
def test_build_output_prgate_cannot_map_to_its_source_is_not_judged(
    tmp_path: Path, configs: dict[str, str]
) -> None:
    [result] = check(_built_plugin(tmp_path, configs), only=("nx-generators",)).results
    assert result.findings == []
    [note] = result.notes
    assert "not judged" in note.message and "build output, ignored by git" in note.message


@pytest.mark.parametrize(
    ("declared", "main", "followed"),
    [
        ("workspace:*", "src/index.js", True),  # the member of that name: this very code
        ("1.0.0", None, True),  # nxext: the exact version the repository's package has
        ("^1.0.0", None, False),  # a range: maybe another release's code
    ],
)
def test_a_helper_of_a_workspace_package_is_followed_when_the_plugin_links_it(
    tmp_path: Path, declared: str, main: str | None, followed: bool
) -> None:
    """nxrocks' and nxext's shapes, in TypeScript: the helper sits behind ``export *`` in a
    package of the repository that the plugin declares; without a ``main`` (Nx's build
    writes it into dist/), tsconfig.base.json's ``paths`` say where its source is. One not
    followed gets a note and no verdict."""
    ws = tmp_path / "ws"
    entry = {"factory": "./g/index", "schema": "./g/schema.json", "description": "Creates a lib"}
    write_files(
        ws,
        {
            "package.json": json.dumps({"name": "ws", "workspaces": ["tools/*", "packages/*"]}),
            "tsconfig.base.json": json.dumps(
                {"compilerOptions": {"paths": {"@acme/common": ["packages/common/src/index.ts"]}}}
            ),
            "packages/common/package.json": json.dumps(
                {"name": "@acme/common", "version": "1.0.0"} | ({"main": main} if main else {})
            ),
            "packages/common/src/index.ts": "export * from './lib/make';\n",
            "packages/common/src/lib/make.ts": (
                "import { Tree, addProjectConfiguration } from '@nx/devkit';\n"
                "export function makeLib(tree: Tree, root: string) {\n"
                "  addProjectConfiguration(tree, root, { root, targets: { build: {} } });\n}\n"
            ),
            "tools/plug/package.json": json.dumps(
                {
                    "name": "plug",
                    "generators": "./generators.json",
                    "dependencies": {"@acme/common": declared},
                }
            ),
            "tools/plug/generators.json": json.dumps({"generators": {"g": entry}}),
            "tools/plug/g/schema.json": SCHEMA,
            "tools/plug/g/index.ts": (
                "import { makeLib } from '@acme/common';\n"
                "export default async function (tree: any, options: { name: string }) {\n"
                "  makeLib(tree, `libs/${options.name}`);\n"
                "  tree.write(`./libs/${options.name}/src/a.ts`, '');\n}\n"
            ),
        },
    )
    [result] = check(ws, only=("nx-generators",)).results
    assert result.findings == []
    unfollowed = [
        n for n in result.notes if "from '@acme/common', which prgate cannot" in n.message
    ]
    assert bool(unfollowed) is not followed


@pytest.mark.parametrize(
    "load",
    [
        "const { libraryGenerator } = ensurePackage<typeof import('@nx/js')>('@nx/js', v);",
        "const { libraryGenerator } = await import('@nx/js');",
        "const { libraryGenerator } = require('@nx/js');",
    ],
)
def test_nx_generators_loaded_as_nx_plugins_load_them_are_judged(tmp_path: Path, load: str) -> None:
    """nxext's shapes: Nx's generators loaded through ensurePackage (tree-sitter reads its
    type argument as comparisons), a dynamic import, or a require inside the factory; and
    the same through a module of the repository that re-exports them."""
    index = (
        "import { ensurePackage, Tree } from '@nx/devkit';\nconst v = '23.0.0';\n"
        "export default async function (tree: Tree, options: { name: string }) {\n"
        f"  {load}\n"
        "  await libraryGenerator(tree, { directory: `libs/${options.name}` });\n"
        "  tree.write(`libs/${options.name}/src/extra.ts`, '');\n}\n"
    )
    findings, notes = _one(tmp_path, "Creates a library", index)
    assert findings == [] and notes == []
    again = (
        "import { libraryGenerator } from './nx';\n"
        "export default async function (tree: any, options: { name: string }) {\n"
        "  await libraryGenerator(tree, { directory: `libs/${options.name}` });\n}\n"
    )
    more = {"nx.ts": "export { libraryGenerator } from '@nx/js';\n"}
    findings, notes = _one(tmp_path / "again", "Creates a library", again, files=more)
    assert findings == [] and notes == []
