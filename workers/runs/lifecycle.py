"""Creating a piece of work's check runs once, and ending them and GitHub's stray copies
with one verdict (the package docstring says more)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from workers.github.errors import GitHubError, PartlyDone
from workers.github.types import FoundRun, RunRef, RunUpdate
from workers.publish.check_run import (
    COULD_NOT_RUN,
    Acceptance,
    Outcome,
    completion_requests,
    run_name,
    settle,
)
from workers.runs.book import RunBook, digest
from workers.runs.sweeps import schedule_sweeps
from workers.shared.logs import log_job
from workers.shared.names import CHECK_NAMES

if TYPE_CHECKING:
    from redis import Redis

    from workers.github.client import Installation
    from workers.shared.settings import Settings
    from workers.shared.work import CheckRequest


class Acceptances(Protocol):
    """Where a maintainer's ``/prgate accept`` is kept (``workers.jobs.trust.Trust``)."""

    def acceptance(self, repo_id: int, head_sha: str, check: str) -> Acceptance | None: ...


class Owner(Protocol):
    """What the runs need of the job that owns them (``workers.jobs.context.Work``)."""

    req: CheckRequest
    settings: Settings
    redis: Redis
    job_id: str

    @property
    def inst(self) -> Installation: ...
    @property
    def owner_name(self) -> tuple[str, str]: ...
    @property
    def trust(self) -> Acceptances: ...
    @property
    def repo_node_id(self) -> str: ...
    @property
    def checks(self) -> list[str]: ...
    def details_url(self) -> str: ...


class Runs:
    """The check runs of one piece of work (a job and its delivery)."""

    def __init__(self, work: Owner) -> None:
        self.work = work

    @cached_property
    def book(self) -> RunBook:
        return RunBook(self.work.redis, self.work.settings)

    @property
    def key(self) -> str:
        return self.book.key(self.work.job_id, self.work.req.delivery_id)

    @property
    def external_id(self) -> str:
        return self.key.removeprefix(self.book.prefix + ":")

    def ensure(self) -> dict[str, RunRef]:
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
                for c in self.work.checks
                if (r := made.get(run_name(c))) is not None
            }

        def create(missing: list[str]) -> dict[str, RunRef]:
            names = [run_name(c) for c in missing]
            try:
                made = self.work.inst.create_runs(
                    self.work.repo_node_id,
                    self.work.req.head_sha,
                    names,
                    external_id=self.external_id,
                    details_url=self.work.details_url(),
                )
            except PartlyDone as exc:
                exc.runs = by_check(exc.runs)
                raise
            except GitHubError as exc:
                if exc.status is None or exc.status >= 500:  # no answer, or an unsure one
                    schedule_sweeps(
                        self.work.redis, self.work.settings, self.work.req, self.work.job_id
                    )
                raise
            return by_check(made)

        runs, strays = self.book.create_once(self.key, self.work.checks, create, self.found)
        self.end_copies(strays)
        return runs

    def found(self) -> list[FoundRun]:
        """This work's runs on GitHub, by check name (not run name)."""
        owner, name = self.work.owner_name
        by_run = {run_name(c): c for c in CHECK_NAMES}
        found = self.work.inst.find_runs(owner, name, self.work.req.head_sha, self.external_id)
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
        log_job("copies of check runs found", self.work.req, runs=[r.database_id for r in copies])

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
        return self.work.trust.acceptance(self.work.req.repo_id, self.work.req.head_sha, check)

    def _end(self, ends: list[tuple[RunRef, Outcome]]) -> None:
        finals = {
            r.name: {"conclusion": o.conclusion, "title": o.title, "summary": o.summary}
            for r, o in ends
        }
        self.book.set_finals(self.key, finals)
        copies = [
            (c, _as_copy(finals[c.name])) for c in self.book.copies(self.key) if c.name in finals
        ]
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
                self.work.inst.update_runs(self.work.repo_node_id, [u for u, _ in todo])
            except PartlyDone as exc:
                self.book.mark_sent(self.key, [todo[n][1] for n in exc.done])
                raise
            self.book.mark_sent(self.key, [d for _, d in todo])

    def conclude_all(self, make: Callable[[str], Outcome]) -> None:
        """End every run of this work with ``make(check)`` unless they were already ended."""
        if self.book.concluded(self.key):
            return
        runs = self.ensure()
        finals = self.book.finals(self.key)  # verdicts reached before the failure stand
        self.conclude(
            [(runs[c], _as_final(finals[c]) if c in finals else make(c)) for c in self.work.checks]
        )


def _as_final(final: dict[str, str]) -> Outcome:
    """The outcome a run was recorded to end with (``RunBook.finals``)."""
    return Outcome(final["conclusion"], final["title"], final["summary"])


def _as_copy(final: dict[str, str]) -> Outcome:
    note = (
        "\n\n_This run is a copy GitHub made when a request from prgate got no answer; "
        "it carries the same verdict as the other run of this name._"
    )
    out = _as_final(final)
    return replace(out, summary=out.summary + note)


def _update_key(update: RunUpdate) -> object:
    """What identifies an update's effect: the run and everything sent to it."""
    return [
        update.run.node_id,
        update.status,
        update.conclusion,
        update.title,
        update.summary,
        update.text,
        list(update.annotations),
    ]
