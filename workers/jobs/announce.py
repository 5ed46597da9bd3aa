"""The check-run lifecycle jobs around a check: announce (the runs appear ``queued`` on the
head as soon as a delivery is accepted), sweep strays (runs GitHub made twice), and conclude
superseded work (a newer push cancelled it)."""

from __future__ import annotations

import time
from typing import Any

from workers.jobs.context import Work
from workers.jobs.merge_group import end_if_removed, remember, with_group_base
from workers.publish.check_run import skipped
from workers.shared.logs import log_job
from workers.shared.stats import record_job
from workers.shared.work import CheckRequest


def announce_checks(request: dict[str, Any], job_id: str) -> dict[str, Any]:
    """Show the work as accepted: the check runs appear as ``queued``."""
    req = CheckRequest.model_validate(request)
    work = Work.open(req, job_id)
    with_group_base(work)
    start = time.monotonic()
    try:
        runs = work.runs.ensure()
        if work.req.base_sha is not None:  # a merge group's: recorded, then the mark read
            remember(work)
            end_if_removed(work)
    finally:
        record_job(work.redis, work.settings, "announce", work.calls, time.monotonic() - start)
    log_job("check runs queued", req, calls=work.calls)
    return {"status": "announced", "runs": sorted(runs), "calls": work.calls}


def sweep_strays(request: dict[str, Any], job_id: str) -> dict[str, Any]:
    """End this work's check runs that GitHub made unseen, after prgate made its own.

    A create request that timed out on prgate's side may still be carried out
    by GitHub, after the retry made the runs again; without this, those copies
    would stay queued on the commit forever, and a required check with them.
    """
    req = CheckRequest.model_validate(request)
    work = Work.open(req, job_id)
    recorded = {r.node_id for r in work.runs.book.get(work.runs.key).values()}
    known = recorded | {c.node_id for c in work.runs.book.copies(work.runs.key)}
    copies = [
        f.run for f in work.runs.found() if f.run.node_id not in known and f.status != "COMPLETED"
    ]
    work.runs.end_copies(copies)
    return {"status": "swept", "copies": len(copies), "calls": work.calls}


def conclude_superseded(request: dict[str, Any], job_id: str, new_sha: str) -> dict[str, Any]:
    """A newer push canceled this queued work: end its runs as skipped."""
    req = CheckRequest.model_validate(request)
    work = Work.open(req, job_id)
    why = f"superseded by {new_sha[:12]}: a newer commit was pushed before this one was checked"
    if work.runs.book.get(work.runs.key):
        work.runs.conclude_all(lambda check: skipped(check, why))
    return {"status": "superseded", "by": new_sha}
