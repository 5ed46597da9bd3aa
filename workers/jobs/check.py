"""RQ job functions. The receiver enqueues them by dotted name with a JSON request.

Each job validates its request model first, so a malformed job fails loudly
in RQ's failed registry instead of doing half the work.

A pull request's life in the worker:

1. ``announce_checks`` (fast queue): the three check runs appear as
   ``queued`` on the head SHA as soon as the delivery is accepted.
2. ``run_checks``: runs go ``in_progress``; the PR's head and base are fetched
   into the repository cache and the head checked out in a worktree of its
   own; ``.github/prgate.yml`` is read from the **base**; the checks run; the PR
   is re-read — if its head moved, the runs end ``skipped`` ("superseded by")
   and no review is posted — else the runs are completed and one review
   carries the inline comments; threads of fixed findings are resolved.
3. Failures never leave a run hanging: an error GitHub or git may get over
   (5xx, rate limit, network) fails the attempt and RQ retries it; the last
   attempt, a timeout, or a worker killed mid-job (RQ's abandoned-job sweep)
   ends in ``on_check_failure``, which concludes the runs ``neutral`` with
   the reason. A newer push cancels queued work; ``conclude_superseded`` then
   ends its runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from redis import Redis
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException

from workers.engine.config import CONFIG_PATH, ConfigError, RepoConfig, parse_config
from workers.engine.findings import Note
from workers.engine.registry import rule_ids
from workers.github.client import App, Installation
from workers.github.errors import GitHubError, PartlyDone
from workers.github.types import FoundRun, PullState, RunRef, RunUpdate
from workers.jobs.checkout import (
    CheckoutError,
    RepoCache,
    base_ref_name,
    default_cache_dir,
    pull_refspecs,
)
from workers.jobs.trust import Repo, Trust, render_refusal
from workers.publish.check_run import (
    ConfigNote,
    Outcome,
    completion_requests,
    config_note,
    neutral,
    outcome,
    run_name,
    skipped,
    with_note,
)
from workers.publish.review import Diff, fixed_reply, plan_review, review_body
from workers.queue.dispatch import schedule_sweeps
from workers.queue.runbook import RunBook, digest
from workers.shared.inbox import connect
from workers.shared.names import CHECK_NAMES
from workers.shared.settings import Settings, load_settings
from workers.shared.stats import record_job
from workers.shared.work import CheckRequest, CommandRequest, InstallationRequest

if TYPE_CHECKING:
    from workers.engine.findings import Finding
    from workers.engine.runner import Report

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
    def book(self) -> RunBook:
        return RunBook(self.redis, self.settings)

    @property
    def key(self) -> str:
        return self.book.key(self.job_id, self.req.delivery_id)

    @property
    def base_label(self) -> str:
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

    @property
    def external_id(self) -> str:
        return self.key.removeprefix(self.book.prefix + ":")

    def runs(self) -> dict[str, RunRef]:
        """This work's runs, created (queued) by whichever job gets here first.

        Runs GitHub made for an earlier attempt whose answer never came are
        adopted, not made twice; any further copy ends as its run does
        (``end_copies``), and when this attempt's own create gets no answer,
        sweeps are scheduled for copies GitHub makes later (``sweep_strays``).
        """

        def by_check(made: dict[str, RunRef]) -> dict[str, RunRef]:
            """GitHub's runs (named prgate/<check>) as this work names them: by check."""
            return {
                c: RunRef(c, r.node_id, r.database_id)
                for c in self.checks
                if (r := made.get(run_name(c))) is not None
            }

        def create(missing: list[str]) -> dict[str, RunRef]:
            names = [run_name(c) for c in missing]
            try:
                made = self.inst.create_runs(
                    self.repo_node_id,
                    self.req.head_sha,
                    names,
                    external_id=self.external_id,
                    details_url=self.details_url(),
                )
            except PartlyDone as exc:
                exc.runs = by_check(exc.runs)
                raise
            except GitHubError as exc:
                if exc.status is None or exc.status >= 500:  # no answer, or an unsure one
                    schedule_sweeps(self.redis, self.settings, self.req, self.job_id)
                raise
            return by_check(made)

        runs, strays = self.book.create_once(self.key, self.checks, create, self._found)
        self.end_copies(strays)
        return runs

    def _found(self) -> list[FoundRun]:
        """This work's runs on GitHub, by check name (not run name)."""
        owner, name = self.owner_name
        by_run = {run_name(c): c for c in CHECK_NAMES}
        found = self.inst.find_runs(owner, name, self.req.head_sha, self.external_id)
        return [
            FoundRun(RunRef(by_run[f.run.name], f.run.node_id, f.run.database_id), f.status)
            for f in found
            if f.run.name in by_run
        ]

    def end_copies(self, copies: list[RunRef]) -> None:
        """Copies of this work's runs, made by GitHub for a request whose answer never came,
        end exactly as their runs do: with the verdict when there is one, else with it later.

        GitHub shows, and branch protection may read, either run of a name, so a copy
        must never say anything its run does not (a neutral copy would let a failing
        check pass).
        """
        if not copies:
            return
        finals = self.book.finals(self.key)
        now = [r for r in copies if r.name in finals]
        self.book.add_copies(self.key, [r for r in copies if r.name not in finals])
        if now:
            self._send([(r, _as_copy(finals[r.name])) for r in now])
        _log("copies of check runs found", self.req, runs=[r.database_id for r in copies])

    def conclude(self, ends: list[tuple[RunRef, Outcome]]) -> None:
        """End these runs, and every copy GitHub made of them, with the same verdict."""
        finals = {r.name: {"conclusion": o.conclusion, "title": o.title, "summary": o.summary}
                  for r, o in ends}  # fmt: skip
        self.book.set_finals(self.key, finals)
        copies = [(c, _as_copy(finals[c.name])) for c in self.book.copies(self.key)
                  if c.name in finals]  # fmt: skip
        self._send([*ends, *copies])
        self.book.mark_concluded(self.key)

    def _send(self, ends: list[tuple[RunRef, Outcome]]) -> None:
        """Send the updates that end these runs; an update GitHub already applied is not sent
        again (a retry after a batch that partly failed would append its annotations twice)."""
        sent = self.book.sent(self.key)
        for updates in completion_requests(ends):
            todo = [(u, d) for u in updates if (d := digest(_update_key(u))) not in sent]
            if not todo:
                continue
            try:
                self.inst.update_runs(self.repo_node_id, [u for u, _ in todo])
            except PartlyDone as exc:
                self.book.mark_sent(self.key, [todo[n][1] for n in exc.done])
                raise
            self.book.mark_sent(self.key, [d for _, d in todo])

    def conclude_all(self, make: Callable[[str], Outcome]) -> None:
        """End every run of this work with ``make(check)`` unless they were already ended."""
        if self.book.concluded(self.key):
            return
        runs = self.runs()
        self.conclude([(runs[c], make(c)) for c in self.checks])


