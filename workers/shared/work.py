"""What the receiver puts on the queue: one small model per job kind.

These are the job functions' real inputs (``workers.jobs``). They are passed
through Redis as JSON (RQ's JSONSerializer), never pickled, and carry only what
the worker needs to re-read current state from GitHub itself: the worker never
trusts a payload's view of the PR head or the repository config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

# Identifiers from a webhook are checked at the edge (the receiver parses with these
# types) and again where the worker reads a job: a signed delivery is GitHub's, but a
# value that could read as a git option or a path must never reach git or the disk.
Sha = Annotated[str, StringConstraints(pattern=r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")]
DatabaseId = Annotated[int, Field(ge=1, le=2**63 - 1)]  # GitHub's ids are 64-bit
IssueNumber = Annotated[int, Field(ge=1, le=2**31 - 1)]  # GraphQL's Int
RepoFullName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}/[A-Za-z0-9_.-]{1,100}$")
]
HttpUrl = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,2000}$")]

_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.|\.lock(?:/|$)")


def _branch_name(name: str) -> str:
    """A branch name git itself would accept (``git check-ref-format --branch``)."""
    if (
        not name
        or len(name) > 255
        or name.startswith(("-", ".", "/"))
        or name.endswith(("/", "."))
        or name == "@"
        or _BAD_REF.search(name)
    ):
        raise ValueError("not a valid branch name")
    return name


BranchName = Annotated[str, AfterValidator(_branch_name)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    delivery_id: str
    event: str  # "pull_request.synchronize", "check_run.rerequested", ...
    installation_id: DatabaseId | None = None  # absent in some deliveries: the worker looks it up
    repo_id: DatabaseId
    repo_full_name: RepoFullName


class CheckRequest(_Request):
    """Run checks for one head SHA (of one PR when known)."""

    clone_url: HttpUrl | None = None
    repo_node_id: str | None = None  # GraphQL id, for check-run mutations
    pr_number: IssueNumber | None = None  # check_suite/check_run events for fork PRs carry none
    head_sha: Sha
    base_ref: BranchName | None = None
    # a merge group's parent commit: the gate compares with exactly this, as a pull request
    # from it to the group's head (None: the base branch's tip, or the default branch's)
    base_sha: Sha | None = None
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


class GroupRemovedRequest(_Request):
    """GitHub removed a merge group from the queue: its work for the head is superseded."""

    head_sha: Sha
    reason: str | None = None  # "merged", "invalidated", "dequeued"


class CommandRequest(_Request):
    """A PR comment with a ``/prgate`` command; authorised and carried out by the worker."""

    clone_url: HttpUrl | None = None
    pr_number: IssueNumber
    comment_id: DatabaseId
    body: str
    author: str
    author_association: str | None = None


class InstallationRequest(BaseModel):
    """An App installation, or who may do what in it, changed: caches to drop."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delivery_id: str
    event: str
    installation_id: DatabaseId
    repo_id: DatabaseId | None = None  # a change to one repository's collaborators


# The buttons prgate puts on its check runs (``check_run.requested_action`` identifiers).
ACTION_RERUN = "rerun"
ACTION_RERUN_ALL = "rerun-all"


@dataclass(frozen=True)
class Route:
    """What one delivery becomes: the jobs to admit, or none and why."""

    jobs: tuple[CheckRequest | CommandRequest | InstallationRequest | GroupRemovedRequest, ...]
    reason: str

    @property
    def handled(self) -> bool:
        return bool(self.jobs)
