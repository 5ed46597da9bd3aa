"""The errors of a GitHub call: safe to log, they name the call and status, never a credential."""

from __future__ import annotations

from collections.abc import Sequence

from workers.github.types import RunRef


class GitHubError(Exception):
    """A GitHub call failed; the message names the call and status, never a credential."""

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False):
        super().__init__(message)
        self.status = status
        self.transient = transient  # worth retrying the job later


class PartlyDone(GitHubError):
    """A batched mutation that GitHub carried out for some aliases and refused for others.

    ``done`` are the positions of the inputs that took effect (and, for created
    runs, ``runs`` what was made): a caller keeps them and repeats only the rest,
    since repeating a create makes a second run and repeating an update appends
    its annotations twice.
    """

    def __init__(self, message: str, done: Sequence[int], runs: dict[str, RunRef]) -> None:
        super().__init__(message, transient=True)
        self.done = tuple(done)
        self.runs = runs
