"""RQ job functions. The receiver enqueues them by dotted name with a JSON request.

Each job validates its request model first, so a malformed job fails loudly
in RQ's failed registry instead of doing half the work.

A pull request's life in the worker:

1. ``announce_checks`` (fast queue): the check runs (one per check) appear as
   ``queued`` on the head SHA as soon as the delivery is accepted.
2. ``run_checks``: runs go ``in_progress``; the PR's head and base are fetched
   into the repository cache (the checks read the head commit from it, with
   no worktree); ``.github/prgate.yml`` is read from the **base**; the checks
   run; the PR is re-read — if its head moved, the runs end ``skipped`` ("superseded by")
   and no review is posted — else the runs are completed and one review
   carries the inline comments; threads of fixed findings are resolved.
3. Failures never leave a run hanging: an error GitHub or git may get over
   (5xx, rate limit, network) fails the attempt and RQ retries it; the last
   attempt, a timeout, or a worker killed mid-job (RQ's abandoned-job sweep)
   ends in ``on_check_failure``, which concludes the runs could-not-run
   (``action_required``, which blocks a merge) with the reason. A newer push
   cancels queued work; ``conclude_superseded`` then ends its runs.
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workers.checks.hook_validation.settings import HookValidationSettings
from workers.engine.config import CONFIG_PATH, ConfigError, RepoConfig
from workers.engine.findings import Note
from workers.engine.git import RepoError
from workers.github.types import PullState, RunRef, RunUpdate
from workers.jobs.checkout import (
    CheckoutError,
    RepoCache,
    base_ref_name,
    default_cache_dir,
    evict,
    pull_refspecs,
)
from workers.jobs.context import Work, current_job_id
from workers.jobs.merge_group import end_if_removed, with_group_base
from workers.jobs.trust import render_refusal
from workers.publish.check_run import (
    ConfigNote,
    Outcome,
    config_note,
    could_not_run,
    outcome,
    skipped,
    with_note,
)
from workers.publish.review import Diff, fixed_reply, plan_review, review_body
from workers.shared.logs import log_job
from workers.shared.stats import record_job
from workers.shared.work import CheckRequest

if TYPE_CHECKING:
    from workers.engine.findings import Finding
    from workers.engine.runner import Report


def run_checks(request: dict[str, Any]) -> dict[str, Any]:
    req = CheckRequest.model_validate(request)
    work = Work.open(req, current_job_id("local"))
    with_group_base(work)
    start = time.monotonic()
    status = "failed"
    try:
        status = _run(work)
        _trim_cache(work)
        return {"status": status, "calls": work.calls, "sha": req.head_sha}
    finally:
        seconds = time.monotonic() - start
        record_job(work.redis, work.settings, "checks", work.calls, seconds)
        log_job(
            "checks job ended",
            req,
            outcome=status,
            calls=work.calls,
            ms=int(seconds * 1000),
            phases=work.phases,
        )


def _run(work: Work) -> str:
    req = work.req
    if end_if_removed(work):
        return "superseded"
    with work.phase("start"):
        runs = work.runs.ensure()
        work.inst.update_runs(
            work.repo_node_id, [RunUpdate(r, "IN_PROGRESS") for r in runs.values()]
        )
    cache = RepoCache(
        _cache_root(work),
        req.repo_id,
        req.clone_url or f"{work.settings.web_url}/{req.repo_full_name}.git",
        work.inst.token(),
    )
    with cache.in_use():
        return _checked(work, runs, cache)


def _checked(work: Work, runs: dict[str, RunRef], cache: RepoCache) -> str:
    req = work.req
    with work.phase("fetch"):
        if req.base_sha is not None:  # a merge group: gated against its parent commit
            cache.fetch([req.head_sha, req.base_sha])
            base_sha = req.base_sha
        else:
            cache.fetch(pull_refspecs(req.pr_number, req.head_sha, req.base_ref))
            if not cache.has_commit(req.head_sha):
                cache.fetch([req.head_sha])  # the PR moved on; its old head is still reachable
            base_sha = cache.rev(base_ref_name(req.base_ref))
    note = _config_change(cache, base_sha, req.head_sha, work.base_label)
    try:
        config = _base_config(cache, base_sha, work.base_label)
    except ConfigError as exc:
        reason = f"{CONFIG_PATH} on the base branch is invalid:"
        ends = [(runs[c], could_not_run(c, reason, detail=str(exc))) for c in work.checks]
        work.runs.conclude(_noted(ends, note))
        return "config-error"
    work.runs.book.set_policy(work.runs.key, config.could_not_run)
    enabled = [c for c in work.checks if config.settings(c).enabled]
    withheld = None
    hv = config.settings("hook-validation")
    if "hook-validation" in enabled and isinstance(hv, HookValidationSettings) and hv.render:
        withheld = _render_withheld(work)
        if withheld is not None:
            config = config.with_check("hook-validation", render=False)
    if enabled:
        with work.phase("blobs"):
            cache.fetch_blobs(req.head_sha)
    with work.phase("checks"):
        report, corrupt = _engine(cache, req, config, enabled, base_sha)
        if corrupt and cache.drop_objects(corrupt):
            # a corrupt cached object is dropped and fetched again, once; a second failure
            # is the checks' could-not-run (or the job's), never a pass
            log_job("corrupt cached objects fetched again", req, objects=sorted(corrupt))
            cache.fetch_blobs(req.head_sha)
            report, corrupt = _engine(cache, req, config, enabled, base_sha)
        if report is None and corrupt:
            raise CheckoutError(f"the worker's cache holds corrupt objects: {sorted(corrupt)}")
    if report is not None and withheld is not None:
        _add_note(report, "hook-validation", withheld)
    with work.phase("report"):
        return _report(work, runs, report, enabled, note)


def _cache_root(work: Work) -> Path:
    return Path(work.settings.cache_dir) if work.settings.cache_dir else default_cache_dir()


def _trim_cache(work: Work) -> None:
    """Keep the cache within its bound, once the runs are completed (off the PR's clock)."""
    try:
        removed = evict(_cache_root(work), work.settings.cache_max_bytes)
    except OSError as exc:  # a full or read-only disk: the next job's fetch will say so
        log_job("cache eviction failed", work.req, error=str(exc))
        return
    if removed:
        log_job("cache evicted", work.req, repositories=removed)


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
    if req.base_sha is not None:
        return (
            "the sandboxed render did not run on this merge group: it runs for a pull request "
            "whose author prgate can trust (or one a maintainer approved), and each pull "
            "request in the group had its own run."
        )
    if req.pr_number is None:
        return (
            "the sandboxed render did not run: without a pull request prgate cannot tell who "
            "wrote this commit (GitHub names no pull request for commits from forks)."
        )
    approved = work.trust.approved_by(req.repo_id, req.pr_number, req.head_sha)
    if approved:  # no need to ask GitHub who the author is
        log_job("render approved by ok-to-test", req, approved_by=approved)
        return None
    state = work.inst.pull_state(*work.owner_name, req.pr_number)
    return render_refusal(state.author, state.author_association, None, req.head_sha)


def _add_note(report: Report, check: str, message: str) -> None:
    for n, result in enumerate(report.results):
        if result.check == check:
            notes = [*result.notes, Note(message=message)]
            report.results[n] = dataclasses.replace(result, notes=notes)


def _report(
    work: Work,
    runs: dict[str, RunRef],
    report: Report | None,
    enabled: list[str],
    note: ConfigNote | None,
) -> str:
    req = work.req
    if end_if_removed(work):
        return "superseded"
    state = _pull_state(work)
    if state is not None and state.head_sha != req.head_sha:
        why = f"superseded by {state.head_sha[:12]}: the pull request's head moved"
        work.runs.conclude([(runs[c], skipped(c, why)) for c in work.checks])
        return "superseded"
    results = {r.check: r for r in report.results} if report else {}
    ends = []
    for check in work.checks:
        if report is not None and check in results:
            ends.append((runs[check], outcome(results[check], report.files, work.base_label)))
        else:
            ends.append((runs[check], skipped(check, f"switched off in `{CONFIG_PATH}`")))
    work.runs.conclude(_noted(ends, note))
    if state is not None and state.state == "OPEN" and report is not None:
        _review(work, state, report.findings, enabled)
    return "completed"


def _base_config(cache: RepoCache, base_sha: str, base_ref: str) -> RepoConfig:
    """``.github/prgate.yml`` as it is on the base branch, with its baseline from there too: a
    PR can neither switch off its own gate nor accept its own findings."""
    from workers.engine.baseline import config_at

    def read(path: str) -> str | None:
        found = cache.show(base_sha, path)
        return found.decode("utf-8-sig", "replace") if found is not None else None

    return config_at(read, f"{base_ref}:")


def _engine(
    cache: RepoCache, req: CheckRequest, config: RepoConfig, enabled: list[str], base: str
) -> tuple[Report | None, set[str]]:
    """The checks on the head commit, read from the cache's object store: no worktree; and
    the objects the store could not give whole (a corrupt cache)."""
    from workers.engine.runner import check_repository
    from workers.engine.views import GitCommitView

    if not enabled:
        return None, set()
    # Jest's patterns match absolute paths: give them the path GitHub Actions checks out at,
    # not the cache's (whose `.git` or `cache` a pattern could match)
    name = req.repo_full_name.rpartition("/")[2]
    view = GitCommitView(cache.dir, req.head_sha, seen_at=Path("/home/runner/work") / name / name)
    try:
        return check_repository(view, config, only=enabled, base=base), view.unreadable
    except RepoError as exc:  # git itself stopped at a corrupt loose object (ls-tree, grep)
        found = {a + b for a, b in _LOOSE.findall(str(exc))}
        if not found:
            raise
        return None, found
    finally:
        view.close()


_LOOSE = re.compile(r"objects/([0-9a-f]{2})/([0-9a-f]{38}|[0-9a-f]{62})\b")


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
