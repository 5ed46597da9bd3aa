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

import dataclasses
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from workers.engine.findings import Finding, Level
from workers.engine.settings_base import STRICT, CheckSettings, config_field, key_of

if TYPE_CHECKING:
    import pathspec
    import yaml
    from pydantic import TypeAdapter

# yaml, pathspec and pydantic are imported where used: most runs have no config file and
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


@dataclass(frozen=True)
class AllowEntry:
    __pydantic_config__: ClassVar[dict[str, Any]] = STRICT

    path: str = config_field(
        description="gitignore-style pattern of the paths this exception covers."
    )
    rule: str = config_field(description="Full rule id, e.g. `contamination/env-file`.")
    reason: str = config_field(min_length=1, description="Why the exception is accepted.")


class RepoConfigBase:
    """The repository-wide settings and what every configuration can answer. ``RepoConfig``
    is the frozen dataclass made of the checks' own sections (``contamination``,
    ``jest-collision``, ...: each check's settings model, ``registry.settings_model``) and the
    repository-wide keys (``REPO_FIELDS``), in the order the README documents."""

    __pydantic_config__: ClassVar[dict[str, Any]] = STRICT

    if TYPE_CHECKING:  # the fields ``_compose`` adds, declared for type checkers
        paths_ignore: list[str]
        template_roots: list[str]
        allow: list[AllowEntry]
        baseline: str
        could_not_run: CouldNotRun

        def __init__(self, **fields: Any) -> None: ...

    def _replace(self, **changes: Any) -> RepoConfig:
        copy = dataclasses.replace(self, **changes)  # type: ignore[type-var]
        copy.__dict__["_accepted"] = self._accepted
        return copy

    @property
    def _accepted(self) -> frozenset[str]:
        found = self.__dict__.get("_accepted", frozenset())
        assert isinstance(found, frozenset)
        return found

    def with_check(self, check: str, **updates: Any) -> RepoConfig:
        """This configuration with ``check``'s settings updated (``render=True``...)."""
        changed = dataclasses.replace(self.settings(check), **updates)
        return self._replace(**{check.replace("-", "_"): changed})

    def with_baseline(self, fingerprints: frozenset[str]) -> RepoConfig:
        """This configuration, accepting the findings with these fingerprints."""
        copy = self._replace()
        copy.__dict__["_accepted"] = fingerprints
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


CouldNotRun = Literal["block", "neutral"]

REPO_FIELDS: list[tuple[str, Any, Any]] = [
    (
        "paths_ignore",
        list[str],
        config_field(
            default_factory=list,
            alias="paths-ignore",
            description="gitignore-style patterns of paths no check reports on.",
        ),
    ),
    (
        "template_roots",
        list[str],
        config_field(
            default_factory=list,
            alias="template-roots",
            description="Extra folders treated as template roots, besides the ones found.",
        ),
    ),
    (
        "allow",
        list[AllowEntry],
        config_field(default_factory=list, description="Accepted exceptions."),
    ),
    (
        "baseline",
        str,
        config_field(
            BASELINE_PATH,
            description="Findings accepted as they are (`prgate baseline` writes the file), "
            "read from the same revision as this file; a finding in it does not fail.",
        ),
    ),
    (
        "could_not_run",
        CouldNotRun,
        config_field(
            "block",
            alias="could-not-run",
            description="How the App concludes a check run that could not judge (a crash, a "
            "timeout, a file it could not read). `block` (the default): `action_required`, "
            "which branch protection does not accept, until the run passes or someone with "
            "write access runs `/prgate accept`. `neutral` WEAKENS THE GATE: GitHub counts "
            "neutral as passing, so a pull request that makes a check fail to run can merge.",
        ),
    ),
]


def _compose() -> type[RepoConfigBase]:
    """``RepoConfig``: each check's section (its settings model, by name from the registry,
    which never imports a check statically) before the repository-wide keys."""
    from workers.engine.registry import settings_model
    from workers.shared.names import CHECK_NAMES

    fields: list[tuple[str, Any, Any]] = []
    for name in CHECK_NAMES:
        section = settings_model(name)
        field = name.replace("-", "_")
        fields.append(
            (
                field,
                section,
                config_field(
                    default_factory=section,
                    alias=name if field != name else None,
                    description=f"The {name} check.",
                ),
            )
        )
    composed: type[RepoConfigBase] = dataclasses.make_dataclass(
        "RepoConfig",
        [*fields, *REPO_FIELDS],
        bases=(RepoConfigBase,),
        namespace={"__module__": __name__},
        frozen=True,
    )
    return composed


if TYPE_CHECKING:
    RepoConfig = RepoConfigBase
else:
    RepoConfig = _compose()


def config_from(data: Mapping[str, Any]) -> RepoConfig:
    """A configuration from already-parsed data (a YAML mapping); pydantic's
    ``ValidationError`` when it does not fit (``parse_config`` turns that into lines)."""
    return _adapter().validate_python(_yaml_off(data))


@cache
def _adapter() -> TypeAdapter[RepoConfig]:
    """pydantic's validator of ``RepoConfig``, built on first use."""
    from pydantic import TypeAdapter

    return TypeAdapter(RepoConfig)


