"""ts-imports: what the oracle cannot show — the level when prgate cannot be sure, packages,
configs tsc would refuse, and a repository without TypeScript."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import check
from workers.engine.config import RepoConfig
from workers.engine.findings import Finding, Level

Repo = Callable[..., Path]
BASE = {"compilerOptions": {"module": "esnext", "moduleResolution": "bundler"}, "include": ["src"]}


def _ts(repo: Repo, files: dict[str, str], tsconfig: object = BASE) -> list[Finding]:
    path = repo({"tsconfig.json": json.dumps(tsconfig), **files})
    report = check(path, RepoConfig(), only=["ts-imports"])
    assert report.results[0].error is None, report.results[0].error
    return report.findings


def _levels(findings: list[Finding]) -> set[tuple[str, str, Level]]:
    return {(f.rule.split("/")[1], f.path, f.level) for f in findings}


def test_a_repository_without_tsconfig_is_skipped_with_the_reason(repo: Repo) -> None:
    report = check(repo({"src/a.ts": 'import "./nope";\n'}), RepoConfig(), only=["ts-imports"])
    result = report.results[0]
    assert result.status == "skipped" and "no tsconfig" in (result.skipped or "")
    assert report.exit_code == 0


def test_an_unread_base_in_node_modules_lowers_the_verdict_to_a_warning(repo: Repo) -> None:
    """`@tsconfig/node20` could set rootDirs or paths: the import is unresolved unless it
    does, which prgate cannot see; with `include` given, the files are known."""
    tsconfig = {"extends": "@tsconfig/node20/tsconfig.json", "include": ["src"]}
    findings = _ts(repo, {"src/a.ts": 'import { v } from "./nope";\n'}, tsconfig)
    assert _levels(findings) == {("unresolved", "src/a.ts", Level.WARNING)}
    assert "prgate cannot see" in findings[0].message


def test_a_project_whose_files_an_unread_base_decides_is_not_judged(repo: Repo) -> None:
    path = repo(
        {
            "tsconfig.json": json.dumps({"extends": "@repo/tsconfig/base.json"}),
            "src/a.ts": 'import { v } from "./nope";\n',
        }
    )
    report = check(path, RepoConfig(), only=["ts-imports"])
    assert report.findings == []
    assert any("not judged" in n.message for n in report.results[0].notes)


def test_an_asset_a_package_could_declare_is_a_warning_not_an_error(repo: Repo) -> None:
    """With a package.json, node_modules/@types (or vite/client) may `declare module "*.svg"`;
    the oracle shows the error where nothing could (no package.json anywhere)."""
    files = {
        "package.json": json.dumps({"devDependencies": {"vite": "7"}}),
        "src/a.ts": 'import logo from "./logo.svg";\nexport { logo };\n',
    }
    assert _levels(_ts(repo, files)) == {("unresolved", "src/a.ts", Level.WARNING)}


def test_a_generated_rootdirs_folder_makes_a_relative_import_uncertain(repo: Repo) -> None:
    """React Router's typegen writes `.react-router/types/**/+types/*` before tsc runs; the
    folder is not committed, so `./+types/route` is a warning that names it."""
    tsconfig = {
        "compilerOptions": {
            "module": "esnext",
            "moduleResolution": "bundler",
            "rootDirs": [".", "./.react-router/types"],
        },
        "include": ["app", ".react-router/types/**/*"],
    }
    files = {"app/routes/home.ts": 'import type { Route } from "./+types/home";\n'}
    findings = _ts(repo, files, tsconfig)
    assert _levels(findings) == {("unresolved", "app/routes/home.ts", Level.WARNING)}
    assert ".react-router/types" in findings[0].message


def test_a_root_config_that_sweeps_in_a_package_is_summarised(repo: Repo) -> None:
    """`tsc -p` at the root would fail on packages/a's file, but the file's own project
    (packages/a/tsconfig.json, what its editor and build use) resolves it."""
    path = repo(
        {
            "tsconfig.json": json.dumps({"compilerOptions": {"module": "commonjs"}}),
            "packages/a/tsconfig.json": json.dumps(
                {"compilerOptions": {"module": "commonjs", "resolveJsonModule": True}}
            ),
            "packages/a/index.ts": 'import data from "./data.json";\nexport { data };\n',
            "packages/a/data.json": "{}",
        }
    )
    report = check(path, RepoConfig(), only=["ts-imports"])
    assert report.findings == []  # counted in a note, not listed (shadcn-ui: 7,039 of them)
    assert any(
        n.path == "tsconfig.json" and "1 finding in them not listed" in n.message
        for n in report.results[0].notes
    )


def test_packages_are_judged_by_their_declaration(repo: Repo) -> None:
    files = {
        "package.json": json.dumps({"name": "root", "devDependencies": {"@types/lodash": "4"}}),
        "src/a.ts": (
            'import fs from "node:fs";\nimport path from "path";\nimport _ from "lodash";\n'
            'import React from "react";\nimport { x } from "@repo/ui";\n'
        ),
        "packages/ui/package.json": json.dumps({"name": "@repo/ui", "types": "./index.ts"}),
        "packages/ui/index.ts": "export const x = 1;\n",
    }
    findings = _ts(repo, files)
    assert [(f.rule, f.start_line, f.level) for f in findings] == [
        ("ts-imports/undeclared-dependency", 4, Level.WARNING)  # react: declared nowhere
    ]
    assert findings[0].fix == "add 'react' to the dependencies of package.json"


def test_a_moved_module_gets_the_import_that_would_reach_it(repo: Repo) -> None:
    findings = _ts(
        repo,
        {
            "src/app/page.ts": 'import { track } from "../utils/analytics";\n',
            "src/lib/analytics.ts": "export const track = 1;\n",
        },
    )
    assert [(f.rule, f.fix) for f in findings] == [
        ("ts-imports/unresolved", "did you mean '../lib/analytics'?")
    ]


def test_a_config_tsc_would_refuse_means_the_check_could_not_run(repo: Repo) -> None:
    path = repo({"tsconfig.json": "{ not json", "src/a.ts": "export {};\n"})
    report = check(path, RepoConfig(), only=["ts-imports"])
    assert report.results[0].status == "could-not-run"
    assert "tsconfig.json" in (report.results[0].error or "")
    assert report.exit_code == 2


def test_a_base_only_config_is_not_a_project(repo: Repo) -> None:
    """tsconfig.base.json compiles nothing by itself: its default `**/*` never applies."""
    path = repo(
        {
            "tsconfig.base.json": json.dumps({"compilerOptions": {"module": "commonjs"}}),
            "packages/a/tsconfig.json": json.dumps(
                {"extends": "../../tsconfig.base.json", "compilerOptions": {"jsx": "react-jsx"}}
            ),
            "packages/a/x.tsx": "export const X = () => <div />;\n",
            "tools/other.json": "{}",
        }
    )
    report = check(path, RepoConfig(), only=["ts-imports"])
    assert report.findings == [] and report.exit_code == 0


def test_jsx_is_judged_by_each_project_that_includes_the_file(repo: Repo) -> None:
    path = repo(
        {
            "tsconfig.json": json.dumps(
                {
                    "files": [],
                    "references": [{"path": "./web"}, {"path": "./tsconfig.stories.json"}],
                }
            ),
            "web/tsconfig.json": json.dumps({"compilerOptions": {"jsx": "react-jsx"}}),
            "tsconfig.stories.json": json.dumps({"include": ["web"]}),
            "web/a.tsx": "export const A = () => <div />;\n",
        }
    )
    report = check(path, RepoConfig(), only=["ts-imports"])
    assert [(f.rule, f.path, f.fix) for f in report.findings] == [
        (
            "ts-imports/jsx-not-enabled",
            "web/a.tsx",
            'set "jsx": "react-jsx" in the compilerOptions of tsconfig.stories.json',
        )
    ]


def test_a_repository_on_typescript_6_gets_warnings_and_a_note(repo: Repo) -> None:
    """prgate predicts TypeScript 5; 6 changed defaults, so no verdict of its is certain."""
    files = {
        "package.json": json.dumps({"devDependencies": {"typescript": "^6.0.2"}}),
        "src/a.ts": 'import { v } from "./nope";\n',
    }
    path = repo({"tsconfig.json": json.dumps(BASE), **files})
    report = check(path, RepoConfig(), only=["ts-imports"])
    assert _levels(report.findings) == {("unresolved", "src/a.ts", Level.WARNING)}
    assert any("TypeScript 6" in n.message for n in report.results[0].notes)


def test_a_config_a_package_script_compiles_is_a_project(repo: Repo) -> None:
    """`tsc -p tsconfig.build.json` in a package's scripts makes that config a project."""
    path = repo(
        {
            "packages/a/package.json": json.dumps(
                {"name": "a", "scripts": {"compile": "rimraf dist && tsc -p tsconfig.build.json"}}
            ),
            "packages/a/tsconfig.build.json": json.dumps(BASE),
            "packages/a/src/a.ts": 'import { v } from "./nope";\n',
            "packages/a/tsconfig.spec.json": json.dumps(BASE),
        }
    )
    report = check(path, RepoConfig(), only=["ts-imports"])
    assert [(f.rule, f.path, f.level) for f in report.findings] == [
        ("ts-imports/unresolved", "packages/a/src/a.ts", Level.ERROR)
    ]
    assert "packages/a/tsconfig.build.json" in report.findings[0].message
    assert any("packages/a/tsconfig.spec.json" in n.message for n in report.results[0].notes)