def _as_copy(final: dict[str, str]) -> Outcome:
    note = ("\n\n_This run is a copy GitHub made when a request from prgate got no answer; "
            "it carries the same verdict as the other run of this name._")  # fmt: skip
    return Outcome(final["conclusion"], final["title"], final["summary"] + note)


def _update_key(update: RunUpdate) -> object:
    """What identifies an update's effect: the run and everything sent to it."""
    return [update.run.node_id, update.status, update.conclusion, update.title, update.summary,
            update.text, list(update.annotations)]  # fmt: skip


def _current_job_id(default: str) -> str:
    from rq import get_current_job

    job = get_current_job()
    return job.id if job is not None else default


def _log(message: str, req: CheckRequest, **fields: Any) -> None:
    log.info(
        message,
        extra={"delivery": req.delivery_id, "event": req.event, "repo": req.repo_full_name,
               "pr": req.pr_number, "sha": req.head_sha, **fields},
    )  # fmt: skip


# --- jobs -----------------------------------------------------------------------------------


def announce_checks(request: dict[str, Any], job_id: str) -> dict[str, Any]:
    """Show the work as accepted: the check runs appear as ``queued``."""
    req = CheckRequest.model_validate(request)
    work = Work.open(req, job_id)
    start = time.monotonic()
    try:
        runs = work.runs()
    finally:
        record_job(work.redis, work.settings, "announce", work.calls, time.monotonic() - start)
    _log("check runs queued", req, calls=work.calls)
    return {"status": "announced", "runs": sorted(runs), "calls": work.calls}


def run_checks(request: dict[str, Any]) -> dict[str, Any]:
    req = CheckRequest.model_validate(request)
    work = Work.open(req, _current_job_id("local"))
    start = time.monotonic()
    status = "failed"
    try:
        status = _run(work)
        return {"status": status, "calls": work.calls, "sha": req.head_sha}
    finally:
        seconds = time.monotonic() - start
        record_job(work.redis, work.settings, "checks", work.calls, seconds)
        _log("checks job ended", req, outcome=status, calls=work.calls,
             ms=int(seconds * 1000), phases=work.phases)  # fmt: skip


