"""Copier questions used in paths, and whether their validators really reject unsafe answers.

Validators are evaluated the way Copier 9 evaluates them (``Question.validate_answer``):
rendered in a Jinja ``SandboxedEnvironment`` with ``AnsibleCoreFiltersExtension``
and ``{name: answer}``; any non-empty output, or an exception, rejects the
answer. The sandbox is Jinja's; a template's own ``_jinja_extensions`` are
never loaded (that would run the pull request's code), so validators that need
them are reported as not evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

UNSAFE_ANSWERS = ("../x", "a/b", "/abs", "", "abc\n", "~x", ".", "a\\b")
SAFE_TYPES = {"int", "float", "bool", "json", "yaml"}


@dataclass(frozen=True)
class PathQuestion:
    name: str
    used_in: tuple[str, ...]  # where it appears: path segments, _subdirectory, ...
    problem: str | None  # None: the validator rejects every unsafe answer


def jinja_names(text: str) -> set[str]:
    """Variables a Jinja snippet reads (Copier's ``_``-prefixed internals left out)."""
    if "{{" not in text and "{%" not in text:
        return set()
    from jinja2 import TemplateError, meta

    try:
        # find_undeclared_variables compiles, so filters must be known: Copier's set
        names = meta.find_undeclared_variables(jinja_env().parse(text))
    except TemplateError:  # a filter from the template's own extensions, or broken Jinja
        names = set(re.findall(r"\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)", text))
    return {n for n in names if not n.startswith("_")}


def jinja_env() -> Any:
    """A Jinja sandbox with Copier's filter set (no template extensions)."""
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"])


def rejects(validator: str, name: str, answer: str) -> bool | None:
    """Whether Copier would reject ``answer``; None when the validator cannot be evaluated here."""
    from jinja2 import TemplateSyntaxError
    from jinja2.sandbox import SandboxedEnvironment

    try:
        env = SandboxedEnvironment(
            extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"]
        )
        template = env.from_string(validator)
    except TemplateSyntaxError:
        return None
    try:
        return bool(str(template.render({name: answer})).strip())
    except Exception:
        return True


def _safe_choices(spec: dict[str, Any]) -> bool:
    choices = spec.get("choices")
    if isinstance(choices, dict):
        choices = list(choices.values())
    if not isinstance(choices, list) or not choices:
        return False
    return all(
        isinstance(c, str | int | float)
        and str(c)
        and not re.search(r"[/\\\n]|\.\.", str(c))
        and not str(c).startswith((".", "~"))
        for c in choices
    )


def check_question(name: str, spec: Any, used_in: tuple[str, ...]) -> PathQuestion:
    if not isinstance(spec, dict):
        return PathQuestion(name, used_in, "has no validator, so any answer, '../x' or 'a/b' "
                            "included, becomes part of a path")  # fmt: skip
    if str(spec.get("type", "str")) in SAFE_TYPES or _safe_choices(spec):
        return PathQuestion(name, used_in, None)
    validator = spec.get("validator")
    if not isinstance(validator, str) or not validator.strip():
        return PathQuestion(name, used_in, "has no validator, so any answer, '../x' or 'a/b' "
                            "included, becomes part of a path")  # fmt: skip
    if spec.get("when") is False or str(spec.get("when", "")).strip().lower() == "false":
        return PathQuestion(name, used_in, "has `when: false`: Copier never asks it and never "
                            "runs its validator on the default")  # fmt: skip
    if spec.get("secret"):
        return PathQuestion(name, used_in, "is `secret`: Copier does not validate secret defaults")
    accepted = []
    for answer in UNSAFE_ANSWERS:
        verdict = rejects(validator, name, answer)
        if verdict is None:
            return PathQuestion(name, used_in, "has a validator prgate cannot evaluate "
                                "(it does not parse)")  # fmt: skip
        if not verdict:
            accepted.append(answer)
    if accepted:
        shown = ", ".join(repr(a) for a in accepted)
        hint = (
            " (a `$`-anchored regex accepts a trailing newline; anchor with `\\Z`)"
            if "abc\n" in accepted and "$" in validator
            else ""
        )
        return PathQuestion(name, used_in, f"has a validator that accepts {shown}{hint}")
    return PathQuestion(name, used_in, None)
