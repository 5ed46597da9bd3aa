"""ts-imports against real TypeScript: generated workspaces, each judged by ``tsc --noEmit -p``
(``tests/support/ts_oracle.py``) and by prgate, compared per file and line.

Every scenario runs under each ``moduleResolution`` (node10, node16, nodenext, bundler,
and classic, TypeScript 5's default for ``"module": "esnext"``). Compared: the "Cannot
find module" errors (TS2307 and kin) whose module name is not a package's (a package
could be installed; prgate does not judge those as errors), and TS17004 (JSX not
enabled) per file. Agreement must be total: a case prgate gets wrong is listed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_files
from tests.support.ts_oracle import MISSING_REFERENCE, NO_JSX, UNRESOLVED, judge
from workers.checks.ts_imports.resolve import could_be_package, is_relative
from workers.engine.config import RepoConfig
from workers.engine.findings import Level
from workers.engine.runner import check_repository
from workers.engine.views import DirectoryView

MODES: dict[str, dict[str, str]] = {
    "node10": {"module": "commonjs", "moduleResolution": "node10"},
    "node16": {"module": "node16", "moduleResolution": "node16"},
    "nodenext": {"module": "nodenext", "moduleResolution": "nodenext"},
    "bundler": {"module": "esnext", "moduleResolution": "bundler"},
    "classic": {"module": "esnext"},
}
Files = dict[str, str]
Scenario = Callable[[dict[str, str]], Files]
EXPORT = "export const v = 1;\n"
LINK = "\x00symlink to "  # a file whose content starts so is written as a symlink to the rest


def config(mode: dict[str, str], include: Any = ("src",), **options: Any) -> str:
    body: dict[str, Any] = {"compilerOptions": {**mode, "noEmit": True, **options}}
    if include is not None:
        body["include"] = list(include)
    return json.dumps(body, indent=2)


def one(importer: str, files: Files | None = None, **options: Any) -> Scenario:
    """A project with src/a.ts holding ``importer`` and ``files`` beside it."""
    return lambda mode: {
        "tsconfig.json": config(mode, **options),
        "src/a.ts": importer,
        **(files or {}),
    }


SCENARIOS: dict[str, Scenario] = {
    "relative-found": one('import { v } from "./b";\n', {"src/b.ts": EXPORT}),
    "relative-missing": one('import { v } from "./nope";\n'),
    "js-suffix-of-ts": one('import { v } from "./b.js";\n', {"src/b.ts": EXPORT}),
    "ts-suffix": one('import { v } from "./b.ts";\n', {"src/b.ts": EXPORT}),
    "index-folder": one('import { v } from "./lib";\n', {"src/lib/index.ts": EXPORT}),
    "index-explicit": one('import { v } from "./lib/index.js";\n', {"src/lib/index.ts": EXPORT}),
    "case-mismatch-file": one('import { v } from "./B";\n', {"src/b.ts": EXPORT}),
    "case-mismatch-folder": one('import { v } from "./Lib/x";\n', {"src/lib/x.ts": EXPORT}),
    "json-default": one('import d from "./data.json";\n', {"src/data.json": '{"a": 1}'}),
    "json-on": one(
        'import d from "./data.json";\n', {"src/data.json": '{"a": 1}'}, resolveJsonModule=True
    ),
    "json-missing": one('import d from "./nope.json";\n', resolveJsonModule=True),
    "js-target": one('import { v } from "./legacy";\n', {"src/legacy.js": EXPORT}),
    "js-target-allowjs": one(
        'import { v } from "./legacy";\n', {"src/legacy.js": EXPORT}, allowJs=True
    ),
    "tsx-target": one('import { v } from "./comp";\n', {"src/comp.tsx": EXPORT}),
    "dts-target": one('import { v } from "./types";\n', {"src/types.d.ts": "export const v: 1;\n"}),
    "mts-target": one('import { v } from "./m.mjs";\n', {"src/m.mts": EXPORT}),
    "cts-target": one('import { v } from "./c.cjs";\n', {"src/c.cts": EXPORT}),
    "paths-hit": one(
        'import { v } from "@/lib/u";\n', {"src/lib/u.ts": EXPORT}, paths={"@/*": ["./src/*"]}
    ),
    "paths-miss": one(
        'import { v } from "@/lib/nope";\n', {"src/lib/u.ts": EXPORT}, paths={"@/*": ["./src/*"]}
    ),
    "paths-second-target": one(
        'import { v } from "@gen/x";\n',
        {"generated/x.ts": EXPORT},
        include=("src", "generated"),
        paths={"@gen/*": ["./src/gen/*", "./generated/*"]},
    ),
    "paths-exact": one(
        'import { v } from "#config";\n',
        {"src/config.ts": EXPORT},
        paths={"#config": ["./src/config.ts"]},
    ),
    "paths-exact-miss": one(
        'import { v } from "#config";\n', paths={"#config": ["./src/config.ts"]}
    ),
    "paths-with-baseurl": one(
        'import { v } from "~/lib/u";\n',
        {"src/lib/u.ts": EXPORT},
        baseUrl="./src",
        paths={"~/*": ["*"]},
    ),
    "paths-with-baseurl-miss": one(
        'import { v } from "~/lib/nope";\n', baseUrl="./src", paths={"~/*": ["*"]}
    ),
    "baseurl-hit": one('import { v } from "lib/u";\n', {"src/lib/u.ts": EXPORT}, baseUrl="./src"),
    "baseurl-miss-package-like": one('import { v } from "lib/nope";\n', baseUrl="./src"),
    "rootdirs-hit": one(
        'import { v } from "./types";\n',
        {"generated/types.ts": EXPORT},
        include=("src", "generated"),
        rootDirs=["./src", "./generated"],
    ),
    "rootdirs-dot": one(
        'import { v } from "./types";\n',
        {"generated/src/types.ts": EXPORT},
        include=("src", "generated"),
        rootDirs=[".", "./generated"],
    ),
    "rootdirs-miss": one(
        'import { v } from "./nope";\n',
        {"generated/other.ts": EXPORT},
        include=("src", "generated"),
        rootDirs=["./src", "./generated"],
    ),
    "excluded-file": lambda mode: {
        "tsconfig.json": json.dumps(
            {
                "compilerOptions": {**mode, "noEmit": True},
                "include": ["src"],
                "exclude": ["src/skip"],
            }
        ),
        "src/a.ts": EXPORT,
        "src/skip/b.ts": 'import { v } from "./nope";\n',
    },
    "excluded-but-imported": lambda mode: {
        "tsconfig.json": json.dumps(
            {
                "compilerOptions": {**mode, "noEmit": True},
                "include": ["src"],
                "exclude": ["src/skip"],
            }
        ),
        "src/a.ts": 'import { w } from "./skip/b.js";\n',
        "src/skip/b.ts": 'import { v } from "./nope.js";\nexport const w = 1;\n',
    },
    "outside-include-imported": one(
        'import { w } from "../shared/x.js";\n',
        {"shared/x.ts": 'import { v } from "./nope.js";\nexport const w = 1;\n'},
    ),
    "dot-folder-skipped": one(EXPORT, {"src/.cache/b.ts": 'import { v } from "./nope";\n'}),
    "files-only": lambda mode: {
        "tsconfig.json": json.dumps(
            {"compilerOptions": {**mode, "noEmit": True}, "files": ["src/a.ts"]}
        ),
        "src/a.ts": EXPORT,
        "src/b.ts": 'import { v } from "./nope";\n',
    },
    "ts-ignore": one('// @ts-ignore\nimport { v } from "./nope";\n'),
    "ts-expect-error-gap": one('// @ts-expect-error\n\n// why\nimport { v } from "./nope";\n'),
    "ts-nocheck": one('// @ts-nocheck\nimport { v } from "./nope";\n'),
    "side-effect": one('import "./nope";\n'),
    "side-effect-checked": one('import "./nope";\n', noUncheckedSideEffectImports=True),
    "dynamic": one('export const m = import("./nope.js");\n'),
    "dynamic-template": one("export const m = import(`./nope.js`);\n"),
    "import-type": one('export type T = import("./nope.js").T;\n'),
    # gperdomor/nx-tools: an import type resolves in the file's own mode (a CommonJS file's,
    # here, under node16/nodenext: no extension needed), an `import()` call always as ESM
    "import-type-extensionless": one(
        'export type T = typeof import("./b");\n'
        'export type U = import("./b").V;\n'
        "declare const g: <X>() => Promise<X>;\n"
        'export const f = async () => ({ ...(await g<typeof import("./b")>()) });\n'
        'export const s = 1 as unknown as typeof import("./b");\n'
        "export interface I { m(): typeof import('./b'); }\n",
        {"src/b.ts": "export const v = 1;\nexport type V = 1;\n"},
    ),
    "dynamic-extensionless": one(
        'export const m = import("./b");\n', {"src/b.ts": "export const v = 1;\n"}
    ),
    "import-type-esm-package": lambda mode: {
        "tsconfig.json": config(mode),
        "package.json": '{"type": "module"}',
        "src/a.ts": 'export type T = typeof import("./b");\n',
        "src/b.ts": "export const v = 1;\n",
    },
    "export-from": one('export { v } from "./nope.js";\n'),
    "type-only": one('import type { T } from "./nope.js";\nexport type U = T;\n'),
    "import-equals": one('import x = require("./nope");\nexport = x;\n'),
    "require-in-ts": one('const x = require("./nope");\nexport {};\n'),
    "checkjs": lambda mode: {
        "tsconfig.json": config(mode, allowJs=True, checkJs=True),
        "src/a.js": 'import { v } from "./nope.js";\nexport const w = v;\n',
    },
    "js-unchecked": lambda mode: {
        "tsconfig.json": config(mode, allowJs=True),
        "src/a.js": 'import { v } from "./nope.js";\nexport const w = v;\n',
    },
    "ts-check-pragma": lambda mode: {
        "tsconfig.json": config(mode, allowJs=True),
        "src/a.js": '// @ts-check\nimport { v } from "./nope.js";\nexport const w = v;\n',
    },
    "jsx-unset": lambda mode: {
        "tsconfig.json": config(mode),
        "src/a.tsx": "export const A = () => <div>hi</div>;\n",
    },
    "jsx-set": lambda mode: {
        "tsconfig.json": config(mode, jsx="preserve"),
        "src/a.tsx": "export const A = () => <div>hi</div>;\n",
    },
    "tsx-without-jsx": lambda mode: {
        "tsconfig.json": config(mode),
        "src/a.tsx": EXPORT,
    },
    "jsx-in-js": lambda mode: {
        "tsconfig.json": config(mode, allowJs=True),
        "src/a.jsx": "export const A = () => <div>hi</div>;\n",
    },
    "esm-extensionless": lambda mode: {
        "package.json": '{"type": "module"}',
        "tsconfig.json": config(mode),
        "src/a.ts": 'import { v } from "./b";\n',
        "src/b.ts": EXPORT,
    },
    "esm-folder": lambda mode: {
        "package.json": '{"type": "module"}',
        "tsconfig.json": config(mode),
        "src/a.ts": 'import { v } from "./lib";\n',
        "src/lib/index.ts": EXPORT,
    },
    "esm-with-extension": lambda mode: {
        "package.json": '{"type": "module"}',
        "tsconfig.json": config(mode),
        "src/a.ts": 'import { v } from "./b.js";\n',
        "src/b.ts": EXPORT,
    },
    "mts-extensionless": one(
        "export {};\n", {"src/m.mts": 'import { v } from "./b";\n', "src/b.ts": EXPORT}
    ),
    "module-suffixes": one(
        'import { v } from "./x";\n', {"src/x.ios.ts": EXPORT}, moduleSuffixes=[".ios", ""]
    ),
    "paths-target-with-extension": one(
        'import { v } from "@cfg";\n', {"src/cfg.ts": EXPORT}, paths={"@cfg": ["./src/cfg.ts"]}
    ),
    "folder-package-types": one(
        'import { v } from "./pkg";\n',
        {
            "src/pkg/package.json": '{"types": "./lib/main.d.ts"}',
            "src/pkg/lib/main.d.ts": "export const v: 1;\n",
        },
    ),
    "priority-dts-beside-ts": one(
        EXPORT, {"src/b.ts": EXPORT, "src/b.d.ts": 'import { v } from "./nope";\n'}
    ),
    "dts-unchecked-skiplibcheck": one(
        'import { v } from "./types";\n',
        {"src/types.d.ts": 'import { w } from "./nope";\nexport const v: 1;\n'},
        skipLibCheck=True,
    ),
    "dts-checked": one(
        'import { v } from "./types";\n',
        {"src/types.d.ts": 'import { w } from "./nope";\nexport const v: 1;\n'},
    ),
    "extends-paths-from-base": lambda mode: {
        "configs/base.json": json.dumps(
            {"compilerOptions": {**mode, "noEmit": True, "paths": {"@/*": ["../src/*"]}}}
        ),
        "tsconfig.json": json.dumps({"extends": "./configs/base.json", "include": ["src"]}),
        "src/a.ts": 'import { v } from "@/lib/u";\nimport { w } from "@/lib/nope";\n',
        "src/lib/u.ts": EXPORT,
    },
    "extends-override": lambda mode: {
        "configs/base.json": json.dumps(
            {"compilerOptions": {**mode, "noEmit": True, "paths": {"@/*": ["../wrong/*"]}}}
        ),
        "tsconfig.json": json.dumps(
            {
                "extends": "./configs/base",
                "include": ["src"],
                "compilerOptions": {"paths": {"@/*": ["./src/*"]}},
            }
        ),
        "src/a.ts": 'import { v } from "@/lib/u";\n',
        "src/lib/u.ts": EXPORT,
    },
    "extends-include-from-base": lambda mode: {
        "configs/base.json": json.dumps(
            {"compilerOptions": {**mode, "noEmit": True}, "include": ["../src"]}
        ),
        "tsconfig.json": json.dumps({"extends": "./configs/base.json"}),
        "src/a.ts": 'import { v } from "./nope";\n',
        "other/b.ts": 'import { v } from "./nope";\n',
    },
    "extends-chain-jsx": lambda mode: {
        "base.json": json.dumps({"compilerOptions": {**mode, "noEmit": True, "jsx": "preserve"}}),
        "middle.json": json.dumps({"extends": "./base.json"}),
        "tsconfig.json": json.dumps({"extends": "./middle.json", "include": ["src"]}),
        "src/a.tsx": "export const A = () => <div />;\n",
    },
    "references": lambda mode: {
        "tsconfig.json": json.dumps({"files": [], "references": [{"path": "./packages/a"}]}),
        "packages/a/tsconfig.json": config(mode, include=("src",), composite=True),
        "packages/a/src/a.ts": 'import { v } from "./nope";\n',
    },
    # a referenced project's sources are its outputs to the referencing one: its imports
    # are judged under its own options (bundler here), not the referencing project's
    "references-redirect": lambda mode: {
        "a/tsconfig.json": json.dumps(
            {
                "compilerOptions": {**mode, "noEmit": True},
                "include": ["src"],
                "references": [{"path": "../b"}],
            }
        ),
        "a/src/a.ts": 'import { v } from "../../b/src/x.js";\nexport const u = v;\n',
        "b/tsconfig.json": json.dumps(
            {
                "compilerOptions": {
                    "module": "esnext",
                    "moduleResolution": "bundler",
                    "composite": True,
                    "rootDir": "src",
                    "outDir": "lib",
                },
                "include": ["src"],
            }
        ),
        "b/package.json": json.dumps({"name": "b", "type": "module"}),
        "b/src/x.ts": 'import { w } from "./y";\nexport const v = w;\n',
        "b/src/y.ts": "export const w = 1;\n",
    },
    "default-include": lambda mode: {
        "tsconfig.json": config(mode, include=None),
        "a.ts": 'import { v } from "./nope";\n',
        "node_modules/x/b.ts": 'import { v } from "./nope";\n',
    },
    "nested-default-include": lambda mode: {
        "packages/a/tsconfig.json": config(mode, include=None),
        "packages/a/a.ts": EXPORT,
        "packages/b/b.ts": 'import { v } from "./nope";\n',
    },
    "include-pattern": one(
        EXPORT, {"src/x/b.spec.ts": 'import { v } from "./nope";\n'}, include=("src/**/*.ts",)
    ),
    "include-star-ts": lambda mode: {
        "tsconfig.json": config(mode, include=("src/*.ts",)),
        "src/a.ts": EXPORT,
        "src/deep/b.ts": 'import { v } from "./nope";\n',
    },
    "parent-relative": one('import { v } from "../lib/x";\n', {"lib/x.ts": EXPORT}),
    "dot-slash-dot": one('import { v } from ".";\n', {"src/index.ts": EXPORT}),
    "ambient-declared": one(
        'import a from "virtual:routes";\nimport b from "./logo.svg";\n'
        'import c from "./styles.css";\nexport { a, b, c };\n',
        {"src/env.d.ts": 'declare module "virtual:*";\ndeclare module "*.svg";\n'},
    ),
    "ambient-from-workspace-types": lambda mode: {
        "tsconfig.json": config(mode, include=("app",), types=["@repo/ui/env"]),
        "app/a.ts": 'import r from "virtual:routes";\nimport x from "virtual:other";\n'
        "export { r, x };\n",
        "packages/ui/package.json": json.dumps({"name": "@repo/ui"}),
        "packages/ui/env.d.ts": 'declare module "virtual:routes";\n',
    },
    "reference-path-declarations": one(
        '/// <reference path="../types/env.d.ts" />\nimport r from "virtual:routes";\n'
        "export { r };\n",
        {"types/env.d.ts": 'declare module "virtual:routes";\n'},
    ),
    # TypeScript reads a block comment's directive on its last line only (scanner.ts)
    "ignore-block-first-line": one('/* @ts-ignore\n */\nimport { v } from "./nope";\n'),
    "ignore-block-last-line": one('/*\n   @ts-ignore */\nimport { v } from "./nope";\n'),
    "ignore-block-one-line": one('/* @ts-ignore */\nimport { v } from "./nope";\n'),
    # a specifier is the string's value, escapes decoded
    "escaped-missing": one('import { v } from "./no\\u0070e";\n'),
    "escaped-found": one('import { v } from "./\\u0062";\n', {"src/b.ts": EXPORT}),
    "escaped-hex-found": one('import { v } from "./\\x62";\n', {"src/b.ts": EXPORT}),
    # `/// <reference path>`: a missing file fails tsc (TS6053; TS6231 without extension)
    "reference-path-missing": one(
        '/// <reference path="../types/nope.d.ts" />\nexport const v = 1;\n',
        {"types/env.d.ts": "declare const x: 1;\n"},
    ),
    "reference-path-no-extension-found": one(
        '/// <reference path="../types/env" />\nexport const v = 1;\n',
        {"types/env.d.ts": "declare const x: 1;\n"},
    ),
    "reference-path-no-extension-missing": one(
        '/// <reference path="../types/nope" />\nexport const v = 1;\n',
        {"types/env.d.ts": "declare const x: 1;\n"},
    ),
    # symlinks, as TypeScript's host follows them
    "symlink-dangling": one('import { v } from "./b";\n', {"src/b.ts": LINK + "./missing.ts"}),
    "symlink-loop": one(
        'import { v } from "./c";\n', {"src/c.ts": LINK + "./c2.ts", "src/c2.ts": LINK + "./c.ts"}
    ),
    "symlink-to-file": one(
        'import { v } from "./d";\n', {"src/d.ts": LINK + "../lib/real.ts", "lib/real.ts": EXPORT}
    ),
    "symlink-to-missing-import": one(
        'import { v } from "./d";\n',
        {"src/d.ts": LINK + "../lib/real.ts", "lib/real.ts": 'import { w } from "./nope";\n'},
    ),
    # an alias (`paths`) or a `baseUrl` folder that claims a package-like name and maps it
    # nowhere: tsc fails (TS2307); it is not a package to declare (issue 30, class 1)
    "alias-miss-scoped": one(
        'import { v } from "@app/shared/types/errors.js";\n',
        {"src/shared/types/other.ts": EXPORT, "generated/x.ts": EXPORT},
        include=("src", "generated"),
        paths={"@app/*": ["./src/*", "./generated/*"]},
    ),
    "alias-miss-bare": one(
        'import { v } from "shared/types/errors";\n',
        {"src/shared/types/other.ts": EXPORT},
        paths={"shared/*": ["./src/shared/*"]},
    ),
    "baseurl-miss-folder": one(
        'import { v } from "lib/nothere";\n', {"src/lib/u.ts": EXPORT}, baseUrl="./src"
    ),
    "baseurl-hit-folder-index": one(
        'import { v } from "lib";\n', {"src/lib/index.ts": EXPORT}, baseUrl="./src"
    ),
    # `exports` is read by node16, nodenext and bundler only (issue 30, class 2)
    "workspace-exports-only-route": lambda mode: {
        "tsconfig.json": config(mode, include=("app",)),
        "app/a.ts": 'import { v } from "@acme/config-lib/sub";\n',
        "packages/config-lib/package.json": json.dumps(
            {"name": "@acme/config-lib", "exports": {"./sub": "./src/sub.ts"}}
        ),
        "packages/config-lib/src/sub.ts": EXPORT,
    },
    "workspace-exports-conditions": lambda mode: {
        "tsconfig.json": config(mode, include=("app",)),
        "app/a.ts": 'import { v } from "@acme/config-lib/sub";\n'
        'import { w } from "@acme/config-lib";\n',
        "packages/config-lib/package.json": json.dumps(
            {
                "name": "@acme/config-lib",
                "exports": {
                    ".": {"types": "./src/index.ts", "default": "./dist/index.js"},
                    "./sub": {"types": "./src/sub.ts", "default": "./dist/sub.js"},
                },
            }
        ),
        "packages/config-lib/src/index.ts": "export const w = 1;\n",
        "packages/config-lib/src/sub.ts": EXPORT,
    },
    # vitest-dev/vitest: a test fixture holds a fake package of a member's name, nearer the
    # importer than the member; the package manager links the member its globs name
    "workspace-member-not-fixture": lambda mode: {
        "package.json": json.dumps({"name": "root", "workspaces": ["packages/*"]}),
        "tsconfig.json": config(mode, include=("app",)),
        "app/a.ts": 'import { v } from "@acme/config-lib/sub";\n',
        "app/fixtures/fake/package.json": json.dumps(
            {"name": "@acme/config-lib", "exports": {".": "./index.js"}}
        ),
        "packages/config-lib/package.json": json.dumps(
            {"name": "@acme/config-lib", "exports": {"./sub": "./src/sub.ts"}}
        ),
        "packages/config-lib/src/sub.ts": EXPORT,
    },
    "workspace-exports-and-types": lambda mode: {
        "tsconfig.json": config(mode, include=("app",)),
        "app/a.ts": 'import { v } from "@acme/config-lib";\n',
        "packages/config-lib/package.json": json.dumps(
            {
                "name": "@acme/config-lib",
                "types": "./src/main.ts",
                "exports": {".": "./src/index.ts"},
            }
        ),
        "packages/config-lib/src/index.ts": EXPORT,
        "packages/config-lib/src/main.ts": EXPORT,
    },
    "self-name-exports": lambda mode: {
        "package.json": json.dumps({"name": "@acme/app", "exports": {"./util": "./src/util.ts"}}),
        "tsconfig.json": config(mode),
        "src/a.ts": 'import { v } from "@acme/app/util";\n',
        "src/util.ts": EXPORT,
    },
    "imports-field": lambda mode: {
        "package.json": json.dumps({"name": "app", "imports": {"#util": "./src/util.ts"}}),
        "tsconfig.json": config(mode),
        "src/a.ts": 'import { v } from "#util";\n',
        "src/util.ts": EXPORT,
    },
    # `extends` through a workspace package's `exports`, as cloudflare/agents does
    "extends-through-exports": lambda mode: {
        "packages/agents/package.json": json.dumps(
            {"name": "agents", "exports": {"./tsconfig": "./agents.tsconfig.json"}}
        ),
        "packages/agents/agents.tsconfig.json": json.dumps(
            {"compilerOptions": {**mode, "noEmit": True, "jsx": "preserve"}}
        ),
        "packages/agents/tsconfig.json": json.dumps(
            {"extends": "agents/tsconfig", "include": ["src"]}
        ),
        "packages/agents/src/a.tsx": 'import { v } from "./nope";\nexport const A = <div />;\n',
    },
    # a workspace package whose `types`/`main` names a source file that is not there
    # (not build output: its folder holds the package's sources) (issue 30, class 3)
    "workspace-types-missing-source": lambda mode: {
        "tsconfig.json": config(mode, include=("app",)),
        "app/a.ts": 'import { v } from "@repo/lib";\n',
        "packages/lib/package.json": json.dumps({"name": "@repo/lib", "types": "./src/index.ts"}),
        "packages/lib/src/main.ts": EXPORT,
    },
    "workspace-main-missing-source": lambda mode: {
        "tsconfig.json": config(mode, include=("app",)),
        "app/a.ts": 'import { v } from "@repo/lib";\n',
        "packages/lib/package.json": json.dumps({"name": "@repo/lib", "main": "./src/index.ts"}),
        "packages/lib/src/main.ts": EXPORT,
    },
    "workspace-types-renamed-folder": lambda mode: {
        "tsconfig.json": config(mode, include=("app",)),
        "app/a.ts": 'import { v } from "@repo/lib";\n',
        "packages/lib/package.json": json.dumps({"name": "@repo/lib", "types": "./src/index.ts"}),
        "packages/lib/lib/index.ts": EXPORT,
    },
    # `declare module "x"` in a file that is a module augments x and declares nothing
    # (TS2664 there, TS2307 on the imports) (issue 30, class 5)
    "augmentation-with-import": one(
        'import { env } from "cloudflare:test";\nexport { env };\n',
        {
            "src/env.d.ts": 'import type { X } from "./x";\n'
            'declare module "cloudflare:test" {\n  export const env: X;\n}\n',
            "src/x.ts": "export type X = 1;\n",
        },
    ),
    "augmentation-with-export": one(
        'import { env } from "cloudflare:test";\nexport { env };\n',
        {
            "src/env.d.ts": 'declare module "cloudflare:test" {\n  export const env: 1;\n}\n'
            "export {};\n"
        },
    ),
    "ambient-in-script": one(
        'import { env } from "cloudflare:test";\nexport { env };\n',
        {"src/env.d.ts": 'declare module "cloudflare:test" {\n  export const env: 1;\n}\n'},
    ),
    "ambient-in-ts-script": one(
        'import { env } from "cloudflare:test";\nexport { env };\n',
        {"src/env.ts": 'declare module "cloudflare:test" {\n  export const env: 1;\n}\n'},
    ),
    "ambient-in-mts": one(
        'import { env } from "cloudflare:test";\nexport { env };\n',
        {"src/env.mts": 'declare module "cloudflare:test" {\n  export const env: 1;\n}\n'},
    ),
    "ambient-with-import-alias": one(
        'import { env } from "cloudflare:test";\nexport { env };\n',
        {
            "src/env.d.ts": "declare namespace N { const y: 1; }\nimport Y = N.y;\n"
            'declare module "cloudflare:test" {\n  export const env: 1;\n}\n'
        },
    ),
    "workspace-exports": lambda mode: {
        "tsconfig.json": config(mode, include=("app",)),
        "app/a.ts": 'import { v } from "@repo/ui/button";\nimport { w } from "@repo/ui/card";\n'
        'import { x } from "@repo/ui";\n',
        "packages/ui/package.json": json.dumps(
            {"name": "@repo/ui", "exports": {"./button": "./src/button.ts"}}
        ),
        "packages/ui/src/button.ts": EXPORT,
    },
}


def _module_name(text: str) -> str | None:
    found = re.search(r"module '([^']+)'", text) or re.search(r"Did you mean '([^']+)'", text)
    return found[1] if found else None


def _workspaces(tmp: Path) -> dict[str, Path]:
    cases = {}
    for scenario, make in SCENARIOS.items():
        for mode_name, mode in MODES.items():
            root = tmp / f"{scenario}--{mode_name}"
            files = make(mode)
            write_files(root, {k: v for k, v in files.items() if not v.startswith(LINK)})
            for rel, value in files.items():
                if value.startswith(LINK):
                    (root / rel).parent.mkdir(parents=True, exist_ok=True)
                    (root / rel).symlink_to(value.removeprefix(LINK))
            for manifest in (root / "packages").glob("*/package.json"):
                name = json.loads(manifest.read_text()).get("name")
                if isinstance(name, str):  # as npm links a workspace package
                    link = root / "node_modules" / name
                    link.parent.mkdir(parents=True, exist_ok=True)
                    link.symlink_to(manifest.parent)
            cases[f"{scenario}--{mode_name}"] = root
    return cases


def test_prgate_agrees_with_tsc_on_every_generated_case(tmp_path: Path) -> None:
    cases = _workspaces(tmp_path)
    configs = {name: _projects(root) for name, root in cases.items()}
    workspaces = {name: _package_names(root) for name, root in cases.items()}
    claimed = {name: _alias_claims(root) for name, root in cases.items()}
    verdicts = judge([c for cs in configs.values() for c in cs])
    expected: dict[str, set[tuple[str, str, int | None]]] = {name: set() for name in cases}
    for d in verdicts:
        if d.file is None:
            continue
        case = d.config.relative_to(tmp_path).parts[0]
        rel = (
            d.file.relative_to(cases[case]).as_posix()
            if d.file.is_relative_to(cases[case])
            else None
        )
        if rel is None or "node_modules" in rel:
            continue
        if d.code in MISSING_REFERENCE:
            expected[case].add(("unresolved", rel, d.line))
        elif d.code in UNRESOLVED:
            name = _module_name(d.text)
            if name is not None and _external(name, workspaces[case]) and not claimed[case](name):
                continue  # a package's name: prgate leaves those to undeclared-dependency
            expected[case].add(("unresolved", rel, d.line))
        elif d.code == NO_JSX:
            expected[case].add(("jsx", rel, None))
    wrong = []
    for name, root in cases.items():
        report = check_repository(DirectoryView(root), RepoConfig(), only=["ts-imports"])
        result = report.results[0]
        assert result.error is None, (name, result.error)
        got = {
            (
                "unresolved" if f.rule == "ts-imports/unresolved" else "jsx",
                f.path,
                f.start_line if f.rule == "ts-imports/unresolved" else None,
            )
            for f in result.findings
            if f.level is Level.ERROR and not f.path.endswith("package.json")  # tsc says
            # nothing there; prgate names the field that points at a missing file
        }
        if got != expected[name]:
            wrong.append(
                f"{name}: tsc {sorted(expected[name], key=str)} prgate {sorted(got, key=str)}"
            )
    total = len(cases)
    assert not wrong, f"{total - len(wrong)}/{total} agree; differ:\n" + "\n".join(wrong)


def _package_names(root: Path) -> set[str]:
    """The workspace packages' names: their imports are judged like relative ones."""
    names = set()
    for manifest in root.rglob("package.json"):
        if "node_modules" not in manifest.relative_to(root).parts:
            name = json.loads(manifest.read_text()).get("name")
            if isinstance(name, str):
                names.add(name)
    return names


