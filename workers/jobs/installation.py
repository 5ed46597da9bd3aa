"""The installation bookkeeping job: an App installation or its repositories changed."""

from __future__ import annotations

import logging
from typing import Any

from workers.jobs.context import Session
from workers.jobs.trust import Trust
from workers.shared.work import InstallationRequest

log = logging.getLogger("prgate.worker")


def installation_changed(request: dict[str, Any]) -> dict[str, Any]:
    """An installation, or who may do what in it, changed: drop what was cached about it.

    Installation events drop the repository -> installation map and the
    installation's cached roles; member/team/organization events drop the roles
    (of one repository for ``member``).
    """
    req = InstallationRequest.model_validate(request)
    settings, redis = Session.connect()
    dropped = Trust(redis, settings).forget_roles(req.installation_id, req.repo_id)
    if req.event.startswith("installation"):
        keys = list(redis.scan_iter(f"{settings.queue}:installation:*", count=500))
        dropped += int(redis.delete(*keys)) if keys else 0
    log.info(
        "installation changed",
        extra={"delivery": req.delivery_id, "event": req.event, "dropped": dropped},
    )
    return {"status": "recorded", "installation_id": req.installation_id, "dropped": dropped}