def _run(work: Work) -> str:
    req = work.req
    with work.phase("start"):
        runs = work.runs()
        work.inst.update_runs(
            work.repo_node_id, [RunUpdate(r, "IN_PROGRESS") for r in runs.values()]
        )
    cache = RepoCache(
        Path(work.settings.cache_dir) if work.settings.cache_dir else default_cache_dir(),
        req.repo_id,
        req.clone_url or f"{work.settings.web_url}/{req.repo_full_name}.git",
        work.inst.token(),
    )
    with work.phase("fetch"):
        cache.fetch(pull_refspecs(req.pr_number, req.head_sha, req.base_ref))
        if not cache.has_commit(req.head_sha):
            cache.fetch([req.head_sha])  # the PR moved on since; its old head is still reachable
        base_sha = cache.rev(base_ref_name(req.base_ref))
    note = _config_change(cache, base_sha, req.head_sha, work.base_label)
    try:
        config = _base_config(cache, base_sha, work.base_label)
    except ConfigError as exc:
        reason = f"`{CONFIG_PATH}` on the base branch is invalid:\n\n```\n{exc}\n```"
        work.conclude(_noted([(runs[c], neutral(c, reason)) for c in work.checks], note))
        return "config-error"
    enabled = [c for c in work.checks if config.settings(c).enabled]
    withheld = None
    if "hook-validation" in enabled and config.hook_validation.render:
        withheld = _render_withheld(work)
        if withheld is not None:
            off = config.hook_validation.model_copy(update={"render": False})
            config = config.model_copy(update={"hook_validation": off})
    with work.phase("checkout"), cache.worktree(req.head_sha) as path, work.phase("checks"):
        report = _engine(path, config, enabled, base_sha)
    if report is not None and withheld is not None:
        _add_note(report, "hook-validation", withheld)
    with work.phase("report"):
        return _report(work, runs, report, enabled, note)


def _config_change(cache: RepoCache, base_sha: str, head_sha: str, base: str) -> ConfigNote | None:
    """The note for a pull request that changes ``.github/prgate.yml`` (None when it does not).

    Compared with where the head branched from the base, so a change made on the
    base branch since is not taken for the pull request's.
    """
    fork_point = cache.merge_base(base_sha, head_sha) or base_sha
    if cache.blob_id(fork_point, CONFIG_PATH) == cache.blob_id(head_sha, CONFIG_PATH):
        return None
    after = cache.show(head_sha, CONFIG_PATH)
    return config_note(after.decode("utf-8-sig", "replace") if after is not None else None, base)


def _noted(
    ends: list[tuple[RunRef, Outcome]], note: ConfigNote | None
) -> list[tuple[RunRef, Outcome]]:
    """Every run gets the config note; only the first carries its line annotations."""
    if note is None:
        return ends
    return [(run, with_note(out, note, annotate=i == 0)) for i, (run, out) in enumerate(ends)]


def _render_withheld(work: Work) -> str | None:
    """Why the sandboxed render may not run for this head (None: it may): the author must be
    trusted, or someone with write access must have approved this SHA (``/prgate ok-to-test``)."""
    req = work.req
    if req.pr_number is None:
        return (
            "the sandboxed render did not run: without a pull request prgate cannot tell who "
            "wrote this commit (GitHub names no pull request for commits from forks)."
        )
    approved = work.trust.approved_by(req.repo_id, req.pr_number, req.head_sha)
    if approved:  # no need to ask GitHub who the author is
        _log("render approved by ok-to-test", req, approved_by=approved)
        return None
    state = work.inst.pull_state(*work.owner_name, req.pr_number)
    return render_refusal(state.author, state.author_association, None, req.head_sha)


def _add_note(report: Report, check: str, message: str) -> None:
    for n, result in enumerate(report.results):
        if result.check == check:
            notes = [*result.notes, Note(message=message)]
            report.results[n] = result.model_copy(update={"notes": notes})


def _report(
    work: Work,
    runs: dict[str, RunRef],
    report: Report | None,
    enabled: list[str],
    note: ConfigNote | None,
) -> str:
    req = work.req
    state = _pull_state(work)
    if state is not None and state.head_sha != req.head_sha:
        why = f"superseded by {state.head_sha[:12]}: the pull request's head moved"
        work.conclude([(runs[c], skipped(c, why)) for c in work.checks])
        return "superseded"
    results = {r.check: r for r in report.results} if report else {}
    ends = []
    for check in work.checks:
        if report is not None and check in results:
            ends.append((runs[check], outcome(results[check], report.files, work.base_label)))
        else:
            ends.append((runs[check], skipped(check, f"switched off in `{CONFIG_PATH}`")))
    work.conclude(_noted(ends, note))
    if state is not None and state.state == "OPEN" and report is not None:
        _review(work, state, report.findings, enabled)
    return "completed"


def _base_config(cache: RepoCache, base_sha: str, base_ref: str) -> RepoConfig:
    """``.github/prgate.yml`` as it is on the base branch: a PR cannot switch off its own gate."""
    data = cache.show(base_sha, CONFIG_PATH)
    if data is None:
        return RepoConfig()
    known = rule_ids()
    return parse_config(data.decode("utf-8-sig", "replace"), f"{base_ref}:{CONFIG_PATH}", known)


