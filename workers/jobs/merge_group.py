"""Merge queues: what prgate keeps about a merge group, and the job that ends its work when
GitHub removes the group.

A ``merge_group.checks_requested`` delivery becomes a check job for the group's head,
gated against the group's parent commit (``CheckRequest.base_sha``). Its announce job
records the group (``remember``): the base it is gated against, so a later "Re-run" on the
head (a check suite or run event, which names no base) gates against the same commit, and
the request whose runs are on the head.

``merge_group.destroyed`` (the group merged, was invalidated or dequeued) marks the group
removed, cancels its check job if it has not started, and ends the runs it announced as
skipped. A job that is running looks at the mark before it reports and ends its runs
skipped too; an announce job that records the group after the mark was set ends the runs
it made at once. The mark is written before the record is read, and the record before the
mark is read, so one of the two always sees the other: no run stays queued on the head.
"""

from __future__ import annotations

import contextlib
from typing import Any

from redis import Redis
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from workers.jobs.context import Work
from workers.publish.check_run import skipped
from workers.queue.dispatch import CANCELABLE
from workers.shared.inbox import as_text, job_id
from workers.shared.logs import log_job
from workers.shared.settings import Settings
from workers.shared.work import CheckRequest, GroupRemovedRequest

GROUP_TTL = 7 * 24 * 3600  # as long as a pull request's head is remembered


def _key(settings: Settings, repo_id: int, head_sha: str) -> str:
    return f"{settings.queue}:merge-group:{repo_id}:{head_sha}"


def remember(work: Work) -> None:
    """Record a merge group's request: the base it is gated against, and (through its job
    id and delivery) the key of its runs."""
    key = _key(work.settings, work.req.repo_id, work.req.head_sha)
    pipe = work.redis.pipeline(transaction=True)
    pipe.hset(key, "request", work.req.model_dump_json())
    pipe.expire(key, GROUP_TTL)
    pipe.execute()


def removed(redis: Redis, settings: Settings, repo_id: int, head_sha: str) -> str | None:
    """Why the merge group whose head this is was removed; None while it is queued (or for
    a commit that is no group's head)."""
    value = redis.hget(_key(settings, repo_id, head_sha), "removed")
    return as_text(value) if value is not None else None


def group_request(
    redis: Redis, settings: Settings, repo_id: int, head_sha: str
) -> CheckRequest | None:
    """The request of the merge group whose head this is, when prgate gated one."""
    value = redis.hget(_key(settings, repo_id, head_sha), "request")
    return CheckRequest.model_validate_json(value) if value is not None else None


def with_group_base(work: Work) -> None:
    """A request without a pull request or a base ("Re-run" on a commit) for a merge group's
    head is gated as the group was: against the group's parent commit."""
    req = work.req
    if req.pr_number is not None or req.base_sha is not None:
        return
    group = group_request(work.redis, work.settings, req.repo_id, req.head_sha)
    if group is not None:
        work.req = req.model_copy(update={"base_sha": group.base_sha, "base_ref": group.base_ref})


def removal_reason(reason: str) -> str:
    return (
        f"the merge group was removed from the merge queue ({reason}) before prgate "
        "finished checking it: nothing merges from this commit"
    )


def end_if_removed(work: Work) -> bool:
    """End this merge group's runs as skipped when GitHub removed the group; whether it did."""
    if work.req.base_sha is None:
        return False
    reason = removed(work.redis, work.settings, work.req.repo_id, work.req.head_sha)
    if reason is None:
        return False
    if work.runs.book.get(work.runs.key):
        work.runs.conclude_all(lambda check: skipped(check, removal_reason(reason)))
    log_job("merge group removed: runs skipped", work.req, reason=reason)
    return True


def merge_group_removed(request: dict[str, Any]) -> dict[str, Any]:
    """GitHub removed a merge group: its work that has not started is canceled and its runs
    end skipped; work already running ends its runs skipped when it reports."""
    req = GroupRemovedRequest.model_validate(request)
    settings, redis = Work.connect()
    key = _key(settings, req.repo_id, req.head_sha)
    reason = req.reason or "no reason given"
    pipe = redis.pipeline(transaction=True)
    pipe.hset(key, "removed", reason)  # first: see the module's docstring
    pipe.expire(key, GROUP_TTL)
    pipe.execute()
    group = group_request(redis, settings, req.repo_id, req.head_sha)
    if group is None:  # not announced yet: its announce job sees the mark
        return {"status": "marked", "sha": req.head_sha}
    jid = job_id(group)
    started = _cancel(redis, jid)
    work = Work(group, settings, redis, jid)
    if not started:
        end_if_removed(work)
    log_job("merge group removed", group, reason=reason, running=started)
    return {"status": "removed", "sha": req.head_sha, "running": started, "calls": work.calls}


def _cancel(redis: Redis, jid: str) -> bool:
    """Cancel the group's check job unless it has started; whether it has."""
    try:
        job = Job.fetch(jid, connection=redis, serializer=JSONSerializer)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status in CANCELABLE:
        with contextlib.suppress(InvalidJobOperation):  # it started meanwhile: it reports
            job.cancel()
        return False
    return status == JobStatus.STARTED
