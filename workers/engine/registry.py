"""The checks prgate knows, found by their stable names (``workers.shared.names``).

A check named ``x-y`` is the package ``workers.checks.x_y``, laid out the same way for
every check (docs/architecture.md, "How to add a check"):

* ``rules.py``: ``NAME`` and ``RULES``, the rules (``findings.rule``); light to import,
  so validating a configuration's rule names loads no check;
* ``check.py``: ``SPEC``, the check itself; imported only when it runs (``spec``), so
  ``prgate check --only jest-collision`` does not load the other checks;
* ``settings.py`` (optional): ``SETTINGS``, the model of its section of
  .github/prgate.yml; without one, the section has only ``enabled`` and ``rules``.

Nothing here lists the checks a second time: the rule ids, the settings models, the
schema, SARIF's rule metadata and the README's tables all derive from these modules.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

from workers.engine.findings import RuleInfo
from workers.engine.settings_base import CheckSettings
from workers.shared.names import CHECK_NAMES

if TYPE_CHECKING:  # a check's SPEC is one; the registry only hands it on
    from workers.engine.spec import CheckSpec


def package(name: str) -> str:
    """The package of the check ``name`` (``ts-imports`` -> ``workers.checks.ts_imports``)."""
    return "workers.checks." + name.replace("-", "_")


def rules_of(name: str) -> tuple[RuleInfo, ...]:
    """The rules the check ``name`` declares (its ``rules.py``: no check is loaded)."""
    found: tuple[RuleInfo, ...] = importlib.import_module(f"{package(name)}.rules").RULES
    return found


def settings_model(name: str) -> type[CheckSettings]:
    """The settings model of the check ``name`` (its ``settings.py``: no check is loaded)."""
    module = f"{package(name)}.settings"
    if importlib.util.find_spec(module) is None:
        return CheckSettings
    found: type[CheckSettings] = importlib.import_module(module).SETTINGS
    return found


def spec(name: str) -> CheckSpec:
    """The check ``name`` (one of CHECK_NAMES), importing its module now."""
    found: CheckSpec = importlib.import_module(f"{package(name)}.check").SPEC
    return found


def registry() -> dict[str, CheckSpec]:
    """Every check, in contract order (imports them all)."""
    return {name: spec(name) for name in CHECK_NAMES}


def all_rules() -> list[RuleInfo]:
    return [rule for s in registry().values() for rule in s.rules]


def rule_ids() -> list[str]:
    """Every rule id, for validating a configuration's rule keys (``parse_config``)."""
    return [r.id for name in CHECK_NAMES for r in rules_of(name)]


def fixed_rules() -> dict[str, str]:
    """Rule id -> why a repository may not set its level or allow it (``RuleInfo.fixed``)."""
    return {r.id: r.fixed for name in CHECK_NAMES for r in rules_of(name) if r.fixed}
