"""Plain-text report: grouped by file, one summary line; no colour, so CI logs stay clean."""

from __future__ import annotations

from collections import defaultdict

from workers.engine.findings import Finding, Level
from workers.engine.printable import terminal
from workers.engine.runner import Report


def _location(f: Finding) -> str:
    return f"{f.path}:{f.start_line}" if f.start_line else f.path


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_text(report: Report, show_pre_existing: bool = True) -> str:
    """The report; without ``show_pre_existing``, findings older than the base are counted
    one line per rule instead of listed (a 6-file change in a big repository is about those
    6 files, not the 13,000 findings it did not touch)."""
    out: list[str] = []
    shown = [f for f in report.findings if f.suppressed is None]
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in shown:
        if show_pre_existing or not f.pre_existing:
            by_file[f.path].append(f)
    for path in sorted(by_file):
        out.append(path)
        for f in by_file[path]:
            where = f"  line {f.start_line}" if f.start_line else ""
            tag = " (pre-existing)" if f.pre_existing else ""
            out.append(f"  {f.level.value:<7} {f.rule}{tag}{where}")
            out.append(f"          {f.message}")
            for other in f.related:
                out.append(f"          also: {other}")
            if f.fix and f.fix_path:
                out.append(f"          fix: replace line {f.fix_line} of {f.fix_path} with:")
                out.extend(f"            | {line}" for line in f.fix.splitlines())
            elif f.fix:
                out.append(f"          fix: {f.fix}")
        out.append("")
    for result in report.results:
        for note in result.notes:
            where = f"{note.path}: " if note.path and not note.message.startswith(note.path) else ""
            out.append(f"note [{result.check}] {where}{note.message}")
        if result.error is not None:
            out.append(f"error [{result.check}] could not run: {result.error}")
    if not show_pre_existing:
        by_rule: dict[str, int] = defaultdict(int)
        for f in shown:
            if f.pre_existing:
                by_rule[f.rule] += 1
        if by_rule:
            listed = ", ".join(f"{n} {rule}" for rule, n in sorted(by_rule.items()))
            out.append(f"pre-existing, not listed (--show-pre-existing lists them): {listed}")
    counts = {level: sum(1 for f in shown if f.level == level) for level in Level}
    pre = sum(1 for f in shown if f.pre_existing)
    allowed = len(report.findings) - len(shown)
    statuses = ", ".join(f"{r.check}: {r.status}" for r in report.results) or "no checks ran"
    extra = "".join(
        [
            f", {pre} pre-existing" if pre else "",
            f", {allowed} allowed by config" if allowed else "",
        ]
    )
    out.append(
        f"prgate: {_count(counts[Level.ERROR], 'error')}, "
        f"{_count(counts[Level.WARNING], 'warning')}, {_count(counts[Level.NOTE], 'note')}"
        f"{extra} in {_count(report.files, 'file')} ({statuses})"
    )
    return "\n".join(terminal(line) for line in out) + "\n"
