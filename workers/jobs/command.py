"""The job behind ``/prgate`` comments: authorise, act, react, reply.

1. The comment's commands are parsed again (``workers.shared.commands``); the pull
   request is read as it is now (head, author, state) — never from the payload.
2. Each command is decided from the commenter's role on the repository
   (``workers.jobs.trust``; cached for ``rerun``, fresh for ``ok-to-test``) and
   whether they wrote the pull request.
3. Accepted commands act: ``rerun`` and ``ok-to-test`` put a check job on the
   queue for the current head (admitted like a delivery, through
   ``workers.shared.inbox.submit``, so it merges with work already queued for that
   head); ``accept`` records the acceptance for the current head and ends that
   check's could-not-run run accepted (``neutral``, with who and why); ``help``
   reads the base branch's ``.github/prgate.yml``.
4. The comment gets ``+1`` when every command was accepted, ``confused``
   otherwise; one reply carries help texts and every refusal with its reason.

A retried job repeats nothing visible: the re-enqueue uses a delivery id
derived from the comment's (de-duplicated like any delivery), reactions are
idempotent on GitHub, and the reply is recorded in Redis once posted.
"""

from __future__ import annotations

import logging
from typing import Any

import yaml

from workers.engine.config import CONFIG_PATH, ConfigError, RepoConfig, config_dump, parse_config
from workers.engine.registry import rule_ids
from workers.github.types import PullState, RunUpdate
from workers.jobs.context import Session
from workers.publish.check_run import (
    COULD_NOT_RUN,
    RUN_ACTIONS,
    Acceptance,
    Outcome,
    accepted,
    run_name,
)
from workers.shared.commands import (
    Command,
    Verdict,
    decide,
    help_text,
    parse_commands,
    refusal_text,
)
from workers.shared.inbox import submit
from workers.shared.work import CheckRequest, CommandRequest, Route

log = logging.getLogger("prgate.worker")
DONE_TTL = 7 * 24 * 3600
FRESH = ("ok-to-test", "accept")  # commands that let something pass or run: role asked anew


def run_command(request: dict[str, Any]) -> dict[str, Any]:
    req = CommandRequest.model_validate(request)
    commands = parse_commands(req.body)
    if not commands:  # the receiver checks too; a hand-made job may not have
        return {"status": "no-command", **_ids(req)}
    settings, redis = Session.connect()
    session = Session(req, settings, redis)
    owner, name = session.owner_name
    state = session.inst.pull_state(owner, name, req.pr_number)
    is_author = bool(state.author) and state.author.lower() == req.author.lower()

    verdicts = []
    role_of: dict[Command, str] = {}
    for command in commands:
        role = ""
        if command.name in FRESH or (command.name == "rerun" and not is_author):
            fresh = command.name in FRESH
            role = session.trust.role(session.inst, session.repo(), req.author, fresh=fresh)
        role_of[command] = role
        verdict = decide(command, role, is_author)
        if verdict.accepted and state.state != "OPEN" and command.name != "help":
            verdict = Verdict(command, False, f"the pull request is {state.state.lower()}.")
        verdicts.append(verdict)

    replies = []
    for n, verdict in enumerate(v for v in verdicts if v.accepted):
        if verdict.command.name == "help":
            replies.append(_help(session, state))
        elif verdict.command.name == "accept":
            replies.append(_accept(session, state, verdict, role_of[verdict.command]))
        else:
            _enqueue(session, state, verdict, f"{req.delivery_id}:{n}")
    refused = [v for v in verdicts if not v.accepted]
    if refused:
        replies.append(refusal_text(req.author, refused))

    session.inst.react(owner, name, req.comment_id, "confused" if refused else "+1")
    done = f"{settings.queue}:command:{req.delivery_id}"
    if replies and redis.hget(done, "replied") is None:
        session.inst.comment(owner, name, req.pr_number, "\n\n---\n\n".join(replies))
        redis.hset(done, "replied", "1")
        redis.expire(done, DONE_TTL)
    outcome = {
        v.command.name or "(none)": "accepted" if v.accepted else "refused" for v in verdicts
    }
    log.info(
        "command handled",
        extra={
            "delivery": req.delivery_id,
            "repo": req.repo_full_name,
            "pr": req.pr_number,
            "sha": state.head_sha,
            "commands": outcome,
            "calls": session.calls,
        },
    )
    return {"status": "handled", "commands": outcome, "calls": session.calls, **_ids(req)}