def test_a_wrong_alias_gets_the_alias_that_reaches_the_moved_file(repo: Repo) -> None:
    tsconfig = {
        **BASE,
        "compilerOptions": {**BASE["compilerOptions"], "paths": {"@/*": ["./src/*"]}},
    }
    files = {
        "src/app/page.ts": 'import { track } from "@/utils/analytics";\n',
        "src/lib/analytics.ts": "export const track = 1;\n",
    }
    findings = _ts(repo, files, tsconfig)
    assert [(f.rule, f.fix) for f in findings] == [
        ("ts-imports/unresolved", "did you mean '@/lib/analytics'?")
    ]


def test_the_jsx_fix_proposes_what_the_other_projects_use(repo: Repo) -> None:
    path = repo(
        {
            "web/tsconfig.json": json.dumps({"compilerOptions": {"jsx": "preserve"}}),
            "web/a.tsx": "export const A = () => <div />;\n",
            "docs/tsconfig.json": json.dumps({"compilerOptions": {}}),
            "docs/b.tsx": "export const B = () => <div />;\n",
        }
    )
    report = check(path, RepoConfig(), only=["ts-imports"])
    assert [f.fix for f in report.findings] == [
        'set "jsx": "preserve" in the compilerOptions of docs/tsconfig.json'
    ]


