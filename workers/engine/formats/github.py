"""GitHub Actions workflow annotations: ``::error file=…,line=…,title=…::message``.

For a workflow without code scanning: the runner turns each line into an annotation on
the file and line. Everything from the repository (paths, messages that quote file
names) is escaped as GitHub's toolkit escapes command data and properties
(``@actions/core``'s ``escapeData``/``escapeProperty``), after controls are made
visible, so a file name cannot end the command early or start another one. The closing
lines (notes, could-not-run, summary) are plain text, made safe like the text format's.
"""

from __future__ import annotations

from workers.engine.findings import Finding, Level
from workers.engine.formats.text import closing, listed
from workers.engine.printable import visible
from workers.engine.runner import Report

_COMMANDS = {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTE: "notice"}


def _data(text: str) -> str:
    """Command data: its own line breaks encoded (callers make the text visible first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(visible(text)).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding) -> str:
    props = [f"file={_property(f.path)}"]
    if f.start_line:
        props.append(f"line={f.start_line}")
        if f.end_line and f.end_line != f.start_line:
            props.append(f"endLine={f.end_line}")
    props.append(f"title={_property(f'prgate {f.rule}')}")
    # a message is one line: the annotation's own line breaks are encoded newlines
    body = "\n".join(
        [
            visible(f.message),
            *(f"also: {visible(p)}" for p in f.related),
            *([f"fix: {visible(f.fix)}"] if f.fix else []),
        ]
    )
    return f"::{_COMMANDS[f.level]} {','.join(props)}::{_data(body)}"


def render_github(
    report: Report, show_pre_existing: bool = True, *, quiet: bool = False, statistics: bool = False
) -> str:
    out = [annotation(f) for f in listed(report, show_pre_existing, quiet)]
    for result in report.results:
        if result.error is not None:
            title = _property(f"prgate {result.check} could not run")
            out.append(f"::error title={title}::{_data(visible(result.error))}")
    out.extend(closing(report, show_pre_existing, quiet=quiet, statistics=statistics))
    return "\n".join(out) + "\n"
