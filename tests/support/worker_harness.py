"""The worker's test harness: a real git origin, real Redis and RQ, GitHub faked by respx.

``gh`` delivers real payloads through the receiver's routing and queue and
runs the jobs in an in-process RQ worker; tests assert the requests githubkit
sent and the state the fake GitHub ended in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import respx
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer

from bot.routing import route
from tests.conftest import WEBHOOKS, Tokens, git, write_files
from tests.support.fake_github import APP_ID, FakeGitHub, make_private_key
from tests.support.github_schemas import check_webhook
from workers.queue.dispatch import Dispatcher, burst
from workers.shared.inbox import queue_names, submit, worker_queues
from workers.shared.settings import load_settings
from workers.shared.work import Route

HOST = "github.example"
# What deliveries carry; git's url.<base>.insteadOf (in the harness's global git config)
# sends it to the local origin, so the worker clones the URL GitHub would send.
CLONE_URL = f"https://{HOST}/Codertocat/Hello-World.git"
RUNS = ("prgate/contamination", "prgate/jest-collision", "prgate/hook-validation")
NUMBER = 1

BASE_FILES = {
    "README.md": "# templates\n",
    "copier.yml": "_subdirectory: tpl\nname:\n  type: str\n  default: demo\n",
    "tpl/README.md.jinja": "# {{ name }}\n",
    "tpl/app.py": f"API_TOKEN = '{Tokens.github()}'\n"
    + "".join(f"x{i} = {i}\n" for i in range(40)),
}


@dataclass
class Harness:
    origin: Path
    fake: FakeGitHub
    redis: Redis
    deliveries: int = 0

    def submit(self, delivery: str, routed: Route) -> None:
        """Admit as the receiver does (into the inbox; ``work`` dispatches)."""
        submit(self.redis, load_settings(), delivery, routed)

    def commit(self, files: Mapping[str, str | None], message: str) -> str:
        for rel, content in files.items():
            path = self.origin / rel
            if content is None:
                path.unlink()
            else:
                write_files(self.origin, {rel: content})
        git(self.origin, "add", "-A")
        git(self.origin, "commit", "-q", "-m", message)
        return git(self.origin, "rev-parse", "HEAD").strip()

    def open_pr(self, files: Mapping[str, str | None]) -> str:
        git(self.origin, "checkout", "-q", "-B", "feature")
        sha = self.commit(files, "change")
        git(self.origin, "checkout", "-q", "main")
        self.push_pr(sha)
        return sha

    def push_pr(self, sha: str) -> None:
        git(self.origin, "update-ref", f"refs/pull/{NUMBER}/head", sha)
        self.fake.add_pull(NUMBER, sha)

    def deliver(self, sha: str, action: str = "opened") -> None:
        payload = json.loads((WEBHOOKS / "pull_request" / f"{action}.payload.json").read_text())
        payload["number"] = NUMBER
        pr = payload["pull_request"]
        pr.update(number=NUMBER, state="open", draft=False)
        pr["head"]["sha"] = sha
        pr["base"]["ref"] = "main"
        payload["repository"]["clone_url"] = CLONE_URL
        payload["installation"] = {"id": 77, "node_id": "MDIzOkludGVncmF0aW9uNzc="}
        check_webhook("pull_request", payload)
        self.deliveries += 1
        routed = route("pull_request", payload, f"delivery-{self.deliveries}", load_settings())
        assert routed.jobs, routed.reason
        self.submit(f"delivery-{self.deliveries}", routed)

    def send(self, event: str, payload: dict[str, Any]) -> Route:
        """Route and enqueue a delivery as the receiver does; the route says what happened."""
        payload["repository"]["clone_url"] = CLONE_URL
        payload["repository"]["full_name"] = "Codertocat/Hello-World"
        payload["installation"] = {"id": 77, "node_id": "MDIzOkludGVncmF0aW9uNzc="}
        check_webhook(event, payload)  # one GitHub could send, by its published schema
        self.deliveries += 1
        delivery = f"delivery-{self.deliveries}"
        routed = route(event, payload, delivery, load_settings())
        if routed.jobs:
            self.submit(delivery, routed)
        return routed

    def merge_group(self, head: str, base: str, action: str = "checks_requested") -> Route:
        """A real merge_group delivery for a group of the PR on main."""
        payload = json.loads(
            (WEBHOOKS / "merge_group" / "checks_requested.payload.json").read_text()
        )
        group = payload["merge_group"]
        group.update(
            head_sha=head,
            base_sha=base,
            base_ref="refs/heads/main",
            head_ref=f"refs/heads/gh-readonly-queue/main/pr-{NUMBER}-{base}",
        )
        group["head_commit"]["id"] = head
        payload["action"] = action
        if action == "destroyed":
            payload["reason"] = "dequeued"
        return self.send("merge_group", payload)

    def check_suite(self, sha: str, action: str = "requested", prs: bool = False) -> Route:
        """A real check_suite delivery for ``sha``: naming the PR, or (as for a push to a
        merge queue's branch) none."""
        payload = json.loads((WEBHOOKS / "check_suite" / f"{action}.payload.json").read_text())
        suite = payload["check_suite"]
        suite["head_sha"] = sha
        suite["app"]["id"] = APP_ID
        if not prs:
            suite["pull_requests"] = []
        return self.send("check_suite", payload)

    def comment(
        self, body: str, login: str, *, action: str = "created", user_type: str = "User"
    ) -> Route:
        """A real issue_comment delivery on the PR."""
        payload = json.loads((WEBHOOKS / "issue_comment" / f"{action}.payload.json").read_text())
        payload["issue"]["number"] = NUMBER
        payload["issue"]["pull_request"] = {"url": f"https://{HOST}/api/v3/pulls/{NUMBER}"}
        payload["comment"].update(body=body, id=5000 + self.deliveries)
        payload["comment"]["user"].update(login=login, type=user_type)
        return self.send("issue_comment", payload)

    def work(self) -> None:
        """What ``prgate worker --burst`` does, with RQ's in-process worker."""
        settings = load_settings()

        def rq() -> None:
            queues = list(worker_queues(settings))
            SimpleWorker(queues, connection=self.redis, serializer=JSONSerializer).work(burst=True)

        burst(Dispatcher(self.redis, settings), rq)

    @property
    def checks(self) -> Queue:
        return Queue(
            queue_names(load_settings())[1], connection=self.redis, serializer=JSONSerializer
        )

    def check_job(self) -> Job:
        ids = self.checks.finished_job_registry.get_job_ids()
        ids += self.checks.failed_job_registry.get_job_ids()
        assert len(ids) == 1, ids
        return Job.fetch(ids[0], connection=self.redis, serializer=JSONSerializer)


@pytest.fixture
def gh(
    tmp_path: Path, redis_url: str, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Harness]:
    pem, public = make_private_key()
    for key, value in {
        "APP_ID": str(APP_ID),
        "PRIVATE_KEY": pem.replace("\n", "\\n"),  # as a one-line environment value
        "REDIS_URL": redis_url,
        "GHE_HOST": HOST,
        "GHE_PROTOCOL": "https",
        "PRGATE_CACHE_DIR": str(tmp_path / "cache"),
        "WEBHOOK_SECRET": "s",
    }.items():
        monkeypatch.setenv(key, value)
    origin = tmp_path / "origin"
    origin.mkdir()
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f'[url "{origin.as_uri()}"]\n\tinsteadOf = {CLONE_URL}\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    git(origin, "init", "-q", "-b", "main")
    git(origin, "config", "uploadpack.allowFilter", "true")
    git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    fake = FakeGitHub(origin, public)
    harness = Harness(origin, fake, redis_client)
    harness.commit(BASE_FILES, "base")
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        mock.route(host=HOST).mock(side_effect=fake.handle)
        yield harness
    assert fake.refused == [], "GitHub would refuse these requests:\n" + "\n".join(fake.refused)
