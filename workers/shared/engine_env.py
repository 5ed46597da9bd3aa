"""The few environment settings that code shared with ``prgate check`` reads.

The engine, the checks and the sandbox run both in the App and as ``prgate check``
or a pre-commit hook, where the App's settings (``workers.shared.settings``, a
pydantic model of every variable) are not needed and an unrelated bad variable
must not matter. They read their settings one at a time with ``setting()``.

This table is the one source of each such setting's variable, default, meaning
and constraints; ``Settings`` declares its fields from it (the README's table
comes from there). A variable that is unset costs nothing; one that is set is
validated by its ``Settings`` field, so both paths accept the same values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal


class SettingsError(Exception):
    """An environment variable has a value prgate cannot use."""


@dataclass(frozen=True)
class EnvSetting:
    env: str  # the variable's name
    default: Any
    description: str
    shown: str | None = None  # the default as the docs show it, when worked out at run time
    constraints: dict[str, Any] = field(default_factory=dict)  # pydantic's: gt, ge...
    kind: Any = None  # its type, when not the default's (``Settings`` declares the same)


ENGINE_SETTINGS: dict[str, EnvSetting] = {
    "max_file_bytes": EnvSetting(
        "PRGATE_MAX_FILE_BYTES",
        2 * 1024 * 1024,
        "largest file a check reads; a larger file is skipped with a note when it is "
        "only searched, and makes its check could-not-run when the check needs it",
        constraints={"gt": 0},
    ),
    "render_timeout": EnvSetting(
        "PRGATE_RENDER_TIMEOUT",
        60.0,
        "seconds one render may take in render mode",
        constraints={"gt": 0},
    ),
    "sandbox": EnvSetting(
        "PRGATE_SANDBOX",
        "auto",
        "`auto` runs template tasks and Jinja extensions in render mode inside an OS sandbox "
        "(Linux namespaces through util-linux's `unshare`) where one can start; `off` "
        "always renders with tasks skipped",
        kind=Literal["auto", "off"],
    ),
    "js_timeout": EnvSetting(
        "PRGATE_JS_TIMEOUT",
        2.0,
        "seconds a JS/TS Jest config may run in the embedded JS engine",
        constraints={"ge": 0.1},
    ),
    "js_engine": EnvSetting(
        "PRGATE_JS_ENGINE",
        "",
        "the embedded JS engine for Jest configs: `quickjs`, or `v8` (needs prgate[v8]); "
        "empty: QuickJS where installed, else V8",
        shown="quickjs",
        kind=Literal["", "quickjs", "v8"],
    ),
}


def setting(name: str, env: Mapping[str, str] | None = None) -> Any:
    """One of ``ENGINE_SETTINGS``: its default when the variable is unset or empty, else the
    variable's value validated by its ``Settings`` field (SettingsError naming it)."""
    spec = ENGINE_SETTINGS[name]
    raw = (os.environ if env is None else env).get(spec.env)
    if not raw:
        return spec.default
    from typing import Annotated

    from pydantic import Field, TypeAdapter, ValidationError

    kind = spec.kind if spec.kind is not None else type(spec.default)
    form: Any = Annotated[kind, Field(**spec.constraints)]  # the type and its constraints
    try:
        return TypeAdapter(form).validate_python(raw)
    except ValidationError as exc:
        msg = "; ".join(str(err["msg"]) for err in exc.errors())
        raise SettingsError(f"{spec.env}: {msg}, got {raw!r}") from exc