def _alias_claims(root: Path) -> Callable[[str], bool]:
    """Whether a config's alias claims a name: a ``paths`` key with a prefix before its
    ``*`` (or an exact key) matches it, or its first segment is a folder under ``baseUrl``.
    Such a name is the repository's own (no scenario declares a package of that name), so
    tsc's TS2307 on it is judged like a relative import's."""
    options = []
    for config in root.rglob("*.json"):
        if "node_modules" in config.parts or config.name == "package.json":
            continue
        compiler = json.loads(config.read_text()).get("compilerOptions", {})
        options.append((config.parent, compiler.get("paths") or {}, compiler.get("baseUrl")))

    def claims(name: str) -> bool:
        for folder, paths, base_url in options:
            for key in paths:
                prefix, star, suffix = key.partition("*")
                if (star and prefix and name.startswith(prefix) and name.endswith(suffix)) or (
                    not star and key == name
                ):
                    return True
            if base_url is not None and (folder / base_url / name.split("/")[0]).is_dir():
                return True
        return False

    return claims


def _external(name: str, workspace: set[str]) -> bool:
    """A name only a package from outside the repository could supply."""
    if is_relative(name) or not could_be_package(name):
        return False
    parts = name.split("/")
    return "/".join(parts[: 2 if name.startswith("@") else 1]) not in workspace


def _projects(root: Path) -> list[Path]:
    found = [p for p in root.rglob("tsconfig.json") if "node_modules" not in p.parts]
    for config in list(found):
        data = json.loads(config.read_text())
        for ref in data.get("references", []):
            target = (config.parent / ref["path"]).resolve()
            target = target if target.suffix == ".json" else target / "tsconfig.json"
            if target not in found:
                found.append(target)
    return found


@pytest.fixture(autouse=True)
def _typescript_installed() -> None:
    from tests.support.ts_oracle import typescript

    typescript()


def test_the_oracle_covers_every_mode_of_many_scenarios() -> None:
    assert len(SCENARIOS) * len(MODES) >= 400


def test_the_comparison_leaves_only_outside_packages_to_prgate() -> None:
    assert _external("react", {"@repo/ui"}) and _external("@scope/x/y", set())
    assert not _external("@repo/ui/card", {"@repo/ui"})
    assert not _external("./a", set()) and not _external("@/lib/a", set())
