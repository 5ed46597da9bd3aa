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

    @property
    def api_url(self) -> str:
        if self.ghe_host:
            return f"{self.ghe_protocol}://{self.ghe_host}/api/v3"
        return "https://api.github.com"


ENV_NAMES = {
    "app_id": "APP_ID",
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
