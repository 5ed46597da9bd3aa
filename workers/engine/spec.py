"""What a check is to the engine: its name, its rules, and the function that runs it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workers.engine.config import RepoConfig
from workers.engine.findings import CheckResult, RuleInfo
from workers.engine.repo import RepoView


@dataclass(frozen=True)
class CheckSpec:
    name: str
    rules: tuple[RuleInfo, ...]
    run: Callable[[RepoView, RepoConfig], CheckResult]
    summary: str