def test_a_workspace_package_judged_by_its_exports_and_its_build(repo: Repo) -> None:
    """An `exports` that withholds a subpath is an error no build changes; types in a dist/
    the repository lacks are the package's build, which comes before its dependents'
    type-check: no finding (tsc without the build would report it)."""
    files = {
        "package.json": json.dumps({"name": "root", "workspaces": ["packages/*"]}),
        "src/a.ts": 'import { b } from "@repo/built";\nimport { c } from "@repo/ui/card";\n',
        "packages/built/package.json": json.dumps(
            {"name": "@repo/built", "types": "./dist/index.d.ts", "main": "./dist/index.js"}
        ),
        "packages/built/src/index.ts": "export const b = 1;\n",
        "packages/ui/package.json": json.dumps(
            {"name": "@repo/ui", "exports": {"./button": "./src/button.ts"}}
        ),
        "packages/ui/src/button.ts": "export const button = 1;\n",
        "packages/ui/src/card.ts": "export const c = 1;\n",
    }
    findings = _ts(repo, files)
    assert [(f.rule, f.start_line, f.level) for f in findings] == [
        ("ts-imports/unresolved", 2, Level.ERROR)
    ]
    assert findings[0].fix == (
        "export './card' from packages/ui/package.json, or import one it exports: ./button"
    )


