"""The jest-collision check's rules: ids, levels, summaries and the text docs and SARIF show.

Nothing heavy is imported here: the configuration validates rule names and the registry
lists rules without loading the check."""

from __future__ import annotations

from workers.engine.findings import Level, rule

NAME = "jest-collision"


HASTE_MODULE = rule(
    NAME,
    "haste-module",
    Level.ERROR,
    "Two package.json files share a name in Jest's haste map",
    "Jest prints 'Haste module naming collision', drops the name, and every test that "
    "requires the package fails (with haste.throwOnModuleCollision Jest exits 1). Remove one "
    "copy from the haste map with modulePathIgnorePatterns, or generate smoke output outside "
    "the Jest workspace. testPathIgnorePatterns does not help: it only filters test files.",
    doc="two or more `package.json` with one `name`; every file is listed",
)


DUPLICATE_MOCK = rule(
    NAME,
    "duplicate-mock",
    Level.WARNING,
    "Two manual mocks have the same name",
    "Jest prints 'duplicate manual mock found' and uses whichever it saw last.",
    doc="manual mocks (`__mocks__/`) with one name",
)


INVALID_PACKAGE_JSON = rule(
    NAME,
    "invalid-package-json",
    Level.ERROR,
    "A package.json Jest cannot parse",
    "Jest reads every package.json in its roots; one that is not JSON (a BOM, an empty file, "
    "a trailing comma) makes it exit 1 with 'Cannot parse ... as JSON'.",
    doc="a `package.json` Jest cannot parse (it exits 1)",
)


CONFIG_ERROR = rule(
    NAME,
    "config-error",
    Level.ERROR,
    "A Jest configuration Jest itself rejects",
    "Jest exits 1 before running a test: two configuration files, a missing root, an "
    "invalid modulePathIgnorePatterns regex.",
    doc="a config Jest itself rejects (two config files, a missing root, a bad regex)",
)


UNPREDICTABLE = rule(
    NAME,
    "unpredictable",
    Level.NOTE,
    "prgate cannot predict Jest's haste map for this project",
    "The configuration runs code prgate will not run (a hasteImplModulePath, a module from "
    "node_modules) or could not be evaluated in the sandbox; the check reports that it "
    "could not run rather than a pass.",
    fixed="when prgate cannot predict Jest's haste map the check could not run, whatever "
    "this rule's level (never a pass); a repository that does not want the check sets "
    "`jest-collision: {enabled: false}`",
    doc=(
        'prgate will not guess; the check reports "could not run" (exit 2; on GitHub, action '
        "required), never a pass. Its level cannot be set and it cannot be allowed (`config "
        "validate` says so); a repository that does not want the check sets "
        "`jest-collision: {enabled: false}`"
    ),
)


RULES = (HASTE_MODULE, DUPLICATE_MOCK, INVALID_PACKAGE_JSON, CONFIG_ERROR, UNPREDICTABLE)
