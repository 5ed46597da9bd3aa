"""What a check run says: conclusion, title, summary table, text and annotations. Pure.

GitHub's limits shape this module: a check run's ``summary`` and ``text`` hold
at most 65,535 characters each, and one request may carry at most 50
annotations. Everything is cut to fit with a note saying so, never dropped
silently: annotations beyond the first request go in further requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from workers.engine.config import CONFIG_PATH, ConfigError, parse_config
from workers.engine.findings import CheckResult, Finding, Level
from workers.engine.registry import rule_ids
from workers.github.types import (
    MAX_ANNOTATIONS_PER_REQUEST,
    MAX_OUTPUT_CHARS,
    RunAction,
    RunRef,
    RunUpdate,
)
from workers.publish import markdown as md
from workers.shared.names import CHECK_RUN_PREFIX
from workers.shared.work import ACTION_RERUN, ACTION_RERUN_ALL

MAX_CHARS = MAX_OUTPUT_CHARS
ANNOTATIONS_PER_REQUEST = MAX_ANNOTATIONS_PER_REQUEST
# Pre-existing findings (in files the pull request does not change) annotated per run: a
# repository with thousands of them would otherwise cost one request per 50 on every push.
PRE_EXISTING_ANNOTATED = ANNOTATIONS_PER_REQUEST
ANNOTATION_LEVEL = {Level.ERROR: "FAILURE", Level.WARNING: "WARNING", Level.NOTE: "NOTICE"}
COULD_NOT_RUN = "ACTION_REQUIRED"  # blocks a required check, unlike NEUTRAL and SKIPPED
ICON = {Level.ERROR: "❌ error", Level.WARNING: "⚠️ warning", Level.NOTE: "ℹ️ note"}
# Buttons on every completed run (GitHub allows 3); clicks arrive as check_run.requested_action.
RUN_ACTIONS = (
    RunAction("Re-run", ACTION_RERUN, "Run this check again on this commit"),
    RunAction("Re-run all", ACTION_RERUN_ALL, "Run every prgate check again"),
)


def run_name(check: str) -> str:
    """The check run's name; branch protection requires it, so never rename it."""
    return CHECK_RUN_PREFIX + check


@dataclass(frozen=True)
class Outcome:
    """How one check run ends."""

    conclusion: str  # SUCCESS | FAILURE | COULD_NOT_RUN (ACTION_REQUIRED) | NEUTRAL | SKIPPED
    title: str
    summary: str
    text: str = ""
    annotations: tuple[dict[str, Any], ...] = field(default=(), repr=False)


def outcome(result: CheckResult, files: int, base: str | None) -> Outcome:
    """The outcome of a check that ran (or could not run: ``result.error``)."""
    shown = [f for f in result.findings if f.suppressed is None]
    if result.error is not None:
        return could_not_run(result.check, result.error, _notes(result))
    if result.skipped is not None:
        return skipped(result.check, result.skipped)
    new = [f for f in shown if not f.pre_existing]
    pre = len(shown) - len(new)
    counts = {level: sum(1 for f in new if f.level == level) for level in Level}
    title = _title(counts, pre)
    conclusion = "FAILURE" if result.failed else "SUCCESS"
    lines = [f"**{title}** in {files} files checked" + (f" against `{base}`" if base else "")]
    if pre:
        lines.append(
            f"{pre} pre-existing finding{'s' if pre != 1 else ''} (not changed by this pull "
            "request) listed as notes."
        )
    annotated = new + _most_severe([f for f in shown if f.pre_existing], PRE_EXISTING_ANNOTATED)
    if pre > PRE_EXISTING_ANNOTATED:
        lines.append(
            f"Annotations: every new finding, and the {PRE_EXISTING_ANNOTATED} most severe "
            f"pre-existing ones ({pre - PRE_EXISTING_ANNOTATED} more are in the table only)."
        )
    allowed = len(result.findings) - len(shown)
    if allowed:
        lines.append(f"{allowed} allowed by `{CONFIG_PATH}`.")
    summary = "\n\n".join(lines) + "\n\n" + _table(shown) + _notes(result)
    return Outcome(
        conclusion,
        title,
        fit(summary),
        fit(_details(shown)),
        tuple(annotation(f) for f in annotated),
    )


def _most_severe(findings: list[Finding], limit: int) -> list[Finding]:
    order = {Level.ERROR: 0, Level.WARNING: 1, Level.NOTE: 2}
    return sorted(findings, key=lambda f: order[f.level])[:limit]


def skipped(check: str, reason: str) -> Outcome:
    return Outcome("SKIPPED", "Skipped", fit(f"**{run_name(check)} did not run**: {reason}"))


