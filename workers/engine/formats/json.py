"""JSON report: the findings with their fingerprints, plus each check's status and notes."""

from __future__ import annotations

import json

from workers.engine.runner import Report


def render_json(report: Report) -> str:
    doc = {
        "version": 1,
        "target": report.target,
        "base": report.base,
        "files": report.files,
        "exit_code": report.exit_code,
        "checks": {
            r.check: {
                "status": r.status,
                "error": r.error,
                "notes": [n.as_dict() for n in r.notes],
            }
            for r in report.results
        },
        "findings": [f.as_dict() for f in report.findings],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
