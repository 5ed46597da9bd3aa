"""The RQ jobs, one module per job: checks (``check``), ``/prgate`` commands (``command``),
with what they share: the repository cache (``checkout``) and trust (``trust``).

RQ stores a job by the dotted name of its function, and a job queued before a deploy runs
after it: these names (``workers.jobs.run_checks`` and the rest) must keep resolving, so
they are re-exported here. ``workers/dispatch`` enqueues by them.
"""

from workers.jobs.check import (
    announce_checks,
    conclude_superseded,
    installation_changed,
    on_check_failure,
    on_quick_failure,
    run_checks,
    stop_retrying_if_permanent,
    sweep_strays,
)
from workers.jobs.command import run_command

__all__ = [
    "announce_checks",
    "conclude_superseded",
    "installation_changed",
    "on_check_failure",
    "on_quick_failure",
    "run_checks",
    "run_command",
    "stop_retrying_if_permanent",
    "sweep_strays",
]