def _yaml_off(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """YAML 1.1 reads an unquoted `off` (and `no`) as false; under ``rules`` that is what
    the user meant."""
    fixed = dict(data)
    for key, section in data.items():
        rules = section.get("rules") if isinstance(section, dict) else None
        if isinstance(rules, dict) and False in rules.values():
            fixed[key] = {
                **section,
                "rules": {k: "off" if v is False else v for k, v in rules.items()},
            }
    return fixed


def config_dump(config: RepoConfig) -> dict[str, Any]:
    """The configuration as plain data, with the keys a file uses (``/prgate config``)."""
    dumped: dict[str, Any] = _adapter().dump_python(config, by_alias=True, mode="json")
    return dumped


def parse_config(
    text: str, source: str = CONFIG_PATH, known_rules: Sequence[str] = ()
) -> RepoConfig:
    """Parse and validate config text; raise ConfigError naming line and key."""
    import yaml
    from pydantic import ValidationError

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        line = mark.line + 1 if mark is not None else 1
        column = mark.column + 1 if mark is not None else 1
        sentence = f"not valid YAML: {problem}" + (f" ({context})" if context else "")
        sentence = sentence.replace("'<stream end>'", "the end of the file")
        raise ConfigError(f"{source}:{line}:{column}: {sentence}", [(line, sentence)]) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError.at(
            source, [(1, f"the file must be a mapping of settings, not {type(data).__name__}")]
        )
    try:
        config = config_from(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = _line_of(node, loc)
            key = ".".join(str(p) for p in loc) or "(top level)"
            msg = err["msg"]
            if err["type"] in ("unexpected_keyword_argument", "extra_forbidden"):
                allowed = _allowed_keys(loc)
                msg = f"unknown key{_did_you_mean(str(loc[-1]), allowed)}; allowed here: " + (
                    ", ".join(allowed)
                )
            problems.append((line, f"{key}: {msg}"))
        # every problem of the file at once: the rules' names too, not in a second round
        problems += _rule_problems(data, node, known_rules)
        raise ConfigError.at(source, sorted(problems)) from exc
    _check_rules(config, data, node, source, known_rules)
    return config


def _did_you_mean(name: str, choices: Sequence[str]) -> str:
    """`` (did you mean `jest-collision`?)`` for a misspelt name, else ""."""
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.75)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _rule_problems(
    data: Mapping[str, Any], node: yaml.Node | None, known: Sequence[str]
) -> list[tuple[int, str]]:
    """Rule names the file uses that no check has (read from the raw file, so they are
    reported with any other problem, not after it is fixed)."""
    if not known:
        return []
    from workers.shared.names import CHECK_NAMES

    problems: list[tuple[int, str]] = []
    for check in CHECK_NAMES:
        names = sorted(r.split("/", 1)[1] for r in known if r.startswith(f"{check}/"))
        section = data.get(check)
        rules = section.get("rules") if isinstance(section, dict) else None
        for name in rules if isinstance(rules, dict) else ():
            if name not in names:
                line = _line_of(node, (check, "rules", name))
                problems.append(
                    (
                        line,
                        f"{check}.rules.{name}: unknown rule{_did_you_mean(str(name), names)}; "
                        f"{check} has: {', '.join(names) or '(none yet)'}",
                    )
                )
    from workers.engine.registry import fixed_rules

    fixed = fixed_rules()
    for rule_id, why in fixed.items():
        check, _, name = rule_id.partition("/")
        section = data.get(check)
        rules = section.get("rules") if isinstance(section, dict) else None
        if isinstance(rules, dict) and name in rules:
            line = _line_of(node, (check, "rules", name))
            problems.append((line, f"{check}.rules.{name}: cannot be set: {why}"))
    allow = data.get("allow")
    for i, entry in enumerate(allow if isinstance(allow, list) else ()):
        rule = entry.get("rule") if isinstance(entry, dict) else None
        if rule in fixed:
            line = _line_of(node, ("allow", i, "rule"))
            problems.append((line, f"allow.{i}.rule: {rule} cannot be allowed: {fixed[rule]}"))
            continue
        if isinstance(rule, str) and rule not in known:
            line = _line_of(node, ("allow", i, "rule"))
            problems.append(
                (
                    line,
                    f"allow.{i}.rule: unknown rule id {rule!r}{_did_you_mean(rule, known)} "
                    "(use the full id, e.g. contamination/env-file)",
                )
            )
    return problems


def _check_rules(
    config: RepoConfig,
    data: Mapping[str, Any],
    node: yaml.Node | None,
    source: str,
    known: Sequence[str],
) -> None:
    import pathspec

    problems = _rule_problems(data, node, known)
    for key, patterns in (("paths-ignore", config.paths_ignore),):
        for i, pattern in enumerate(patterns):
            try:
                pathspec.PathSpec.from_lines("gitignore", [pattern])
            except ValueError as exc:
                problems.append((_line_of(node, (key, i)), f"{key}.{i}: {exc}"))
    if problems:
        raise ConfigError.at(source, sorted(problems))


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = RepoConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        hints = typing.get_type_hints(model)
        field = next((f for f in dataclasses.fields(model) if part in (f.name, key_of(f))), None)
        ann = hints.get(field.name) if field else None
        args = getattr(ann, "__args__", ())
        candidates = [a for a in (ann, *args) if dataclasses.is_dataclass(a)]
        if not candidates:
            return []
        model = candidates[0]
    return [key_of(f) for f in dataclasses.fields(model)]


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
    schema = _adapter().json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "prgate configuration (.github/prgate.yml)",
        **{k: v for k, v in schema.items() if k != "title"},
    }
