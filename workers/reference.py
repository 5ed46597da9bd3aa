"""The README's configuration reference, generated from the code's own models.

These tables are generated: the environment settings (``workers.shared.settings.Settings``),
the keys of ``.github/prgate.yml`` (``workers.engine.config.RepoConfig``)
followed by the rule names each check accepts under ``rules``, the metrics
``/metrics`` serves (``bot.metrics.Metrics``), and in each check's section the table of
its rules (``rules:<check>``, from the check's ``rules.py``). They sit in
README.md between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->``
markers; ``python3 dev.py docs`` rewrites them and a test fails when the README
is not what this module produces, so the reference cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from workers.engine.config import CONFIG_PATH, RepoConfig
from workers.engine.registry import registry
from workers.engine.settings_base import key_of
from workers.shared.names import CHECK_NAMES
from workers.shared.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _type_text(annotation: Any) -> str:
    """A reader's name for a field's type (YAML or environment terms, not Python's)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (Union, types.UnionType):
        kept = [a for a in args if a is not type(None)]
        return " or ".join(_type_text(a) for a in kept)
    if origin is list:
        return f"list of {_type_text(args[0])}"
    if origin is dict:
        return f"map of {_type_text(args[0])} to {_type_text(args[1])}"
    if hasattr(annotation, "__metadata__"):  # Annotated[...]
        return _type_text(get_args(annotation)[0])
    if dataclasses.is_dataclass(annotation):
        return "mapping"
    names = {str: "text", int: "whole number", float: "number", bool: "`true` \\| `false`"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(field: FieldInfo) -> Any:
    if field.default_factory is not None:
        return field.default_factory()  # type: ignore[call-arg]
    return None if field.default is PydanticUndefined else field.default


def _default_text(field: FieldInfo, *, env: bool = False) -> str:
    """The default as a reader writes it: YAML/JSON for the config file, the bare
    variable value for the environment."""
    extra = field.json_schema_extra
    if isinstance(extra, dict) and extra.get("shown_default"):
        return str(extra["shown_default"])
    if field.is_required():
        return "required"
    value = _default(field)
    if value is None:
        return "—"
    if isinstance(value, BaseModel):
        return ""
    if env:
        return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"
    return f"`{json.dumps(value)}`"


def settings_table() -> str:
    rows = ["| variable | meaning | default |", "|---|---|---|"]
    for field in Settings.model_fields.values():
        rows.append(
            f"| `{field.validation_alias}` | {_cell(field.description or '')} "
            f"| {_cell(_default_text(field, env=True))} |"
        )
    return "\n".join(rows)


def _config_default(field: dataclasses.Field[Any]) -> str:
    """A configuration field's default, as a reader writes it in YAML/JSON."""
    if field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
    elif field.default is dataclasses.MISSING:
        return "required"
    else:
        value = field.default
    if value is None:
        return "—"
    return "" if dataclasses.is_dataclass(value) else f"`{json.dumps(value)}`"


def _config_rows(model: type[Any], prefix: str) -> list[str]:
    """One row per key of a configuration dataclass (``workers.engine.settings_base``), then
    the rows of a section or a list of mappings under it."""
    rows = []
    hints = typing.get_type_hints(model)
    for field in dataclasses.fields(model):
        key = prefix + key_of(field)
        annotation = hints[field.name]
        rows.append(
            f"| `{key}` | {_type_text(annotation)} | {_cell(_config_default(field))} "
            f"| {_cell(field.metadata.get('description', ''))} |"
        )
        if dataclasses.is_dataclass(annotation):
            rows += _config_rows(annotation, key + ".")  # type: ignore[arg-type]
        elif get_origin(annotation) is list:
            (item,) = get_args(annotation)
            if dataclasses.is_dataclass(item):
                rows += _config_rows(item, key + "[].")  # type: ignore[arg-type]
    return rows


def config_table() -> str:
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    rows += _config_rows(RepoConfig, "")
    rules = ["", "Rule names accepted under `CHECK.rules`, with their default levels:", ""]
    rules += ["| check | rule | default level | finds |", "|---|---|---|---|"]
    for spec in registry().values():
        for rule in spec.rules:
            name = rule.id.partition("/")[2]
            rules.append(f"| `{spec.name}` | `{name}` | {rule.level} | {_cell(rule.summary)} |")
    return "\n".join([f"Keys of `{CONFIG_PATH}` (read from the base branch):", "", *rows, *rules])


def metrics_table() -> str:
    """Every family ``/metrics`` serves, read from the receiver's own registry, fed one
    sample per family so the labels show."""
    from bot.metrics import Metrics

    metrics = Metrics(lambda: {"QUEUE": (1, 1.0)}, lambda: {"jobs:JOB": 1.0})
    metrics.deliveries.labels(event="EVENT", outcome="OUTCOME").inc()
    rows = ["| metric | type | meaning |", "|---|---|---|"]
    for family in metrics.registry.collect():
        labels = sorted({k for sample in family.samples for k in sample.labels} - {"le"})
        suffix = "_total" if family.type == "counter" else ""
        name = family.name + suffix + ("{" + ",".join(labels) + "}" if labels else "")
        rows.append(f"| `{name}` | {family.type} | {_cell(family.documentation)} |")
    return "\n".join(rows)


def rules_table(check: str) -> str:
    """The table of one check's rules in its README section, from its ``rules.py``."""
    from workers.engine.registry import rules_of

    rows = ["| rule | level | what |", "|---|---|---|"]
    rows += [f"| `{r.id}` | {r.level.value} | {r.doc or r.summary} |" for r in rules_of(check)]
    return "\n".join(rows)


SECTIONS: dict[str, Callable[[], str]] = {
    "settings": settings_table,
    "config": config_table,
    "metrics": metrics_table,
    **{f"rules:{name}": functools.partial(rules_table, name) for name in CHECK_NAMES},
}


def render(readme: str) -> str:
    """The README with every generated section replaced by what the code says now."""
    for name, make in SECTIONS.items():
        pattern = re.compile(
            rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.DOTALL
        )
        found = pattern.search(readme)
        if not found:
            raise ValueError(f"README has no <!-- generated:{name} --> section")
        replaced = found.group(1) + make() + "\n" + found.group(2)
        readme = readme[: found.start()] + replaced + readme[found.end() :]
    return readme


def main(argv: list[str]) -> int:
    """``python -m workers.reference [--check] [README]``: rewrite or verify the README."""
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    path = Path(paths[0]) if paths else README
    current = path.read_text(encoding="utf-8")
    wanted = render(current)
    if current == wanted:
        return 0
    if check:
        print(f"{path} is out of date: run python3 dev.py docs", file=sys.stderr)
        return 1
    path.write_text(wanted, encoding="utf-8")
    print(f"updated the generated sections of {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
