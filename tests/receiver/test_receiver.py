"""The webhook receiver with real Redis and GitHub's real payloads (tests/data/github-webhooks)."""

from __future__ import annotations

import copy
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from bot.app import create_app
from bot.signature import sign
from tests.conftest import WEBHOOKS
from tests.support.github_schemas import check_webhook
from workers.queue.dispatch import Dispatcher
from workers.shared.inbox import queue_names
from workers.shared.settings import Settings

SECRET = "It's a Secret to Everybody"
# the events prgate acts on: every payload of these a test delivers is judged by GitHub's
# published schema (the others are acknowledged without reading past the action)
HANDLED = {
    "pull_request",
    "check_suite",
    "check_run",
    "issue_comment",
    "merge_group",
    "installation",
    "installation_repositories",
}
PATH = "/api/github/webhooks"


def settings(**overrides: Any) -> Settings:
    return Settings(webhook_secret=SECRET, **overrides)


def load(name: str) -> dict[str, Any]:
    return json.loads((WEBHOOKS / name).read_text())


def event_of(path: Path) -> str:
    if path.parent.name == "ghes-3.5":
        return path.name.split(".")[0]
    return path.parent.name


def headers(event: str, body: bytes, delivery: str | None = None, **extra: str) -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(SECRET, body),
        "Content-Type": "application/json",
        **extra,
    }


