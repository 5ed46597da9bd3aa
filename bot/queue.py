"""Putting routed work on RQ: de-duplication, merging, superseding. The bot's only Redis code.

* A delivery id seen within ``dedupe_seconds`` (GitHub's 3-day manual
  redelivery window) is acknowledged and not enqueued again. The id is
  recorded only after its jobs are safely queued, so a delivery that failed
  half-way (Redis went away) is retried in full when GitHub redelivers it.
* Check jobs have deterministic ids from (repo, PR, head SHA, checks): a second
  request for the same work while the first is queued or running merges into
  it. Enqueueing is therefore idempotent, which is what makes "record the
  delivery after enqueueing" safe.
* A newer head SHA for a PR cancels the PR's still-queued jobs for older SHAs;
  a job on the announce queue then concludes their check runs as skipped.
* Each new check job comes with an announce job on its own, quick queue, so
  the check runs show as ``queued`` on GitHub while the checks wait their turn.

Jobs travel as JSON (RQ's JSONSerializer), never pickle.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Callback, Queue, Retry
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from bot.routing import Route
from bot.settings import Settings
from workers.requests import CheckRequest, CommandRequest, InstallationRequest

CANCELABLE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
JOB_FUNCTIONS = {
    CheckRequest: "workers.jobs.run_checks",
    CommandRequest: "workers.command_job.run_command",
    InstallationRequest: "workers.jobs.installation_changed",
}
TIMEOUTS = {CheckRequest: 15 * 60, CommandRequest: 2 * 60, InstallationRequest: 60}
# Ends a check job's runs when it fails for good, times out, or its worker dies (RQ calls it).
ON_FAILURE: dict[type[Request], str] = {CheckRequest: "workers.jobs.on_check_failure"}
ANNOUNCE_TIMEOUT = 2 * 60
RETRY = Retry(max=3, interval=[10, 60, 300])  # transient failures: GitHub 5xx, network
CLAIM_MS = 10_000  # how long a job id stays claimed by a request enqueueing it
CLAIM_WAIT = 2.0  # seconds a request waits on another's claim before taking it over


Request = CheckRequest | CommandRequest | InstallationRequest

# Decides a job atomically. KEYS: delivery, rq job hash, claim, PR head hash.
# ARGV: job id, head SHA, has-PR flag, claim ms, PR head TTL s.
# Returns {state, job id to supersede}; state is duplicate | merged | claimed | new.
# "claimed": another request is enqueueing this job id right now (or died doing so).
ADMIT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {'duplicate', ''} end
local status = redis.call('HGET', KEYS[2], 'status')
if status == 'queued' or status == 'scheduled' or status == 'deferred' or status == 'started' then
  return {'merged', ''}
end
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[4]) then return {'claimed', ''} end
local old = ''
if ARGV[3] == '1' then
  local prev = redis.call('HMGET', KEYS[4], 'sha', 'job')
  if prev[1] and prev[1] ~= ARGV[2] and prev[2] then old = prev[2] end
  redis.call('HSET', KEYS[4], 'sha', ARGV[2], 'job', ARGV[1])
  redis.call('EXPIRE', KEYS[4], ARGV[5])
end
return {'new', old}
"""


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


