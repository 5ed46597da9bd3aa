"""The worker against GitHub faked at the HTTP level (respx), with real Redis, git and RQ.

Each test delivers a real payload through the receiver's routing and queue,
runs the jobs in an in-process RQ worker, and asserts the requests githubkit
sent and the state the fake GitHub ended in.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from tests.conftest import git
from tests.support.worker_harness import HOST, NUMBER, RUNS, Harness
from workers.shared.names import CHECK_NAMES

# --- a clean pull request ---------------------------------------------------------------------


def test_clean_pr_costs_at_most_8_calls_and_ends_success(gh: Harness) -> None:
    sha = gh.open_pr({"docs/guide.md": "# guide\n"})
    gh.deliver(sha)
    gh.work()

    assert gh.fake.calls() == [
        "POST /api/v3/app/installations/77/access_tokens",
        "graphql createCheckRun",  # all five runs, queued, in one request
        "graphql updateCheckRun",  # in progress
        "graphql pullRequest",  # the head, re-read before posting
        "graphql updateCheckRun",  # completed
    ]
    _, _, create = gh.fake.requests[1]
    names = sorted(v["name"] for v in create["variables"].values())
    assert names == [
        "prgate/contamination",
        "prgate/hook-validation",
        "prgate/jest-collision",
        "prgate/nx-generators",
        "prgate/ts-imports",
    ]
    assert {v["headSha"] for v in create["variables"].values()} == {sha}
    assert all(v["status"] == "QUEUED" for v in create["variables"].values())
    assert all(
        v["detailsUrl"].endswith(f"/pull/{NUMBER}/files") for v in create["variables"].values()
    )
    for name in names:
        run = gh.fake.run(name)
        # no tsconfig and no Nx generator here: ts-imports and nx-generators have nothing
        # to judge, and say so
        skipped = ("prgate/ts-imports", "prgate/nx-generators")
        end = "COMPLETED:SKIPPED" if name in skipped else "COMPLETED:SUCCESS"
        assert run.history == ["QUEUED", "IN_PROGRESS", end], name
        assert run.external_id
    # the base's pre-existing token in tpl/app.py is reported, as a note, not a failure
    contamination = gh.fake.run("prgate/contamination")
    assert "1 pre-existing finding" in (contamination.summary or "")
    assert [(a["path"], a["annotationLevel"]) for a in contamination.annotations] == [
        ("tpl/app.py", "NOTICE")
    ]
    assert gh.fake.run("prgate/jest-collision").annotations == []
    assert gh.fake.reviews == [] and gh.fake.threads == []
    job = gh.check_job()
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value()["calls"] <= 8 - 1  # the announce job made the create call
    assert len(gh.fake.requests) <= 8


# --- findings on diff lines, outside the diff, and fixes as suggestions ------------------------

JEST_ROOT = """{
  "name": "monorepo",
  "private": true,
  "devDependencies": {
    "jest": "^29.7.0"
  },
  "jest": {
    "testPathIgnorePatterns": ["/node_modules/"]
  }
}
"""


def test_findings_in_and_outside_the_diff(gh: Harness) -> None:
    sha = gh.open_pr(
        {
            "tpl/.env": "API_KEY=abc123\n",  # new file: whole-file and line findings
            "tpl/app.py": (gh.origin / "tpl/app.py").read_text() + "y = 1\n",  # token on line 1
            "package.json": JEST_ROOT,
            "packages/web/package.json": '{"name": "web"}\n',
            "apps/web-smoke/package.json": '{"name": "web"}\n',
        }
    )
    gh.deliver(sha)
    gh.work()

    calls = gh.fake.calls()
    assert calls.count("POST /api/v3/repos/Codertocat/Hello-World/pulls/1/reviews") == 1
    review = gh.fake.reviews[0]
    assert review["event"] == "COMMENT" and review["commit_id"] == sha
    by_path = {c["path"]: c for c in review["comments"]}
    # line 1 of the new .env is in the diff: an inline comment with the fix as prose
    assert by_path["tpl/.env"]["line"] == 1 and by_path["tpl/.env"]["side"] == "RIGHT"
    assert "contamination/secret" in by_path["tpl/.env"]["body"]
    # the haste collision's fix is a line of the new root package.json: a suggestion
    suggestion = by_path["package.json"]
    assert (
        "```suggestion\n" in suggestion["body"] and "modulePathIgnorePatterns" in suggestion["body"]
    )
    # the token on line 1 of tpl/app.py is outside the hunk (line 42 changed): no comment
    assert "tpl/app.py" not in by_path
    app_py = [
        a for a in gh.fake.run("prgate/contamination").annotations if a["path"] == "tpl/app.py"
    ]
    assert app_py and app_py[0]["location"]["startLine"] == 1
    # the whole-file finding (an env file in a template) is a file-level comment
    file_level = [t for t in gh.fake.threads if t.line is None]
    assert [t.path for t in file_level] == ["tpl/.env"]
    assert "contamination/env-file" in file_level[0].comments[0].body
    # every comment carries its hidden fingerprint marker
    assert all(
        re.search(r"<!-- prgate:finding [a-z-]+ [0-9a-f]{32} -->", t.comments[0].body)
        for t in gh.fake.threads
    )
    assert gh.fake.run("prgate/contamination").conclusion == "FAILURE"
    assert gh.fake.run("prgate/jest-collision").conclusion == "FAILURE"
    assert gh.fake.run("prgate/hook-validation").conclusion == "SUCCESS"
    assert not any(
        r[1].endswith("/comments") and r[2] and r[2].get("subject_type") != "file"
        for r in gh.fake.requests
    )


def test_120_findings_go_in_three_annotation_batches(gh: Harness) -> None:
    files = {f"tpl/svc{i:03}/.env.local": f"TOKEN=value{i}\n" for i in range(60)}
    sha = gh.open_pr(files)  # 60 env files x (env-file + secret) = 120 findings
    gh.deliver(sha)
    gh.work()

    updates = [
        body
        for _, path, body in gh.fake.requests
        if path.endswith("/graphql") and "updateCheckRun" in body["query"]
    ]
    sizes = [
        sum(
            len((v.get("output") or {}).get("annotations") or [])
            for v in body["variables"].values()
        )
        for body in updates
    ]
    contamination = gh.fake.run("prgate/contamination")
    total = len(contamination.annotations)
    assert total == 121  # 120 new + the base's pre-existing token
    assert sizes == [0, 50, 50, 21]  # in progress, two batches, then the completion with the rest
    completion = updates[-1]["variables"]
    assert {v["status"] for v in completion.values()} == {"COMPLETED"}
    assert contamination.history[-1] == "COMPLETED:FAILURE"
    assert contamination.history[-2] == "IN_PROGRESS"  # annotations landed before completion
    assert len(contamination.summary or "") <= 65_535 and len(contamination.text or "") <= 65_535


# --- reruns: no duplicate comments; fixed findings' threads resolved ---------------------------


def test_rerun_does_not_repeat_comments_and_resolves_fixed_threads(gh: Harness) -> None:
    sha = gh.open_pr({"tpl/.env": "API_KEY=abc123\n", "tpl/.env.local": "SECRET=zzz\n"})
    gh.deliver(sha)
    gh.work()
    first = len(gh.fake.threads)
    assert first == 4  # two files x (file-level env-file + line-1 secret)

    gh.deliver(sha, "reopened")  # same head: same findings
    gh.work()
    assert len(gh.fake.threads) == first
    assert len(gh.fake.reviews) == 1

    # the author deletes .env.local; one of its threads may not be resolved by the App
    local = [t for t in gh.fake.threads if t.path == "tpl/.env.local"]
    local[0].can_resolve = False
    git(gh.origin, "checkout", "-q", "feature")
    fixed = gh.commit({"tpl/.env.local": None}, "drop env file")
    git(gh.origin, "checkout", "-q", "main")
    gh.push_pr(fixed)
    gh.deliver(fixed, "synchronize")
    gh.work()

    assert len(gh.fake.threads) == first  # nothing new posted
    assert local[1].resolved and not local[0].resolved
    replies = [c.body for c in local[0].comments[1:]]
    assert len(replies) == 1 and replies[0].startswith(f"Fixed in {fixed[:12]}")
    assert not any(t.resolved for t in gh.fake.threads if t.path == "tpl/.env")

    gh.deliver(fixed, "reopened")  # once more: the reply is not repeated
    gh.work()
    assert len(local[0].comments) == 2


# --- the head moves while the job runs ---------------------------------------------------------


def test_head_moved_mid_job_skips_runs_and_posts_no_review(gh: Harness) -> None:
    sha = gh.open_pr({"tpl/.env": "API_KEY=abc123\n"})
    gh.deliver(sha)
    newer = "f" * 40

    def move_head(method: str, path: str, body: Any) -> None:
        if path.endswith("/graphql") and body and "pullRequest(number" in body["query"]:
            gh.fake.pulls[NUMBER].head_sha = newer  # a push landed while the checks ran

    gh.fake.on_request = move_head
    gh.work()

    for name in RUNS:
        run = gh.fake.run(name)
        assert run.history[-1] == "COMPLETED:SKIPPED"
        assert f"superseded by {newer[:12]}" in (run.summary or "")
    assert gh.fake.reviews == [] and gh.fake.threads == []


# --- GitHub failing -----------------------------------------------------------------------------


def test_502_on_create_is_retried_after_looking_for_the_runs(gh: Harness) -> None:
    sha = gh.open_pr({"docs/a.md": "a\n"})
    gh.fake.fail("POST", r"/graphql$", 502, times=1)
    gh.deliver(sha)
    gh.work()
    calls = gh.fake.calls()
    # a 502 does not say the runs were not made: the next attempt (the checks job) looks first
    assert calls[1] == "graphql createCheckRun"
    assert calls[2].startswith("GET /api/v3/repos/Codertocat/Hello-World/commits/")
    assert calls[2].endswith(f"{sha}/check-runs") and calls[3] == "graphql createCheckRun"
    assert all(gh.fake.run(n).conclusion == "SUCCESS" for n in RUNS)


def test_403_with_retry_after_waits_and_retries(gh: Harness) -> None:
    sha = gh.open_pr({"docs/a.md": "a\n"})
    gh.fake.fail(
        "POST",
        r"/graphql$",
        403,
        times=1,
        headers={"retry-after": "1"},
        body={"message": "You have exceeded a secondary rate limit"},
    )
    gh.deliver(sha)
    gh.work()
    assert gh.fake.calls()[1:3] == ["graphql createCheckRun", "graphql createCheckRun"]
    assert gh.fake.run("prgate/contamination").conclusion == "SUCCESS"


def _fail_once_after_in_progress(gh: Harness) -> None:
    """Arm the last fault for one request: the one after the runs are marked in progress."""

    def arm(method: str, path: str, body: Any) -> None:
        in_progress = body and all(
            v.get("status") == "IN_PROGRESS" for v in body.get("variables", {}).values()
        )
        if in_progress and "updateCheckRun" in body["query"] and not gh.fake.faults[-1].times:
            gh.fake.faults[-1].times = 1

    gh.fake.on_request = arm


def test_long_rate_limit_fails_the_attempt_and_the_last_one_blocks(
    gh: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRGATE_MAX_RATE_WAIT", "5")
    sha = gh.open_pr({"docs/a.md": "a\n"})
    gh.deliver(sha)
    # the in-progress update meets a rate limit reset far away (armed by `arm` below)
    gh.fake.fail(
        "POST",
        r"/graphql$",
        403,
        times=0,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "9999999999"},
        body={"message": "API rate limit exceeded"},
    )

    _fail_once_after_in_progress(gh)
    gh.work()
    scheduled = gh.checks.scheduled_job_registry.get_job_ids()
    assert gh.checks.failed_job_registry.count == 0
    assert len(scheduled) == 1  # RQ retries later; nothing concluded yet
    assert gh.fake.run("prgate/contamination").conclusion is None

    # the last attempt: RQ has no retries left, so its failure callback concludes the runs
    retried = Job.fetch(scheduled[0], connection=gh.redis, serializer=JSONSerializer)
    retried.retries_left = 0
    retried.save()
    gh.checks.enqueue_job(retried)
    gh.work()
    for name in RUNS:
        run = gh.fake.run(name)
        assert run.conclusion == "ACTION_REQUIRED", run.history  # blocks; neutral passes
        assert "rate limit" in (run.summary or "")


# --- a newer push while the older work is still queued ------------------------------------------


def test_newer_push_cancels_queued_work_and_its_runs_end_skipped(gh: Harness) -> None:
    old = gh.open_pr({"docs/a.md": "a\n"})
    gh.deliver(old)
    git(gh.origin, "checkout", "-q", "feature")
    new = gh.commit({"docs/b.md": "b\n"}, "more")
    git(gh.origin, "checkout", "-q", "main")
    gh.push_pr(new)
    gh.deliver(new, "synchronize")  # the older job is still queued: it is canceled
    gh.work()

    old_runs = [r for r in gh.fake.runs.values() if r.head_sha == old]
    new_runs = [r for r in gh.fake.runs.values() if r.head_sha == new]
    assert len(old_runs) == len(CHECK_NAMES) and len(new_runs) == len(CHECK_NAMES)
    for run in old_runs:
        assert run.history == ["QUEUED", "COMPLETED:SKIPPED"], run.history
        assert f"superseded by {new[:12]}" in (run.summary or "")
    # no tsconfig and no Nx generator here: nothing for ts-imports and nx-generators
    assert {r.name: r.conclusion for r in new_runs if r.conclusion != "SUCCESS"} == {
        "prgate/ts-imports": "SKIPPED",
        "prgate/nx-generators": "SKIPPED",
    }


# --- GitHub's size limits, without the network -------------------------------------------------


def test_summary_and_text_are_cut_to_65535_characters_with_a_note() -> None:
    from workers.engine.findings import CheckResult, Finding, Level
    from workers.publish.check_run import MAX_CHARS, outcome

    findings = [
        Finding(
            rule="contamination/env-file",
            level=Level.ERROR,
            path=f"tpl/{i:05}/.env",
            message="Plaintext env file " + "x" * 300,
            fix="git rm --cached it",
        )
        for i in range(600)
    ]
    result = CheckResult(check="contamination", findings=findings)
    out = outcome(result, files=600, base="main")
    assert len(out.summary) <= MAX_CHARS and len(out.text) <= MAX_CHARS
    assert out.summary.endswith("list every finding._") and out.text.endswith("finding._")
    assert out.summary.count("| ❌ error |") < 600  # rows were cut, at a line end
    assert len(out.annotations) == 600  # annotations are never cut: they go in batches
    assert out.conclusion == "FAILURE" and out.title == "600 errors"


def test_pre_existing_findings_are_annotated_only_up_to_one_request() -> None:
    """A repository with thousands of pre-existing warnings (a TypeScript monorepo's
    generated imports) must not cost one request per 50 of them on every push: new
    findings are all annotated, pre-existing ones up to 50, errors first."""
    import dataclasses

    from workers.engine.findings import CheckResult, Finding, Level
    from workers.publish.check_run import PRE_EXISTING_ANNOTATED, outcome

    def finding(i: int, level: Level, pre: bool) -> Finding:
        return Finding(
            rule="ts-imports/unresolved",
            level=level,
            path=f"src/f{i}.ts",
            message="Cannot find module",
            pre_existing=pre,
        )

    old = [finding(i, Level.WARNING, True) for i in range(600)]
    old[599] = dataclasses.replace(old[599], level=Level.ERROR)
    new = [finding(1000 + i, Level.WARNING, False) for i in range(70)]
    out = outcome(CheckResult(check="ts-imports", findings=old + new), files=700, base="main")
    paths = [a["path"] for a in out.annotations]
    assert len(paths) == 70 + PRE_EXISTING_ANNOTATED == 120
    assert set(paths[:70]) == {f.path for f in new} and paths[70] == "src/f599.ts"
    assert "550 more are in the table only" in out.summary


def test_a_rerun_without_a_pr_checks_the_sha_against_the_default_branch(gh: Harness) -> None:
    """GitHub lists no pull requests in check_suite events for forks: "Re-run all" there is
    gated with no review, and config and pre-existing findings from the default branch."""
    sha = gh.open_pr({"tpl/.env": "API_KEY=abc123\n"})
    routed = gh.check_suite(sha, action="rerequested")
    assert [r.pr_number for r in routed.jobs] == [None]  # type: ignore[union-attr]
    gh.work()

    assert "graphql pullRequest" not in gh.fake.calls()
    assert gh.fake.reviews == [] and gh.fake.threads == []
    contamination = gh.fake.run("prgate/contamination")
    assert contamination.conclusion == "FAILURE"
    assert "against `the default branch`" in (contamination.summary or "")
    assert "1 pre-existing finding" in (contamination.summary or "")
    assert {r.details_url for r in gh.fake.runs.values()} == {
        f"https://{HOST}/Codertocat/Hello-World/commit/{sha}"
    }


# --- repository config: from the base branch only -----------------------------------------------


def test_a_pr_cannot_switch_off_its_own_gate(gh: Harness) -> None:
    sha = gh.open_pr(
        {
            "tpl/.env": "API_KEY=abc123\n",
            ".github/prgate.yml": "contamination:\n  enabled: false\n",
        }
    )
    gh.deliver(sha)
    gh.work()
    assert gh.fake.run("prgate/contamination").conclusion == "FAILURE"


def test_invalid_base_config_blocks_every_run_with_the_error(gh: Harness) -> None:
    gh.commit({".github/prgate.yml": "contamination:\n  enabeld: true\n"}, "typo in config")
    sha = gh.open_pr({"docs/a.md": "a\n"})
    gh.deliver(sha)
    gh.work()
    for name in RUNS:
        run = gh.fake.run(name)
        assert run.conclusion == "ACTION_REQUIRED", run.history  # blocks; neutral passes
        assert "main:.github/prgate.yml:2: contamination.enabeld: unknown key" in (
            run.summary or ""
        )
    assert gh.fake.reviews == []


def test_a_refusal_is_not_retried_the_runs_block_at_once(gh: Harness) -> None:
    """A 403 that is no rate limit answers the same in ten minutes: no retry, no hanging runs."""
    sha = gh.open_pr({"docs/a.md": "a\n"})
    gh.deliver(sha)
    gh.fake.fail(
        "POST",
        r"/graphql$",
        403,
        times=0,
        body={"message": "Resource not accessible by integration"},
    )

    _fail_once_after_in_progress(gh)
    gh.work()
    assert gh.checks.scheduled_job_registry.count == 0  # not retried
    assert gh.checks.failed_job_registry.count == 1
    for name in RUNS:
        run = gh.fake.run(name)
        assert run.conclusion == "ACTION_REQUIRED", run.history  # blocks; neutral passes
        assert "Resource not accessible by integration" in (run.summary or "")


@pytest.mark.parametrize("damage", ["empty", "other contents"])
def test_a_corrupt_cached_object_is_fetched_again_once(gh: Harness, damage: str) -> None:
    """A loose object of the cache emptied (a full disk, a crash mid-write) or holding
    other contents than its id says: the job drops it, fetches it again and gives the
    verdict it gave before, instead of could-not-run on every later job."""
    import zlib

    sha = gh.open_pr({"tpl/.env": "A=1\n"})
    gh.deliver(sha)
    gh.work()
    assert gh.fake.run("prgate/contamination").conclusion == "FAILURE"
    (repo,) = (gh.origin.parent / "cache" / "repos").glob("*.git")
    oid = git(repo, "rev-parse", f"{sha}:copier.yml").strip()
    loose = repo / "objects" / oid[:2] / oid[2:]
    assert loose.exists()  # a fetch of fewer than 100 objects unpacks them (fetch.unpackLimit)
    loose.chmod(0o644)
    loose.write_bytes(b"" if damage == "empty" else zlib.compress(b"blob 3\0x: "))
    gh.deliver(sha, "synchronize")
    gh.work()
    newest = gh.fake.runs_named("prgate/contamination")[-1]
    assert newest.conclusion == "FAILURE", (newest.history, newest.summary)
    assert git(repo, "cat-file", "-p", oid) == (gh.origin / "copier.yml").read_text()


def test_the_fake_github_is_never_more_lenient_than_githubs_schemas() -> None:
    """The judge of every request the stand-in accepts refuses what GitHub would."""
    from tests.support.github_schemas import Refused, check_graphql, check_rest

    deprecated = (
        'query($n: Int!) { repository(owner: "o", name: "r") { pullRequest(number: $n) {'
        " reviewThreads(first: 1) { nodes { comments(first: 1) { nodes { databaseId } } } } } } }"
    )
    with pytest.raises(Refused, match=r"deprecated.*fullDatabaseId"):
        check_graphql(deprecated, {"n": 1})
    with pytest.raises(Refused, match="Int"):
        check_graphql(deprecated.replace("databaseId", "fullDatabaseId"), {"n": "one"})
    check_graphql(deprecated.replace("databaseId", "fullDatabaseId"), {"n": 1})
    with pytest.raises(Refused, match="no operation"):
        check_rest("GET", "/repos/o/r/no-such-thing", {}, None)
    with pytest.raises(Refused, match="unknown query parameters"):
        check_rest("GET", "/repos/o/r/commits/abc/check-runs", {"app": "1"}, None)
    with pytest.raises(Refused, match="not one of"):
        check_rest("POST", "/repos/o/r/issues/comments/5/reactions", {}, {"content": "nope"})
    check_rest("POST", "/repos/o/r/issues/comments/5/reactions", {}, {"content": "+1"})
