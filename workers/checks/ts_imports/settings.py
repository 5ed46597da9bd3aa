"""The ts-imports check's settings (the ``ts-imports`` key of .github/prgate.yml)."""

from __future__ import annotations

from dataclasses import dataclass

from workers.engine.settings_base import CheckSettings, config_field


@dataclass(frozen=True)
class TsImportsSettings(CheckSettings):
    projects: list[str] = config_field(
        default_factory=list,
        description="More tsconfig files your CI compiles (`tsc -p <file>`), repo-relative. "
        "Every `tsconfig.json`, and every config one of them references, is a project "
        "already; a config that is only extended is not.",
    )


SETTINGS = TsImportsSettings  # the model engine.registry finds by this name
