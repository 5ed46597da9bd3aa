"""What every job holds: the request, GitHub, Redis, its check runs, and its log.

A job validates its request model first (``Work``/``Session``), so a malformed job fails
loudly in RQ's failed registry instead of doing half the work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Generic, TypeVar

from redis import Redis

from workers.github.client import App, Installation
from workers.github.errors import GitHubError, PartlyDone
from workers.github.types import FoundRun, RunRef, RunUpdate
from workers.jobs.trust import Repo, Trust
from workers.publish.check_run import (
    COULD_NOT_RUN,
    Acceptance,
    Outcome,
    completion_requests,
    run_name,
    settle,
)
from workers.queue.dispatch import schedule_sweeps
from workers.queue.runbook import RunBook, digest
from workers.shared.inbox import connect
from workers.shared.names import CHECK_NAMES
from workers.shared.settings import Settings, load_settings
from workers.shared.work import CheckRequest, CommandRequest

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
        """What the head is compared with, in words: the base branch, a merge group's parent
        commit on it, or the default branch."""
        if self.req.base_sha is not None:
            return f"{self.req.base_ref or 'the base'} at {self.req.base_sha[:12]}"
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
        log_job("copies of check runs found", self.req, runs=[r.database_id for r in copies])

    def conclude(self, ends: list[tuple[RunRef, Outcome]]) -> None:
        """End these runs, and every copy GitHub made of them, with the same verdict.

        A run that could not judge blocks the merge unless a maintainer accepted this
        commit (``/prgate accept``) or the repository chose ``could-not-run: neutral``.
        An acceptance that arrives while the runs are being ended is looked for again
        afterwards: the command records it before it looks for the run, so one of the two
        sees the other.
        """
        policy = self.book.policy(self.key)
        ends = [(r, settle(o, self._acceptance(r.name, o), policy)) for r, o in ends]
        self._end(ends)
        late = [(r, settle(o, a, policy)) for r, o in ends if (a := self._acceptance(r.name, o))]
        if late:
            self._end(late)

    def _acceptance(self, check: str, out: Outcome) -> Acceptance | None:
        """A maintainer's acceptance of this check on this head; looked up only for a run
        that could not run (nothing else can be accepted)."""
        if out.conclusion != COULD_NOT_RUN:
            return None
        return self.trust.acceptance(self.req.repo_id, self.req.head_sha, check)

    def _end(self, ends: list[tuple[RunRef, Outcome]]) -> None:
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
        finals = self.book.finals(self.key)  # verdicts reached before the failure stand
        self.conclude([(runs[c], _as_final(finals[c]) if c in finals else make(c))
                       for c in self.checks])  # fmt: skip


def _as_final(final: dict[str, str]) -> Outcome:
    """The outcome a run was recorded to end with (``RunBook.finals``)."""
    return Outcome(final["conclusion"], final["title"], final["summary"])


def _as_copy(final: dict[str, str]) -> Outcome:
    note = ("\n\n_This run is a copy GitHub made when a request from prgate got no answer; "
            "it carries the same verdict as the other run of this name._")  # fmt: skip
    out = _as_final(final)
    return replace(out, summary=out.summary + note)


def _update_key(update: RunUpdate) -> object:
    """What identifies an update's effect: the run and everything sent to it."""
    return [update.run.node_id, update.status, update.conclusion, update.title, update.summary,
            update.text, list(update.annotations)]  # fmt: skip


def current_job_id(default: str) -> str:
    from rq import get_current_job

    job = get_current_job()
    return job.id if job is not None else default


def log_job(message: str, req: CheckRequest, **fields: Any) -> None:
    log.info(
        message,
        extra={"delivery": req.delivery_id, "event": req.event, "repo": req.repo_full_name,
               "pr": req.pr_number, "sha": req.head_sha, **fields},
    )  # fmt: skip


# --- jobs -----------------------------------------------------------------------------------
