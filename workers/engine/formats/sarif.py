"""SARIF 2.1.0, a contract (docs/architecture.md): repo-relative URIs, every file named.

A finding about several files puts the first in ``locations`` and the others
in ``relatedLocations``; a directory's URI ends with ``/``. Pre-existing
findings (``--base``) carry ``baselineState: unchanged``; findings accepted by
an ``allow`` entry carry an external suppression with its reason.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from workers.engine.findings import Finding, RuleInfo
from workers.engine.runner import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _version() -> str:
    try:
        return version("prgate")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def _location(path: str, start: int | None = None, end: int | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}}
    if start:
        physical["region"] = {"startLine": start, "endLine": end or start}
    return {"physicalLocation": physical}


def _result(f: Finding, rule_index: dict[str, int], with_base: bool) -> dict[str, Any]:
    text = f.message + (f"\nFix: {f.fix}" if f.fix else "")
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index[f.rule],
        "level": f.level.value,
        "message": {"text": text},
        "locations": [_location(f.path, f.start_line, f.end_line)],
        "partialFingerprints": {"prgate/v1": f.fingerprint},
    }
    if f.related:
        result["relatedLocations"] = [
            {**_location(p), "id": i, "message": {"text": "also involved"}}
            for i, p in enumerate(f.related, start=1)
        ]
    if f.fix:
        result["properties"] = {"fix": f.fix}
    if f.fix and f.fix_path and f.fix_line:
        result["fixes"] = [
            {
                "description": {"text": f"Replace line {f.fix_line} of {f.fix_path}"},
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": f.fix_path, "uriBaseId": "%SRCROOT%"},
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
    return {
        "id": rule.id,
        "name": rule.id.split("/", 1)[1],
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.help},
        "help": {"text": rule.help, "markdown": rule.help},
        "defaultConfiguration": {"level": rule.level.value},
        "properties": {"tags": [rule.id.split("/", 1)[0]]},
    }


def render_sarif(report: Report, rules: list[RuleInfo]) -> dict[str, Any]:
    rule_index = {r.id: i for i, r in enumerate(rules)}
    notifications = []
    for r in report.results:
        for note in r.notes:
            n: dict[str, Any] = {
                "level": "note",
                "message": {"text": f"[{r.check}] {note.message}"},
            }
            if note.path:
                n["locations"] = [_location(note.path)]
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
                    _result(f, rule_index, report.base is not None) for f in report.findings
                ],
            }
        ],
    }