def test_a_package_linked_by_path_resolves_there(repo: Repo) -> None:
    """drizzle-team/drizzle-orm@b7862528: the root declares ``"drizzle-orm":
    "workspace:./drizzle-orm/dist"``, the built package (ignored by git), whose generated
    package.json has the ``exports``; the source package.json in drizzle-orm/ has none.
    prgate judged the imports against the source folder: 10 error-level false alarms. A
    folder linked by path that the repository lacks is not known: no finding; one it has
    is where the name resolves."""
    files = {
        ".gitignore": "dist\n",
        "package.json": json.dumps(
            {
                "name": "root",
                "workspaces": ["orm", "tests", "tools/*"],
                "devDependencies": {"orm": "workspace:./orm/dist", "kit": "link:./tools/kit"},
            }
        ),
        "orm/package.json": json.dumps({"name": "orm", "types": "./index.d.ts"}),
        "orm/src/pg.ts": "export const pg = 1;\n",
        "tools/kit/package.json": json.dumps({"name": "kit", "exports": {"./a": "./a.ts"}}),
        "tools/kit/a.ts": "export const a = 1;\n",
        "tools/kit-fork/package.json": json.dumps({"name": "kit", "exports": {"./b": "./b.ts"}}),
        "tools/kit-fork/b.ts": "export const b = 1;\n",
        "tests/package.json": json.dumps({"name": "tests"}),
        "tests/tsconfig.json": json.dumps(
            {"compilerOptions": {"module": "nodenext", "noEmit": True}, "include": ["*.ts"]}
        ),
        "tests/a.ts": 'import { pg } from "orm/pg";\nimport { a } from "kit/a";\n'
        'import { b } from "kit/b";\nexport { pg, a, b };\n',
    }
    findings = _ts(repo, files)
    assert [(f.rule, f.start_line, f.level) for f in findings] == [
        ("ts-imports/unresolved", 3, Level.ERROR)  # kit is tools/kit, which has no ./b
    ]


def test_a_config_that_compiles_other_projects_files_is_summarised(repo: Repo) -> None:
    """A root tsconfig.json without include compiles packages/a's files too (an editor-wide
    config): what only it reports, nothing in CI may ever run; a warning that says so."""
    path = repo(
        {
            "tsconfig.json": json.dumps({"compilerOptions": {"module": "commonjs"}}),
            "packages/a/tsconfig.json": json.dumps({"include": ["src"]}),
            "packages/a/src/a.ts": "export const a = 1;\n",
            "packages/a/scripts/build.ts": 'import { b } from "./gone";\n',
        }
    )
    report = check(path, RepoConfig(), only=["ts-imports"])
    assert report.findings == []
    [note] = [n for n in report.results[0].notes if n.path == "tsconfig.json"]
    assert "editor-wide" in note.message and "1 finding in them not listed" in note.message


def test_a_base_config_a_tool_generates_is_unknown_not_an_error(repo: Repo) -> None:
    """Nuxt writes .nuxt/tsconfig.json before tsc runs; it is not committed."""
    path = repo(
        {
            "tsconfig.json": json.dumps({"extends": "./.nuxt/tsconfig.json"}),
            "plugins/a.ts": 'import { b } from "~/server/b";\n',
        }
    )
    report = check(path, RepoConfig(), only=["ts-imports"])
    assert report.results[0].error is None and report.findings == []
    assert any("not judged" in n.message for n in report.results[0].notes)


def test_a_gitignored_file_a_build_writes_is_never_a_finding(repo: Repo) -> None:
    files = {
        ".gitignore": "/generated/\npackages/*/*/\n!packages/*/src/\n",
        "src/a.ts": (
            'import { g } from "../generated/api";\nimport { o } from "@repo/server/obs";\n'
        ),
        "packages/server/package.json": json.dumps({"name": "@repo/server", "main": "src/a.ts"}),
        "packages/server/src/a.ts": "export const a = 1;\n",
    }
    findings = _ts(repo, files, {**BASE, "compilerOptions": {"module": "commonjs"}})
    # generated/api is a build step's output, taken as built first, as a package's dist/ is:
    # not a finding's subject at all (shadcn-ui had 3,152 such warnings)
    assert findings == []


