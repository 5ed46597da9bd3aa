"""What every check's settings share, and the strict model all configuration models use.

A check's own settings model (``workers/checks/<check>/settings.py``) extends
``CheckSettings``; the engine composes ``RepoConfig`` from them by name
(``workers.engine.config``), so adding a check does not mean editing the engine's models.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _yaml_off(value: object) -> object:
    # YAML 1.1 reads an unquoted `off` (and `no`) as false; that is what the user meant.
    return "off" if value is False else value


RuleSetting = Annotated[Literal["error", "warning", "note", "off"], BeforeValidator(_yaml_off)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class CheckSettings(Strict):
    enabled: bool = Field(True, description="Run this check; `false` concludes its run as skipped.")
    rules: dict[str, RuleSetting] = Field(
        default_factory=dict,
        description="Per-rule level override by rule name (without the check prefix), or `off`.",
    )
