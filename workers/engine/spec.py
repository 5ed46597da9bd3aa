"""What a check is to the engine: its name, its rules, and the function that runs it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workers.engine.findings import CheckResult, RuleInfo

if TYPE_CHECKING:  # the config composes itself from the registry, which imports this
    from workers.engine.config import RepoConfig
    from workers.engine.views import RepoView


@dataclass(frozen=True)
class CheckSpec:
    name: str
    rules: tuple[RuleInfo, ...]
    run: Callable[[RepoView, RepoConfig], CheckResult]
    summary: str
