"""What every check's settings share, and how every configuration model is declared.

A check's own settings model (``workers/checks/<check>/settings.py``) extends
``CheckSettings``; the engine composes ``RepoConfig`` from them by name
(``workers.engine.config``), so adding a check does not mean editing the engine's models.

The models are frozen standard-library dataclasses, not pydantic models: every
``prgate check`` builds them, and most runs have no configuration file to
validate, so pydantic is imported only when a file is read (``parse_config``)
or the schema is asked for. pydantic validates a dataclass the way it would a
model of its own: it reads each field's ``alias``, ``description`` and
constraints from the field's metadata (``config_field()``) and the class's
``__pydantic_config__``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

RuleSetting = Literal["error", "warning", "note", "off"]

# pydantic's model config, as a plain dict (no pydantic import): unknown keys are errors,
# and a key may be written as its alias (`run-from`) or its field name.
STRICT: dict[str, Any] = {"extra": "forbid", "populate_by_name": True}


def config_field(
    default: Any = dataclasses.MISSING,
    *,
    default_factory: Callable[[], Any] | Any = dataclasses.MISSING,
    alias: str | None = None,
    description: str,
    **constraints: Any,
) -> Any:
    """A configuration field: its default, the key the file uses (``alias``), its meaning
    (the README and the JSON schema show it) and pydantic constraints (``min_length``...)."""
    metadata = {"description": description, **constraints}
    if alias is not None:
        metadata["alias"] = alias
    return dataclasses.field(default=default, default_factory=default_factory, metadata=metadata)


def key_of(field: dataclasses.Field[Any]) -> str:
    """The key a configuration file uses for this field."""
    alias = field.metadata.get("alias")
    return alias if isinstance(alias, str) else field.name


@dataclass(frozen=True)
class CheckSettings:
    __pydantic_config__: ClassVar[dict[str, Any]] = STRICT

    enabled: bool = config_field(
        True, description="Run this check; `false` concludes its run as skipped."
    )
    rules: dict[str, RuleSetting] = config_field(
        default_factory=dict,
        description="Per-rule level override by rule name (without the check prefix), or `off`.",
    )
