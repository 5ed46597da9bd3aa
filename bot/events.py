"""The few webhook fields prgate uses, as small pydantic models.

Unknown fields are ignored (pydantic's default), so GitHub adding fields never
breaks parsing; a missing field the route needs is a 400 with its name.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Account(_Model):
    login: str
    type: str = "User"


class App(_Model):
    id: int


class Installation(_Model):
    id: int


class Repository(_Model):
    id: int
    full_name: str
    node_id: str | None = None
    clone_url: str | None = None


class Ref(_Model):
    ref: str
    sha: str


class PullRequest(_Model):
    number: int
    draft: bool = False
    state: str = "open"
    head: Ref
    base: Ref


class PullRequestRef(_Model):
    number: int
    base: Ref | None = None


class Changes(_Model):
    base: dict[str, object] | None = None


class RepositoryEvent(_Model):
    """What every event that becomes a job carries."""

    action: str
    repository: Repository
    installation: Installation | None = None  # absent in some deliveries; the worker looks it up


class PullRequestEvent(RepositoryEvent):
    pull_request: PullRequest
    changes: Changes | None = None


class CheckSuite(_Model):
    head_sha: str
    app: App | None = None
    pull_requests: list[PullRequestRef] = []


class CheckSuiteEvent(RepositoryEvent):
    check_suite: CheckSuite


class CheckRun(_Model):
    name: str
    head_sha: str
    app: App | None = None
    pull_requests: list[PullRequestRef] = []


class RequestedAction(_Model):
    identifier: str


class CheckRunEvent(RepositoryEvent):
    check_run: CheckRun
    requested_action: RequestedAction | None = None


class Issue(_Model):
    number: int
    pull_request: dict[str, object] | None = None  # present only when the issue is a PR


class Comment(_Model):
    id: int
    body: str | None = None
    user: Account
    author_association: str | None = None


class IssueCommentEvent(RepositoryEvent):
    issue: Issue
    comment: Comment


class InstallationEvent(_Model):
    action: str
    installation: Installation


class AccessEvent(_Model):
    """``member``, ``membership``, ``team``, ``team_add``, ``organization``: who may do what
    changed (delivered only when the App was granted the members permission)."""

    action: str | None = None  # team_add has none
    installation: Installation
    repository: Repository | None = None  # absent for organization-wide changes