def _engine(path: Path, config: RepoConfig, enabled: list[str], base: str) -> Report | None:
    from workers.engine.repo import CheckoutView
    from workers.engine.runner import check_repository

    if not enabled:
        return None
    # the job's own fresh worktree: its index lists it, no walk for untracked files
    return check_repository(CheckoutView(path), config, only=enabled, base=base)


def _pull_state(work: Work) -> PullState | None:
    if work.req.pr_number is None:
        return None
    return work.inst.pull_state(*work.owner_name, work.req.pr_number)


def _review(work: Work, state: PullState, findings: list[Finding], ran: list[str]) -> None:
    owner, name = work.owner_name
    number, sha = state.number, work.req.head_sha
    commentable = [f for f in findings if not f.pre_existing and f.suppressed is None]
    files = work.inst.pull_files(owner, name, number) if commentable else []
    plan = plan_review(findings, Diff.from_files(files), state.threads, ran)
    if plan.comments:
        work.inst.create_review(owner, name, number, sha, review_body(plan, sha), plan.comments)
    for path, body in plan.file_comments:
        work.inst.file_comment(owner, name, number, sha, path, body)
    refused = work.inst.resolve_threads(plan.resolve)
    first_comment = {t.id: t.comments[0].database_id for t in state.threads if t.comments}
    for comment_id in [first_comment[t] for t in plan.resolve if t in refused] + plan.fixed_replies:
        work.inst.reply(owner, name, number, comment_id, fixed_reply(sha))


# --- when work ends badly -------------------------------------------------------------------


def on_check_failure(
    job: Job,
    connection: Redis,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    tb: TracebackType | None,
) -> None:
    """RQ's failure callback for ``run_checks``: exceptions, timeouts, and abandoned jobs.

    While RQ will retry, the runs stay as they are; after the last attempt they
    are concluded ``neutral`` with the reason, so a required check never hangs.
    A refusal GitHub would repeat (a 403 that is no rate limit, a 404, a 422)
    ends the retries now: waiting 10, 60 and 300 s would only delay the
    neutral conclusion by six minutes.
    """
    stop_retrying_if_permanent(job, exc_value)
    if job.should_retry:
        return
    req = CheckRequest.model_validate(job.kwargs["request"])
    reason = failure_reason(job, exc_value)
    try:
        work = Work.open(req, job.id)
        work.conclude_all(lambda check: neutral(check, reason))
    except Exception as exc:  # nothing more can be done here; say so in the log
        log.error("could not conclude check runs after a failure: %s", _safe(exc))
        return
    _log("check runs concluded neutral after a failure", req, outcome="neutral", reason=reason)


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


def sweep_strays(request: dict[str, Any], job_id: str) -> dict[str, Any]:
    """End this work's check runs that GitHub made unseen, after prgate made its own.

    A create request that timed out on prgate's side may still be carried out
    by GitHub, after the retry made the runs again; without this, those copies
    would stay queued on the commit forever, and a required check with them.
    """
    req = CheckRequest.model_validate(request)
    work = Work.open(req, job_id)
    recorded = {r.node_id for r in work.book.get(work.key).values()}
    known = recorded | {c.node_id for c in work.book.copies(work.key)}
    copies = [
        f.run for f in work._found() if f.run.node_id not in known and f.status != "COMPLETED"
    ]
    work.end_copies(copies)
    return {"status": "swept", "copies": len(copies), "calls": work.calls}


def conclude_superseded(request: dict[str, Any], job_id: str, new_sha: str) -> dict[str, Any]:
    """A newer push canceled this queued work: end its runs as skipped."""
    req = CheckRequest.model_validate(request)
    work = Work.open(req, job_id)
    why = f"superseded by {new_sha[:12]}: a newer commit was pushed before this one was checked"
    if work.book.get(work.key):
        work.conclude_all(lambda check: skipped(check, why))
    return {"status": "superseded", "by": new_sha}


def installation_changed(request: dict[str, Any]) -> dict[str, Any]:
    """An installation, or who may do what in it, changed: drop what was cached about it.

    Installation events drop the repository -> installation map and the
    installation's cached roles; member/team/organization events drop the roles
    (of one repository for ``member``).
    """
    req = InstallationRequest.model_validate(request)
    settings, redis = Session.connect()
    dropped = Trust(redis, settings).forget_roles(req.installation_id, req.repo_id)
    if req.event.startswith("installation"):
        keys = list(redis.scan_iter(f"{settings.queue}:installation:*", count=500))
        dropped += int(redis.delete(*keys)) if keys else 0
    log.info("installation changed", extra={"delivery": req.delivery_id, "event": req.event,
                                            "dropped": dropped})  # fmt: skip
    return {"status": "recorded", "installation_id": req.installation_id, "dropped": dropped}