def could_not_run(check: str, reason: str, notes: str = "", detail: str = "") -> Outcome:
    """The check could not give an answer (config error, crash, worker lost, timeout):
    ``reason`` is plain text, ``detail`` (optional) is shown as it is, in a code block.

    Its conclusion is one branch protection does not accept (it counts ``neutral`` and
    ``skipped`` as passing), so the pull request stays blocked until the run passes or a
    maintainer accepts this commit (``accepted``); a repository may opt out (``settle``).
    """
    shown = md.lines(reason) + (f"\n\n{md.fenced(detail)}" if detail else "")
    return Outcome(
        COULD_NOT_RUN,
        "Could not run",
        fit(
            f"**{run_name(check)} could not run**: {shown}\n\n"
            "Nothing was checked, so this is not a pass: the run blocks the merge. Fix the "
            f"cause and press **Re-run** (or comment `/prgate rerun {check}`); or someone "
            "with write access may accept this commit as it is with "
            f"`/prgate accept {check} <reason>`." + notes
        ),
    )


@dataclass(frozen=True)
class Acceptance:
    """A maintainer's ``/prgate accept``: one check, one head commit."""

    by: str  # login
    role: str  # their permission when they accepted: write, maintain or admin
    reason: str
    sha: str


def accepted(out: Outcome, acceptance: Acceptance) -> Outcome:
    """A could-not-run outcome a maintainer accepted: ``neutral`` (a pass), saying who and why."""
    note = (
        f"\n\n**Accepted by @{md.text(acceptance.by)}** ({acceptance.role}) for commit "
        f"`{acceptance.sha[:12]}` only, although nothing was checked: {md.text(acceptance.reason)}"
    )
    title = f"Could not run; accepted by @{acceptance.by}"
    return replace(out, conclusion="NEUTRAL", title=title, summary=_ending(out.summary, note))


def settle(out: Outcome, acceptance: Acceptance | None, policy: str) -> Outcome:
    """How a run really ends: a could-not-run outcome passes only when a maintainer accepted
    this commit, or when the repository's ``could-not-run: neutral`` weakens its gate."""
    if out.conclusion != COULD_NOT_RUN:
        return out
    if acceptance is not None:
        return accepted(out, acceptance)
    if policy == "neutral":
        note = (
            f"\n\n_`could-not-run: neutral` in `{CONFIG_PATH}` makes this run pass on "
            "GitHub although nothing was checked._"
        )
        return replace(out, conclusion="NEUTRAL", summary=_ending(out.summary, note))
    return out


@dataclass(frozen=True)
class ConfigNote:
    """What a pull request that changes ``.github/prgate.yml`` is told on its runs."""

    text: str  # for every run's summary
    annotations: tuple[dict[str, Any], ...] = ()  # on the new file's lines; for one run only


def config_note(new_text: str | None, base: str) -> ConfigNote:
    """The note for a pull request whose ``.github/prgate.yml`` differs from where it branched.

    The new file is validated as the App will read it after merge; its errors
    are listed with line numbers and annotated on those lines.
    """
    head = (
        f"\n\n**This pull request changes `{CONFIG_PATH}`.** It takes effect after merge; "
        f"this run used the file as it is on `{base}`, so a pull request cannot switch off "
        "its own gate.\n\n"
    )
    if new_text is None:
        return ConfigNote(
            head + "The pull request deletes it: after merge every check runs with the defaults."
        )
    try:
        parse_config(new_text, CONFIG_PATH, rule_ids())
    except ConfigError as exc:
        problems = exc.problems or [(1, str(exc))]
        text = (
            head + f"The new file is **invalid** ({len(problems)} "
            f"problem{'s' if len(problems) != 1 else ''}); merged as it is, it would end every "
            f"prgate run as could-not-run until fixed:\n\n{md.fenced(str(exc))}"
        )
        notes = tuple(
            {
                "path": CONFIG_PATH,
                "location": {"startLine": line, "endLine": line},
                "annotationLevel": "WARNING",
                "message": message,
                "title": "prgate config (takes effect after merge)",
            }
            for line, message in problems
        )
        return ConfigNote(text, notes)
    return ConfigNote(head + "The new file is valid.")