def test_a_reference_path_to_a_missing_file_is_an_error_unless_a_build_may_write_it(
    repo: Repo,
) -> None:
    """tsc fails a project whose `/// <reference path>` names no file (TS6053; the oracle
    compares with real tsc). Into a folder the repository lacks (Next's `.next/types`) or a
    gitignored file, a build step may write it: a warning that says so."""
    path = repo(
        {
            "tsconfig.json": json.dumps({"include": ["src"]}),
            ".gitignore": "types/gen.d.ts\n",
            "types/env.d.ts": "declare const x: 1;\n",
            "src/a.ts": '/// <reference path="../types/nope.d.ts" />\nexport const a = 1;\n',
            "src/b.ts": '/// <reference path="../.next/types/routes.d.ts" />\nexport const b = 2;',
            "src/c.ts": '/// <reference path="../types/gen.d.ts" />\nexport const c = 1;\n',
        }
    )
    [result] = check(path, only=("ts-imports",)).results
    levels = {f.path: f.level for f in result.findings if f.rule == "ts-imports/unresolved"}
    assert levels == {"src/a.ts": Level.ERROR, "src/b.ts": Level.WARNING, "src/c.ts": Level.WARNING}
    [error] = [f for f in result.findings if f.path == "src/a.ts"]
    assert "TS6053" in error.message and error.start_line == 1


def test_jsx_under_an_unseen_base_names_the_base_as_the_reason(repo: Repo) -> None:
    """`@tsconfig/vite-react` may set `jsx`: the warning says so, not "set jsx"."""
    tsconfig = {"extends": "@tsconfig/vite-react/tsconfig.json", "include": ["src"]}
    findings = _ts(repo, {"src/a.tsx": "export const A = () => <div />;\n"}, tsconfig)
    assert _levels(findings) == {("jsx-not-enabled", "src/a.tsx", Level.WARNING)}
    (finding,) = findings
    assert "'@tsconfig/vite-react/tsconfig.json'" in finding.message
    assert "may set it" in finding.message
    assert finding.fix is not None and finding.fix.startswith("check that")


ALIASED = {
    "compilerOptions": {
        "module": "esnext",
        "moduleResolution": "bundler",
        "paths": {"@app/*": ["./src/*", "./generated/*"]},
    },
    "include": ["src"],
}


def test_an_alias_miss_is_unresolved_naming_where_the_alias_maps_it(repo: Repo) -> None:
    """Not "add '@app/shared' to the dependencies": the alias claims the name."""
    files = {
        "package.json": json.dumps({"name": "web", "dependencies": {"react": "^19"}}),
        "src/a.ts": 'import { E } from "@app/shared/types/errors.js";\n',
        "src/shared/errors.ts": "export type E = 1;\n",  # moved up a folder
        "generated/api.ts": "export const api = 1;\n",  # absent, a build could write it
    }
    findings = _ts(repo, files, ALIASED)
    assert _levels(findings) == {("unresolved", "src/a.ts", Level.ERROR)}
    (finding,) = findings
    assert "`paths` '@app/*' maps it to src/shared/types/errors.js, generated/shared/types/" in (
        finding.message
    )
    assert "no package.json in the repository declares '@app/shared'" in finding.message
    assert finding.fix == "did you mean '@app/shared/errors'?"


def test_an_alias_miss_a_package_json_declares_stays_a_package_question(repo: Repo) -> None:
    files = {
        "package.json": json.dumps({"name": "web", "dependencies": {"@app/shared": "1.0.0"}}),
        "src/a.ts": 'import { E } from "@app/shared/types/errors.js";\n',
    }
    assert _ts(repo, files, ALIASED) == []


def test_an_alias_miss_a_lockfile_names_is_a_warning(repo: Repo) -> None:
    """A package of that name a lockfile lists may be hoisted where tsc finds it."""
    files = {
        "package.json": json.dumps({"name": "web"}),
        "package-lock.json": json.dumps({"packages": {"node_modules/@app/shared": {}}}),
        "src/a.ts": 'import { E } from "@app/shared/types/errors.js";\n',
    }
    findings = _ts(repo, files, ALIASED)
    assert _levels(findings) == {("unresolved", "src/a.ts", Level.WARNING)}
    assert "package-lock.json" in findings[0].message