def worker_queues(settings: Settings) -> tuple[str, str, str]:
    """What a worker listens on, in order: announcements (one quick API call), commands, checks."""
    return (f"{settings.queue}-announce", *queue_names(settings))


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
        self.announce = Queue(
            worker_queues(settings)[0], connection=redis, serializer=JSONSerializer
        )
        self._admit_script = redis.register_script(ADMIT)

    def _key(self, *parts: str) -> str:
        return ":".join((self.settings.queue, *parts))

    def submit(self, delivery_id: str, route: Route) -> Outcome:
        """Enqueue a routed delivery; raise QueueUnavailable when Redis is not there.

        Two round trips per job: one atomic script decides (duplicate, merged,
        or new: it claims the job id and records the PR's newest head), one
        pipeline enqueues and records the delivery.
        """
        try:
            outcome = Outcome()
            pipe = self.redis.pipeline()
            to_cancel = []
            for request in route.jobs:
                jid = job_id(request)
                state, old = self._admit(delivery_id, request, jid)
                if state == "duplicate":
                    return Outcome(duplicate=True)
                if state == "merged":
                    outcome.merged.append(jid)
                    continue
                queue = self.checks if isinstance(request, CheckRequest) else self.commands
                queue.enqueue_many([self._job_data(request, jid)], pipeline=pipe)
                if isinstance(request, CheckRequest):
                    self.announce.enqueue_many([_announce_data(request, jid)], pipeline=pipe)
                pipe.delete(self._key("claim", jid))
                outcome.queued.append(jid)
                if old and isinstance(request, CheckRequest):
                    to_cancel.append((old, request.head_sha))
            pipe.set(self._key("delivery", delivery_id), "1", ex=self.settings.dedupe_seconds)
            pipe.execute()
            for old, new_sha in to_cancel:
                canceled = self._cancel(old)
                if canceled is not None:
                    self.announce.enqueue_many([_superseded_data(canceled, old, new_sha)])
                    outcome.superseded.append(old)
            return outcome
        except RedisError as exc:
            raise QueueUnavailable(f"Redis is unavailable: {type(exc).__name__}") from exc

    def _admit(self, delivery_id: str, request: Request, jid: str) -> tuple[str, str]:
        """Admit one job; wait out a concurrent claim, take over one left by a crash.

        Reporting "merged" while the claim holder's job does not exist yet could
        acknowledge a delivery whose work is never queued, so a claim is waited
        on until the job appears; a claim older than CLAIM_WAIT is taken over.
        """
        deadline = time.monotonic() + CLAIM_WAIT
        while True:
            state, old = self._try_admit(delivery_id, request, jid)
            if state != "claimed":
                return state, old
            if time.monotonic() > deadline:
                self.redis.delete(self._key("claim", jid))  # its holder died: take over
                deadline = float("inf")
            time.sleep(0.02)

    def _try_admit(self, delivery_id: str, request: Request, jid: str) -> tuple[str, str]:
        pr_key = request.pr_key if isinstance(request, CheckRequest) else None
        head = request.head_sha if isinstance(request, CheckRequest) else ""
        keys = [
            self._key("delivery", delivery_id),
            f"rq:job:{jid}",
            self._key("claim", jid),
            self._key("pr-head", pr_key or "-"),
        ]
        args = [jid, head, "1" if pr_key else "0", CLAIM_MS, 7 * 24 * 3600]
        state, old = self._admit_script(keys=keys, args=args)
        return _text(state), _text(old)

    @staticmethod
    def _job_data(request: Request, jid: str) -> Any:
        return Queue.prepare_data(
            JOB_FUNCTIONS[type(request)],
            kwargs={"request": request.model_dump(mode="json")},
            job_id=jid,
            timeout=TIMEOUTS[type(request)],
            retry=RETRY,
            result_ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
            description=f"{request.event} {request.delivery_id}",
            meta={"delivery_id": request.delivery_id},
            on_failure=_on_failure(request),
        )

    def _fetch(self, jid: str) -> Job | None:
        try:
            return Job.fetch(jid, connection=self.redis, serializer=JSONSerializer)
        except NoSuchJobError:
            return None

    def _cancel(self, jid: str) -> dict[str, Any] | None:
        """Cancel a superseded job if it has not started; its request when it was canceled."""
        job = self._fetch(jid)
        if job is None or job.get_status(refresh=False) not in CANCELABLE:
            return None
        try:
            job.cancel()
        except InvalidJobOperation:
            return None
        request = job.kwargs.get("request")
        return request if isinstance(request, dict) else None

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


def _announce_data(request: CheckRequest, jid: str) -> Any:
    return _quick_job(
        "workers.jobs.announce_checks",
        {"request": request.model_dump(mode="json"), "job_id": jid},
        f"announce {request.event} {request.delivery_id}",
        job_id="announce-" + _digest(f"{jid}:{request.delivery_id}"),
        meta={"delivery_id": request.delivery_id},
    )


def _superseded_data(request: dict[str, Any], jid: str, new_sha: str) -> Any:
    return _quick_job(
        "workers.jobs.conclude_superseded",
        {"request": request, "job_id": jid, "new_sha": new_sha},
        f"superseded {jid} by {new_sha[:12]}",
    )


def _quick_job(
    func: str,
    kwargs: dict[str, Any],
    description: str,
    job_id: str | None = None,
    meta: dict[str, Any] | None = None,
) -> Any:
    """A job for the announce queue: one or two GitHub calls about a check job's runs."""
    return Queue.prepare_data(
        func,
        kwargs=kwargs,
        job_id=job_id,
        meta=meta,
        timeout=ANNOUNCE_TIMEOUT,
        retry=RETRY,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
        description=description,
    )


def _on_failure(request: Request) -> Callback | None:
    name = ON_FAILURE.get(type(request))
    return Callback(name) if name else None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)