def with_note(out: Outcome, note: ConfigNote, annotate: bool) -> Outcome:
    """``out`` with the config note in its summary (and its annotations when ``annotate``)."""
    extra = note.annotations if annotate else ()
    summary = _ending(out.summary, fit(note.text, MAX_CHARS // 4))
    return replace(out, summary=summary, annotations=out.annotations + extra)


def _title(counts: dict[Level, int], pre: int) -> str:
    parts = [f"{n} {level.value}{'s' if n != 1 else ''}" for level, n in counts.items() if n]
    if not parts:
        return "No new findings" if pre else "No findings"
    return ", ".join(parts)


def _cell(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return md.text(first)


def _where(f: Finding, in_table: bool = False) -> str:
    where = f"{f.path}:{f.start_line}" if f.start_line else f.path
    return md.code(where, in_table=in_table) + (f" (+{len(f.related)} more)" if f.related else "")


def _table(findings: Sequence[Finding]) -> str:
    if not findings:
        return ""
    rows = ["| Level | Rule | Where | What |", "|---|---|---|---|"]
    for f in findings:
        tag = " (pre-existing)" if f.pre_existing else ""
        rows.append(
            f"| {ICON[f.level]}{tag} | `{f.rule}` | {_where(f, True)} | {_cell(f.message)} |"
        )
    return "\n".join(rows) + "\n"


def _notes(result: CheckResult) -> str:
    if not result.notes:
        return ""
    lines = [
        f"- {md.code(n.path) + ': ' if n.path else ''}{md.text(n.message)}" for n in result.notes
    ]
    return "\n**Notes**\n\n" + "\n".join(lines) + "\n"


def _details(findings: Sequence[Finding]) -> str:
    out = []
    for f in findings:
        out.append(f"### `{f.rule}` — {_where(f)}\n\n{md.lines(f.message)}\n")
        for other in f.related:
            out.append(f"- also {md.code(other)}")
        if f.fix and f.fix_path:
            out.append(
                f"\nFix: replace line {f.fix_line} of {md.code(f.fix_path)} with\n\n"
                f"{md.fenced(f.fix)}\n"
            )
        elif f.fix:
            out.append(f"\nFix: {md.lines(f.fix)}\n")
    return "\n".join(out)


def _ending(summary: str, note: str) -> str:
    """``summary`` with ``note`` after it, the summary cut so that the note always fits."""
    return fit(summary, MAX_CHARS - len(note)) + note


def fit(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` cut at a line end to fit ``limit`` characters, with a note when cut."""
    if len(text) <= limit:
        return text
    note = (
        "\n\n_Cut to fit GitHub's 65,535-character limit; the annotations and "
        "`prgate check` locally list every finding._"
    )
    keep = text[: limit - len(note)]
    cut = keep.rfind("\n")
    return (keep[:cut] if cut > 0 else keep) + note


def annotation(f: Finding) -> dict[str, Any]:
    """A GraphQL ``CheckAnnotationData`` for a finding; whole-file findings sit on line 1."""
    start = f.start_line or 1
    end = f.end_line or start
    item: dict[str, Any] = {
        "path": f.path.rstrip("/") or ".",
        "location": {"startLine": start, "endLine": max(end, start)},
        "annotationLevel": ANNOTATION_LEVEL[f.level],
        "message": fit(f.message + "".join(f"\nalso: {p}" for p in f.related), 64_000),
        "title": f.rule + (" (pre-existing)" if f.pre_existing else ""),
    }
    if f.fix:
        item["rawDetails"] = fit(f.fix, 64_000)
    return item


def completion_requests(ends: Sequence[tuple[RunRef, Outcome]]) -> list[list[RunUpdate]]:
    """The requests that complete these runs, each with at most 50 annotations in all.

    Annotations beyond the last 50 go first, in in-progress updates, so that a
    run shows as completed only once all its annotations are there. The last
    request completes every run at once.
    """
    flat = [(run, a) for run, out in ends for a in out.annotations]
    cut = len(flat) - (len(flat) % ANNOTATIONS_PER_REQUEST or ANNOTATIONS_PER_REQUEST)
    cut = max(cut, 0)
    by_ref = {run.node_id: out for run, out in ends}
    requests: list[list[RunUpdate]] = []
    for start in range(0, cut, ANNOTATIONS_PER_REQUEST):
        chunk = flat[start : start + ANNOTATIONS_PER_REQUEST]
        updates = []
        for run in _runs_in(chunk):
            out = by_ref[run.node_id]
            updates.append(
                RunUpdate(
                    run,
                    "IN_PROGRESS",
                    title=out.title,
                    summary=out.summary,
                    annotations=[a for r, a in chunk if r.node_id == run.node_id],
                )
            )
        requests.append(updates)
    last = flat[cut:]
    requests.append(
        [
            RunUpdate(
                run,
                "COMPLETED",
                conclusion=out.conclusion,
                title=out.title,
                summary=out.summary,
                text=out.text or None,
                annotations=[a for r, a in last if r.node_id == run.node_id],
                actions=RUN_ACTIONS,
            )
            for run, out in ends
        ]
    )
    return requests


def _runs_in(chunk: Sequence[tuple[RunRef, dict[str, Any]]]) -> list[RunRef]:
    seen: dict[str, RunRef] = {}
    for run, _ in chunk:
        seen.setdefault(run.node_id, run)
    return list(seen.values())
