"""The nx-generators check's rules: ids, levels, summaries and the text docs and SARIF show.

Nothing heavy is imported here: the configuration validates rule names and the registry
lists rules without loading the check."""

from __future__ import annotations

from workers.engine.findings import Level, rule

NAME = "nx-generators"


UNLOADABLE = rule(
    NAME,
    "unloadable",
    Level.ERROR,
    "A generator Nx cannot load",
    "Its factory or schema file is missing, or its collection or schema is not JSON: "
    "`nx g` fails before it writes anything.",
    doc=(
        "a generator Nx cannot load: its factory or schema file is missing, or its collection "
        "or schema is not JSON (`nx g` fails)"
    ),
)


NO_PROJECT = rule(
    NAME,
    "no-project",
    Level.ERROR,
    "A generator writes a new folder that Nx will not see as a project",
    "It writes files under a root computed from its options, and nothing makes that root "
    "a project: no project.json, no addProjectConfiguration, no package.json where the "
    "workspace infers projects. `nx show projects` does not list the result and `nx "
    "build/test/lint <name>` fail. A warning when the generator may well be file-only.",
    doc=(
        "it writes files under a new folder computed from its options (`libs/<name>`) and "
        "nothing makes that folder a project; a warning when it may well be file-only"
    ),
)


NO_TARGETS = rule(
    NAME,
    "no-targets",
    Level.ERROR,
    "A generator makes a project without the targets it names",
    "Its description names targets (build, test, lint, serve) that the project it makes "
    "does not define and that no inference plugin of the workspace supplies.",
    doc=(
        "it makes a project with no targets while its description names targets (build, test, "
        "lint, serve); a warning when nx.json has inference plugins that may supply them"
    ),
)


SCHEMA_MISMATCH = rule(
    NAME,
    "schema-mismatch",
    Level.WARNING,
    "A generator's options and its schema disagree",
    "The factory reads options its schema does not declare (Nx passes them through "
    "unchecked, and prompts for none), or the schema requires options it never reads.",
    doc=(
        "options the factory reads that its schema does not declare, and required options it "
        "never reads"
    ),
)


RULES = (UNLOADABLE, NO_PROJECT, NO_TARGETS, SCHEMA_MISMATCH)
