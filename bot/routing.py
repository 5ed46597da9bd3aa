"""Decide what a delivery means: pure code, no I/O, so tests need no mocks.

``route(event, payload, delivery_id, settings)`` returns the jobs to enqueue,
or why nothing is. The payload is the raw body (or, in tests, the decoded
object); only the fields it uses are parsed (``bot.events``), straight from
the bytes, so the rest of a 25 KB payload never becomes Python objects.
``PayloadError`` — a body that is not a JSON object, or a needed field that is
missing — is answered 400 by the receiver.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.events import (
    AccessEvent,
    CheckRunEvent,
    CheckSuiteEvent,
    InstallationEvent,
    IssueCommentEvent,
    MergeGroupEvent,
    PullRequestEvent,
    PullRequestRef,
    RepositoryEvent,
)
from workers.shared.commands import parse_commands
from workers.shared.names import CHECK_NAMES, CHECK_RUN_PREFIX
from workers.shared.settings import Settings
from workers.shared.work import (
    ACTION_RERUN,
    ACTION_RERUN_ALL,
    CheckRequest,
    CommandRequest,
    GroupRemovedRequest,
    InstallationRequest,
    Route,
)

PR_ACTIONS = {"opened", "synchronize", "reopened", "ready_for_review"}
# The merge queue's and auto-merge's bookkeeping on a pull request: its commits do not
# change, and the merge group GitHub builds is gated by its own merge_group event.
QUEUE_ACTIONS = {"enqueued", "dequeued", "auto_merge_enabled", "auto_merge_disabled"}
# Who may do what changed; they drop the cached collaborator permissions.
ACCESS_EVENTS = {"member", "membership", "team", "team_add", "organization"}


class PayloadError(Exception):
    """The body is not a JSON object, or lacks a field this event needs."""


Payload = bytes | Mapping[str, Any]


class _AnyObject(BaseModel):
    """Any JSON object: validates an unhandled event's body without building its values."""

    model_config = ConfigDict(extra="ignore")


def _ignore(reason: str) -> Route:
    return Route((), reason)


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], payload: Payload) -> M:
    try:
        if isinstance(payload, bytes):
            return model.model_validate_json(payload)
        return model.model_validate(payload)
    except ValidationError as exc:
        errors = exc.errors()
        if any(err["type"] == "json_invalid" for err in errors):
            raise PayloadError("body is not valid JSON") from exc
        if any(not err["loc"] for err in errors):
            raise PayloadError("body is not a JSON object") from exc
        fields = sorted({".".join(str(p) for p in err["loc"]) for err in errors})
        raise PayloadError(f"payload is missing or has invalid {', '.join(fields)}") from exc


def check_object(payload: Payload) -> None:
    """Raise PayloadError unless the payload is a JSON object (for events not parsed further)."""
    _parse(_AnyObject, payload)


def route(event: str, payload: Payload, delivery_id: str, settings: Settings) -> Route:
    if event in ("installation", "installation_repositories"):
        ev = _parse(InstallationEvent, payload)
        request = InstallationRequest(
            delivery_id=delivery_id,
            event=f"{event}.{ev.action}",
            installation_id=ev.installation.id,
        )
        return Route((request,), f"{event}.{ev.action}: bookkeeping queued")
    if event in ACCESS_EVENTS:
        access = _parse(AccessEvent, payload)
        name = f"{event}.{access.action}" if access.action else event
        request = InstallationRequest(
            delivery_id=delivery_id,
            event=name,
            installation_id=access.installation.id,
            repo_id=access.repository.id if access.repository and event == "member" else None,
        )
        return Route((request,), f"{name}: cached permissions dropped")
    handler = _HANDLERS.get(event)
    if handler is None:
        check_object(payload)
        return _ignore(f"prgate does not handle {event} events")
    return handler(payload, delivery_id, settings)


def _pull_request(payload: Payload, delivery: str, settings: Settings) -> Route:
    ev = _parse(PullRequestEvent, payload)
    pr = ev.pull_request
    name = f"pull_request.{ev.action}"
    base_changed = ev.action == "edited" and ev.changes is not None and ev.changes.base is not None
    if ev.action in QUEUE_ACTIONS:
        return _ignore(
            f"{name}: merge queue bookkeeping; the pull request's commits are checked already, "
            "and a merge group is checked on its merge_group event"
        )
    if ev.action not in PR_ACTIONS and not base_changed:
        return _ignore(f"{name} does not change what prgate checks")
    if pr.state != "open":
        return _ignore(f"{name}: the pull request is {pr.state}")
    if pr.draft and settings.drafts == "skip":
        return _ignore(f"{name}: draft pull request; checks run when it is ready for review")
    request = CheckRequest(
        **_common(ev, delivery, name),
        clone_url=ev.repository.clone_url,
        repo_node_id=ev.repository.node_id,
        pr_number=pr.number,
        head_sha=pr.head.sha,
        base_ref=pr.base.ref,
    )
    return Route((request,), f"{name}: checks queued for {pr.head.sha[:12]}")


def _common(ev: RepositoryEvent, delivery: str, name: str) -> dict[str, Any]:
    """The fields every job request carries."""
    return {
        "delivery_id": delivery,
        "event": name,
        "installation_id": ev.installation.id if ev.installation else None,
        "repo_id": ev.repository.id,
        "repo_full_name": ev.repository.full_name,
    }


def _foreign_app(app_id: int | None, settings: Settings) -> bool:
    return settings.app_id is not None and app_id is not None and app_id != settings.app_id


