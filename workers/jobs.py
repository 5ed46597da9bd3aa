"""RQ job functions. The receiver enqueues them by dotted name with a JSON request.

Each job validates its request model first, so a malformed job fails loudly
in RQ's failed registry instead of doing half the work. What the jobs post to
GitHub (checkout, check runs, reviews, command replies) is built on this by the
worker issue; until then they record the request and report it was not acted
on — never a pass.
"""

from __future__ import annotations

import logging
from typing import Any

from workers.requests import CheckRequest, CommandRequest, InstallationRequest

log = logging.getLogger("prgate.worker")


def run_checks(request: dict[str, Any]) -> dict[str, Any]:
    req = CheckRequest.model_validate(request)
    log.info(
        "checks requested",
        extra={"delivery": req.delivery_id, "repo": req.repo_full_name, "pr": req.pr_number,
               "sha": req.head_sha, "event": req.event},
    )  # fmt: skip
    return {"status": "not-reported", "detail": "GitHub reporting is not built yet", **_ids(req)}


def run_command(request: dict[str, Any]) -> dict[str, Any]:
    req = CommandRequest.model_validate(request)
    log.info(
        "command requested",
        extra={"delivery": req.delivery_id, "repo": req.repo_full_name, "pr": req.pr_number},
    )
    return {"status": "not-reported", "detail": "commands are not built yet", **_ids(req)}


def installation_changed(request: dict[str, Any]) -> dict[str, Any]:
    req = InstallationRequest.model_validate(request)
    log.info("installation changed", extra={"delivery": req.delivery_id, "event": req.event})
    return {"status": "recorded", "installation_id": req.installation_id}


def _ids(req: CheckRequest | CommandRequest) -> dict[str, Any]:
    return {"delivery_id": req.delivery_id, "repo": req.repo_full_name, "pr": req.pr_number}
