"""Settings from the environment, with the names Probot apps use (docs/architecture.md).

prgate-specific settings are prefixed ``PRGATE_``. Each field of ``Settings``
carries its variable name (``validation_alias``), its meaning and its default;
the README's settings table is generated from them (``python3 dev.py docs``),
so the documentation cannot drift from the code.

The App reads every value once, at start-up; an invalid value stops the process
with a message naming the variable rather than failing later inside a request.
Check code that also runs as ``prgate check`` (no App settings needed) reads its
few settings one at a time with ``setting()`` (``workers.shared.engine_env``, which
holds their defaults and meanings), validated by the same field when set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from workers.shared.engine_env import ENGINE_SETTINGS, SettingsError, setting

__all__ = ["ENV_NAMES", "Settings", "SettingsError", "load_settings", "setting", "validated"]

DEFAULT_WEBHOOK_PATH = "/api/github/webhooks"


def _env(name: str, default: Any, description: str, *, shown: str | None = None, **kw: Any) -> Any:
    """A field read from the variable ``name``; ``shown`` is the default as the docs show
    it when the value is worked out at run time (``None`` in the model)."""
    extra: dict[str, Any] | None = {"shown_default": shown} if shown is not None else None
    return Field(
        default, validation_alias=name, description=description, json_schema_extra=extra, **kw
    )


def _engine(name: str) -> Any:
    """A field of one of the settings code shared with ``prgate check`` reads (its table)."""
    spec = ENGINE_SETTINGS[name]
    return _env(spec.env, spec.default, spec.description, shown=spec.shown, **spec.constraints)


class Settings(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    webhook_secret: str | None = _env(
        "WEBHOOK_SECRET",
        None,
        "the App's webhook secret; deliveries are verified with it (required by `serve`)",
        repr=False,
    )
    webhook_path: str = _env(
        "WEBHOOK_PATH", DEFAULT_WEBHOOK_PATH, "where the receiver accepts deliveries"
    )
    app_id: int | None = _env(
        "APP_ID", None, "the App's id; check events of other apps are ignored"
    )
    private_key: str | None = _env(
        "PRIVATE_KEY",
        None,
        "the App's private key, PEM (`\\n` escapes work); this or `PRIVATE_KEY_PATH` is "
        "required by `worker` and by `serve` without `REDIS_URL`",
        repr=False,
    )
    private_key_path: str | None = _env(
        "PRIVATE_KEY_PATH", None, "a file holding the App's private key, instead of `PRIVATE_KEY`"
    )
    ghe_host: str | None = _env(
        "GHE_HOST",
        None,
        "GitHub Enterprise Server host: the API is then `{protocol}://{host}/api/v3`",
        shown="github.com",
    )
    ghe_protocol: Literal["https", "http"] = _env(
        "GHE_PROTOCOL", "https", "protocol for `GHE_HOST`"
    )
    redis_url: str | None = _env(
        "REDIS_URL",
        None,
        "Redis for the queue; unset: `serve` starts an embedded Redis and one worker",
    )
    port: int = _env("PORT", 3000, "receiver port (`prgate serve --port` overrides)")
    log_level: Literal["debug", "info", "warning", "error"] = _env(
        "LOG_LEVEL", "info", "log level of the JSON logs"
    )
    max_body_bytes: int = _env(
        "PRGATE_MAX_BODY_BYTES", 25 * 1024 * 1024, "larger deliveries get 413", gt=0
    )
    request_timeout: float = _env(
        "PRGATE_REQUEST_TIMEOUT",
        10.0,
        "seconds a request may take to arrive whole (headers and body); slower ones get 408",
        gt=0,
    )
    max_connections: int = _env(
        "PRGATE_MAX_CONNECTIONS",
        1000,
        "open receiver connections at most (fewer under a lower open-file limit); a new one "
        "over it closes the one that has waited longest for its request",
        gt=0,
    )
    drafts: Literal["skip", "run"] = _env(
        "PRGATE_DRAFTS", "skip", "`run` checks draft pull requests too"
    )
    queue: str = _env(
        "PRGATE_QUEUE",
        "prgate",
        "prefix of the RQ queues (`-announce`, `-commands`, `-checks`) and of prgate's Redis keys",
    )
    dedupe_seconds: int = _env(
        "PRGATE_DEDUPE_SECONDS", 3 * 24 * 3600, "how long (s) a delivery id is remembered", gt=0
    )
    data_dir: str | None = _env(
        "PRGATE_DATA_DIR",
        None,
        "where the embedded Redis keeps its data (append-only file)",
        shown="`$XDG_STATE_HOME/prgate` or `~/.local/state/prgate`",
    )
    cache_dir: str | None = _env(
        "PRGATE_CACHE_DIR",
        None,
        "where workers keep repository caches",
        shown="`$XDG_CACHE_HOME/prgate` or `~/.cache/prgate`",
    )
    cache_max_bytes: int = _env(
        "PRGATE_CACHE_MAX_BYTES",
        5 * 1024**3,
        "the repository cache's size on disk after a job: the least recently used "
        "repositories beyond it are removed (one a job is using never is)",
        gt=0,
    )
    max_rate_wait: int = _env(
        "PRGATE_MAX_RATE_WAIT",
        120,
        "longest rate-limit wait (s) a job sits out in place; longer ones fail the attempt "
        "and RQ retries it later",
        ge=0,
    )
    maintenance_seconds: int = _env(
        "PRGATE_MAINTENANCE_SECONDS",
        60,
        "how often (s) a worker sweeps for jobs whose worker died, so their check runs "
        "are concluded",
        gt=0,
    )
    stop_grace: float = _env(
        "PRGATE_STOP_GRACE",
        20.0,
        "seconds a stopping worker (SIGTERM, Ctrl-C) lets its job finish; then it hands the "
        "job back to the queue and exits (keep it under the platform's grace period: 30 s "
        "on Kubernetes)",
        ge=0,
    )
    alive_file: str = _env(
        "PRGATE_ALIVE_FILE",
        "",
        "a file `prgate worker` touches on every heartbeat, for a liveness probe that does "
        "not depend on Redis (empty: none)",
    )
    permission_ttl: int = _env(
        "PRGATE_PERMISSION_TTL",
        60,
        "how long (s) a user's role on a repository is cached for `/prgate rerun`; "
        "`ok-to-test` always asks GitHub afresh",
        ge=0,
    )
    max_file_bytes: int = _engine("max_file_bytes")
    render_timeout: float = _engine("render_timeout")
    sandbox: Literal["auto", "off"] = _engine("sandbox")
    js_timeout: float = _engine("js_timeout")
    js_engine: Literal["", "quickjs", "v8"] = _engine("js_engine")

    @property
    def api_url(self) -> str:
        if self.ghe_host:
            return f"{self.ghe_protocol}://{self.ghe_host}/api/v3"
        return "https://api.github.com"

    @property
    def web_url(self) -> str:
        if self.ghe_host:
            return f"{self.ghe_protocol}://{self.ghe_host}"
        return "https://github.com"

    def app_private_key(self) -> str:
        """The App's private key from PRIVATE_KEY or PRIVATE_KEY_PATH; SettingsError if neither."""
        if self.private_key:
            return self.private_key.replace("\\n", "\n")
        if self.private_key_path:
            try:
                with open(self.private_key_path, encoding="utf-8") as fh:
                    return fh.read()
            except OSError as exc:
                raise SettingsError(
                    f"PRIVATE_KEY_PATH: cannot read {self.private_key_path}: {exc.strerror}"
                ) from exc
        raise SettingsError("PRIVATE_KEY or PRIVATE_KEY_PATH must be set: the App's private key")


ENV_NAMES: dict[str, str] = {
    name: str(field.validation_alias) for name, field in Settings.model_fields.items()
}


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{ENV_NAMES.get(str(err['loc'][0]), err['loc'][0]) if err['loc'] else ''}: {err['msg']}"
        for err in exc.errors()
    )


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    source = os.environ if env is None else env
    values = {name: source[name] for name in ENV_NAMES.values() if source.get(name)}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise SettingsError("invalid settings: " + _problems(exc)) from exc


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    field = Settings.model_fields[name]
    form: Any = (
        Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    )  # the type and its constraints
    return TypeAdapter(form)


def validated(name: str, raw: str) -> Any:
    """``raw``, the value of the variable of the field ``name``, validated by that field."""
    try:
        return _adapter(name).validate_python(raw)
    except ValidationError as exc:
        msg = "; ".join(str(err["msg"]) for err in exc.errors())
        raise SettingsError(f"{ENV_NAMES[name]}: {msg}, got {raw!r}") from exc