def test_a_catch_all_paths_key_claims_no_package(repo: Repo) -> None:
    tsconfig = {
        "compilerOptions": {
            "module": "esnext",
            "moduleResolution": "bundler",
            "paths": {"*": ["./types/*"]},
        },
        "include": ["src"],
    }
    files = {"package.json": "{}", "src/a.ts": 'import x from "left-pad";\nexport { x };\n'}
    assert _levels(_ts(repo, files, tsconfig)) == {
        ("undeclared-dependency", "src/a.ts", Level.WARNING)
    }


def test_a_workspace_entry_that_names_a_missing_source_is_an_error_twice(repo: Repo) -> None:
    """On the importer and on the package.json line that names the file."""
    manifest = '{\n  "name": "@repo/lib",\n  "types": "./src/index.ts"\n}\n'
    files = {
        "packages/lib/package.json": manifest,
        "packages/lib/src/main.ts": "export const v = 1;\n",
        "app/a.ts": 'import { v } from "@repo/lib";\n',
    }
    findings = _ts(repo, files, {**BASE, "include": ["app"]})
    assert _levels(findings) == {
        ("unresolved", "app/a.ts", Level.ERROR),
        ("unresolved", "packages/lib/package.json", Level.ERROR),
    }
    on_manifest = next(f for f in findings if f.path.endswith("package.json"))
    assert on_manifest.start_line == 3 and "packages/lib/src/index.ts" in on_manifest.message


def test_a_workspace_entry_in_gitignored_build_output_is_not_judged(repo: Repo) -> None:
    """Build output (here gitignored, even with a .ts name) comes from a build first."""
    files = {
        ".gitignore": "generated/\n",
        "packages/lib/package.json": json.dumps(
            {"name": "@repo/lib", "types": "./generated/index.ts"}
        ),
        "packages/lib/src/main.ts": "export const v = 1;\n",
        "app/a.ts": 'import { v } from "@repo/lib";\n',
    }
    assert _ts(repo, files, {**BASE, "include": ["app"]}) == []


def test_a_workspace_entry_declaration_in_missing_dist_is_not_judged(repo: Repo) -> None:
    files = {
        "packages/lib/package.json": json.dumps(
            {"name": "@repo/lib", "types": "./dist/index.d.ts", "main": "./src/index.ts"}
        ),
        "packages/lib/src/main.ts": "export const v = 1;\n",
        "app/a.ts": 'import { v } from "@repo/lib";\n',
    }
    assert _ts(repo, files, {**BASE, "include": ["app"]}) == []


def test_names_vite_client_declares_are_certain_passes(repo: Repo) -> None:
    """Vite's client types declare `*.svg`, `*?url` and the rest (known_types): with a
    reference to them these imports pass, where an unseen package only might supply them."""
    files = {
        "package.json": json.dumps({"name": "web", "devDependencies": {"vite": "^7"}}),
        "src/env.d.ts": '/// <reference types="vite/client" />\n',
        "src/a.ts": 'import logo from "/assets/x.svg";\nimport css from "~/styles.css?url";\n'
        "export { logo, css };\n",
    }
    assert _ts(repo, files) == []


def test_a_name_known_types_do_not_declare_stays_judged(repo: Repo) -> None:
    tsconfig = {**BASE, "compilerOptions": {**BASE["compilerOptions"], "types": ["vite/client"]}}
    files = {
        "package.json": json.dumps({"name": "web", "devDependencies": {"vite": "^7"}}),
        "src/a.ts": 'import logo from "./logo.svg";\nimport data from "./data.xyz";\n'
        "export { logo, data };\n",
    }
    assert _levels(_ts(repo, files, tsconfig)) == {("unresolved", "src/a.ts", Level.ERROR)}


