"""Which review comments to post, which earlier threads to close. Pure.

GitHub accepts an inline comment only on a line inside one of the pull
request's diff hunks (new side), and a file-level comment only on a file in
the diff; anything else is a 422 "must be part of the diff". So placement is
decided here from the PR's own file list (GitHub's diff, not a local one):

1. a finding with a line fix (``fix_path``/``fix_line``) whose line is in a
   hunk: a comment on that line with a ``suggestion`` block;
2. a finding whose lines are in one hunk: a comment on those lines;
3. a finding about a whole file or folder (no line) in the diff: a file-level
   comment (for a folder, on its first changed file);
4. anything else is left to the check run's annotations.

Every comment ends with a hidden marker naming its check and fingerprint, so a
rerun never posts a finding twice, and a thread whose finding is gone is
resolved (or, where the App may not resolve it, answered once as fixed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from workers.engine.findings import Finding
from workers.github.types import ChangedFile, ReviewComment, Thread
from workers.publish import markdown as md

MARKER = "<!-- prgate:finding {check} {fingerprint} -->"
FIXED_MARKER = "<!-- prgate:fixed -->"
# Only the marker prgate wrote counts: the comment's end, after a blank line. Anything
# earlier that looks like one is text from the repository (a file or folder name).
MARKER_RE = re.compile(r"\n\n<!-- prgate:finding ([a-z-]+) ([0-9a-f]{32}) -->\Z")
MAX_COMMENTS = 50  # per run; the rest stay in the annotations


@dataclass(frozen=True)
class Diff:
    """New-side line ranges of each hunk, per path present on the head side."""

    hunks: dict[str, list[range]]

    @classmethod
    def from_files(cls, files: Iterable[ChangedFile]) -> Diff:
        hunks: dict[str, list[range]] = {}
        for f in files:
            if f.status == "removed":
                continue
            hunks[f.path] = _new_side(f.path, f.patch) if f.patch else []
        return cls(hunks)

    def has_file(self, path: str) -> bool:
        return path in self.hunks

    def covers(self, path: str, first: int, last: int) -> bool:
        return any(first in r and last in r for r in self.hunks.get(path, ()))

    def first_file_under(self, folder: str) -> str | None:
        inside = sorted(p for p in self.hunks if p.startswith(folder))
        return inside[0] if inside else None


def _new_side(path: str, patch: str) -> list[range]:
    """Hunks of a GitHub ``patch`` (hunks only, no file header), parsed with unidiff."""
    text = f"--- a/{path}\n+++ b/{path}\n{patch}"
    if not text.endswith("\n"):
        text += "\n"
    try:
        patched = PatchSet(text)
    except UnidiffParseError:
        return []  # an unreadable patch: no inline comments on this file, never a wrong one
    ranges = []
    for file in patched:
        for hunk in file:
            if hunk.target_length:
                ranges.append(range(hunk.target_start, hunk.target_start + hunk.target_length))
    return ranges


@dataclass
class ReviewPlan:
    comments: list[ReviewComment] = field(default_factory=list)
    file_comments: list[tuple[str, str]] = field(default_factory=list)  # (path, body)
    resolve: list[str] = field(default_factory=list)  # thread ids
    fixed_replies: list[int] = field(default_factory=list)  # first comment ids of threads
    left_out: int = 0  # findings in the diff beyond MAX_COMMENTS


def marker(f: Finding) -> str:
    return MARKER.format(check=f.check, fingerprint=f.fingerprint)


def thread_marker(thread: Thread) -> tuple[str, str] | None:
    """(check, fingerprint) of a thread prgate started, from its first comment's marker."""
    if not thread.comments or not thread.comments[0].mine:
        return None
    m = MARKER_RE.search(thread.comments[0].body.rstrip())
    return (m.group(1), m.group(2)) if m else None


def plan_review(
    findings: Sequence[Finding],
    diff: Diff,
    threads: Sequence[Thread],
    checks_ran: Iterable[str],
) -> ReviewPlan:
    plan = ReviewPlan()
    ran = set(checks_ran)
    open_findings = [f for f in findings if f.suppressed is None]
    current = {f.fingerprint for f in open_findings}
    posted: set[str] = set()
    for thread in threads:
        mark = thread_marker(thread)
        if mark is None:
            continue
        check, fingerprint = mark
        posted.add(fingerprint)
        if check not in ran or fingerprint in current or thread.resolved:
            continue
        if thread.can_resolve:
            plan.resolve.append(thread.id)
        elif not already_answered(thread):
            plan.fixed_replies.append(thread.comments[0].database_id)
    for f in open_findings:
        if f.pre_existing or f.fingerprint in posted:
            continue
        placed = _place(f, diff)
        if placed is None:
            continue
        if len(plan.comments) + len(plan.file_comments) >= MAX_COMMENTS:
            plan.left_out += 1
            continue
        if isinstance(placed, ReviewComment):
            plan.comments.append(placed)
        else:
            plan.file_comments.append(placed)
    return plan


def already_answered(thread: Thread) -> bool:
    return any(c.mine and FIXED_MARKER in c.body for c in thread.comments)


def _place(f: Finding, diff: Diff) -> ReviewComment | tuple[str, str] | None:
    head = f"**{f.rule}** ({f.level.value})\n\n{md.lines(f.message)}"
    if f.fix and f.fix_path and f.fix_line and diff.covers(f.fix_path, f.fix_line, f.fix_line):
        body = f"{head}\n\n{md.fenced(f.fix, 'suggestion')}\n\n{marker(f)}"
        return ReviewComment(f.fix_path, body, f.fix_line)
    prose = f"\n\nFix: {md.lines(f.fix)}" if f.fix and not f.fix_path else ""
    if f.start_line is not None:
        last = f.end_line or f.start_line
        if diff.covers(f.path, f.start_line, last):
            start = f.start_line if last > f.start_line else None
            return ReviewComment(f.path, f"{head}{prose}\n\n{marker(f)}", last, start)
        return None
    for path in (f.path, *f.related):
        target = diff.first_file_under(path) if path.endswith("/") else path
        if target is not None and diff.has_file(target):
            about = f"\n\n(about the folder {md.code(path)})" if path.endswith("/") else ""
            return target, f"{head}{prose}{about}\n\n{marker(f)}"
    return None


def fixed_reply(head_sha: str) -> str:
    return f"Fixed in {head_sha[:12]}: prgate no longer finds this.\n\n{FIXED_MARKER}"


def review_body(plan: ReviewPlan, head_sha: str) -> str:
    n = len(plan.comments)
    text = (
        f"prgate found {n} issue{'s' if n != 1 else ''} on lines this pull request changes "
        f"({head_sha[:12]}); the check runs list every finding."
    )
    if plan.left_out:
        text += f" {plan.left_out} more are only in the check runs' annotations."
    return text
