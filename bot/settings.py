"""Settings from the environment, with the names Probot apps use (DESIGN.md).

prgate-specific settings are prefixed ``PRGATE_``. Values are read once, at
start-up; an invalid value stops the process with a message naming the
variable rather than failing later inside a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

DEFAULT_WEBHOOK_PATH = "/api/github/webhooks"


class SettingsError(Exception):
    """An environment variable has a value prgate cannot use."""


class Settings(BaseModel):
    app_id: int | None = Field(None, description="APP_ID: the GitHub App's id.")
    private_key: str | None = Field(
        None,
        description="PRIVATE_KEY: the App's private key (PEM; `\\n` escapes are accepted).",
        repr=False,
    )
    private_key_path: str | None = Field(
        None, description="PRIVATE_KEY_PATH: file holding the App's private key."
    )
    webhook_secret: str | None = Field(
        None, description="WEBHOOK_SECRET: the secret GitHub signs deliveries with."
    )
    webhook_path: str = Field(DEFAULT_WEBHOOK_PATH, description="WEBHOOK_PATH")
    ghe_host: str | None = Field(None, description="GHE_HOST: GitHub Enterprise Server host.")
    ghe_protocol: Literal["https", "http"] = Field("https", description="GHE_PROTOCOL")
    redis_url: str | None = Field(
        None, description="REDIS_URL; unset: an embedded Redis-compatible server is started."
    )
    port: int = Field(3000, description="PORT the receiver listens on.")
    log_level: str = Field("info", description="LOG_LEVEL")
    max_body_bytes: int = Field(
        25 * 1024 * 1024, description="PRGATE_MAX_BODY_BYTES: larger deliveries get 413."
    )
    drafts: Literal["skip", "run"] = Field(
        "skip", description="PRGATE_DRAFTS: `run` checks draft pull requests too."
    )
    queue: str = Field("prgate", description="PRGATE_QUEUE: RQ queue name prefix.")
    dedupe_seconds: int = Field(
        3 * 24 * 3600, description="PRGATE_DEDUPE_SECONDS: how long a delivery id is remembered."
    )
    cache_dir: str | None = Field(
        None,
        description="PRGATE_CACHE_DIR: where workers keep repository caches and job worktrees "
        "(default: $XDG_CACHE_HOME/prgate, else ~/.cache/prgate).",
    )
    max_rate_wait: int = Field(
        120,
        description="PRGATE_MAX_RATE_WAIT: longest rate-limit wait (seconds) a job sits out "
        "in place; longer ones fail the attempt and RQ retries it later.",
    )
    maintenance_seconds: int = Field(
        60,
        description="PRGATE_MAINTENANCE_SECONDS: how often a worker looks for jobs whose "
        "worker died, so their check runs are concluded.",
    )
    permission_ttl: int = Field(
        60,
        description="PRGATE_PERMISSION_TTL: how long (seconds) a user's role on a repository "
        "is cached for `/prgate rerun`; `ok-to-test` always asks GitHub afresh.",
    )

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


ENV_NAMES = {
    "app_id": "APP_ID",
    "private_key": "PRIVATE_KEY",
    "private_key_path": "PRIVATE_KEY_PATH",
    "webhook_secret": "WEBHOOK_SECRET",
    "webhook_path": "WEBHOOK_PATH",
    "ghe_host": "GHE_HOST",
    "ghe_protocol": "GHE_PROTOCOL",
    "redis_url": "REDIS_URL",
    "port": "PORT",
    "log_level": "LOG_LEVEL",
    "max_body_bytes": "PRGATE_MAX_BODY_BYTES",
    "drafts": "PRGATE_DRAFTS",
    "queue": "PRGATE_QUEUE",
    "dedupe_seconds": "PRGATE_DEDUPE_SECONDS",
    "cache_dir": "PRGATE_CACHE_DIR",
    "max_rate_wait": "PRGATE_MAX_RATE_WAIT",
    "maintenance_seconds": "PRGATE_MAINTENANCE_SECONDS",
    "permission_ttl": "PRGATE_PERMISSION_TTL",
}


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    source = os.environ if env is None else env
    values = {field: source[name] for field, name in ENV_NAMES.items() if source.get(name)}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = [
            f"{ENV_NAMES.get(str(err['loc'][0]), err['loc'][0])}: {err['msg']}"
            for err in exc.errors()
        ]
        raise SettingsError("invalid settings: " + "; ".join(problems)) from exc