def _check_suite(payload: Payload, delivery: str, settings: Settings) -> Route:
    ev = _parse(CheckSuiteEvent, payload)
    name = f"check_suite.{ev.action}"
    if ev.action not in ("requested", "rerequested"):
        return _ignore(f"{name} needs no work")
    if _foreign_app(ev.check_suite.app.id if ev.check_suite.app else None, settings):
        return _ignore(f"{name}: the suite belongs to another app")
    suite = ev.check_suite
    if ev.action == "requested" and not suite.pull_requests:
        # what a push with no pull request would be gated against is undefined; a pull
        # request's own events gate its head (a fork's too), a merge_group event its group
        return _ignore(
            f"{name}: no pull request names {suite.head_sha[:12]} (branch "
            f"{suite.head_branch!r}): a pull_request or merge_group event gates such a commit"
        )
    jobs = _per_pr(ev, delivery, name, suite.head_sha, suite.pull_requests, ())
    return Route(jobs, f"{name}: every check queued for {suite.head_sha[:12]}")


def _merge_group(payload: Payload, delivery: str, settings: Settings) -> Route:
    """A merge queue's group: gated as a pull request from its parent commit (``base_sha``)
    to its head would be, with the base branch's config and baseline."""
    ev = _parse(MergeGroupEvent, payload)
    group = ev.merge_group
    name = f"merge_group.{ev.action}"
    if ev.action == "destroyed":
        removed = GroupRemovedRequest(
            **_common(ev, delivery, name), head_sha=group.head_sha, reason=ev.reason
        )
        why = ev.reason or "no reason given"
        return Route((removed,), f"{name}: work for {group.head_sha[:12]} ends ({why})")
    if ev.action != "checks_requested":
        return _ignore(f"{name} needs no work")
    try:
        request = CheckRequest(
            **_common(ev, delivery, name),
            clone_url=ev.repository.clone_url,
            repo_node_id=ev.repository.node_id,
            head_sha=group.head_sha,
            base_ref=group.base_ref.removeprefix("refs/heads/"),
            base_sha=group.base_sha,
        )
    except ValidationError as exc:
        raise PayloadError("payload has an invalid merge_group.base_ref") from exc
    return Route((request,), f"{name}: every check queued for {group.head_sha[:12]}")


def _per_pr(
    ev: CheckSuiteEvent | CheckRunEvent,
    delivery: str,
    name: str,
    head_sha: str,
    prs: list[PullRequestRef],
    checks: tuple[str, ...],
) -> tuple[CheckRequest, ...]:
    """One request per PR of a check suite or run; one without a PR when GitHub lists none
    (it lists none for pull requests from forks)."""
    pairs: list[tuple[int | None, str | None]] = [
        (p.number, p.base.ref if p.base else None) for p in prs
    ] or [(None, None)]
    return tuple(
        CheckRequest(
            **_common(ev, delivery, name),
            clone_url=ev.repository.clone_url,
            repo_node_id=ev.repository.node_id,
            pr_number=number,
            head_sha=head_sha,
            base_ref=base_ref,
            checks=checks,
        )
        for number, base_ref in pairs
    )


def _check_run(payload: Payload, delivery: str, settings: Settings) -> Route:
    ev = _parse(CheckRunEvent, payload)
    run = ev.check_run
    name = f"check_run.{ev.action}"
    if ev.action not in ("rerequested", "requested_action"):
        return _ignore(f"{name} needs no work")
    if _foreign_app(run.app.id if run.app else None, settings):
        return _ignore(f"{name}: the run belongs to another app")
    check = run.name.removeprefix(CHECK_RUN_PREFIX)
    if not run.name.startswith(CHECK_RUN_PREFIX) or check not in CHECK_NAMES:
        return _ignore(f"{name}: {run.name!r} is not a prgate check run")
    checks: tuple[str, ...] = (check,)
    if ev.action == "requested_action":
        action = ev.requested_action.identifier if ev.requested_action else ""
        if action not in (ACTION_RERUN, ACTION_RERUN_ALL):
            return _ignore(f"{name}: prgate has no action {action!r}")
        checks = (check,) if action == ACTION_RERUN else ()
    jobs = _per_pr(ev, delivery, name, run.head_sha, run.pull_requests, checks)
    what = run.name if checks else "every check"
    return Route(jobs, f"{name}: {what} queued for {run.head_sha[:12]}")


def _issue_comment(payload: Payload, delivery: str, settings: Settings) -> Route:
    ev = _parse(IssueCommentEvent, payload)
    name = f"issue_comment.{ev.action}"
    if ev.action != "created":
        return _ignore(f"{name}: only new comments can carry commands")
    if ev.issue.pull_request is None:
        return _ignore(f"{name}: a comment on an issue, not on a pull request")
    if ev.comment.user.type == "Bot":
        return _ignore(f"{name}: comments by bots are never commands")
    body = ev.comment.body or ""
    if "/prgate" not in body or not parse_commands(body):
        return _ignore(f"{name}: no /prgate command (code blocks and quotes do not count)")
    request = CommandRequest(
        **_common(ev, delivery, name),
        clone_url=ev.repository.clone_url,
        pr_number=ev.issue.number,
        comment_id=ev.comment.id,
        body=body,
        author=ev.comment.user.login,
        author_association=ev.comment.author_association,
    )
    return Route((request,), f"{name}: command queued")


_HANDLERS = {
    "merge_group": _merge_group,
    "pull_request": _pull_request,
    "check_suite": _check_suite,
    "check_run": _check_run,
    "issue_comment": _issue_comment,
}