class Receiver:
    def __init__(self, client: TestClient, redis: Redis) -> None:
        self.client = client
        self.redis = redis
        commands, checks = queue_names(settings())
        self.checks = Queue(checks, connection=redis, serializer=JSONSerializer)
        self.commands = Queue(commands, connection=redis, serializer=JSONSerializer)

    def send(
        self,
        event: str,
        payload: dict[str, Any] | bytes,
        delivery: str | None = None,
        judged: bool = True,
    ) -> Any:
        """Deliver ``payload``; one the receiver accepts must be one GitHub could send (its
        published webhook schema): a test built on a payload GitHub never sends proves
        nothing. ``judged=False``: a payload made not to be GitHub's on purpose, or one
        GitHub Enterprise Server sends (the schema describes github.com's)."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = self.client.post(PATH, content=body, headers=headers(event, body, delivery))
        if judged and response.is_success and event in HANDLED:
            check_webhook(event, json.loads(body))
        return response

    def jobs(self) -> list[Job]:
        """The RQ jobs, after a dispatcher has turned the inbox into them (as a worker does)."""
        Dispatcher(self.redis, settings()).drain()
        ids = self.checks.get_job_ids() + self.commands.get_job_ids()
        return [Job.fetch(i, connection=self.redis, serializer=JSONSerializer) for i in ids]


@pytest.fixture
def receiver(redis_client: Redis) -> Iterator[Receiver]:
    app = create_app(settings(), redis_client)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Receiver(client, redis_client)


# --- every real payload, routed as specified -----------------------------------------------

# check_suite/requested.*: pushes to master that no pull request names: not gated
QUEUED = {
    "check_suite/rerequested.payload.json",
    "check_suite/rerequested.with-organization.payload.json",
    "ghes-3.5/pull_request.opened.json",
    "merge_group/checks_requested.payload.json",
    "pull_request/opened.payload.json",
    "pull_request/opened.with-null-body.json",
    "pull_request/opened.with-organization.payload.json",
    "pull_request/ready_for_review.payload.json",
    "pull_request/ready_for_review.with-installation.payload.json",
    "pull_request/ready_for_review.with-organization.payload.json",
    "pull_request/reopened.payload.json",
    "pull_request/reopened.with-organization.payload.json",
    "pull_request/synchronize.payload.json",
}
ALL_FILES = sorted(str(p.relative_to(WEBHOOKS)) for p in WEBHOOKS.glob("*/*.json"))


def test_the_real_payloads_are_there() -> None:
    """Without them the parametrized test below would silently run nothing."""
    assert len(ALL_FILES) >= 70, f"GitHub's payloads not found in {WEBHOOKS}"


def expected(name: str) -> tuple[int, str]:
    event = event_of(WEBHOOKS / name)
    if event == "ping":
        return 200, "pong"
    if name in QUEUED or event in ("installation", "installation_repositories"):
        return 200, "queued"
    return 202, "ignored"


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_real_payload_is_routed(receiver: Receiver, name: str) -> None:
    response = receiver.send(event_of(WEBHOOKS / name), load(name), judged="ghes" not in name)
    status, outcome = expected(name)
    assert (response.status_code, response.json()["outcome"]) == (status, outcome), response.json()
    queued = receiver.jobs()
    if outcome == "queued":
        assert len(queued) >= 1
        assert all(job.get_status() == JobStatus.QUEUED for job in queued)
    else:
        assert queued == []
        assert response.json()["detail"]  # a short reason, always


def test_pull_request_job_carries_the_real_inputs(receiver: Receiver) -> None:
    payload = load("pull_request/synchronize.payload.json")
    receiver.send("pull_request", payload, delivery="d-sync-1")
    (job,) = receiver.jobs()
    assert job.func_name == "workers.jobs.run_checks"
    request = job.kwargs["request"]
    assert request["head_sha"] == payload["pull_request"]["head"]["sha"]
    assert request["pr_number"] == 2 and request["repo_full_name"] == "Codertocat/Hello-World"
    assert request["installation_id"] == payload["installation"]["id"]
    assert request["clone_url"] == payload["repository"]["clone_url"]
    assert request["event"] == "pull_request.synchronize" and request["delivery_id"] == "d-sync-1"
    assert job.retries_left == 3 and job.timeout == 900


def test_check_run_rerequest_for_a_prgate_run(receiver: Receiver) -> None:
    payload = load("check_run/rerequested.payload.json")
    payload["check_run"]["name"] = "prgate/jest-collision"
    response = receiver.send("check_run", payload)
    assert response.json()["outcome"] == "queued"
    (job,) = receiver.jobs()
    assert job.kwargs["request"]["checks"] == ["jest-collision"]
    assert job.kwargs["request"]["pr_number"] is None  # fork PRs come without numbers


def test_check_events_of_another_app_are_ignored(redis_client: Redis) -> None:
    app = create_app(settings(app_id=1), redis_client)
    with TestClient(app) as client:
        receiver = Receiver(client, redis_client)
        payload = load("check_suite/rerequested.payload.json")  # app id 29310
        assert receiver.send("check_suite", payload).json()["outcome"] == "ignored"
        run = load("check_run/requested_action.payload.json")
        run["check_run"]["name"] = "prgate/contamination"
        response = receiver.send("check_run", run)  # app 25811
        assert (
            response.json()["outcome"] == "ignored" and "another app" in response.json()["detail"]
        )


def test_issue_comment_on_a_pull_request(receiver: Receiver) -> None:
    payload = load("issue_comment/created.with-installation.payload.json")
    assert receiver.send("issue_comment", payload).status_code == 202  # issue, not PR
    on_pr = copy.deepcopy(payload)
    on_pr["issue"]["pull_request"] = {"url": "https://api.github.com/repos/x/y/pulls/1"}
    on_pr["comment"]["body"] = "Looks good.\n/prgate rerun contamination"
    response = receiver.send("issue_comment", on_pr)
    assert response.json()["outcome"] == "queued"
    (job,) = receiver.jobs()
    assert job.func_name == "workers.jobs.run_command"
    assert job.kwargs["request"]["body"].endswith("/prgate rerun contamination")
    no_command = copy.deepcopy(on_pr)
    no_command["comment"]["body"] = "thanks!"
    assert receiver.send("issue_comment", no_command).json()["outcome"] == "ignored"
    by_bot = copy.deepcopy(on_pr)
    by_bot["comment"]["user"]["type"] = "Bot"
    assert receiver.send("issue_comment", by_bot).json()["outcome"] == "ignored"


def test_drafts_are_skipped_unless_configured(redis_client: Redis) -> None:
    payload = load("pull_request/opened.payload.json")
    payload["pull_request"]["draft"] = True
    for drafts, outcome in (("skip", "ignored"), ("run", "queued")):
        redis_client.flushdb()
        with TestClient(create_app(settings(drafts=drafts), redis_client)) as client:
            assert (
                Receiver(client, redis_client).send("pull_request", payload).json()["outcome"]
                == outcome
            )


def test_edited_runs_only_when_the_base_changed(receiver: Receiver) -> None:
    payload = load("pull_request/opened.payload.json")
    payload["action"] = "edited"
    payload["changes"] = {"title": {"from": "old"}}
    assert receiver.send("pull_request", payload).json()["outcome"] == "ignored"
    payload["changes"] = {"base": {"ref": {"from": "develop"}, "sha": {"from": "abc"}}}
    assert receiver.send("pull_request", payload).json()["outcome"] == "queued"


# --- signatures ----------------------------------------------------------------------------


def test_forged_missing_and_sha1_signatures_are_refused(receiver: Receiver) -> None:
    body = json.dumps(load("pull_request/opened.payload.json")).encode()
    good = headers("pull_request", body)
    cases = {
        "forged": {**good, "X-Hub-Signature-256": sign("not the secret", body)},
        "tampered body": {**good},
        "missing": {k: v for k, v in good.items() if k != "X-Hub-Signature-256"},
        "sha1 only": {
            **{k: v for k, v in good.items() if k != "X-Hub-Signature-256"},
            "X-Hub-Signature": "sha1=" + "0" * 40,
        },
        "no prefix": {**good, "X-Hub-Signature-256": good["X-Hub-Signature-256"][7:]},
        "non-ascii": {**good, "X-Hub-Signature-256": "sha256=\xe9".encode("latin-1")},
    }
    for name, hdrs in cases.items():
        sent = body + b" " if name == "tampered body" else body
        response = receiver.client.post(PATH, content=sent, headers=hdrs)
        assert response.status_code == 401, name
    assert receiver.jobs() == []


def test_signature_is_checked_before_the_body_is_parsed(receiver: Receiver) -> None:
    response = receiver.client.post(
        PATH, content=b"{not json", headers={**headers("push", b"x"), "X-Hub-Signature-256": "x"}
    )
    assert response.status_code == 401


# --- de-duplication, merging, superseding --------------------------------------------------


def test_redelivery_enqueues_nothing(receiver: Receiver) -> None:
    payload = load("pull_request/opened.payload.json")
    first = receiver.send("pull_request", payload, delivery="same-delivery")
    again = receiver.send("pull_request", payload, delivery="same-delivery")
    assert first.json()["outcome"] == "queued"
    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
    assert len(receiver.jobs()) == 1
    ttl = receiver.redis.ttl("prgate:delivery:same-delivery")
    assert 3 * 24 * 3600 - 60 < ttl <= 3 * 24 * 3600


def test_two_synchronize_events_for_one_sha_give_one_job(receiver: Receiver) -> None:
    payload = load("pull_request/synchronize.payload.json")
    first = receiver.send("pull_request", payload)
    second = receiver.send("pull_request", payload)  # another delivery id, same work
    assert first.json()["outcome"] == "queued" and second.json()["outcome"] == "merged"
    assert first.json()["jobs"] == second.json()["jobs"]
    assert len(receiver.jobs()) == 1


def test_newer_sha_supersedes_queued_work(receiver: Receiver) -> None:
    payload = load("pull_request/synchronize.payload.json")
    old = receiver.send("pull_request", payload).json()["jobs"][0]
    newer = copy.deepcopy(payload)
    newer["pull_request"]["head"]["sha"] = "f" * 40
    response = receiver.send("pull_request", newer).json()
    assert response["superseded"] == [old]
    (job,) = receiver.jobs()
    assert job.kwargs["request"]["head_sha"] == "f" * 40
    old_job = Job.fetch(old, connection=receiver.redis, serializer=JSONSerializer)
    assert old_job.get_status() == JobStatus.CANCELED


def test_other_prs_are_not_superseded(receiver: Receiver) -> None:
    payload = load("pull_request/synchronize.payload.json")
    receiver.send("pull_request", payload)
    other = copy.deepcopy(payload)
    other["pull_request"]["number"] = 3
    other["pull_request"]["head"]["sha"] = "e" * 40
    assert receiver.send("pull_request", other).json()["superseded"] == []
    assert len(receiver.jobs()) == 2


# --- bad input -----------------------------------------------------------------------------


def test_oversize_body_is_413_without_reading_it(receiver: Receiver) -> None:
    big = b"x" * (26 * 1024 * 1024)
    response = receiver.client.post(PATH, content=big, headers=headers("push", big))
    assert response.status_code == 413


def test_oversize_streamed_body_without_length(redis_client: Redis) -> None:
    app = create_app(settings(max_body_bytes=1000), redis_client)
    with TestClient(app) as client:

        def chunks() -> Iterator[bytes]:
            for _ in range(10):
                yield b"x" * 500

        response = client.post(PATH, content=chunks(), headers=headers("push", b""))
        assert response.status_code == 413


@pytest.mark.parametrize(
    ("body", "drop", "status"),
    [
        (b"{not json", None, 400),
        (b"[1, 2]", None, 400),
        (b'"a string"', None, 400),
        (b"{}", "X-GitHub-Event", 400),
        (b"{}", "X-GitHub-Delivery", 400),
        (b'{"action": "opened"}', None, 400),  # pull_request without its fields
    ],
)
def test_malformed_bodies_and_headers(
    receiver: Receiver, body: bytes, drop: str | None, status: int
) -> None:
    hdrs = {k: v for k, v in headers("pull_request", body).items() if k != drop}
    response = receiver.client.post(PATH, content=body, headers=hdrs)
    assert response.status_code == status, response.json()
    assert receiver.jobs() == []


def _set(payload: dict[str, Any], dotted: str, value: object) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        payload = payload[key]
    payload[last] = value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pull_request.head.sha", "-" + "a" * 39),  # would read as an option to git
        ("pull_request.head.sha", "../../etc"),
        ("pull_request.head.sha", "A" * 40),  # GitHub sends lowercase hex
        ("pull_request.number", 10**4000),
        ("pull_request.number", 0),
        ("pull_request.number", -2),
        ("number", None),  # not used: a sanity case that stays accepted
        ("pull_request.base.ref", "--upload-pack=touch /tmp/pwned"),
        ("pull_request.base.ref", "../../x"),
        ("pull_request.base.ref", "a..b"),
        ("pull_request.base.ref", "x.lock"),
        ("repository.full_name", "../../etc"),
        ("repository.full_name", "-x/y"),
        ("repository.id", 2**64),
        ("repository.clone_url", "file:///etc"),
        ("repository.clone_url", "ext::sh -c touch% /tmp/pwned"),
        ("installation.id", 0),
    ],
)
def test_signed_but_absurd_identifiers_are_refused_at_the_edge(
    receiver: Receiver, field: str, value: object
) -> None:
    payload = load("pull_request/synchronize.payload.json")
    _set(payload, field, value)
    response = receiver.send("pull_request", payload, judged=False)
    if field == "number":
        assert response.status_code == 200
        receiver.jobs()
        return
    assert response.status_code == 400, response.json()
    assert field in response.json()["detail"]
    assert receiver.jobs() == []


def test_the_worker_refuses_an_absurd_request_too() -> None:
    """A job read from Redis is validated again: the queue is not a trusted channel."""
    from pydantic import ValidationError

    from workers.shared.work import CheckRequest

    good = {
        "delivery_id": "d",
        "event": "pull_request.opened",
        "repo_id": 1,
        "repo_full_name": "o/r",
        "head_sha": "a" * 40,
        "base_ref": "main",
    }
    assert CheckRequest.model_validate(good).head_sha == "a" * 40
    assert CheckRequest.model_validate({**good, "head_sha": "b" * 64}).head_sha == "b" * 64
    for bad in ({"head_sha": "-" + "a" * 39}, {"base_ref": "-x"}, {"pr_number": 2**40}):
        with pytest.raises(ValidationError):
            CheckRequest.model_validate({**good, **bad})


def test_the_webhook_path_takes_only_post(receiver: Receiver) -> None:
    response = receiver.client.get(PATH)
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert receiver.client.get("/no-such-path").status_code == 404  # the rest: FastAPI's


def test_unknown_event_is_202_with_reason(receiver: Receiver) -> None:
    response = receiver.send("deployment_status", {"action": "created"})
    assert response.status_code == 202
    assert response.json()["detail"] == "prgate does not handle deployment_status events"


# --- health, readiness, metrics, logs ------------------------------------------------------


def test_health_ready_and_metrics(receiver: Receiver) -> None:
    assert receiver.client.get("/healthz").json() == {"status": "ok"}
    assert receiver.client.get("/readyz").status_code == 200
    receiver.send("pull_request", load("pull_request/opened.payload.json"))
    receiver.send("push", load("push/payload.json"))
    text = receiver.client.get("/metrics").text
    assert 'prgate_deliveries_total{event="pull_request",outcome="queued"} 1.0' in text
    assert 'prgate_deliveries_total{event="push",outcome="ignored"} 1.0' in text
    assert 'prgate_queue_jobs{queue="inbox"} 1.0' in text  # admitted, not yet dispatched
    assert 'prgate_queue_jobs{queue="prgate-checks"} 0.0' in text
    assert "prgate_enqueue_seconds_count 1.0" in text
    assert 0 <= oldest_age(text, "inbox") < 60
    receiver.jobs()  # a dispatcher runs
    text = receiver.client.get("/metrics").text
    assert 'prgate_queue_jobs{queue="inbox"} 0.0' in text
    assert 'prgate_queue_jobs{queue="prgate-checks"} 1.0' in text
    assert oldest_age(text, "inbox") == 0
    assert 0 <= oldest_age(text, "prgate-checks") < 60


def oldest_age(metrics: str, queue: str) -> float:
    prefix = f'prgate_queue_oldest_job_age_seconds{{queue="{queue}"}}'
    return float(next(line for line in metrics.splitlines() if line.startswith(prefix)).split()[-1])


def test_logs_are_json_with_ids_and_no_secrets(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    from workers.shared.logs import JsonFormatter

    payload = load("pull_request/opened.payload.json")
    body = json.dumps(payload).encode()
    with caplog.at_level(logging.INFO, logger="prgate.receiver"):
        receiver.client.post(PATH, content=body, headers=headers("pull_request", body, "log-1"))
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "prgate.receiver"]
    (doc,) = [json.loads(line) for line in lines]
    assert doc["delivery"] == "log-1" and doc["event"] == "pull_request"
    assert doc["repo"] == "Codertocat/Hello-World" and doc["pr"] == 2
    assert doc["sha"] == payload["pull_request"]["head"]["sha"] and doc["outcome"] == "queued"
    for line in lines:
        assert sign(SECRET, body) not in line and SECRET not in line
        assert payload["pull_request"]["title"] not in line  # no body dump


def test_app_refuses_to_start_without_a_secret(redis_client: Redis) -> None:
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        create_app(Settings(), redis_client)


def test_check_run_for_a_pr_carries_its_base_branch(receiver: Receiver) -> None:
    payload = load("check_run/requested_action.payload.json")  # a PR onto "master"
    payload["check_run"]["name"] = "prgate/contamination"
    payload["requested_action"] = {"identifier": "rerun"}
    assert receiver.send("check_run", payload).json()["outcome"] == "queued"
    (job,) = receiver.jobs()
    request = job.kwargs["request"]
    assert (request["pr_number"], request["base_ref"]) == (26764, "master")
    assert request["checks"] == ["contamination"]


def test_access_changes_are_bookkeeping(receiver: Receiver) -> None:
    repo = load("pull_request/opened.payload.json")["repository"]
    cases = {
        "member": {"action": "removed", "member": {"login": "x"}, "repository": repo},
        "team": {"action": "removed_from_repository", "team": {"slug": "t"}, "repository": repo},
        "organization": {"action": "member_removed", "membership": {}},
    }
    for event, payload in cases.items():
        payload["installation"] = {"id": 7}
        response = receiver.send(event, payload)
        assert response.status_code == 200, response.text
        assert response.json()["outcome"] == "queued"
        assert "cached permissions dropped" in response.json()["detail"]


# --- merge queues ---------------------------------------------------------------------------


def _merge_group(action: str = "checks_requested", **group: str) -> dict[str, Any]:
    payload = load("merge_group/checks_requested.payload.json")
    payload["action"] = action
    if action == "destroyed":
        payload["reason"] = "invalidated"
    payload["merge_group"].update(group)
    return payload


def test_a_merge_group_is_checked_against_its_parent_commit(receiver: Receiver) -> None:
    payload = _merge_group()
    response = receiver.send("merge_group", payload)
    assert (response.status_code, response.json()["outcome"]) == (200, "queued")
    [job] = receiver.jobs()
    request = job.kwargs["request"]
    group = payload["merge_group"]
    assert request["head_sha"] == group["head_sha"] and request["base_sha"] == group["base_sha"]
    assert request["base_ref"] == "main" and request["pr_number"] is None


def test_a_removed_merge_group_queues_the_end_of_its_work(receiver: Receiver) -> None:
    response = receiver.send("merge_group", _merge_group("destroyed"))
    assert (response.status_code, response.json()["outcome"]) == (200, "queued")
    [job] = receiver.jobs()
    assert job.func_name == "workers.jobs.merge_group_removed"
    assert job.kwargs["request"]["reason"] == "invalidated"


def test_a_merge_group_whose_base_git_would_refuse_is_a_400(receiver: Receiver) -> None:
    payload = _merge_group(base_ref="refs/heads/--upload-pack=x")
    response = receiver.send("merge_group", payload, judged=False)
    assert response.status_code == 400 and "base_ref" in response.json()["detail"]
    assert receiver.jobs() == []


@pytest.mark.parametrize(
    "action", ["enqueued", "dequeued", "auto_merge_enabled", "auto_merge_disabled"]
)
def test_merge_queue_bookkeeping_on_a_pull_request_needs_no_work(
    receiver: Receiver, action: str
) -> None:
    payload = load("pull_request/opened.payload.json")
    payload["action"] = action
    if action != "enqueued":
        payload["reason"] = "MANUAL"  # GitHub says why it dequeued or changed auto-merge
    response = receiver.send("pull_request", payload)
    assert (response.status_code, response.json()["outcome"]) == (202, "ignored")
    assert "merge queue" in response.json()["detail"]
    assert receiver.jobs() == []


def test_a_check_suite_no_pull_request_names_is_not_gated(receiver: Receiver) -> None:
    payload = load("check_suite/requested.payload.json")
    payload["check_suite"]["head_branch"] = "gh-readonly-queue/main/pr-1-" + "a" * 40
    response = receiver.send("check_suite", payload)
    assert (response.status_code, response.json()["outcome"]) == (202, "ignored")
    assert "merge_group" in response.json()["detail"]
