"""What ends a check job that failed: RQ's failure callbacks conclude its runs as
could-not-run with the reason (a conclusion branch protection does not accept), so a
failure never leaves a run hanging nor lets a pull request merge, and a permanent error is
not retried."""

from __future__ import annotations

import logging
from types import TracebackType

from redis import Redis
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException

from workers.github.errors import GitHubError
from workers.jobs.checkout import CheckoutError
from workers.jobs.context import Work
from workers.publish.check_run import could_not_run
from workers.shared.logs import log_job
from workers.shared.work import CheckRequest

log = logging.getLogger("prgate.worker")


def on_check_failure(
    job: Job,
    connection: Redis,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    tb: TracebackType | None,
) -> None:
    """RQ's failure callback for ``run_checks``: exceptions, timeouts, and abandoned jobs.

    While RQ will retry, the runs stay as they are; after the last attempt they
    are concluded could-not-run with the reason, so a required check never hangs and
    never passes. A refusal GitHub would repeat (a 403 that is no rate limit, a 404, a
    422) ends the retries now: waiting 10, 60 and 300 s would only delay the conclusion
    by six minutes.
    """
    stop_retrying_if_permanent(job, exc_value)
    if job.should_retry:
        return
    req = CheckRequest.model_validate(job.kwargs["request"])
    reason = failure_reason(job, exc_value)
    try:
        work = Work.open(req, job.id)
        work.runs.conclude_all(lambda check: could_not_run(check, reason))
    except Exception as exc:  # nothing more can be done here; say so in the log
        log.error("could not conclude check runs after a failure: %s", _safe(exc))
        return
    log_job(
        "check runs concluded could-not-run after a failure",
        req,
        outcome="could-not-run",
        reason=reason,
    )


def stop_retrying_if_permanent(job: Job, exc: BaseException | None) -> None:
    """No more attempts for a GitHub error that is not transient (``GitHubError.transient``).

    RQ decides whether to retry after the failure callback returns, from the
    same job, so clearing ``retries_left`` here is what stops it.
    """
    if isinstance(exc, GitHubError) and not exc.transient and job.retries_left:
        log.info("not retrying job %s: GitHub refused, and would again: %s", job.id, exc)
        job.retries_left = 0


def on_quick_failure(
    job: Job,
    connection: Redis,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    tb: TracebackType | None,
) -> None:
    """RQ's failure callback for every other job (commands, announce, superseded): a refusal
    GitHub would repeat is not retried."""
    stop_retrying_if_permanent(job, exc_value)


def failure_reason(job: Job, exc: BaseException | None) -> str:
    if isinstance(exc, AbandonedJobError):
        return "the worker running this check stopped (killed or lost) before it finished"
    if isinstance(exc, JobTimeoutException):
        return f"the check took longer than its {job.timeout} s limit"
    return _safe(exc)


def _safe(exc: BaseException | None) -> str:
    if isinstance(exc, GitHubError | CheckoutError):
        return str(exc)
    if exc is None:
        return "the job failed"
    return f"prgate failed: {type(exc).__name__}"
