"""What every job holds: the request, GitHub, Redis, its check runs (``workers.runs``), and
its log.

A job validates its request model first (``Work``/``Session``), so a malformed job fails
loudly in RQ's failed registry instead of doing half the work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, TypeVar

from redis import Redis

from workers.github.client import App, Installation
from workers.jobs.trust import Repo, Trust
from workers.runs.lifecycle import Runs
from workers.shared.inbox import connect
from workers.shared.names import CHECK_NAMES
from workers.shared.settings import Settings, load_settings
from workers.shared.work import CheckRequest, CommandRequest

log = logging.getLogger("prgate.worker")


R = TypeVar("R", CheckRequest, CommandRequest)


@dataclass
class Session(Generic[R]):
    """What a job works with: settings, Redis, and GitHub as the repository's installation."""

    req: R
    settings: Settings
    redis: Redis

    @staticmethod
    def connect() -> tuple[Settings, Redis]:
        settings = load_settings()
        if not settings.redis_url:
            raise RuntimeError("REDIS_URL is not set in the worker's environment")
        return settings, connect(settings.redis_url)

    @cached_property
    def app(self) -> App:
        return App(self.settings, self.redis)

    @cached_property
    def installation_id(self) -> int:
        return self.req.installation_id or self.app.installation_id(self.req.repo_full_name)

    @cached_property
    def inst(self) -> Installation:
        return self.app.installation(self.installation_id)

    @property
    def calls(self) -> int:
        """GitHub requests made so far (0 when the installation was never reached)."""
        inst = self.__dict__.get("inst")
        return inst.calls if isinstance(inst, Installation) else 0

    @property
    def owner_name(self) -> tuple[str, str]:
        owner, name = self.req.repo_full_name.split("/", 1)
        return owner, name

    @cached_property
    def trust(self) -> Trust:
        return Trust(self.redis, self.settings)

    def repo(self) -> Repo:
        return Repo(self.installation_id, self.req.repo_id, *self.owner_name)


@dataclass
class Work(Session[CheckRequest]):
    """A check job: a Session plus its check runs."""

    job_id: str = ""
    phases: dict[str, int] = field(default_factory=dict)  # milliseconds, for the job's log line

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.phases[name] = int((time.monotonic() - start) * 1000)

    @classmethod
    def open(cls, req: CheckRequest, job_id: str) -> Work:
        settings, redis = cls.connect()
        return cls(req, settings, redis, job_id)

    @cached_property
    def runs(self) -> Runs:
        """This work's check runs: created once, concluded once (``workers.runs``)."""
        return Runs(self)

    @property
    def base_label(self) -> str:
        """What the head is compared with, in words: the base branch, a merge group's parent
        commit on it, or the default branch."""
        if self.req.base_sha is not None:
            return f"{self.req.base_ref or 'the base'} at {self.req.base_sha[:12]}"
        return self.req.base_ref or "the default branch"

    @property
    def checks(self) -> list[str]:
        return list(self.req.checks or CHECK_NAMES)

    @cached_property
    def repo_node_id(self) -> str:
        if self.req.repo_node_id:
            return self.req.repo_node_id
        return self.inst.repo_node_id(*self.owner_name)

    def details_url(self) -> str:
        base = f"{self.settings.web_url}/{self.req.repo_full_name}"
        if self.req.pr_number is not None:
            return f"{base}/pull/{self.req.pr_number}/files"
        return f"{base}/commit/{self.req.head_sha}"


def current_job_id(default: str) -> str:
    from rq import get_current_job

    job = get_current_job()
    return job.id if job is not None else default


# --- jobs -----------------------------------------------------------------------------------
