"""Repository configuration, ``.github/prgate.yml``.

Example::

    contamination:
      enabled: true
      rules:
        os-junk: note          # error | warning | note | off
    jest-collision:
      run-from: [".", "packages/web"]   # where CI runs jest (default: the root)
    paths-ignore:              # gitignore syntax, repo-relative
      - "fixtures/**"
    template-roots:            # folders that are rendered into projects
      - "blueprints/service"
    allow:                     # accepted exceptions; each needs a reason
      - path: "templates/demo/.env"
        rule: contamination/env-file
        reason: "demo values only, checked by security on 2026-01-05"

Unknown keys and wrong types are errors with the file's line number, so a typo
never turns a gate off silently. The App reads this file from the pull
request's base branch; ``prgate check --base REF`` does the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, PrivateAttr, ValidationError, create_model

from workers.engine.findings import Finding, Level
from workers.engine.settings_base import CheckSettings
from workers.engine.settings_base import Strict as _Strict

if TYPE_CHECKING:
    import pathspec
    import yaml

# yaml and pathspec are imported where used: most runs have no config file and
# no patterns, and start-up time is part of every `prgate check`.

CONFIG_PATH = ".github/prgate.yml"


BASELINE_PATH = ".github/prgate-baseline.json"


class ConfigError(Exception):
    """The configuration is invalid; the message names the file, line and key.

    ``problems`` holds the same as (1-based line, message without the source)
    pairs, for annotations on the file.
    """

    def __init__(self, message: str, problems: Sequence[tuple[int, str]] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)

    @classmethod
    def at(cls, source: str, problems: Sequence[tuple[int, str]]) -> ConfigError:
        return cls("\n".join(f"{source}:{line}: {msg}" for line, msg in problems), problems)


class AllowEntry(_Strict):
    path: str = Field(description="gitignore-style pattern of the paths this exception covers.")
    rule: str = Field(description="Full rule id, e.g. `contamination/env-file`.")
    reason: str = Field(min_length=1, description="Why the exception is accepted.")


class RepoConfigBase(_Strict):
    """The repository-wide settings and what every configuration can answer. The checks'
    own sections (``contamination``, ``jest-collision``, ...) are fields that
    ``RepoConfig`` adds from each check's settings model (``registry.SETTINGS``)."""

    # The repository-wide keys, declared for type checkers; at run time ``_compose`` adds
    # them after the checks' sections (REPO_FIELDS), the order the README documents.
    if TYPE_CHECKING:
        paths_ignore: list[str] = Field(default_factory=list)
        template_roots: list[str] = Field(default_factory=list)
        allow: list[AllowEntry] = Field(default_factory=list)
        baseline: str = BASELINE_PATH

    _accepted: frozenset[str] = PrivateAttr(default_factory=frozenset)

    def with_check(self, check: str, **updates: Any) -> RepoConfig:
        """This configuration with ``check``'s settings updated (``render=True``...)."""
        changed = self.settings(check).model_copy(update=updates)
        return self.model_copy(update={check.replace("-", "_"): changed})

    def with_baseline(self, fingerprints: frozenset[str]) -> RepoConfig:
        """This configuration, accepting the findings with these fingerprints."""
        copy = self.model_copy()
        copy._accepted = fingerprints
        return copy

    def accepted(self, finding: Finding) -> bool:
        return finding.fingerprint in self._accepted

    def settings(self, check: str) -> CheckSettings:
        value = getattr(self, check.replace("-", "_"))
        assert isinstance(value, CheckSettings)
        return value

    @cached_property
    def _ignore(self) -> pathspec.PathSpec[Any]:
        import pathspec

        return pathspec.PathSpec.from_lines("gitignore", self.paths_ignore)

    @cached_property
    def _allow(self) -> list[tuple[AllowEntry, pathspec.PathSpec[Any]]]:
        import pathspec

        return [(a, pathspec.PathSpec.from_lines("gitignore", [a.path])) for a in self.allow]

    def ignored(self, path: str) -> bool:
        return bool(self.paths_ignore) and self._ignore.match_file(path)

    def allowed(self, finding: Finding) -> str | None:
        """The reason of the first ``allow`` entry covering this finding, if any."""
        for entry, spec in self._allow:
            if entry.rule == finding.rule and spec.match_file(finding.path):
                return entry.reason
        return None

    def level_for(self, rule_id: str, default: Level) -> Level | None:
        """The configured level of a rule; None when the rule is switched off."""
        check, _, name = rule_id.partition("/")
        setting = self.settings(check).rules.get(name)
        if setting is None:
            return default
        return None if setting == "off" else Level(setting)


