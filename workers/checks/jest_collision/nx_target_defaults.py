"""nx.json's ``targetDefaults``, as far as they decide which Jest projects Nx lists.

Two shapes are modelled, because real Nx 18.3.5, 20.0.3 and 23.2.1 agree on them
(``getJestProjectsAsync()``; ``tests/checks/jest_collision/test_nx_vs_real_nx.py``
compares 23.2.1):

* a default keyed by a Jest executor that sets only ``options.jestConfig``: the
  executor's targets that do not set ``jestConfig`` take it (Nx's workspaces of the
  16 to 20 era carry ``"@nx/jest:jest": {"options": {"jestConfig":
  "{projectRoot}/jest.config.ts"}}``);
* a default keyed by a target's name that gives a Jest executor (and perhaps a
  ``jestConfig``), as ``create-nx-plugin`` writes for ``e2e``: a target of that name
  with no executor takes it; one with the same executor takes the ``jestConfig``; one
  whose executor has a key of its own, or another executor, is left as it is.

For a target, the key of its executor wins over the key of its name, whatever the key
holds; the target's own values win over the default's. Any other default that could
change what a target runs (another executor's key, a glob, a command, Nx 23's list
form, a default a plugin's inferred target could take) is Unpredictable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workers.checks.jest_collision.tree import Unpredictable

JEST_EXECUTORS = ("@nx/jest:jest", "@nrwl/jest:jest")
# Option keys that decide which Jest projects a target gives ("...": Nx's spread token).
RELEVANT = ("executor", "command", "commands", "cwd", "jestConfig", "...")
GLOB = set("*?[]{}!")
# Nx's plugins that infer targets of one name each (options.targetName, else this one)
INFERRING = {"@nx/jest/plugin": "test", "@nx/eslint/plugin": "lint"}


@dataclass(frozen=True)
class Named:
    """A default keyed by a target's name: the Jest executor it gives, and its jestConfig."""

    executor: str
    jest_config: str | None


@dataclass
class TargetDefaults:
    keys: frozenset[str] = frozenset()
    jest: dict[str, str] = field(default_factory=dict)  # Jest executor -> jestConfig
    named: dict[str, Named] = field(default_factory=dict)  # target name -> its default

    def __bool__(self) -> bool:
        return bool(self.jest or self.named)

    def first(self) -> str:
        return next(iter([*self.jest, *self.named]))

    def apply(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """The target ``name`` (``body``, its command sugar already an executor) with what
        these defaults give it."""
        executor = body.get("executor")
        if executor is not None and executor in self.keys:
            config = self.jest.get(executor)
            return _fill(body, config) if config is not None else body
        named = self.named.get(name)
        if named is None or executor not in (None, named.executor):
            return body  # another executor: Nx drops the incompatible default
        return _fill({**body, "executor": named.executor}, named.jest_config)

    def check_plugins(self, plugins: list[Any]) -> None:
        """Unpredictable when a plugin could infer a target that a named default changes."""
        for entry in plugins:
            name = entry if isinstance(entry, str) else entry.get("plugin")
            options = entry.get("options") if isinstance(entry, dict) else None
            inferred = INFERRING.get(str(name))
            if isinstance(options, dict) and inferred is not None:
                inferred = str(options.get("targetName", inferred))
            if inferred is None or inferred in self.named:
                key = inferred if inferred in self.named else next(iter(self.named))
                raise Unpredictable(
                    f"nx.json: targetDefaults[{key!r}] gives a target what it runs, and the "
                    f"plugin {name!r} may infer a target of that name; prgate does not "
                    "merge target defaults into inferred targets",
                    "nx.json",
                )


def _fill(body: dict[str, Any], config: str | None) -> dict[str, Any]:
    options: dict[str, Any] = body["options"] if isinstance(body.get("options"), dict) else {}
    if config is None or "jestConfig" in options:
        return body
    return {**body, "options": {**options, "jestConfig": config}}


def read(raw: Any) -> TargetDefaults:
    """nx.json's ``targetDefaults``; Unpredictable for a relevant shape not modelled."""
    found = TargetDefaults()
    if not isinstance(raw, dict):
        return found
    found.keys = frozenset(raw)
    for key, default in raw.items():
        entries = default if isinstance(default, list) else [default]
        if not any(isinstance(e, dict) and relevant(e) for e in entries):
            continue
        if isinstance(default, dict):
            if key in JEST_EXECUTORS and _only_jest_config(default, executor=False):
                found.jest[key] = default["options"]["jestConfig"]
                continue
            if ":" not in key and not GLOB & set(key) and _only_jest_config(default, True):
                options = default.get("options") or {}
                found.named[key] = Named(default["executor"], options.get("jestConfig"))
                continue
        raise Unpredictable(
            f"nx.json: targetDefaults[{key!r}] sets what a target runs; prgate merges only "
            "a jestConfig given to the Jest executor, and a Jest executor given to a target "
            "name",
            "nx.json",
        )
    return found


def _only_jest_config(default: dict[str, Any], executor: bool) -> bool:
    """Whether a default sets, of what decides the Jest projects, only a string
    ``options.jestConfig`` (``executor``: and a Jest executor, the jestConfig optional)."""
    if any(k in default for k in ("command", "...")):
        return False
    if executor != ("executor" in default) or default.get("executor", JEST_EXECUTORS[0]) not in (
        JEST_EXECUTORS
    ):
        return False
    configurations = default.get("configurations") or {}
    if not isinstance(configurations, dict) or any(
        isinstance(c, dict) and any(k in c for k in RELEVANT) for c in configurations.values()
    ):
        return False
    options = default.get("options", {})
    if not isinstance(options, dict):
        return False
    keys = {k for k in RELEVANT if k in options}
    if keys - {"jestConfig"} or (
        "jestConfig" in keys and not isinstance(options["jestConfig"], str)
    ):
        return False
    return executor or keys == {"jestConfig"}


def relevant(body: dict[str, Any]) -> bool:
    """Whether a target (or target default) sets what decides the Jest projects."""
    if any(k in body for k in ("executor", "command", "...")):
        return True
    blocks = [body.get("options"), *((body.get("configurations") or {}).values())]
    return any(isinstance(b, dict) and any(k in b for k in RELEVANT) for b in blocks)
