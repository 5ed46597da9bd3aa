"""The hook-validation check's settings (the ``hook-validation`` key of .github/prgate.yml)."""

from __future__ import annotations

from dataclasses import dataclass

from workers.engine.settings_base import CheckSettings, config_field


@dataclass(frozen=True)
class HookValidationSettings(CheckSettings):
    render: bool = config_field(
        False,
        description="Render the template (defaults and unsafe answers) in a sandbox and check "
        "what comes out; on the App only for trusted authors or an approved head.",
    )


SETTINGS = HookValidationSettings  # the model engine.registry finds by this name
