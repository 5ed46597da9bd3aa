"""The jest-collision check's settings (the ``jest-collision`` key of .github/prgate.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from workers.engine.settings_base import CheckSettings, config_field


@dataclass(frozen=True)
class JestCollisionSettings(CheckSettings):
    run_from: list[str] = config_field(
        default_factory=lambda: ["."],
        alias="run-from",
        description="Folders (repo-relative) your CI runs `jest` in; Jest's config is "
        "looked up from each, as Jest does.",
    )
    jest_version: Literal[29, 30] | None = config_field(
        None,
        alias="jest-version",
        description="Jest major version to predict; default: from the `jest` dependency "
        "in package.json, else 30.",
    )


SETTINGS = JestCollisionSettings  # the model engine.registry finds by this name
