"""Merge queues: a merge group is gated as a pull request from its parent commit to its head
would be, its runs never stay queued, and a check suite on its head changes nothing.

Real payloads (GitHub's published examples, judged by its published webhook schema), real
Redis, RQ and git; GitHub's API faked (``tests.support.worker_harness``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import WEBHOOKS, Tokens, git
from tests.support.worker_harness import Harness
from workers.jobs.merge_group import merge_group_removed
from workers.shared.names import CHECK_NAMES, CHECK_RUN_PREFIX
from workers.shared.work import GroupRemovedRequest

ENV = f"GITHUB_TOKEN={Tokens.github()}\n"
RUNS = [CHECK_RUN_PREFIX + c for c in CHECK_NAMES]
REPO_ID = json.loads((WEBHOOKS / "merge_group" / "checks_requested.payload.json").read_text())[
    "repository"
]["id"]


def _group(gh: Harness, files: dict[str, str | None]) -> tuple[str, str]:
    """A merge group's head on a readonly queue branch: main's tip plus ``files``, as
    GitHub builds it; (head, base)."""
    base = git(gh.origin, "rev-parse", "main").strip()
    git(gh.origin, "checkout", "-q", "-B", "gh-readonly-queue/main/pr-1")
    head = gh.commit(files, "Merge pull request #1")
    git(gh.origin, "checkout", "-q", "main")
    return head, base


def _conclusions(gh: Harness, sha: str) -> dict[str, str | None]:
    runs = [r for r in gh.fake.runs.values() if r.head_sha == sha]
    assert sorted(r.name for r in runs) == sorted(RUNS), [r.name for r in runs]  # one set
    return {r.name: r.conclusion for r in runs}


def test_a_group_that_adds_a_committed_env_fails_on_its_head(gh: Harness) -> None:
    head, base = _group(gh, {"tpl/.env": ENV})
    routed = gh.merge_group(head, base)
    assert routed.jobs and "queued" in routed.reason
    gh.work()
    ends = _conclusions(gh, head)
    assert ends["prgate/contamination"] == "FAILURE"
    assert all(r.status == "COMPLETED" for r in gh.fake.runs.values())
    run = gh.fake.run("prgate/contamination")
    levels = {a["path"]: a["annotationLevel"] for a in run.annotations}
    assert levels == {"tpl/.env": "FAILURE", "tpl/app.py": "NOTICE"}  # app.py's is the base's
    assert gh.fake.reviews == []  # no pull request: no review comments
    assert f"against `main at {base[:12]}`" in (run.summary or "")


def test_a_clean_group_passes_and_the_base_s_findings_stay_notes(gh: Harness) -> None:
    head, base = _group(gh, {"docs/a.md": "a\n"})
    gh.merge_group(head, base)
    gh.work()
    ends = _conclusions(gh, head)
    assert set(ends.values()) <= {"SUCCESS", "NEUTRAL", "SKIPPED"}, ends
    assert ends["prgate/contamination"] == "SUCCESS"  # tpl/app.py's token is on the base


def test_the_group_is_gated_against_its_base_sha_not_the_branch_tip(gh: Harness) -> None:
    """main moved on after the group was built, with the same .env: against main's tip the
    .env would be pre-existing; against the group's parent it is new."""
    head, base = _group(gh, {"tpl/.env": ENV})
    gh.commit({"tpl/.env": ENV}, "main gets the same file")
    gh.merge_group(head, base)
    gh.work()
    assert _conclusions(gh, head)["prgate/contamination"] == "FAILURE"


def test_the_verdict_equals_a_pull_request_s_from_base_to_head(gh: Harness) -> None:
    head, base = _group(gh, {"tpl/.env": ENV, "docs/a.md": "a\n"})
    gh.merge_group(head, base)
    gh.work()
    group = _conclusions(gh, head)
    gh.fake.runs.clear()
    gh.push_pr(head)
    gh.deliver(head)
    gh.work()
    assert _conclusions(gh, head) == group


