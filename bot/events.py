"""The few webhook fields prgate uses, as small pydantic models.

Unknown fields are ignored (pydantic's default), so GitHub adding fields never
breaks parsing; a missing field the route needs is a 400 with its name, and so
is an identifier out of shape (a SHA that is not 40 or 64 hex digits, a number
out of range, a branch name git would refuse): see ``workers.shared.work``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from workers.shared.work import BranchName, DatabaseId, HttpUrl, IssueNumber, RepoFullName, Sha


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Account(_Model):
    login: str
    type: str = "User"


class AppRef(_Model):
    id: DatabaseId


class InstallationRef(_Model):
    id: DatabaseId


class Repository(_Model):
    id: DatabaseId
    full_name: RepoFullName
    node_id: str | None = None
    clone_url: HttpUrl | None = None


class Ref(_Model):
    ref: str  # a head branch is never used: a fork's odd name must not lose the delivery
    sha: Sha


class BaseRef(Ref):
    ref: BranchName  # fetched and named in a local ref: it must be a name git accepts


class PullRequest(_Model):
    number: IssueNumber
    draft: bool = False
    state: str = "open"
    head: Ref
    base: BaseRef


class PullRequestRef(_Model):
    number: IssueNumber
    base: BaseRef | None = None


class Changes(_Model):
    base: dict[str, object] | None = None


class RepositoryEvent(_Model):
    """What every event that becomes a job carries."""

    action: str
    repository: Repository
    installation: InstallationRef | None = None  # absent in some deliveries; the worker looks it up


class PullRequestEvent(RepositoryEvent):
    pull_request: PullRequest
    changes: Changes | None = None


class CheckSuite(_Model):
    head_sha: Sha
    head_branch: str | None = None
    app: AppRef | None = None
    pull_requests: list[PullRequestRef] = []


class MergeGroup(_Model):
    head_sha: Sha
    head_ref: str  # refs/heads/gh-readonly-queue/<base>/pr-<n>-<sha>: named, never fetched
    base_sha: Sha
    base_ref: str  # refs/heads/<base>: the part after refs/heads/ must be a branch git accepts


class MergeGroupEvent(RepositoryEvent):
    merge_group: MergeGroup
    reason: str | None = None  # destroyed: merged, invalidated or dequeued


class CheckSuiteEvent(RepositoryEvent):
    check_suite: CheckSuite


class CheckRun(_Model):
    name: str
    head_sha: Sha
    app: AppRef | None = None
    pull_requests: list[PullRequestRef] = []


class RequestedAction(_Model):
    identifier: str


class CheckRunEvent(RepositoryEvent):
    check_run: CheckRun
    requested_action: RequestedAction | None = None


class Issue(_Model):
    number: IssueNumber
    pull_request: dict[str, object] | None = None  # present only when the issue is a PR


class Comment(_Model):
    id: DatabaseId
    body: str | None = None
    user: Account
    author_association: str | None = None


class IssueCommentEvent(RepositoryEvent):
    issue: Issue
    comment: Comment


class InstallationEvent(_Model):
    action: str
    installation: InstallationRef


class AccessEvent(_Model):
    """``member``, ``membership``, ``team``, ``team_add``, ``organization``: who may do what
    changed (delivered only when the App was granted the members permission)."""

    action: str | None = None  # team_add has none
    installation: InstallationRef
    repository: Repository | None = None  # absent for organization-wide changes
