"""Slash commands in pull-request comments: what a comment asks for and who may ask. Pure.

* A command is a line that starts with ``/prgate`` (up to three spaces of
  indent, as Markdown allows for a paragraph). Lines inside fenced code
  blocks (````` ``` ````` or ``~~~``), indented code blocks (four spaces or a
  tab) and block quotes (``>``) are text about commands, not commands.
* ``rerun [CHECK...]``: writers, maintainers, admins and the PR's author.
  ``ok-to-test``: writers and above only (it lets the template's own code run
  in the sandbox). ``accept CHECK REASON``: writers and above only (it lets a
  check that could not run pass on the current head commit). ``help``: anyone.

The GitHub side (reactions, replies, the permission lookup) is in
``workers.jobs``; this module decides from plain values, so its tests need no
mocks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from workers.shared.names import CHECK_NAMES, CHECK_RUN_PREFIX

WRITE = ("write", "maintain", "admin")  # the collaborator-permission API's role names
USAGE = {
    "rerun": "`/prgate rerun [CHECK...]`: run all checks, or the named ones, again on the "
    "pull request's current head (writers, maintainers, admins and the author)",
    "ok-to-test": "`/prgate ok-to-test`: let the sandboxed template render run for this "
    "head commit of a pull request by an author outside the repository (writers and above; "
    "a new push needs a new approval)",
    "accept": "`/prgate accept CHECK REASON`: let a check that could not run pass on the "
    "pull request's current head commit, although nothing was checked; the reason is "
    "written into the run (writers and above; a new push is judged anew)",
    "help": "`/prgate help`: this list and the repository's effective configuration",
}

_COMMAND = re.compile(r" {0,3}/prgate(?:\s+(.*))?")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_QUOTE = re.compile(r" {0,3}>")


@dataclass(frozen=True)
class Command:
    name: str  # as typed, lowercased: may be unknown
    args: tuple[str, ...]
    line: str  # the line as written, for replies


@dataclass(frozen=True)
class Verdict:
    command: Command
    accepted: bool
    why: str = ""  # for a refusal: what was wrong and what would work
    checks: tuple[str, ...] = ()  # rerun: the checks to run again (empty: all); accept: one
    reason: str = ""  # accept: why the maintainer lets the check pass


def parse_commands(body: str) -> list[Command]:
    """The commands in a comment, in order, each once."""
    commands: list[Command] = []
    fence: str | None = None
    for raw in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        fenced = _FENCE.match(raw)
        if fence is not None:
            if fenced and _closes(fenced.group(1), fence, raw):
                fence = None
            continue
        if fenced:
            fence = fenced.group(1)
            continue
        if raw.startswith(("    ", "\t")) or _QUOTE.match(raw):
            continue
        match = _COMMAND.fullmatch(raw.rstrip())
        if match is None:
            continue
        words = (match.group(1) or "").split()
        name = words[0].lower() if words else ""
        command = Command(name, tuple(words[1:]), raw.strip())
        if all((c.name, c.args) != (command.name, command.args) for c in commands):
            commands.append(command)
    return commands


def _closes(marker: str, fence: str, line: str) -> bool:
    """A closing fence: the opening character, at least as many, and nothing else."""
    return marker[0] == fence[0] and len(marker) >= len(fence) and not line.strip().strip(fence[0])


def decide(command: Command, permission: str, is_author: bool) -> Verdict:
    """May this user run this command? ``permission`` is the user's role on the repository
    (admin, maintain, write, triage, read or none)."""
    writer = permission in WRITE
    if command.name == "help":
        return Verdict(command, True)
    if command.name == "rerun":
        checks, unknown = _checks(command.args)
        if unknown:
            return Verdict(
                command,
                False,
                f"{', '.join(f'`{u}`' for u in unknown)} "
                f"{'is not a check' if len(unknown) == 1 else 'are not checks'}; "
                f"the checks are {', '.join(f'`{c}`' for c in CHECK_NAMES)}.",
            )
        if not (writer or is_author):
            return Verdict(
                command,
                False,
                f"`rerun` needs write access to the repository or authorship of the pull "
                f"request; your role here is {permission}. Pushing a commit also runs the "
                "checks again.",
            )
        return Verdict(command, True, checks=checks)
    if command.name == "ok-to-test":
        if command.args:
            return Verdict(command, False, "`ok-to-test` takes no arguments.")
        if not writer:
            return Verdict(
                command,
                False,
                f"`ok-to-test` needs write access to the repository (your role here is "
                f"{permission}), because it lets the template's own code run in the sandbox. "
                "Ask a maintainer.",
            )
        return Verdict(command, True)
    if command.name == "accept":
        return _accept(command, permission)
    said = f"`{command.name}` is not a prgate command" if command.name else "no command given"
    return Verdict(command, False, f"{said}; try `/prgate help`.")


def _accept(command: Command, permission: str) -> Verdict:
    checks, unknown = _checks(command.args[:1])
    reason = " ".join(command.args[1:]).strip()
    if len(checks) != 1 or unknown or not reason:
        return Verdict(
            command,
            False,
            "usage: `/prgate accept CHECK REASON`, with one of "
            f"{', '.join(f'`{c}`' for c in CHECK_NAMES)} and the reason it may pass unchecked.",
        )
    if permission not in WRITE:
        return Verdict(
            command,
            False,
            f"`accept` needs write access to the repository (your role here is {permission}), "
            "because it lets a check that could not run pass. Ask a maintainer.",
        )
    return Verdict(command, True, checks=checks, reason=reason)


def _checks(args: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    """Checks named in ``rerun`` (``jest-collision`` or ``prgate/jest-collision``), in the
    registry's order, and the names that are not checks."""
    named = {a.lower().removeprefix(CHECK_RUN_PREFIX).strip(",") for a in args}
    named.discard("")
    unknown = sorted(n for n in named if n not in CHECK_NAMES)
    return tuple(c for c in CHECK_NAMES if c in named), unknown


def help_text(config_yaml: str, source: str) -> str:
    lines = ["**prgate commands** (a line of their own in a pull-request comment)", ""]
    lines += [f"- {USAGE[name]}" for name in ("rerun", "ok-to-test", "accept", "help")]
    lines += [
        "",
        f"Checks: {', '.join(f'`{c}`' for c in CHECK_NAMES)}.",
        "",
        f"**Effective configuration** ({source}; defaults filled in):",
        "",
        "```yaml",
        config_yaml.rstrip(),
        "```",
    ]
    return "\n".join(lines)


def refusal_text(author: str, refused: Sequence[Verdict]) -> str:
    lines = [f"@{author} prgate did not run:"]
    lines += [f"- `{v.command.line}`: {v.why}" for v in refused]
    return "\n".join(lines)
