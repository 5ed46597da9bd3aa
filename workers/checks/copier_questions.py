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


def interpolated_names(text: str, envops: Any = None) -> set[str]:
    """Variables whose value a Jinja snippet writes into its output (``{{ name }}``), not
    those it only tests (``{% if name == 'x' %}file{% endif %}`` puts no answer in a path)."""
    if "{" not in text:
        return set()
    from jinja2 import TemplateError, nodes

    try:
        tree = jinja_env(envops).parse(text)
    except TemplateError:
        return jinja_names(text)  # not modelled: every name it reads, as before
    found: set[str] = set()
    for output in tree.find_all(nodes.Output):
        for expr in output.nodes:
            if not isinstance(expr, nodes.TemplateData):
                names = [expr, *expr.find_all(nodes.Name)]  # find_all skips the node itself
                found.update(n.name for n in names if isinstance(n, nodes.Name) and n.ctx == "load")
    return {n for n in found if not n.startswith("_")}


# Validators prgate suggests, most specific first; the first that accepts the question's
# default is offered (each rejects every one of UNSAFE_ANSWERS:
# tests/checks/hook_validation/test_real_templates.py).
SUGGESTED_PATTERNS = (
    ("^[a-z_][a-z0-9_]*\\Z", "lowercase letters, digits and _ (a Python import name)"),
    ("^[a-z][a-z0-9_-]*\\Z", "lowercase letters, digits, - and _"),
    ("^[A-Za-z0-9][A-Za-z0-9_.-]*\\Z", "letters and digits, then also ., - and _"),
)
IMPORT_NAME = re.compile(r"module|package|import|python|pkg|lib", re.IGNORECASE)


# For free text (a project's display name that others are computed from): refuse only
# what would break a path. In Jinja source, so its backslashes are escaped once more.
_PERMISSIVE = (
    r'{{% if not {name}.strip() or ({name} | regex_search("[/\\\\\\n]|\\.\\.|^[.~]")) %}}'
    r"use no /, \, .., newline, or leading . or ~{{% endif %}}"
)


def suggested_validator(name: str, spec: Any, free_text: bool = False) -> str:
    """A validator for a question used in a path: one that accepts its default and rejects
    every unsafe answer (``/``, ``\\``, ``..``, a leading ``.`` or ``~``, empty, newlines)."""
    default = spec.get("default") if isinstance(spec, dict) else spec
    if free_text:
        return _PERMISSIVE.format(name=name)
    candidates = list(SUGGESTED_PATTERNS)
    if not IMPORT_NAME.search(name):  # a slug first, unless the name says it is imported
        candidates[0], candidates[1] = candidates[1], candidates[0]
    plain = isinstance(default, str) and "{" not in default
    pattern, words = next(
        ((p, w) for p, w in candidates if not plain or re.match(p, str(default))),
        SUGGESTED_PATTERNS[-1],
    )
    escaped = pattern.replace("\\", "\\\\")  # a Jinja string literal unescapes it once
    return f'{{% if not ({name} | regex_search("{escaped}")) %}}use {words}{{% endif %}}'


def never_asked(spec: dict[str, Any]) -> bool:
    """Whether Copier never asks the question (``when: false``): its default is its value."""
    when = spec.get("when")
    return when is False or str(when).strip().lower() == "false"


_SAMPLE_TEXT = ("example", "example_project", "example-project", "Example Project", "Example")


def synthesize_answers(settings: dict[str, Any]) -> dict[str, Any]:
    """Sample answers for the questions Copier would refuse to leave unanswered (no
    default): from the question's type and choices, and for text the first sample its
    validator accepts. A render with defaults needs them; which were made up is said."""
    answers: dict[str, Any] = {}
    for name, spec in settings.items():
        if not isinstance(name, str) or name.startswith("_") or not isinstance(spec, dict):
            continue
        if "default" in spec and spec["default"] is not None:
            continue
        if never_asked(spec):
            continue
        kind = str(spec.get("type", "str"))
        choices = spec.get("choices")
        if isinstance(choices, dict) and choices:
            answers[name] = next(iter(choices.values()))
        elif isinstance(choices, list) and choices:
            first = choices[0]
            answers[name] = first[1] if isinstance(first, list) and len(first) == 2 else first
        elif kind == "bool":
            answers[name] = True
        elif kind == "int":
            answers[name] = 1
        elif kind == "float":
            answers[name] = 1.0
        elif kind in ("json", "yaml"):
            answers[name] = {}
        else:
            answers[name] = _sample_text(name, spec.get("validator"))
    return answers