def test_no_fix_points_outside_the_importing_project(repo: Repo) -> None:
    """shadcn-ui/ui: a missing @/components/ui/button was "fixed" with an import from another
    app's private folder. A file is proposed only from the project's own sources."""
    app = {
        "compilerOptions": {
            "module": "esnext",
            "moduleResolution": "bundler",
            "paths": {"@/*": ["./*"]},
        },
        "include": ["."],
    }
    path = repo(
        {
            "templates/next-app/tsconfig.json": json.dumps(app),
            "templates/next-app/page.ts": 'import { B } from "@/components/ui/button";\n',
            "apps/v4/tsconfig.json": json.dumps(app),
            "apps/v4/registry/ui/button.ts": "export const B = 1;\n",
        }
    )
    report = check(path, RepoConfig(), only=["ts-imports"])
    [finding] = [f for f in report.findings if f.path == "templates/next-app/page.ts"]
    assert finding.level is Level.ERROR and finding.fix is None, finding.fix


def test_a_fix_from_the_project_s_own_sources_is_still_proposed(repo: Repo) -> None:
    files = {
        "src/a.ts": 'import { v } from "./lib/util";\n',
        "src/helpers/util.ts": "export const v = 1;\n",
    }
    [finding] = _ts(repo, files)
    assert finding.fix == "did you mean './helpers/util'?"


def test_an_esm_import_without_its_extension_says_which_one_as_tsc_does(repo: Repo) -> None:
    """tsc's TS2835: "Relative import paths need explicit file extensions in ECMAScript
    imports ... Did you mean './b.js'?"; prgate said "looked for nothing it could try". For a
    folder tsc says TS2834 and suggests nothing; prgate names its index file."""
    files = {
        "package.json": json.dumps({"name": "m", "type": "module"}),
        "tsconfig.json": json.dumps(
            {"compilerOptions": {"module": "nodenext", "noEmit": True}, "include": ["src"]}
        ),
        "src/a.ts": 'import { b } from "./b";\nimport { c } from "./lib";\nexport { b, c };\n',
        "src/b.ts": "export const b = 1;\n",
        "src/lib/index.ts": "export const c = 1;\n",
    }
    findings = _ts(repo, files)
    assert [f.fix for f in findings] == ["did you mean './b.js'?", "did you mean './lib/index.js'?"]
    # tsc: TS2835 for the file, TS2834 (no suggestion) for the folder, checked with tsc 5.9
    assert "TS2835" in findings[0].message and "TS2834" in findings[1].message
    assert all("needs the extension" in f.message for f in findings)


def test_a_package_no_registry_would_accept_is_found_where_the_repository_links_it(
    repo: Repo,
) -> None:
    """babel/babel@1da3cfa1 links "$repo-utils": "link:./scripts/repo-utils"; npm would
    refuse the name, but node_modules holds it, and tsc resolves it there. prgate said no
    package could have that name: 5 warnings (errors without the editor-wide hedge)."""
    files = {
        "package.json": json.dumps(
            {"name": "root", "devDependencies": {"$repo-utils": "link:./scripts/repo-utils"}}
        ),
        "scripts/repo-utils/package.json": json.dumps(
            {"name": "$repo-utils", "type": "module", "exports": {".": "./index.cjs"}}
        ),
        "scripts/repo-utils/index.cjs": "exports.x = 1;\n",
        "scripts/repo-utils/index.d.cts": "export declare const x: number;\n",
        "tsconfig.json": json.dumps(
            {
                "compilerOptions": {"module": "esnext", "moduleResolution": "bundler"},
                "include": ["src"],
            }
        ),
        "src/a.ts": 'import { x } from "$repo-utils";\nexport { x };\n',
    }
    assert _ts(repo, files) == []


@pytest.mark.parametrize(("imports_a_package", "level"), [(True, "warning"), (False, "error")])
def test_a_name_only_a_package_could_declare_is_a_warning_where_packages_are_read(
    repo: Repo, imports_a_package: bool, level: str
) -> None:
    """nrwl/nx-recipes@92439b94's Qwik app imports '@qwik-city-plan', a name no file and no
    package supplies but @builder.io/qwik-city's types `declare module`: prgate said error.
    Where the program reads a package prgate cannot see, such a name is a warning."""
    first = 'import { component$ } from "@builder.io/qwik";\n' if imports_a_package else ""
    files = {
        "tsconfig.json": json.dumps(
            {"compilerOptions": {"module": "esnext", "moduleResolution": "bundler", "types": []}}
        ),
        "src/entry.ts": first + 'import render from "@qwik-city-plan";\nexport { render };\n',
    }
    findings = [f for f in _ts(repo, files) if f.rule == "ts-imports/unresolved"]
    assert [(f.start_line, f.level.value) for f in findings] == [(2 if first else 1, level)]


