"""The checks prgate knows, by their stable names (``workers.shared.names``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workers.engine.config import RepoConfig
from workers.engine.findings import CheckResult, RuleInfo
from workers.engine.repo import RepoView
from workers.shared.names import CHECK_NAMES


@dataclass(frozen=True)
class CheckSpec:
    name: str
    rules: tuple[RuleInfo, ...]
    run: Callable[[RepoView, RepoConfig], CheckResult]
    summary: str


def registry() -> dict[str, CheckSpec]:
    """Implemented checks in contract order. Imported lazily so the CLI starts fast."""
    from workers.checks import contamination, hook_validation, jest_collision

    specs = [contamination.SPEC, jest_collision.SPEC, hook_validation.SPEC]
    return {s.name: s for s in sorted(specs, key=lambda s: CHECK_NAMES.index(s.name))}


def all_rules() -> list[RuleInfo]:
    return [rule for spec in registry().values() for rule in spec.rules]


def rule_ids() -> list[str]:
    """Every rule id, for validating a configuration's rule keys (``parse_config``)."""
    return [rule.id for rule in all_rules()]
