"""Putting routed work on RQ: de-duplication, merging, superseding. The bot's only Redis code.

* A delivery id seen within ``dedupe_seconds`` (GitHub's 3-day manual
  redelivery window) is acknowledged and not enqueued again. The id is
  recorded only after its jobs are safely queued, so a delivery that failed
  half-way (Redis went away) is retried in full when GitHub redelivers it.
* Check jobs have deterministic ids from (repo, PR, head SHA, checks): a second
  request for the same work while the first is queued or running merges into
  it. Enqueueing is therefore idempotent, which is what makes "record the
  delivery after enqueueing" safe.
* A newer head SHA for a PR cancels the PR's still-queued jobs for older SHAs.

Jobs travel as JSON (RQ's JSONSerializer), never pickle.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from bot.routing import Route
from bot.settings import Settings
from workers.requests import CheckRequest, CommandRequest, InstallationRequest

ACTIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED}
CANCELABLE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
JOB_FUNCTIONS = {
    CheckRequest: "workers.jobs.run_checks",
    CommandRequest: "workers.jobs.run_command",
    InstallationRequest: "workers.jobs.installation_changed",
}
TIMEOUTS = {CheckRequest: 15 * 60, CommandRequest: 2 * 60, InstallationRequest: 60}
RETRY = Retry(max=3, interval=[10, 60, 300])  # transient failures: GitHub 5xx, network


class QueueUnavailable(Exception):
    """Redis could not be reached; the delivery must be answered 503 so GitHub shows it failed."""


@dataclass
class Outcome:
    queued: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    duplicate: bool = False


def connect(url: str) -> Redis:
    # Short timeouts: GitHub gives a delivery 10 s, and a hung Redis must become a 503.
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=3, health_check_interval=30)


def queue_names(settings: Settings) -> tuple[str, str]:
    """(commands, checks): commands are quick and user-facing, so workers take them first."""
    return (f"{settings.queue}-commands", f"{settings.queue}-checks")


def job_id(request: CheckRequest | CommandRequest | InstallationRequest) -> str:
    if isinstance(request, CheckRequest):
        return "checks-" + hashlib.sha256(request.merge_key.encode()).hexdigest()[:32]
    kind = "command" if isinstance(request, CommandRequest) else "installation"
    return f"{kind}-" + hashlib.sha256(request.delivery_id.encode()).hexdigest()[:32]


class Enqueuer:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        commands, checks = queue_names(settings)
        self.commands = Queue(commands, connection=redis, serializer=JSONSerializer)
        self.checks = Queue(checks, connection=redis, serializer=JSONSerializer)

    def _key(self, *parts: str) -> str:
        return ":".join((self.settings.queue, *parts))

    def submit(self, delivery_id: str, route: Route) -> Outcome:
        """Enqueue a routed delivery; raise QueueUnavailable when Redis is not there."""
        try:
            if self.redis.exists(self._key("delivery", delivery_id)):
                return Outcome(duplicate=True)
            outcome = Outcome()
            for request in route.jobs:
                self._enqueue(request, outcome)
            self.redis.set(self._key("delivery", delivery_id), "1", ex=self.settings.dedupe_seconds)
            return outcome
        except RedisError as exc:
            raise QueueUnavailable(f"Redis is unavailable: {type(exc).__name__}") from exc

    def _enqueue(
        self, request: CheckRequest | CommandRequest | InstallationRequest, outcome: Outcome
    ) -> None:
        jid = job_id(request)
        lock = self.redis.lock(self._key("lock", jid), timeout=10, blocking_timeout=5)
        with lock:
            existing = self._fetch(jid)
            if existing is not None and existing.get_status(refresh=False) in ACTIVE:
                outcome.merged.append(jid)
                return
            if isinstance(request, CheckRequest) and request.pr_key is not None:
                outcome.superseded += self._supersede(request, jid)
            queue = self.checks if isinstance(request, CheckRequest) else self.commands
            queue.enqueue(
                JOB_FUNCTIONS[type(request)],
                kwargs={"request": request.model_dump(mode="json")},
                job_id=jid,
                job_timeout=TIMEOUTS[type(request)],
                retry=RETRY,
                result_ttl=24 * 3600,
                failure_ttl=7 * 24 * 3600,
                description=f"{request.event} {request.delivery_id}",
                meta={"delivery_id": request.delivery_id},
            )
            outcome.queued.append(jid)

    def _fetch(self, jid: str) -> Job | None:
        try:
            return Job.fetch(jid, connection=self.redis, serializer=JSONSerializer)
        except NoSuchJobError:
            return None

    def _supersede(self, request: CheckRequest, jid: str) -> list[str]:
        """Cancel this PR's queued jobs for other head SHAs; remember this job for the PR."""
        assert request.pr_key is not None
        members = self._key("pr-jobs", request.pr_key)
        canceled = []
        for raw in self.redis.smembers(members):
            other = raw.decode() if isinstance(raw, bytes) else str(raw)
            if other == jid:
                continue
            job = self._fetch(other)
            if job is None:
                self.redis.srem(members, other)
                continue
            other_sha = _request_of(job).get("head_sha")
            if other_sha != request.head_sha and job.get_status(refresh=False) in CANCELABLE:
                try:
                    job.cancel()
                except InvalidJobOperation:
                    continue
                canceled.append(other)
                self.redis.srem(members, other)
        self.redis.sadd(members, jid)
        self.redis.expire(members, 7 * 24 * 3600)
        return canceled

    def depth(self) -> dict[str, tuple[int, float | None]]:
        """Per queue: (jobs waiting, enqueued_at of the oldest as a UNIX time, or None)."""
        result = {}
        for queue in (self.commands, self.checks):
            count = queue.count
            oldest = None
            ids = queue.get_job_ids(0, 0)
            if ids:
                job = self._fetch(ids[0])
                if job is not None and job.enqueued_at is not None:
                    oldest = job.enqueued_at.timestamp()
            result[queue.name] = (count, oldest)
        return result


def _request_of(job: Job) -> dict[str, Any]:
    request = job.kwargs.get("request", {})
    return request if isinstance(request, dict) else {}