@pytest.mark.parametrize(("wanted", "linked"), [("^15.2.1", False), ("^0.1.0", True)])
def test_a_member_is_linked_only_where_its_version_satisfies_the_range(
    repo: Repo, wanted: str, linked: bool
) -> None:
    """apollographql/apollo-client@54084bc2: an integration-test app named "next" (0.1.0)
    depends on next ^15.2.1; prgate resolved 'next/app' to the app itself: 14 error-level
    false alarms in all. A range the member's version does not satisfy comes from the
    registry; one it satisfies links the member (npm, yarn)."""
    files = {
        "package.json": json.dumps({"name": "root", "workspaces": ["apps/*"]}),
        "apps/next/package.json": json.dumps(
            {"name": "next", "version": "0.1.0", "dependencies": {"next": wanted}}
        ),
        "apps/next/tsconfig.json": json.dumps(
            {"compilerOptions": {"module": "esnext", "moduleResolution": "node10"}}
        ),
        "apps/next/src/page.ts": 'import App from "next/app";\nexport default App;\n',
    }
    findings = [f for f in _ts(repo, files) if f.rule == "ts-imports/unresolved"]
    assert bool(findings) is linked  # linked to itself, which has no app.ts: tsc's TS2307


@pytest.mark.parametrize(("ignored", "level"), [(True, "warning"), (False, "error")])
def test_a_name_declarations_a_build_writes_may_declare_is_a_warning(
    repo: Repo, ignored: bool, level: str
) -> None:
    """remix-run/react-router@cab1a690's Cloudflare playground includes the gitignored
    worker-configuration.d.ts and .react-router/types that `pnpm typegen` writes before
    tsc; they declare 'cloudflare:workers' and 'virtual:react-router/server-build'. prgate
    said error. Included but absent and gitignored, they are a build's: a warning."""
    files = {
        "tsconfig.json": json.dumps(
            {
                "compilerOptions": {"module": "esnext", "moduleResolution": "bundler", "types": []},
                "include": ["app/**/*", ".react-router/types/**/*", "worker-configuration.d.ts"],
            }
        ),
        "app/worker.ts": 'import b from "virtual:react-router/server-build";\nexport { b };\n',
    }
    if ignored:
        files[".gitignore"] = "/.react-router/\nworker-configuration.d.ts\n"
    findings = [f for f in _ts(repo, files) if f.rule == "ts-imports/unresolved"]
    assert [(f.start_line, f.level.value) for f in findings] == [(1, level)]
    if ignored:
        assert ".react-router/types, worker-configuration.d.ts (included by" in findings[0].message


def test_a_name_the_projects_own_alias_maps_stays_an_error_where_packages_are_read(
    repo: Repo,
) -> None:
    """shadcn-ui/ui@1773ecfe's starter templates import '@/components/ui/button', which
    their paths map to ./components (written by `shadcn add button`): real tsc fails.
    Reading a package made it a warning ("a package's declare module"); a package would
    have to declare the project's own alias path."""
    files = {
        "tsconfig.json": json.dumps(
            {
                "compilerOptions": {
                    "module": "esnext",
                    "moduleResolution": "bundler",
                    "types": [],
                    "paths": {"@/*": ["./*"]},
                }
            }
        ),
        "app/page.tsx": 'import React from "react";\n'
        'import { Button } from "@/components/ui/button";\n'
        "export { React, Button };\n",
    }
    findings = [f for f in _ts(repo, files) if f.rule == "ts-imports/unresolved"]
    assert [(f.start_line, f.level.value) for f in findings] == [(2, "error")]
