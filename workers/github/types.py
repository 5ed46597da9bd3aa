"""GitHub's objects as prgate uses them, and GitHub's limits: plain types, no githubkit.

The publishing code (check-run output, review placement) and the jobs build and
read these; only ``workers.github.client`` turns them into requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Limits GitHub enforces on a check run's output (REST and GraphQL alike).
MAX_ACTIONS = 3  # buttons on a check run
MAX_ANNOTATIONS_PER_REQUEST = 50
MAX_OUTPUT_CHARS = 65_535  # summary and text, each


@dataclass(frozen=True)
class RunRef:
    """A check run prgate created: its GraphQL node id (for updates) and REST id."""

    name: str
    node_id: str
    database_id: int


@dataclass(frozen=True)
class FoundRun:
    """A check run found on GitHub, and its status (QUEUED | IN_PROGRESS | COMPLETED | ...)."""

    run: RunRef
    status: str


@dataclass(frozen=True)
class RunState:
    """A check run as GitHub shows it now."""

    run: RunRef
    status: str  # QUEUED | IN_PROGRESS | COMPLETED | ...
    conclusion: str | None  # SUCCESS | FAILURE | ACTION_REQUIRED | NEUTRAL | ... once completed
    title: str
    summary: str


@dataclass(frozen=True)
class RunUpdate:
    run: RunRef
    status: str  # QUEUED | IN_PROGRESS | COMPLETED
    conclusion: str | None = None  # SUCCESS | FAILURE | ACTION_REQUIRED | NEUTRAL | SKIPPED
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    annotations: Sequence[dict[str, Any]] = ()
    actions: Sequence[RunAction] = ()  # buttons on the run; GitHub allows at most 3


@dataclass(frozen=True)
class RunAction:
    """A button on a check run; a click arrives as ``check_run.requested_action``."""

    label: str  # at most 20 characters
    identifier: str  # at most 20 characters
    description: str  # at most 40 characters


@dataclass(frozen=True)
class ThreadComment:
    database_id: int
    body: str
    mine: bool  # written by this App


@dataclass(frozen=True)
class Thread:
    id: str
    resolved: bool
    can_resolve: bool
    path: str
    comments: tuple[ThreadComment, ...]


@dataclass(frozen=True)
class PullState:
    repo_node_id: str
    number: int
    state: str  # OPEN | CLOSED | MERGED
    head_sha: str
    base_sha: str
    base_ref: str
    url: str
    author: str = ""  # login; empty when the account is gone ("ghost")
    author_association: str = "NONE"  # OWNER | MEMBER | COLLABORATOR | CONTRIBUTOR | ...
    threads: tuple[Thread, ...] = ()


@dataclass(frozen=True)
class ChangedFile:
    path: str
    status: str  # added | modified | removed | renamed | copied | changed | unchanged
    patch: str | None  # absent for binary files and very large diffs


@dataclass(frozen=True)
class ReviewComment:
    path: str
    body: str
    line: int
    start_line: int | None = None
