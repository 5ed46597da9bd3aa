"""Reports for a person: ``text`` (grouped by file) and ``concise`` (one finding per line).

Both end with the same lines: the checks' notes, any check that could not run, the
pre-existing findings counted per rule, optionally per-rule statistics, and one summary
line. Colour only when asked (``color``: the command line asks on a terminal without
``NO_COLOR``), so CI logs and files stay plain.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import click

from workers.engine.findings import Finding, Level
from workers.engine.printable import terminal
from workers.engine.runner import Report

_COLOURS = {Level.ERROR: "red", Level.WARNING: "yellow", Level.NOTE: "cyan"}


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _level(level: Level, color: bool, width: int = 0) -> str:
    word = level.value.ljust(width)
    return click.style(word, fg=_COLOURS[level], bold=level is Level.ERROR) if color else word


def listed(report: Report, show_pre_existing: bool, quiet: bool) -> list[Finding]:
    """The findings a report lists: not allowed by config, older than the base only with
    ``show_pre_existing``, and errors only when ``quiet``."""
    return [
        f
        for f in report.findings
        if f.suppressed is None
        and (show_pre_existing or not f.pre_existing)
        and (not quiet or f.level is Level.ERROR)
    ]


def render_text(
    report: Report,
    show_pre_existing: bool = True,
    *,
    quiet: bool = False,
    statistics: bool = False,
    color: bool = False,
) -> str:
    """The report grouped by file; without ``show_pre_existing``, findings older than the
    base are counted one line per rule instead of listed (a 6-file change in a big
    repository is about those 6 files, not the 13,000 findings it did not touch)."""
    out: list[str] = []
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in listed(report, show_pre_existing, quiet):
        by_file[f.path].append(f)
    for path in sorted(by_file):
        out.append(click.style(terminal(path), bold=True) if color else terminal(path))
        for f in by_file[path]:
            where = f"  line {f.start_line}" if f.start_line else ""
            tag = " (pre-existing)" if f.pre_existing else ""
            out.append(f"  {_level(f.level, color, 7)} {terminal(f.rule)}{tag}{where}")
            out.append(terminal(f"          {f.message}"))
            for other in f.related:
                out.append(terminal(f"          also: {other}"))
            if f.fix and f.fix_path:
                fix_at = f"line {f.fix_line} of {f.fix_path}"
                out.append(terminal(f"          fix: replace {fix_at} with:"))
                out.extend(terminal(f"            | {line}") for line in f.fix.splitlines())
            elif f.fix:
                out.append(terminal(f"          fix: {f.fix}"))
        out.append("")
    out.extend(closing(report, show_pre_existing, quiet=quiet, statistics=statistics))
    return "\n".join(out) + "\n"


def render_concise(
    report: Report,
    show_pre_existing: bool = True,
    *,
    quiet: bool = False,
    statistics: bool = False,
    color: bool = False,
) -> str:
    """One finding per line, ``path:line:col: level rule message``, which editors and
    ``grep`` jump to (prgate knows lines, not columns: the column is 1)."""
    out = []
    for f in sorted(listed(report, show_pre_existing, quiet), key=Finding.sort_key):
        tag = " (pre-existing)" if f.pre_existing else ""
        also = f" (also: {', '.join(f.related)})" if f.related else ""
        out.append(
            f"{terminal(f.path)}:{f.start_line or 1}:1: {_level(f.level, color)} "
            + terminal(f"{f.rule}{tag} {f.message}{also}")
        )
    out.extend(closing(report, show_pre_existing, quiet=quiet, statistics=statistics))
    return "\n".join(out) + "\n"


def closing(
    report: Report, show_pre_existing: bool, *, quiet: bool = False, statistics: bool = False
) -> list[str]:
    """The lines every person-facing format ends with: notes (not when ``quiet``), checks
    that could not run, pre-existing counts, statistics, and the summary."""
    out = []
    for result in report.results:
        for note in () if quiet else result.notes:
            where = f"{note.path}: " if note.path and not note.message.startswith(note.path) else ""
            out.append(terminal(f"note [{result.check}] {where}{note.message}"))
        if result.error is not None:
            out.append(terminal(f"error [{result.check}] could not run: {result.error}"))
    shown = [f for f in report.findings if f.suppressed is None]
    if not show_pre_existing:
        by_rule = Counter(f.rule for f in shown if f.pre_existing)
        if by_rule:
            counted = ", ".join(f"{n} {rule}" for rule, n in sorted(by_rule.items()))
            out.append(f"pre-existing, not listed (--show-pre-existing lists them): {counted}")
    if statistics:
        out.extend(statistics_lines(report))
    out.append(summary_line(report))
    return out


def statistics_lines(report: Report) -> list[str]:
    """Per rule and level, how many findings (pre-existing ones included; those an ``allow``
    entry accepts left out)."""
    counts = Counter((f.rule, f.level) for f in report.findings if f.suppressed is None)
    if not counts:
        return []
    width = max(len(rule) for rule, _ in counts)
    return [
        f"{n:>6}  {rule.ljust(width)}  {level.value}"
        for (rule, level), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0]))
    ]


def summary_line(report: Report) -> str:
    shown = [f for f in report.findings if f.suppressed is None]
    counts = Counter(f.level for f in shown)
    pre = sum(1 for f in shown if f.pre_existing)
    allowed = len(report.findings) - len(shown)
    statuses = [
        f"{r.check}: {r.status}" + (f" ({r.skipped})" if r.skipped else "") for r in report.results
    ]
    off = [f"{name}: off in the config (enabled: false)" for name in report.disabled]
    statuses = statuses + off if statuses else ["no checks ran", *off]
    extra = "".join(
        [
            f", {pre} pre-existing" if pre else "",
            f", {allowed} allowed by config" if allowed else "",
        ]
    )
    return terminal(
        f"prgate: {_count(counts[Level.ERROR], 'error')}, "
        f"{_count(counts[Level.WARNING], 'warning')}, {_count(counts[Level.NOTE], 'note')}"
        f"{extra} in {_count(report.files, 'file')} ({', '.join(statuses)})"
    )
