"""The ts-imports check's rules: ids, levels, summaries and the text docs and SARIF show.

Nothing heavy is imported here: the configuration validates rule names and the registry
lists rules without loading the check."""

from __future__ import annotations

from workers.engine.findings import Level, rule

NAME = "ts-imports"


UNRESOLVED = rule(
    NAME,
    "unresolved",
    Level.ERROR,
    "TypeScript cannot find the module an import names",
    "tsc stops with TS2307 ('Cannot find module ... or its corresponding type "
    "declarations'): the file moved, a path alias (`paths`, `baseUrl`) does not map the "
    "name, or an extension or `index` file is not one TypeScript tries under the project's "
    "`moduleResolution`. Fix the import or the alias; the message lists what TypeScript "
    "tried and the nearest file that would match. An import that only a package prgate "
    "cannot see could satisfy (a base config or type declarations in node_modules) is a "
    "warning.",
    doc=(
        "a module name TypeScript cannot find; the message lists what it tried, the fix names "
        "the nearest file that would match"
    ),
)


UNDECLARED_DEPENDENCY = rule(
    NAME,
    "undeclared-dependency",
    Level.WARNING,
    "A package is imported that no package.json on the way up declares",
    "It resolves only while another package's dependency on it is hoisted into a "
    "node_modules TypeScript searches; a lockfile update or a stricter package manager "
    "(pnpm) removes it. Declare it in the importing package's package.json. A name the "
    "repository's own `paths` or `baseUrl` alias claims is `unresolved` instead.",
    doc=(
        "a package no `package.json` from the importing file up declares (nor a Node "
        "built-in, nor a workspace package)"
    ),
)


JSX_NOT_ENABLED = rule(
    NAME,
    "jsx-not-enabled",
    Level.ERROR,
    "JSX in a file whose TypeScript project does not set `jsx`",
    "tsc stops with TS17004 ('Cannot use JSX unless the --jsx flag is provided'). Set "
    "`compilerOptions.jsx` in the project's tsconfig (`react-jsx` for React 17 and later, "
    "`preserve` when a bundler compiles JSX).",
    doc="JSX in a file of a project whose effective `jsx` is unset",
)


RULES = (UNRESOLVED, UNDECLARED_DEPENDENCY, JSX_NOT_ENABLED)
