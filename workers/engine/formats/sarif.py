"""SARIF 2.1.0, a contract (docs/architecture.md): repo-relative URIs, every file named.

As GitHub code scanning reads it: URIs are relative to the repository root even when a
subfolder was checked (``prefix``) and percent-encoded (RFC 3986: a template path's
``{{ }}`` is not a valid URI reference as it is); every result on a file has a region
(line 1 for a finding about the whole file), since code scanning places an alert by
``region.startLine``; the secret rule carries ``security-severity`` and the ``security``
tag. A finding about several files puts the first in ``locations`` and the others in
``relatedLocations``; a directory's URI ends with ``/``. A finding about a directory
is placed on a file in it (line 1: code scanning cannot place an alert on a folder) and
names the directory in its message and in ``relatedLocations``. Pre-existing findings
(``--base``) carry ``baselineState: unchanged``; findings accepted by an ``allow`` entry
carry an external suppression with its reason.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import quote

from workers.engine.findings import Finding, RuleInfo
from workers.engine.runner import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/prgate/prgate"
# GitHub code scanning ranks security alerts by this score (7.0-8.9 is "high"): a secret
# committed to a template reaches every project generated from it.
SECURITY_SEVERITY = {"contamination/secret": "8.5"}


def _version() -> str:
    try:
        return version("prgate")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def uri(path: str, prefix: str = "") -> str:
    """A repository-relative path as a URI reference: under ``prefix`` (the checked
    subfolder), percent-encoded except for ``/``."""
    full = f"{prefix.strip('/')}/{path}" if prefix.strip("/") else path
    return quote(full, safe="/")


def _location(
    path: str, prefix: str, start: int | None = None, end: int | None = None
) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": uri(path, prefix), "uriBaseId": "%SRCROOT%"}
    }
    if start:
        physical["region"] = {"startLine": start, "endLine": end or start}
    elif not path.endswith("/"):  # a whole file: code scanning needs a line to show it on
        physical["region"] = {"startLine": 1}
    return {"physicalLocation": physical}


def _result(
    f: Finding, rule_index: dict[str, int], with_base: bool, prefix: str, inside: FileIn
) -> dict[str, Any]:
    text = f.message + (f"\nFix: {f.fix}" if f.fix else "")
    location = _location(f.path, prefix, f.start_line, f.end_line)
    related = [
        {**_location(p, prefix), "id": i, "message": {"text": "also involved"}}
        for i, p in enumerate(f.related, start=1)
    ]
    placed = inside(f.path) if f.path.endswith("/") else None
    if placed is not None:  # a folder: on a file in it, the folder named
        text = f"{f.path}: {text}"
        related.insert(0, {**location, "id": 0, "message": {"text": "the folder this is about"}})
        location = _location(placed, prefix, 1)
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index[f.rule],
        "level": f.level.value,
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"prgate/v1": f.fingerprint},
    }
    if related:
        result["relatedLocations"] = related
    if f.fix:
        result["properties"] = {"fix": f.fix}
    if f.fix and f.fix_path and f.fix_line:
        result["fixes"] = [
            {
                "description": {"text": f"Replace line {f.fix_line} of {f.fix_path}"},
                "artifactChanges": [
                    {
                        "artifactLocation": {
                            "uri": uri(f.fix_path, prefix),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "replacements": [
                            {
                                "deletedRegion": {"startLine": f.fix_line, "endLine": f.fix_line},
                                "insertedContent": {"text": f.fix},
                            }
                        ],
                    }
                ],
            }
        ]
    if with_base:
        result["baselineState"] = "unchanged" if f.pre_existing else "new"
    if f.suppressed is not None:
        result["suppressions"] = [{"kind": "external", "justification": f.suppressed}]
    return result


def _rule(rule: RuleInfo) -> dict[str, Any]:
    properties: dict[str, Any] = {"tags": [rule.id.split("/", 1)[0]]}
    if rule.id in SECURITY_SEVERITY:
        properties["tags"].append("security")
        properties["security-severity"] = SECURITY_SEVERITY[rule.id]
    return {
        "id": rule.id,
        "name": rule.id.split("/", 1)[1],
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.help},
        "help": {"text": rule.help, "markdown": rule.help},
        "helpUri": f"{INFORMATION_URI}#the-{rule.id.split('/', 1)[0]}-check",  # its section
        "defaultConfiguration": {"level": rule.level.value},
        "properties": properties,
    }


FileIn = Callable[[str], str | None]  # a folder -> a file in it, or None


def files_in(paths: Iterable[str]) -> FileIn:
    """A folder's first file (in sorted order) among ``paths``, looked up by bisection."""
    ordered = sorted(paths)

    def first(folder: str) -> str | None:
        at = bisect.bisect_left(ordered, folder)
        return ordered[at] if at < len(ordered) and ordered[at].startswith(folder) else None

    return first


def render_sarif(
    report: Report, rules: list[RuleInfo], prefix: str = "", inside: FileIn | None = None
) -> dict[str, Any]:
    """The document for ``report``; ``prefix``: the checked folder's path from the repository
    root, when a subfolder was checked; ``inside``: a file in a folder a finding is about
    (``files_in`` of the checked tree), without which such a finding stays on the folder."""
    rule_index = {r.id: i for i, r in enumerate(rules)}
    placed = inside or (lambda folder: None)
    notifications = []
    for r in report.results:
        for note in r.notes:
            n: dict[str, Any] = {
                "level": "note",
                "message": {"text": f"[{r.check}] {note.message}"},
            }
            if note.path:
                n["locations"] = [_location(note.path, prefix)]
            notifications.append(n)
        if r.error is not None:
            notifications.append(
                {"level": "error", "message": {"text": f"[{r.check}] could not run: {r.error}"}}
            )
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "prgate",
                        "version": _version(),
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(r) for r in rules],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": report.exit_code != 2,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "repository root"}}},
                "results": [
                    _result(f, rule_index, report.base is not None, prefix, placed)
                    for f in report.findings
                ],
            }
        ],
    }
