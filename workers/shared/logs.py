"""Structured JSON logs: one object per line with delivery id, event, repo, PR and SHA.

A formatter of a few lines over the standard library rather than a logging
library: the fields are fixed and few. Never pass tokens, signatures or
payload bodies in ``extra`` — only the fields in ``FIELDS`` are ever written.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workers.shared.work import CheckRequest

FIELDS = (
    "delivery",
    "event",
    "repo",
    "pr",
    "sha",
    "outcome",
    "status",
    "jobs",
    "reason",
    "ms",
    "calls",
    "phases",
    "commands",
    "approved_by",
    "dropped",
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                doc[name] = value
        if record.exc_info:
            doc["error"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


def setup_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def log_job(message: str, req: CheckRequest, **fields: Any) -> None:
    """One line of a check job's log, with the delivery, event, repository, PR and head."""
    logging.getLogger("prgate.worker").info(
        message,
        extra={
            "delivery": req.delivery_id,
            "event": req.event,
            "repo": req.repo_full_name,
            "pr": req.pr_number,
            "sha": req.head_sha,
            **fields,
        },
    )
