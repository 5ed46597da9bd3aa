"""What the receiver puts on the queue: one small model per job kind.

These are the job functions' real inputs (``workers.jobs``). They are passed
through Redis as JSON (RQ's JSONSerializer), never pickled, and carry only what
the worker needs to re-read current state from GitHub itself: the worker never
trusts a payload's view of the PR head or the repository config.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    delivery_id: str
    event: str  # "pull_request.synchronize", "check_run.rerequested", ...
    installation_id: int | None = None  # absent in some deliveries: the worker looks it up
    repo_id: int
    repo_full_name: str


class CheckRequest(_Request):
    """Run checks for one head SHA (of one PR when known)."""

    clone_url: str | None = None
    repo_node_id: str | None = None  # GraphQL id, for check-run mutations
    pr_number: int | None = None  # check_suite/check_run events for fork PRs carry none
    head_sha: str
    base_ref: str | None = None
    checks: tuple[str, ...] = ()  # empty: every check

    @property
    def merge_key(self) -> str:
        """Work for the same repo, PR and head SHA is one job."""
        return (
            f"{self.repo_id}:{self.pr_number or '-'}:{self.head_sha}:{','.join(self.checks) or '*'}"
        )

    @property
    def pr_key(self) -> str | None:
        return f"{self.repo_id}:{self.pr_number}" if self.pr_number is not None else None


class CommandRequest(_Request):
    """A PR comment with a ``/prgate`` command; authorised and carried out by the worker."""

    clone_url: str | None = None
    pr_number: int
    comment_id: int
    body: str
    author: str
    author_association: str | None = None


class InstallationRequest(BaseModel):
    """An App installation, or who may do what in it, changed: caches to drop."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delivery_id: str
    event: str
    installation_id: int
    repo_id: int | None = None  # a change to one repository's collaborators


# The buttons prgate puts on its check runs (``check_run.requested_action`` identifiers).
ACTION_RERUN = "rerun"
ACTION_RERUN_ALL = "rerun-all"