def _sample_text(name: str, validator: Any) -> str:
    lowered = name.lower()
    samples: tuple[str, ...] = _SAMPLE_TEXT
    if "email" in lowered or "mail" in lowered:
        samples = ("someone@example.com", *samples)
    elif "url" in lowered or "homepage" in lowered or "repository" in lowered:
        samples = ("https://example.com/example", *samples)
    elif "version" in lowered:
        samples = ("0.1.0", *samples)
    if not isinstance(validator, str) or not validator.strip():
        return samples[0]
    return next((s for s in samples if rejects(validator, name, s) is False), samples[0])


def jinja_env(envops: Any = None) -> Any:
    """A Jinja sandbox set up as Copier sets up its own: Copier's filter set, the template's
    ``_envops`` (delimiters, whitespace, ``undefined``) with Copier's defaults, and none of
    the template's own extensions (they would run its code)."""
    from jinja2.sandbox import SandboxedEnvironment

    options = _envops(envops)
    return SandboxedEnvironment(
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"], **options
    )


# Environment options a template may set in _envops that change how strings render.
_ENVOPS = {
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "autoescape",
    "undefined",
}


def _envops(envops: Any) -> dict[str, Any]:
    """``copier.Template.envops`` and ``Worker.jinja_env``'s handling of ``undefined``."""
    import jinja2

    options = (
        {k: v for k, v in (envops or {}).items() if k in _ENVOPS}
        if isinstance(envops, dict)
        else {}
    )
    options.setdefault("keep_trailing_newline", True)
    undefined = options.get("undefined")
    if undefined is not None:
        known = {
            "jinja2.Undefined": jinja2.Undefined,
            "jinja2.StrictUndefined": jinja2.StrictUndefined,
        }
        options["undefined"] = known.get(str(undefined), jinja2.Undefined)
    return options


def plain_defaults(settings: dict[str, Any]) -> dict[str, Any]:
    """The questions' defaults that are plain values (templated defaults are left out)."""
    out = {}
    for key, spec in settings.items():
        if isinstance(key, str) and not key.startswith("_"):
            value = spec.get("default") if isinstance(spec, dict) else spec
            if isinstance(value, bool | int | float) or (
                isinstance(value, str) and "{" not in value
            ):
                out[key] = value
    return out


@dataclass(frozen=True)
class Rendered:
    value: str | None  # None: it could not be rendered here
    answers: tuple[str, ...] = ()  # the questions whose defaults it was rendered with


def render_setting(settings: dict[str, Any], text: str) -> Rendered:
    """A templated setting (``_subdirectory``, an ``_exclude`` pattern, a path) as Copier
    renders it: with Copier's Jinja settings, so ``{% raw %}`` comes out literally, and
    with the questions' plain defaults for the answers it reads."""
    from jinja2 import TemplateError, meta

    envops = settings.get("_envops")
    env = jinja_env(envops)
    try:
        names = meta.find_undeclared_variables(env.parse(text))
        if any(n.startswith("_") for n in names):
            return Rendered(None)  # Copier's own context (_copier_conf, ...) is not modelled
        defaults = plain_defaults(settings)
        if not names <= defaults.keys():
            return Rendered(None)
        value = env.from_string(text).render({n: defaults[n] for n in names})
    except (TemplateError, TypeError, ValueError):
        return Rendered(None)
    return Rendered(str(value), tuple(sorted(names)))


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
        return PathQuestion(
            name,
            used_in,
            "has no validator, so any answer, '../x' or 'a/b' included, becomes part of a path",
        )
    if str(spec.get("type", "str")) in SAFE_TYPES or _safe_choices(spec):
        return PathQuestion(name, used_in, None)
    validator = spec.get("validator")
    if not isinstance(validator, str) or not validator.strip():
        return PathQuestion(
            name,
            used_in,
            "has no validator, so any answer, '../x' or 'a/b' included, becomes part of a path",
        )
    if never_asked(spec):
        return PathQuestion(
            name,
            used_in,
            "has `when: false`: Copier never asks it and never runs its validator on the default",
        )
    if spec.get("secret"):
        return PathQuestion(name, used_in, "is `secret`: Copier does not validate secret defaults")
    accepted = []
    for answer in UNSAFE_ANSWERS:
        verdict = rejects(validator, name, answer)
        if verdict is None:
            return PathQuestion(
                name, used_in, "has a validator prgate cannot evaluate (it does not parse)"
            )
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
