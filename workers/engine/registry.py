"""The checks prgate knows, by their stable names (``workers.shared.names``).

A check's module is imported only when it runs (``spec``), so ``prgate check
--only jest-collision`` does not load the other checks. The rule ids are listed
here too, for validating a configuration's rule keys without importing every
check; ``tests/test_reference.py`` holds them equal to the checks' own rules.
"""

from __future__ import annotations

import importlib

from workers.engine.findings import RuleInfo
from workers.engine.settings_base import CheckSettings
from workers.engine.spec import CheckSpec
from workers.shared.names import CHECK_NAMES

MODULES = {
    "contamination": "workers.checks.contamination.check",
    "jest-collision": "workers.checks.jest_collision.check",
    "hook-validation": "workers.checks.hook_validation.check",
    "ts-imports": "workers.checks.ts_imports.check",
    "nx-generators": "workers.checks.nx_generators.check",
}
RULE_IDS = (
    "contamination/env-file",
    "contamination/backup-file",
    "contamination/local-state",
    "contamination/build-artifact",
    "contamination/os-junk",
    "contamination/symlink",
    "contamination/secret",
    "jest-collision/haste-module",
    "jest-collision/duplicate-mock",
    "jest-collision/invalid-package-json",
    "jest-collision/config-error",
    "jest-collision/unpredictable",
    "hook-validation/missing-task-script",
    "hook-validation/relative-task-script",
    "hook-validation/dead-hook",
    "hook-validation/hooks-rendered",
    "hook-validation/context-file",
    "hook-validation/silent-skip",
    "hook-validation/env-answers",
    "hook-validation/error-exit-zero",
    "hook-validation/no-input",
    "hook-validation/unparsable-hook",
    "hook-validation/copierignore",
    "hook-validation/exclude-drops-defaults",
    "hook-validation/unvalidated-path-question",
    "hook-validation/shell-interpolation",
    "hook-validation/one-shot-task",
    "hook-validation/render-failed",
    "hook-validation/unsafe-answer-accepted",
    "hook-validation/rendered-contamination",
    "hook-validation/leaked-machinery",
    "hook-validation/pytest-copier-paths",
    "ts-imports/unresolved",
    "ts-imports/undeclared-dependency",
    "ts-imports/jsx-not-enabled",
    "nx-generators/unloadable",
    "nx-generators/no-project",
    "nx-generators/no-targets",
    "nx-generators/schema-mismatch",
)

# Rules whose finding records why a check could not run: a level or an `allow` would change
# the finding, never the could-not-run verdict it explains, so the configuration refuses them.
FIXED_RULES = {
    "jest-collision/unpredictable": "when prgate cannot predict Jest's haste map the check "
    "could not run, whatever this rule's level (never a pass); a repository that does not "
    "want the check sets `jest-collision: {enabled: false}`",
}


# Each check's settings model ("module:Class"): its section of .github/prgate.yml.
SETTINGS = {
    "contamination": "workers.engine.settings_base:CheckSettings",
    "jest-collision": "workers.checks.jest_collision.settings:JestCollisionSettings",
    "hook-validation": "workers.checks.hook_validation.settings:HookValidationSettings",
    "ts-imports": "workers.checks.ts_imports.settings:TsImportsSettings",
    "nx-generators": "workers.engine.settings_base:CheckSettings",
}


def settings_model(name: str) -> type[CheckSettings]:
    """The settings model of the check ``name`` (a small module: no check is loaded)."""
    module, _, cls = SETTINGS[name].partition(":")
    found: type[CheckSettings] = getattr(importlib.import_module(module), cls)
    return found


def spec(name: str) -> CheckSpec:
    """The check ``name`` (one of CHECK_NAMES), importing its module now."""
    found: CheckSpec = importlib.import_module(MODULES[name]).SPEC
    return found


def registry() -> dict[str, CheckSpec]:
    """Every check, in contract order (imports them all)."""
    return {name: spec(name) for name in CHECK_NAMES}


def all_rules() -> list[RuleInfo]:
    return [rule for s in registry().values() for rule in s.rules]


def rule_ids() -> list[str]:
    """Every rule id, for validating a configuration's rule keys (``parse_config``)."""
    return list(RULE_IDS)
