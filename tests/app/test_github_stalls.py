"""A GitHub stall never leaves a required check queued, and never makes a second set of
runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rq.job import Job
from rq.serializers import JSONSerializer

from tests.support.worker_harness import RUNS, Harness

Repo = Callable[..., Path]


# --- 2. A GitHub stall never leaves a required check queued -------------------------------


def _settle(gh: Harness) -> None:
    """Run every job, then every retry RQ scheduled, as the scheduler would in time."""
    for _ in range(6):
        gh.work()
        queues = [gh.checks, *_announce(gh)]
        scheduled = [(q, i) for q in queues for i in q.scheduled_job_registry.get_job_ids()]
        retries = [(q, i) for q, i in scheduled if not i.startswith("sweep-")]
        if not retries:
            return
        for queue, jid in retries:
            queue.scheduled_job_registry.remove(jid)
            queue.enqueue_job(Job.fetch(jid, connection=gh.redis, serializer=JSONSerializer))


def _announce(gh: Harness) -> list[Any]:
    from rq import Queue

    from workers.shared.inbox import worker_queues
    from workers.shared.settings import load_settings

    name = worker_queues(load_settings())[0]
    return [Queue(name, connection=gh.redis, serializer=JSONSerializer)]


def _sweeps(gh: Harness) -> list[str]:
    [announce] = _announce(gh)
    return [i for i in announce.scheduled_job_registry.get_job_ids() if i.startswith("sweep-")]


def _run_sweeps(gh: Harness) -> None:
    [announce] = _announce(gh)
    for jid in _sweeps(gh):
        announce.scheduled_job_registry.remove(jid)
        announce.enqueue_job(Job.fetch(jid, connection=gh.redis, serializer=JSONSerializer))
    gh.work()


def test_a_create_that_times_out_but_happened_makes_no_second_set(gh: Harness) -> None:
    sha = gh.open_pr({"docs/a.md": "a\n"})
    # GitHub creates the runs; prgate's request times out before the answer comes
    gh.fake.fail("POST", r"/graphql$", 0, late=True)
    gh.deliver(sha)
    _settle(gh)
    for name in RUNS:
        runs = gh.fake.runs_named(name)
        assert len(runs) == 1, [r.history for r in runs]
        assert runs[0].conclusion == "SUCCESS", runs[0].history
    assert len(_sweeps(gh)) == 2  # for runs GitHub may make even later


def test_runs_github_makes_after_the_retry_end_with_the_same_verdict(gh: Harness) -> None:
    sha = gh.open_pr({"tpl/.env": "API_KEY=abc123\n"})
    stalled: list[dict[str, Any]] = []

    def hold_back(method: str, path: str, body: Any) -> None:
        """The first create: GitHub answers nothing now and carries it out later."""
        if body and "createCheckRun" in body.get("query", "") and not stalled:
            stalled.append(body["variables"])
            gh.fake.fail("POST", r"/graphql$", 504, body={"message": "timeout"})

    gh.fake.on_request = hold_back
    gh.deliver(sha)
    _settle(gh)
    gh.fake.on_request = None
    assert [len(gh.fake.runs_named(n)) for n in RUNS] == [1, 1, 1]
    # now GitHub carries out the stalled request: a second set appears, queued
    with gh.fake.lock:
        late = [gh.fake._create(v) for v in stalled[0].values()]
    assert [len(gh.fake.runs_named(n)) for n in RUNS] == [2, 2, 2]
    _run_sweeps(gh)
    for name in RUNS:
        first, copy = gh.fake.runs_named(name)
        assert copy.node_id in {r["id"] for r in late}
        assert copy.status == "COMPLETED", copy.history
        assert copy.conclusion == first.conclusion, (first.conclusion, copy.history)
        assert "copy GitHub made" in (copy.summary or "")
    assert gh.fake.runs_named("prgate/contamination")[1].conclusion == "FAILURE"


def test_a_partly_failed_create_keeps_what_github_made(gh: Harness) -> None:
    sha = gh.open_pr({"docs/a.md": "a\n"})
    gh.fake.fail("POST", r"/graphql$", 200, fail_aliases=("m1",))
    gh.deliver(sha)
    _settle(gh)
    for name in RUNS:
        runs = gh.fake.runs_named(name)
        assert len(runs) == 1, (name, [r.history for r in runs])
        assert runs[0].conclusion == "SUCCESS", runs[0].history


def test_a_partly_failed_update_is_not_sent_twice(gh: Harness) -> None:
    """Annotations are appended: an update GitHub applied must not be repeated by the retry."""
    sha = gh.open_pr({f"tpl/{i}.env": "A=1\n" for i in range(60)})  # 60 annotations: 2 requests
    gh.deliver(sha)
    seen: list[int] = []

    def fail_second_part(method: str, path: str, body: Any) -> None:
        query = (body or {}).get("query", "")
        if "updateCheckRun" in query and "COMPLETED" in json.dumps(body["variables"]):
            seen.append(1)
            if len(seen) == 1:  # the last request: the contamination run's part fails once
                aliases = [
                    f"m{k[1:]}"
                    for k, v in body["variables"].items()
                    if v["checkRunId"] == gh.fake.run("prgate/contamination").node_id
                ]
                gh.fake.fail("POST", r"/graphql$", 200, fail_aliases=tuple(aliases))

    gh.fake.on_request = fail_second_part
    _settle(gh)
    run = gh.fake.run("prgate/contamination")
    assert run.conclusion == "FAILURE", run.history
    assert len(seen) == 2  # the request that partly failed, then the retry's
    unique = {json.dumps(a, sort_keys=True) for a in run.annotations}
    assert len(run.annotations) == len(unique) >= 60  # each finding once, none twice
    assert gh.fake.run("prgate/jest-collision").history.count("COMPLETED:SUCCESS") == 1
