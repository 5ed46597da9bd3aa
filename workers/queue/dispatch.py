"""The dispatcher: turns the receiver's inbox entries into RQ jobs.

The receiver admits a delivery by appending it to the inbox, a Redis stream
(``workers.shared.inbox``); every ``prgate worker`` runs a dispatcher beside its RQ
worker, and the dispatchers share the inbox through one consumer group, so
each entry is dispatched once however many workers run.

Per entry, in one MULTI/EXEC: the RQ job (with its retry, timeout and
failure callback), for a check job the announce job that shows its runs as
queued on GitHub, the acknowledgement, the removal of the entry and of its
``pending`` marker. An entry is therefore either still in the inbox or fully
queued. A dispatcher that dies holding entries leaves them pending in the
group; another one (or the next one) claims them after ``RECLAIM_IDLE_MS``.

Superseding: when the entry replaces a PR's older, not yet started work, the
old job is canceled first and a job concluding its runs as skipped goes into
the same MULTI. Canceling twice is harmless, so a crash between the two steps
only means the next dispatcher finds the old job canceled and concludes it.

An entry that cannot be turned into a job (a version skew or a bug, never
user input: the receiver built it) is moved to ``<queue>:inbox-dead`` with
the error and logged, not dropped.

Maintenance: every ``PRGATE_MAINTENANCE_SECONDS`` one dispatcher (a lock in
Redis picks it) hands RQ's started-job registries their abandoned jobs, those
whose work horse stopped sending heartbeats (killed with its worker): RQ
retries them or, after the last attempt, the failure callback concludes their
runs. RQ's own worker does this too, but an idle RQ worker only looks every
405 s (it blocks on the queue for ``worker_ttl - 15`` s), which left a killed
worker's runs in progress for up to seven minutes.

Scheduling: the loop also moves jobs that are due (retries, sweeps) onto their queues,
as RQ's scheduler does (``workers.queue.scheduling`` says why it runs here).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError, ResponseError
from rq import Callback, Queue, Retry
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from workers.queue.scheduling import Scheduling
from workers.shared.inbox import (
    INBOX_GROUP,
    KINDS,
    Request,
    as_text,
    inbox_key,
    pending_key,
    queue_names,
    worker_queues,
)
from workers.shared.settings import Settings
from workers.shared.work import (
    CheckRequest,
    CommandRequest,
    GroupRemovedRequest,
    InstallationRequest,
)

log = logging.getLogger("prgate.dispatch")

REQUESTS = {kind: model for model, kind in KINDS.items()}  # an entry's kind -> its request
# Every job RQ runs, by the dotted name stored with it in Redis: the one table of them. A job
# queued before a deploy runs after it, so these names must keep resolving (a test imports
# each one).
JOBS = {
    name: f"workers.jobs.{name}"
    for name in (
        "run_checks",
        "run_command",
        "installation_changed",
        "merge_group_removed",
        "announce_checks",
        "conclude_superseded",
        "sweep_strays",
        "on_check_failure",
        "on_quick_failure",
    )
}
JOB_FUNCTIONS = {
    CheckRequest: JOBS["run_checks"],
    CommandRequest: JOBS["run_command"],
    InstallationRequest: JOBS["installation_changed"],
    GroupRemovedRequest: JOBS["merge_group_removed"],
}
TIMEOUTS = {
    CheckRequest: 15 * 60,
    CommandRequest: 2 * 60,
    InstallationRequest: 60,
    GroupRemovedRequest: 2 * 60,
}
# Ends a check job's runs when it fails for good, times out, or its worker dies (RQ calls it).
ON_FAILURE: dict[type[Request], str] = {CheckRequest: JOBS["on_check_failure"]}
# Every other job's failure callback: a GitHub refusal is not retried.
QUICK_FAILURE = JOBS["on_quick_failure"]
ANNOUNCE_TIMEOUT = 2 * 60
# Transient failures (GitHub 5xx and rate limits, network); a refusal GitHub would repeat is
# not retried (workers.jobs.stop_retrying_if_permanent, run from the failure callbacks).
RETRY = Retry(max=3, interval=[10, 60, 300])
ACTIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED}
CANCELABLE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
RECLAIM_IDLE_MS = 30_000  # an entry held this long by a consumer is taken over
STALE_CONSUMER_MS = 3600_000  # consumers idle this long with nothing pending are removed
BATCH = 100


class Dispatcher:
    def __init__(self, redis: Redis, settings: Settings, consumer: str | None = None) -> None:
        self.redis = redis
        self.settings = settings
        self.inbox = inbox_key(settings)
        self.dead = f"{self.inbox}-dead"
        self.consumer = consumer or f"{socket.gethostname()}:{os.getpid()}"
        commands, checks = queue_names(settings)
        self.checks = Queue(checks, connection=redis, serializer=JSONSerializer)
        self.commands = Queue(commands, connection=redis, serializer=JSONSerializer)
        self.announce = Queue(
            worker_queues(settings)[0], connection=redis, serializer=JSONSerializer
        )
        self.scheduling = Scheduling(
            redis, list(worker_queues(settings)), settings.maintenance_seconds
        )
        self._group_ready = False
        self._reclaimed_at = 0.0
        self._maintained_at = 0.0

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:  # from id 0: entries admitted before any dispatcher existed are dispatched too
            self.redis.xgroup_create(self.inbox, INBOX_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def step(self, block_ms: int | None = None) -> int:
        """Dispatch one batch: entries left by a dead dispatcher, then new ones. Returns how many.

        ``block_ms`` waits that long for a new entry when there is none.
        """
        self._ensure_group()
        entries: list[Any] = self._reclaim() if time.monotonic() - self._reclaimed_at > 5 else []
        if not entries:
            read: Any = self.redis.xreadgroup(
                INBOX_GROUP, self.consumer, {self.inbox: ">"}, count=BATCH, block=block_ms
            )
            entries = read[0][1] if read else []
        for entry_id, fields in entries:
            self._dispatch(as_text(entry_id), {as_text(k): as_text(v) for k, v in fields.items()})
        return len(entries)

    def drain(self) -> int:
        """Dispatch until the inbox has nothing new; how many entries were dispatched."""
        total = 0
        while n := self.step():
            total += n
        return total

    def waiting(self) -> int:
        """Entries in the inbox: new, or taken by a dispatcher that has not finished them."""
        return int(self.redis.xlen(self.inbox))

    def maintain(self) -> int:
        """Hand RQ its abandoned jobs (see the module's docstring), when it is this
        dispatcher's turn; how many queues were looked at (0: not its turn)."""
        now = time.monotonic()
        interval = self.settings.maintenance_seconds
        if now - self._maintained_at < interval:
            return 0
        self._maintained_at = now
        # one dispatcher per interval: two would retry one abandoned job twice
        if not self.redis.set(
            f"{self.settings.queue}:maintenance",
            self.consumer,
            nx=True,
            px=max(1, int(interval * 1000) - 100),
        ):
            return 0
        queues = (self.announce, self.commands, self.checks)
        for queue in queues:
            StartedJobRegistry(
                queue.name, connection=self.redis, serializer=JSONSerializer
            ).cleanup()
        return len(queues)

    def run(self, stop: Callable[[], bool], block_ms: int = 2000) -> None:
        """Dispatch and schedule until ``stop()``; a Redis outage or a failing entry is waited
        out, never fatal (the entry stays pending and is retried when reclaimed)."""
        while not stop():
            try:
                self.maintain()
                self.scheduling.step()
                self.step(block_ms)
            except RedisError as exc:
                log.warning("inbox unreachable: %s; retrying", type(exc).__name__)
                self._group_ready = False
                time.sleep(1)
            except Exception:
                log.exception("dispatcher step failed; retrying")
                time.sleep(1)
        self._leave()

    def _reclaim(self) -> list[Any]:
        """Entries a dispatcher took and did not finish within RECLAIM_IDLE_MS."""
        self._reclaimed_at = time.monotonic()
        reply = self.redis.xautoclaim(
            self.inbox, INBOX_GROUP, self.consumer, RECLAIM_IDLE_MS, "0-0", count=BATCH
        )
        claimed = [e for e in reply[1] if e[1] is not None]
        for stale in self.redis.xinfo_consumers(self.inbox, INBOX_GROUP):
            name = as_text(stale["name"])
            if name != self.consumer and not stale["pending"] and stale["idle"] > STALE_CONSUMER_MS:
                self.redis.xgroup_delconsumer(self.inbox, INBOX_GROUP, name)
        return claimed

    def _leave(self) -> None:
        """Hand back the scheduler's locks and leave the consumer group (unless this consumer
        still holds entries, which another dispatcher then claims); Redis gone: nothing to do,
        the locks expire."""
        with contextlib.suppress(RedisError):
            self.scheduling.leave()
        try:
            mine = self.redis.xpending_range(
                self.inbox, INBOX_GROUP, "-", "+", 1, consumername=self.consumer
            )
            if not mine:
                self.redis.xgroup_delconsumer(self.inbox, INBOX_GROUP, self.consumer)
        except RedisError:
            pass

    def _dispatch(self, entry_id: str, fields: dict[str, str]) -> None:
        """Make the entry's jobs; an entry that fails for any reason but Redis is buried,
        so one bad entry cannot come back every RECLAIM_IDLE_MS forever."""
        try:
            self._make_jobs(entry_id, fields)
        except RedisError:
            raise
        except Exception as exc:
            self._bury(entry_id, fields, f"{type(exc).__name__}: {exc}")

    def _make_jobs(self, entry_id: str, fields: dict[str, str]) -> None:
        jid = fields["job"]
        request = REQUESTS[fields["kind"]].model_validate_json(fields["request"])
        old = fields.get("supersedes", "")
        canceled = self._cancel(old) if old else None
        pipe = self.redis.pipeline(transaction=True)
        status = self.redis.hget(f"rq:job:{jid}", "status")
        if as_text(status) not in ACTIVE:  # else: merged into the job already there
            # The announce job is pushed first: an idle worker blocked on all its queues is
            # handed the first job pushed, whatever order it listed the queues in.
            if isinstance(request, CheckRequest):
                self.announce.enqueue_many([_announce_data(request, jid)], pipeline=pipe)
            queue = self.checks if isinstance(request, CheckRequest) else self.commands
            queue.enqueue_many([_job_data(request, jid)], pipeline=pipe)
        if canceled is not None and isinstance(request, CheckRequest):
            self.announce.enqueue_many(
                [_superseded_data(canceled, old, request.head_sha)], pipeline=pipe
            )
        pipe.xack(self.inbox, INBOX_GROUP, entry_id)
        pipe.xdel(self.inbox, entry_id)
        pipe.delete(pending_key(self.settings, jid))
        pipe.execute()
        log.info(
            "dispatched",
            extra={
                "delivery": fields.get("delivery"),
                "jobs": [jid],
                "reason": f"supersedes {old}" if old else None,
            },
        )

    def _bury(self, entry_id: str, fields: dict[str, str], error: str) -> None:
        log.error("inbox entry %s cannot become a job: %s", entry_id, error)
        pipe = self.redis.pipeline(transaction=True)
        dead: dict[Any, Any] = {**fields, "error": error[:2000], "entry": entry_id}
        pipe.xadd(self.dead, dead)
        pipe.xack(self.inbox, INBOX_GROUP, entry_id)
        pipe.xdel(self.inbox, entry_id)
        if fields.get("job"):
            pipe.delete(pending_key(self.settings, fields["job"]))
        pipe.execute()

    def _cancel(self, jid: str) -> dict[str, Any] | None:
        """Cancel superseded work that has not started; its request when it is canceled."""
        try:
            job = Job.fetch(jid, connection=self.redis, serializer=JSONSerializer)
        except NoSuchJobError:
            return None
        status = job.get_status(refresh=False)
        if status in CANCELABLE:
            try:
                job.cancel()
            except InvalidJobOperation:
                return None
        elif status != JobStatus.CANCELED:  # started or done: it reports on its own SHA
            return None
        request = job.kwargs.get("request")
        return request if isinstance(request, dict) else None


def burst(dispatcher: Dispatcher, work: Callable[[], object]) -> None:
    """``prgate worker --burst``: dispatch, run the queued jobs (``work``), and again while
    jobs added entries (a ``/prgate rerun`` does), until the inbox is empty."""
    while True:
        dispatcher.drain()
        work()
        if not dispatcher.waiting():
            return
        time.sleep(0.05)  # entries another dispatcher holds: wait for it, or to reclaim them


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


def _announce_data(request: CheckRequest, jid: str) -> Any:
    return _quick_job(
        JOBS["announce_checks"],
        {"request": request.model_dump(mode="json"), "job_id": jid},
        f"announce {request.event} {request.delivery_id}",
        job_id="announce-" + job_digest(f"{jid}:{request.delivery_id}"),
        meta={"delivery_id": request.delivery_id},
    )


def _superseded_data(request: dict[str, Any], jid: str, new_sha: str) -> Any:
    return _quick_job(
        JOBS["conclude_superseded"],
        {"request": request, "job_id": jid, "new_sha": new_sha},
        f"superseded {jid} by {new_sha[:12]}",
        job_id="superseded-" + job_digest(jid),  # dispatched twice after a crash: one job
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
        on_failure=Callback(QUICK_FAILURE),
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
        description=description,
    )


def _on_failure(request: Request) -> Callback:
    return Callback(ON_FAILURE.get(type(request), QUICK_FAILURE))


def job_digest(text: str) -> str:
    """A job id suffix: stable across dispatchers, so the same work queued twice is one job."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def main(argv: list[str]) -> None:
    """``python -m workers.queue.dispatch WORKER_PID``: the dispatcher ``prgate worker`` runs.

    Exits on SIGTERM/SIGINT, and when the worker that started it is gone (it
    is no longer this process's parent), so a killed worker never leaves a
    dispatcher behind. The worker passes its pid: read here, a parent killed
    while this process was still starting would go unnoticed.
    """
    from workers.shared.inbox import connect
    from workers.shared.logs import setup_logging
    from workers.shared.settings import load_settings

    settings = load_settings()
    setup_logging(settings.log_level)
    if not settings.redis_url:
        sys.exit("prgate dispatch: REDIS_URL is not set")
    parent = int(argv[0]) if argv else os.getppid()
    stopping: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stopping.append(signum))
    dispatcher = Dispatcher(connect(settings.redis_url), settings)
    log.info("dispatching %s as %s", dispatcher.inbox, dispatcher.consumer)
    dispatcher.run(lambda: bool(stopping) or os.getppid() != parent)


if __name__ == "__main__":
    main(sys.argv[1:])
