"""The jest-collision check's settings (the ``jest-collision`` key of .github/prgate.yml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from workers.engine.settings_base import CheckSettings


class JestCollisionSettings(CheckSettings):
    run_from: list[str] = Field(
        default_factory=lambda: ["."],
        alias="run-from",
        description="Folders (repo-relative) your CI runs `jest` in; Jest's config is "
        "looked up from each, as Jest does.",
    )
    jest_version: Literal[29, 30] | None = Field(
        None,
        alias="jest-version",
        description="Jest major version to predict; default: from the `jest` dependency "
        "in package.json, else 30.",
    )