def _enqueue(
    session: Session[CommandRequest], state: PullState, verdict: Verdict, delivery: str
) -> None:
    """Check work for the PR's current head: the named checks for ``rerun``, the render
    (hook-validation) for ``ok-to-test``, which is recorded for this head SHA first."""
    req = session.req
    checks = verdict.checks
    if verdict.command.name == "ok-to-test":
        session.trust.approve(req.repo_id, req.pr_number, state.head_sha, req.author)
        checks = ("hook-validation",)
    check = CheckRequest(
        delivery_id=delivery,
        event=f"command.{verdict.command.name}",
        installation_id=session.installation_id,
        repo_id=req.repo_id,
        repo_full_name=req.repo_full_name,
        clone_url=req.clone_url,
        repo_node_id=state.repo_node_id,
        pr_number=req.pr_number,
        head_sha=state.head_sha,
        base_ref=state.base_ref,
        checks=checks,
    )
    what = ", ".join(checks) or "every check"
    submit(
        session.redis,
        session.settings,
        delivery,
        Route((check,), f"/prgate {verdict.command.name}: {what}"),
    )


def _accept(session: Session[CommandRequest], state: PullState, verdict: Verdict, role: str) -> str:
    """Record the acceptance for the current head, then end that check's run accepted if it
    could not run; a run still going ends accepted if it cannot run (``Work.conclude``)."""
    req = session.req
    (check,) = verdict.checks
    acceptance = Acceptance(req.author, role, verdict.reason, state.head_sha)
    session.trust.accept(req.repo_id, check, acceptance)
    log.info(
        "could-not-run accepted",
        extra={
            "delivery": req.delivery_id,
            "repo": req.repo_full_name,
            "pr": req.pr_number,
            "sha": state.head_sha,
            "check": check,
            "by": req.author,
            "role": role,
            "reason": verdict.reason,
        },
    )
    owner, name = session.owner_name
    sha = state.head_sha[:12]
    found = session.inst.latest_run(owner, name, state.head_sha, run_name(check))
    if found is None or found.status != "COMPLETED":
        return (
            f"Accepted for `{sha}`: if `{run_name(check)}` cannot run on this commit, it will pass."
        )
    if found.conclusion != COULD_NOT_RUN:
        return (
            f"`{run_name(check)}` on `{sha}` did run (it concluded "
            f"{(found.conclusion or 'nothing').lower()}); `accept` lets only a check that "
            "could not run pass. The acceptance stays for this commit, should a rerun "
            "fail to run."
        )
    out = accepted(Outcome(found.conclusion, found.title, found.summary), acceptance)
    session.inst.update_runs(
        state.repo_node_id,
        [
            RunUpdate(
                found.run,
                "COMPLETED",
                conclusion=out.conclusion,
                title=out.title,
                summary=out.summary,
                actions=RUN_ACTIONS,
            )
        ],
    )
    return f"Accepted: `{run_name(check)}` passes on `{sha}`, although it could not run."


def _help(session: Session[CommandRequest], state: PullState) -> str:
    """The commands and the effective configuration, read from the base branch."""
    owner, name = session.owner_name
    source = f"`{CONFIG_PATH}` on `{state.base_ref}`"
    text = session.inst.file_at(owner, name, CONFIG_PATH, state.base_ref)
    if text is None:
        config, source = RepoConfig(), f"no `{CONFIG_PATH}` on `{state.base_ref}`"
    else:
        try:
            known = rule_ids()
            config = parse_config(text, f"{state.base_ref}:{CONFIG_PATH}", known)
        except ConfigError as exc:
            errors = "\n".join(f"# {line}" for line in str(exc).splitlines())
            return help_text(
                f"# invalid: every prgate run ends could-not-run until fixed\n{errors}", source
            )
    dumped = yaml.safe_dump(config_dump(config), sort_keys=False, default_flow_style=False)
    return help_text(dumped, source)


def _ids(req: CommandRequest) -> dict[str, Any]:
    return {"delivery_id": req.delivery_id, "repo": req.repo_full_name, "pr": req.pr_number}