REPO_FIELDS: dict[str, Any] = {
    "paths_ignore": (
        list[str],
        Field(
            default_factory=list,
            alias="paths-ignore",
            description="gitignore-style patterns of paths no check reports on.",
        ),
    ),
    "template_roots": (
        list[str],
        Field(
            default_factory=list,
            alias="template-roots",
            description="Extra folders treated as template roots, besides the ones found.",
        ),
    ),
    "allow": (list[AllowEntry], Field(default_factory=list, description="Accepted exceptions.")),
    "baseline": (
        str,
        Field(
            BASELINE_PATH,
            description="Findings accepted as they are (`prgate baseline` writes the file), "
            "read from the same revision as this file; a finding in it does not fail.",
        ),
    ),
}


def _compose() -> type[RepoConfigBase]:
    """``RepoConfig``: each check's section (its settings model, by name from the registry,
    which never imports a check statically) before the repository-wide keys."""
    from workers.engine.registry import settings_model
    from workers.shared.names import CHECK_NAMES

    fields: dict[str, Any] = {}
    for name in CHECK_NAMES:
        section = settings_model(name)
        field = name.replace("-", "_")
        alias = name if field != name else None
        fields[field] = (
            section,
            Field(default_factory=section, alias=alias, description=f"The {name} check."),
        )
    composed: type[RepoConfigBase] = create_model(
        "RepoConfig", __base__=RepoConfigBase, __module__=__name__, **fields, **REPO_FIELDS
    )
    return composed


if TYPE_CHECKING:
    RepoConfig = RepoConfigBase
else:
    RepoConfig = _compose()


def parse_config(
    text: str, source: str = CONFIG_PATH, known_rules: Sequence[str] = ()
) -> RepoConfig:
    """Parse and validate config text; raise ConfigError naming line and key."""
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError.at(source, [(line, f"not valid YAML: {problem}")]) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError.at(
            source, [(1, f"the file must be a mapping of settings, not {type(data).__name__}")]
        )
    try:
        config = RepoConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = _line_of(node, loc)
            key = ".".join(str(p) for p in loc) or "(top level)"
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = f"unknown key; allowed here: {', '.join(_allowed_keys(loc))}"
            problems.append((line, f"{key}: {msg}"))
        raise ConfigError.at(source, problems) from exc
    _check_rules(config, node, source, known_rules)
    return config


def _check_rules(
    config: RepoConfig, node: yaml.Node | None, source: str, known: Sequence[str]
) -> None:
    if not known:
        return
    import pathspec

    problems: list[tuple[int, str]] = []
    for check in ("contamination", "jest-collision", "hook-validation"):
        names = sorted(r.split("/", 1)[1] for r in known if r.startswith(f"{check}/"))
        for name in config.settings(check).rules:
            if name not in names:
                line = _line_of(node, (check, "rules", name))
                problems.append(
                    (line, f"{check}.rules.{name}: unknown rule; "
                           f"{check} has: {', '.join(names) or '(none yet)'}")
                )  # fmt: skip
    for i, entry in enumerate(config.allow):
        if entry.rule not in known:
            line = _line_of(node, ("allow", i, "rule"))
            problems.append(
                (line, f"allow.{i}.rule: unknown rule id {entry.rule!r} "
                       "(use the full id, e.g. contamination/env-file)")
            )  # fmt: skip
    for key, patterns in (("paths-ignore", config.paths_ignore),):
        for i, pattern in enumerate(patterns):
            try:
                pathspec.PathSpec.from_lines("gitignore", [pattern])
            except ValueError as exc:
                problems.append((_line_of(node, (key, i)), f"{key}.{i}: {exc}"))
    if problems:
        raise ConfigError.at(source, problems)


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = RepoConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = next(
            (f for n, f in model.model_fields.items() if part in (n, f.alias)),
            None,
        )
        ann = getattr(field, "annotation", None) if field else None
        args = getattr(ann, "__args__", ())
        candidates = [a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not candidates:
            return []
        model = candidates[0]
    return [f.alias or n for n, f in model.model_fields.items()]


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """1-based line of the deepest YAML node along ``loc`` (the key itself when it exists)."""
    import yaml

    line = 1 if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def config_schema() -> Mapping[str, Any]:
    """JSON schema of the configuration, for editors (``prgate config schema``; the copy in
    ``docs/prgate.schema.json`` is held equal to it by a test)."""
    schema = RepoConfig.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "prgate configuration (.github/prgate.yml)",
        **{k: v for k, v in schema.items() if k != "title"},
    }