@pytest.mark.parametrize("order", ["suite-first", "group-first"])
def test_a_check_suite_for_the_group_head_changes_nothing(gh: Harness, order: str) -> None:
    """GitHub also sends check_suite.requested for a queue branch's head; it names no pull
    request and is not gated: one set of runs, the group's verdict."""
    head, base = _group(gh, {"tpl/.env": ENV})
    if order == "suite-first":
        suite = gh.check_suite(head)
        gh.merge_group(head, base)
    else:
        gh.merge_group(head, base)
        suite = gh.check_suite(head)
    assert not suite.jobs and "merge_group" in suite.reason
    gh.work()
    assert _conclusions(gh, head)["prgate/contamination"] == "FAILURE"


def test_a_rerun_of_the_group_head_is_gated_against_the_group_s_base(gh: Harness) -> None:
    """ "Re-run all" on the head (check_suite.rerequested, no pull request named, no base):
    gated as the group was, not against the default branch."""
    head, base = _group(gh, {"tpl/.env": ENV})
    gh.commit({"tpl/.env": ENV}, "main gets the same file")  # the default branch has it
    gh.merge_group(head, base)
    gh.work()
    rerun = gh.check_suite(head, action="rerequested")
    assert rerun.jobs
    gh.work()
    latest = gh.fake.runs_named("prgate/contamination")
    assert len(latest) == 2 and latest[-1].conclusion == "FAILURE"


def test_a_group_removed_while_queued_leaves_no_run_queued(gh: Harness) -> None:
    head, base = _group(gh, {"tpl/.env": ENV})
    gh.merge_group(head, base)
    removed = gh.merge_group(head, base, action="destroyed")
    assert removed.jobs and "dequeued" in removed.reason
    gh.work()
    runs = [r for r in gh.fake.runs.values() if r.head_sha == head]
    assert runs and all(r.status == "COMPLETED" for r in runs), [r.history for r in runs]
    assert {r.conclusion for r in runs} == {"SKIPPED"}
    assert all("IN_PROGRESS" not in r.history for r in runs)  # the check job never ran
    assert "removed from the merge queue (dequeued)" in runs[0].summary


def test_a_group_removed_before_its_runs_were_announced(gh: Harness) -> None:
    """The removal is handled first: the announce job that comes after ends what it made."""
    head, base = _group(gh, {"tpl/.env": ENV})
    removed = gh.merge_group(head, base, action="destroyed")
    merge_group_removed(removed.jobs[0].model_dump(mode="json"))  # before any job runs
    gh.merge_group(head, base)
    gh.work()
    runs = [r for r in gh.fake.runs.values() if r.head_sha == head]
    assert runs and {(r.status, r.conclusion) for r in runs} == {("COMPLETED", "SKIPPED")}


def test_a_group_removed_while_its_checks_run_ends_them_skipped(
    gh: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workers.jobs.check as check_job

    head, base = _group(gh, {"tpl/.env": ENV})
    gh.merge_group(head, base)
    engine = check_job._engine
    results: list[dict[str, Any]] = []

    def engine_then_removed(*args: Any, **kwargs: Any) -> Any:
        found = engine(*args, **kwargs)
        request = GroupRemovedRequest(
            delivery_id="removed-1",
            event="merge_group.destroyed",
            repo_id=REPO_ID,
            repo_full_name="Codertocat/Hello-World",
            head_sha=head,
            reason="invalidated",
        )
        results.append(merge_group_removed(request.model_dump(mode="json")))
        return found

    monkeypatch.setattr(check_job, "_engine", engine_then_removed)
    gh.work()
    assert results and results[0]["running"] is True
    runs = [r for r in gh.fake.runs.values() if r.head_sha == head]
    assert {(r.status, r.conclusion) for r in runs} == {("COMPLETED", "SKIPPED")}
    assert "(invalidated)" in runs[0].summary


def test_the_render_does_not_run_on_a_merge_group_and_says_why(gh: Harness) -> None:
    gh.commit({".github/prgate.yml": "hook-validation:\n  render: true\n"}, "render on")
    head, base = _group(gh, {"docs/a.md": "a\n"})
    gh.merge_group(head, base)
    gh.work()
    summary = gh.fake.run("prgate/hook-validation").summary or ""
    assert "did not run on this merge group" in summary
